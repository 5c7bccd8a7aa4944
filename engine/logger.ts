import winston from 'winston';

/** The engine's structured JSON logger type. */
export type Logger = winston.Logger;

/** Options of createLogger. */
export interface LoggerOptions {
  /**
   * Also write every JSON line here (tests read what the engine logs). It receives lines even
   * when `silent` quiets stdout.
   */
  stream?: NodeJS.WritableStream;
}

/** Creates the one logger of a process: JSON lines on stdout with a timestamp. */
export function createLogger(level: string, silent = false, options: LoggerOptions = {}): Logger {
  const transports: winston.transport[] = [new winston.transports.Console({ silent })];
  if (options.stream) transports.push(new winston.transports.Stream({ stream: options.stream }));
  return winston.createLogger({
    level,
    // Silent as a whole only without a stream: a processing worker thread copies this flag.
    silent: silent && !options.stream,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { service: 'journey-engine' },
    transports,
  });
}

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

/** An error as plain data for a JSON line: JSON.stringify turns an Error into `{}`. */
function errorData(error: Error, depth = 0): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  const data: Record<string, unknown> = { name: error.name, message: error.message };
  if (typeof code === 'string' || typeof code === 'number') data['code'] = code;
  if (error.stack) data['stack'] = error.stack;
  if (error.cause instanceof Error && depth < 2) data['cause'] = errorData(error.cause, depth + 1);
  return data;
}

/**
 * Errors passed in a log call's metadata (`logger.error('…', { error })`, the engine's habit),
 * written with their name, message, code and stack. Why: winston's `errors` format only handles
 * an error passed as the message itself.
 */
const errorsInMetadata = winston.format((info) => {
  for (const key of Object.keys(info)) {
    const value = info[key];
    if (value instanceof Error) info[key] = errorData(value);
  }
  return info;
});

/** Creates the one logger of a process: JSON lines on stdout with a timestamp. */
export function createLogger(level: string, silent = false, options: LoggerOptions = {}): Logger {
  const transports: winston.transport[] = [new winston.transports.Console({ silent })];
  if (options.stream) transports.push(new winston.transports.Stream({ stream: options.stream }));
  return winston.createLogger({
    level,
    // Silent as a whole only without a stream: a processing worker thread copies this flag.
    silent: silent && !options.stream,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), errorsInMetadata(), winston.format.json()),
    defaultMeta: { service: 'journey-engine' },
    transports,
  });
}

import winston from 'winston';

/** The engine's structured JSON logger type. */
export type Logger = winston.Logger;

/** Creates the one logger of a process: JSON lines on stdout with a timestamp. */
export function createLogger(level: string, silent = false): Logger {
  return winston.createLogger({
    level,
    silent,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { service: 'journey-engine' },
    transports: [new winston.transports.Console()],
  });
}

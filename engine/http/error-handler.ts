import type { NextFunction, Request, Response } from 'express';
import { EngineError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { sendError, toEngineError } from './send-json.ts';

/** Answers routes nobody handles with a JSON 404. */
export function unknownRoute(req: Request): never {
  throw new EngineError('route_not_found', `no endpoint ${req.method} ${req.path}`);
}

/** Express error middleware: every error becomes `{ error: { code, message, … } }`; `isTransient` is the store's judgement of its errors. */
export function errorHandler(logger: Logger, isTransient: (error: unknown) => boolean) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const engineError = toEngineError(error, isTransient);
    const requestId = res.getHeader('x-request-id');
    if (engineError.status >= 500) logger.error('request failed', { requestId, method: req.method, path: req.path, error });
    else logger.debug('request rejected', { requestId, method: req.method, path: req.path, code: engineError.code, message: engineError.message });
    if (!res.headersSent) sendError(res, engineError);
  };
}

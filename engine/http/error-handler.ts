import type { NextFunction, Request, Response } from 'express';
import { EngineError } from '../errors.ts';
import type { AllowedMethods } from './allowed-methods.ts';
import type { Logger } from '../logger.ts';
import { sendError, toEngineError } from './send-json.ts';

/**
 * Answers requests no route handles: 405 with `Allow` when the path is served with other
 * methods, a JSON 404 otherwise. `allowed` is asked lazily (every route is registered by then).
 */
export function unknownRoute(allowed: () => AllowedMethods) {
  return (req: Request, res: Response): never => {
    const methods = allowed()(req.path);
    if (methods.length > 0) {
      res.setHeader('allow', methods.join(', '));
      throw new EngineError('method_not_allowed', `${req.path} answers ${methods.join(', ')}, not ${req.method}`);
    }
    throw new EngineError('route_not_found', `no endpoint ${req.method} ${req.path}`);
  };
}

/** The router's refusal of a path parameter it cannot decode (`%E0%A4%A`): the client's fault, not ours. */
function isBadPathEncoding(error: unknown): boolean {
  return error instanceof URIError && (error as URIError & { status?: number }).status === 400;
}

/** Express error middleware: every error becomes `{ error: { code, message, … } }`; `isTransient` is the store's judgement of its errors. */
export function errorHandler(logger: Logger, isTransient: (error: unknown) => boolean) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const engineError = isBadPathEncoding(error)
      ? new EngineError('invalid_request', `the path is not valid percent-encoding: ${req.originalUrl.split('?')[0]}`, { path: 'path' })
      : toEngineError(error, isTransient);
    const requestId = res.getHeader('x-request-id');
    if (engineError.status >= 500) logger.error('request failed', { requestId, method: req.method, path: req.path, error });
    else logger.debug('request rejected', { requestId, method: req.method, path: req.path, code: engineError.code, message: engineError.message });
    if (!res.headersSent) sendError(res, engineError);
  };
}

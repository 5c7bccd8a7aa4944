import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { EngineError } from '../errors.ts';
import type { CredentialService, Principal } from '../spaces/credential-service.ts';
import { bearerToken } from './credentials-from-request.ts';

/** The authenticated space of a management request. */
export function principalOf(res: Response): Principal {
  return res.locals['principal'] as Principal;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Requires a live admin token of a space (Bearer); the space it belongs to scopes the request. */
export function requireAdmin(credentials: CredentialService, operatorToken: string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const token = bearerToken(req);
    if (token === null) throw new EngineError('missing_credentials', 'send an admin token as "Authorization: Bearer <token>"');
    const principal = await credentials.authenticate(token, 'admin_token');
    if (!principal) {
      if (sameSecret(token, operatorToken)) {
        throw new EngineError('forbidden', 'the operator token manages spaces only; use an admin token of the space');
      }
      throw new EngineError('invalid_credentials', 'the admin token is unknown or revoked');
    }
    res.locals['principal'] = principal;
    next();
  };
}

/** Requires the operator token (space management). */
export function requireOperator(credentials: CredentialService, operatorToken: string) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const token = bearerToken(req);
    if (token === null) throw new EngineError('missing_credentials', 'send the operator token as "Authorization: Bearer <token>"');
    if (sameSecret(token, operatorToken)) return next();
    if (await credentials.authenticate(token, 'admin_token')) {
      throw new EngineError('forbidden', 'space admin tokens cannot manage spaces; use the operator token');
    }
    throw new EngineError('invalid_credentials', 'the operator token is wrong');
  };
}

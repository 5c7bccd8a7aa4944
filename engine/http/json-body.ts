import type { NextFunction, Request, Response } from 'express';
import { readJsonBody, type JsonBodyLimits } from './read-json-body.ts';

/**
 * Express middleware that parses JSON bodies of POST/PUT/PATCH with the engine's error codes
 * (invalid_json, payload_too_large, payload_too_deep) and limits (`MAX_API_BODY_BYTES`,
 * `MAX_JSON_DEPTH`): journeys, audiences and function sources are small documents.
 */
export function jsonBody(limits: JsonBodyLimits): (req: Request, res: Response, next: NextFunction) => Promise<void> {
  return async (req, _res, next) => {
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
      const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      req.body = hasBody ? await readJsonBody(req, limits) : {};
    }
    next();
  };
}

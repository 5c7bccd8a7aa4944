import type { NextFunction, Request, Response } from 'express';
import { readJsonBody } from './read-json-body.ts';

/** Management API body size limit: journeys and audiences are small documents. */
export const MANAGEMENT_BODY_LIMIT_BYTES = 1024 * 1024;

/** Parses JSON bodies of POST/PUT/PATCH with the engine's error codes (invalid_json, payload_too_large). */
export async function jsonBody(req: Request, _res: Response, next: NextFunction): Promise<void> {
  if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    req.body = hasBody ? await readJsonBody(req, MANAGEMENT_BODY_LIMIT_BYTES) : {};
  }
  next();
}

import { Router } from 'express';
import { principalOf } from '../http/admin-auth.ts';
import { invalidRequest } from '../errors.ts';
import { objectWithKeys } from '../http/object-body.ts';
import type { FunctionService } from './function-service.ts';
import { parseFunctionInput, parseFunctionTest } from './function-input.ts';

/** Destination functions (`/api/v1/functions`). */
export function createFunctionRoutes(functions: FunctionService): Router {
  const router = Router();
  router.post('/functions', async (req, res) => {
    res.status(201).json({ function: await functions.create(principalOf(res).spaceId, parseFunctionInput(req.body)) });
  });
  router.get('/functions', async (_req, res) => {
    res.json({ functions: await functions.list(principalOf(res).spaceId) });
  });
  router.get('/functions/:id', async (req, res) => {
    res.json({ function: await functions.get(principalOf(res).spaceId, req.params['id']!) });
  });
  router.put('/functions/:id', async (req, res) => {
    res.json({ function: await functions.update(principalOf(res).spaceId, req.params['id']!, parseFunctionInput(req.body)) });
  });
  router.delete('/functions/:id', async (req, res) => {
    await functions.delete(principalOf(res).spaceId, req.params['id']!);
    res.status(204).end();
  });
  router.get('/functions/:id/versions', async (req, res) => {
    res.json({ versions: await functions.versions(principalOf(res).spaceId, req.params['id']!) });
  });
  router.post('/functions/:id/deploy', async (req, res) => {
    const body = objectWithKeys(req.body, ['version']);
    const version = body['version'];
    if (version !== undefined && (typeof version !== 'number' || !Number.isInteger(version) || version < 1)) throw invalidRequest('version must be a version number', '/version');
    res.json({ function: await functions.deploy(principalOf(res).spaceId, req.params['id']!, version as number | undefined) });
  });
  router.post('/functions/:id/test', async (req, res) => {
    res.json(await functions.test(principalOf(res).spaceId, req.params['id']!, parseFunctionTest(req.body)));
  });
  return router;
}

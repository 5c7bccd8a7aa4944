import { Router } from 'express';
import { EngineError, invalidRequest, notFound } from '../errors.ts';
import type { SpaceStore } from '../store/space-store.ts';
import type { CredentialService } from './credential-service.ts';
import { DEFAULT_SPACE_ID } from './bootstrap.ts';
import { objectWithKeys } from '../http/object-body.ts';

/** Operator routes: create, list and delete spaces (`/api/v1/spaces`). */
export function createSpaceRoutes(spaces: SpaceStore, credentials: CredentialService): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = objectWithKeys(req.body, ['name']);
    const name = body['name'];
    if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200) {
      throw invalidRequest('name must be a non-empty string of at most 200 characters', '/name');
    }
    const created = await credentials.createSpace(name.trim());
    res.status(201).json({ space: created.space, writeKey: created.writeKey, adminToken: created.adminToken });
  });
  router.get('/', async (_req, res) => {
    res.json({ spaces: await spaces.listSpaces() });
  });
  router.delete('/:id', async (req, res) => {
    if (req.params['id'] === DEFAULT_SPACE_ID) throw new EngineError('conflict', 'the default space cannot be deleted');
    if (!await spaces.deleteSpace(req.params['id']!)) throw notFound('space', req.params['id']!);
    credentials.forget();
    res.status(204).end();
  });
  return router;
}

import { Router } from 'express';
import { invalidRequest } from '../errors.ts';
import { principalOf } from '../http/admin-auth.ts';
import { objectWithKeys } from '../http/object-body.ts';
import type { SpaceStore } from '../store/space-store.ts';
import type { CredentialService } from './credential-service.ts';

/** A space admin's own space and credentials (`/api/v1/space`, `/api/v1/credentials`). */
export function createCredentialRoutes(spaces: SpaceStore, credentials: CredentialService): Router {
  const router = Router();
  router.get('/space', async (_req, res) => {
    res.json({ space: await spaces.getSpace(principalOf(res).spaceId) });
  });
  router.get('/credentials', async (_req, res) => {
    res.json({ credentials: await credentials.list(principalOf(res).spaceId) });
  });
  router.post('/credentials', async (req, res) => {
    const body = objectWithKeys(req.body, ['kind', 'label']);
    const kind = body['kind'];
    if (kind !== 'write_key' && kind !== 'admin_token') throw invalidRequest("kind must be 'write_key' or 'admin_token'", '/kind');
    const label = body['label'];
    if (label !== undefined && (typeof label !== 'string' || label.length > 200)) throw invalidRequest('label must be a string of at most 200 characters', '/label');
    res.status(201).json({ credential: await credentials.issue(principalOf(res).spaceId, kind, { label: label ?? null }) });
  });
  router.post('/credentials/:id/rotate', async (req, res) => {
    res.status(201).json({ credential: await credentials.rotate(principalOf(res).spaceId, req.params['id']!) });
  });
  router.delete('/credentials/:id', async (req, res) => {
    await credentials.revoke(principalOf(res).spaceId, req.params['id']!);
    res.status(204).end();
  });
  return router;
}

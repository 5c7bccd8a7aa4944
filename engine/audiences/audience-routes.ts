import { Router } from 'express';
import { principalOf } from '../http/admin-auth.ts';
import { limitParam, onlyParams } from '../http/query-params.ts';
import { cursorParam, encodeNextCursor } from '../http/page-cursor.ts';
import type { AudienceService } from './audience-service.ts';
import { parseAudienceInput, parseMembershipChange } from './audience-input.ts';

/** Audience management (`/api/v1/audiences`). */
export function createAudienceRoutes(audiences: AudienceService): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    res.status(201).json({ audience: await audiences.create(principalOf(res).spaceId, parseAudienceInput(req.body)) });
  });
  router.get('/', async (_req, res) => {
    res.json({ audiences: await audiences.list(principalOf(res).spaceId) });
  });
  router.get('/:id', async (req, res) => {
    res.json({ audience: await audiences.get(principalOf(res).spaceId, req.params['id']!) });
  });
  router.put('/:id', async (req, res) => {
    res.json({ audience: await audiences.update(principalOf(res).spaceId, req.params['id']!, parseAudienceInput(req.body)) });
  });
  router.delete('/:id', async (req, res) => {
    await audiences.delete(principalOf(res).spaceId, req.params['id']!);
    res.status(204).end();
  });
  router.get('/:id/members', async (req, res) => {
    onlyParams(req, ['cursor', 'limit']);
    const page = await audiences.members(principalOf(res).spaceId, req.params['id']!, cursorParam(req, 'members') ?? null, limitParam(req));
    res.json({ ...page, nextCursor: encodeNextCursor('members', page.nextCursor) });
  });
  router.post('/:id/members', async (req, res) => {
    res.json(await audiences.changeMembers(principalOf(res).spaceId, req.params['id']!, parseMembershipChange(req.body)));
  });
  return router;
}

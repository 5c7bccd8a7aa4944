import { Router } from 'express';
import { notFound } from '../errors.ts';
import { principalOf } from '../http/admin-auth.ts';
import type { CatalogStore } from '../store/catalog-store.ts';

/** The event catalog of a space (`/api/v1/catalog/events`). */
export function createCatalogRoutes(catalog: CatalogStore): Router {
  const router = Router();
  const view = ({ spaceId: _spaceId, ...entry }: Awaited<ReturnType<CatalogStore['get']>> & object) => entry;
  router.get('/events', async (_req, res) => {
    res.json({ events: (await catalog.list(principalOf(res).spaceId)).map(view) });
  });
  router.get('/events/:name', async (req, res) => {
    const entry = await catalog.get(principalOf(res).spaceId, req.params['name']!);
    if (!entry) throw notFound('catalog event', req.params['name']!);
    res.json({ event: view(entry) });
  });
  return router;
}

import { Router } from 'express';
import { principalOf } from '../http/admin-auth.ts';
import type { DestinationService } from './destination-service.ts';
import { parseDestinationInput } from './destination-input.ts';

/** Destination plugins (`/api/v1/destination-plugins`) and configured destinations (`/api/v1/destinations`). */
export function createDestinationRoutes(destinations: DestinationService): Router {
  const router = Router();
  router.get('/destination-plugins', (_req, res) => {
    res.json({ plugins: destinations.plugins() });
  });
  router.get('/destination-plugins/:slug', async (req, res) => {
    res.json({ plugin: await destinations.plugin(req.params['slug']!) });
  });
  router.post('/destinations', async (req, res) => {
    res.status(201).json({ destination: await destinations.create(principalOf(res).spaceId, parseDestinationInput(req.body)) });
  });
  router.get('/destinations', async (_req, res) => {
    res.json({ destinations: await destinations.list(principalOf(res).spaceId) });
  });
  router.get('/destinations/:id', async (req, res) => {
    res.json({ destination: await destinations.get(principalOf(res).spaceId, req.params['id']!) });
  });
  router.put('/destinations/:id', async (req, res) => {
    res.json({ destination: await destinations.update(principalOf(res).spaceId, req.params['id']!, parseDestinationInput(req.body)) });
  });
  router.delete('/destinations/:id', async (req, res) => {
    await destinations.delete(principalOf(res).spaceId, req.params['id']!);
    res.status(204).end();
  });
  router.post('/destinations/:id/test-authentication', async (req, res) => {
    res.json(await destinations.testAuthentication(principalOf(res).spaceId, req.params['id']!));
  });
  return router;
}

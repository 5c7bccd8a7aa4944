import { Router } from 'express';
import { principalOf } from '../http/admin-auth.ts';
import { limitParam, onlyParams, stringParam } from '../http/query-params.ts';
import { pageOf } from '../http/page-of.ts';
import { cursorParam, encodeNextCursor } from '../http/page-cursor.ts';
import { invalidRequest } from '../errors.ts';
import type { DeliveryStatus } from '../store/delivery-store.ts';
import { parseRedriveFilter, viewDelivery, type DeliveryService } from './delivery-service.ts';
import { parsePreviewInput, type SendPreview } from './send-preview.ts';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'retrying', 'delivered', 'failed', 'skipped'];

/** Deliveries (`/api/v1/deliveries`, `/api/v1/instances/{id}/deliveries`): listing and re-driving. */
export function createDeliveryRoutes(deliveries: DeliveryService): Router {
  const router = Router();
  router.get('/deliveries', async (req, res) => {
    onlyParams(req, ['status', 'journeyId', 'cursor', 'limit']);
    const status = stringParam(req, 'status');
    if (status !== undefined && !STATUSES.includes(status as DeliveryStatus)) {
      throw invalidRequest(`status must be one of ${STATUSES.join(', ')}`, '?status');
    }
    const journeyId = stringParam(req, 'journeyId');
    const limit = limitParam(req);
    const fetched = await deliveries.list(principalOf(res).spaceId, {
      ...(status ? { status: status as DeliveryStatus } : {}), ...(journeyId ? { journeyId } : {}),
      after: cursorParam(req, 'deliveries') ?? null, limit: limit + 1,
    });
    const { items, nextCursor } = pageOf(fetched, limit, (d) => d.id);
    res.json({ deliveries: items.map(viewDelivery), nextCursor: encodeNextCursor('deliveries', nextCursor) });
  });
  router.post('/deliveries/redrive', async (req, res) => {
    res.json(await deliveries.redriveMany(principalOf(res).spaceId, parseRedriveFilter(req.body)));
  });
  router.get('/deliveries/:id', async (req, res) => {
    res.json({ delivery: viewDelivery(await deliveries.get(principalOf(res).spaceId, req.params['id']!)) });
  });
  router.post('/deliveries/:id/redrive', async (req, res) => {
    res.json({ delivery: viewDelivery(await deliveries.redrive(principalOf(res).spaceId, req.params['id']!)) });
  });
  router.get('/instances/:id/deliveries', async (req, res) => {
    res.json({ deliveries: (await deliveries.forInstance(principalOf(res).spaceId, req.params['id']!)).map(viewDelivery) });
  });
  return router;
}

/** Preview and test-send of a send step (`/api/v1/journeys/{id}/steps/{stepId}/preview|test`). */
export function createSendPreviewRoutes(preview: SendPreview): Router {
  const router = Router();
  router.post('/journeys/:id/steps/:stepId/preview', async (req, res) => {
    res.json(await preview.preview(principalOf(res).spaceId, req.params['id']!, req.params['stepId']!, parsePreviewInput(req.body)));
  });
  router.post('/journeys/:id/steps/:stepId/test', async (req, res) => {
    res.json(await preview.test(principalOf(res).spaceId, req.params['id']!, req.params['stepId']!, parsePreviewInput(req.body)));
  });
  return router;
}

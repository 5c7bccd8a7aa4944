import { Router, type Response } from 'express';
import { invalidRequest, notFound } from '../errors.ts';
import { principalOf } from '../http/admin-auth.ts';
import { limitParam, onlyParams, stringParam } from '../http/query-params.ts';
import { pageOf } from '../http/page-of.ts';
import { cursorParam, encodeNextCursor } from '../http/page-cursor.ts';
import type { Store } from '../store/store.ts';
import type { JourneyRecord, JourneyStatus } from '../store/journey-store.ts';
import type { InstanceStatus } from '../store/instance-store.ts';
import type { ProfileFinder } from '../profiles/profile-finder.ts';
import type { JourneyService } from './journey-service.ts';
import { parseDuplicateBody, parseJourneyDocument, parsePublishBody } from './journey-input.ts';
import { viewInstance, viewJourney } from './journey-view.ts';
import { journeySchema } from './definition/journey-schema.ts';

const STATUSES: JourneyStatus[] = ['draft', 'published', 'paused', 'archived'];
const INSTANCE_STATUSES: InstanceStatus[] = ['active', 'completed', 'exited'];

/** Journey management (`/api/v1/journeys`) and the journey schema (`/api/v1/schemas/journey`). */
export function createJourneyRoutes(journeys: JourneyService, store: Store, finder: ProfileFinder): Router {
  const router = Router();
  const space = (res: Response) => principalOf(res).spaceId;
  const show = async (j: JourneyRecord) => {
    const live = j.liveVersion !== null ? await store.journeys.getVersion(j.spaceId, j.id, j.liveVersion) : null;
    return { journey: viewJourney(j, live?.definition ?? null) };
  };

  router.get('/schemas/journey', (_req, res) => { res.json(journeySchema); });

  // A draft is saved even with problems (it is work in progress); the answer lists them, as validate would.
  const saved = async (j: JourneyRecord) => ({ ...(await show(j)), problems: (await journeys.validateRecord(j)).problems });
  router.post('/journeys', async (req, res) => {
    res.status(201).json(await saved(await journeys.create(space(res), parseJourneyDocument(req.body))));
  });
  router.get('/journeys', async (req, res) => {
    onlyParams(req, ['status']);
    const status = stringParam(req, 'status');
    if (status !== undefined && !(STATUSES as string[]).includes(status)) throw invalidRequest(`status must be one of ${STATUSES.join(', ')}`, '?status');
    const list = await journeys.list(space(res), status as JourneyStatus | undefined);
    res.json({ journeys: await Promise.all(list.map(async (j) => (await show(j)).journey)) });
  });
  router.get('/journeys/:id', async (req, res) => {
    res.json(await show(await journeys.get(space(res), req.params['id']!)));
  });
  router.put('/journeys/:id', async (req, res) => {
    res.json(await saved(await journeys.update(space(res), req.params['id']!, parseJourneyDocument(req.body))));
  });
  router.delete('/journeys/:id', async (req, res) => {
    await journeys.delete(space(res), req.params['id']!);
    res.status(204).end();
  });
  router.post('/journeys/:id/validate', async (req, res) => {
    res.json(await journeys.validate(space(res), req.params['id']!));
  });
  router.post('/journeys/:id/publish', async (req, res) => {
    res.json(await show(await journeys.publish(space(res), req.params['id']!, parsePublishBody(req.body))));
  });
  for (const op of ['pause', 'resume', 'archive'] as const) {
    router.post(`/journeys/:id/${op}`, async (req, res) => {
      res.json(await show(await journeys[op](space(res), req.params['id']!)));
    });
  }
  router.post('/journeys/:id/duplicate', async (req, res) => {
    const { name } = parseDuplicateBody(req.body);
    res.status(201).json(await show(await journeys.duplicate(space(res), req.params['id']!, name)));
  });
  router.get('/journeys/:id/versions', async (req, res) => {
    const versions = await journeys.versions(space(res), req.params['id']!);
    res.json({ versions: versions.map((v) => ({ version: v.version, state: v.state, publishedAt: v.publishedAt, definition: v.definition })) });
  });

  router.get('/journeys/:id/instances', async (req, res) => {
    const spaceId = space(res);
    onlyParams(req, ['status', 'userId', 'anonymousId', 'email', 'profileId', 'cursor', 'limit']);
    const journey = await journeys.get(spaceId, req.params['id']!);
    const status = stringParam(req, 'status');
    if (status !== undefined && !(INSTANCE_STATUSES as string[]).includes(status)) {
      throw invalidRequest(`status must be one of ${INSTANCE_STATUSES.join(', ')}`, '?status');
    }
    const refs = (['userId', 'anonymousId', 'email', 'profileId'] as const)
      .map((key) => [key, stringParam(req, key)] as const).filter(([, v]) => v !== undefined);
    let profileIds: string[] | undefined;
    if (refs.length > 0) {
      const [key, value] = refs[0]!;
      const profile = await finder.byRef(spaceId, { [key]: value! } as { userId: string });
      profileIds = profile ? [profile.id, ...profile.mergedFrom] : [];
    }
    const limit = limitParam(req);
    const page = await store.instances.listByJourney(spaceId, journey.id, {
      ...(profileIds ? { profileIds } : {}), ...(status ? { status: status as InstanceStatus } : {}),
      after: cursorParam(req, 'instances') ?? null, limit: limit + 1,
    });
    const { items, nextCursor } = pageOf(page, limit, (i) => i.id);
    res.json({ instances: items.map(viewInstance), nextCursor: encodeNextCursor('instances', nextCursor) });
  });
  router.get('/journeys/:id/instances/:instanceId', async (req, res) => {
    const spaceId = space(res);
    const instance = await store.instances.get(spaceId, req.params['instanceId']!);
    if (!instance || instance.journeyId !== req.params['id']) throw notFound('instance', req.params['instanceId']!);
    const [activity, deliveries] = await Promise.all([
      store.activities.list(spaceId, instance.journeyId, { instanceId: instance.id, limit: 1000 }),
      store.deliveries.listByInstance(spaceId, instance.id),
    ]);
    res.json({ instance: viewInstance(instance), activity, deliveries });
  });
  router.get('/journeys/:id/deliveries', async (req, res) => {
    const spaceId = space(res);
    onlyParams(req, ['cursor', 'limit']);
    const journey = await journeys.get(spaceId, req.params['id']!);
    const limit = limitParam(req);
    const fetched = await store.deliveries.listByJourney(spaceId, journey.id, { after: cursorParam(req, 'journey-deliveries') ?? null, limit: limit + 1 });
    const { items, nextCursor } = pageOf(fetched, limit, (d) => d.id);
    res.json({ deliveries: items, nextCursor: encodeNextCursor('journey-deliveries', nextCursor) });
  });
  return router;
}

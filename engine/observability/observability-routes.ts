import { Router, type Response } from 'express';
import { principalOf } from '../http/admin-auth.ts';
import type { Store } from '../store/store.ts';
import type { ProfileFinder } from '../profiles/profile-finder.ts';
import type { JourneyService } from '../journeys/journey-service.ts';
import type { Clock } from '../clock.ts';
import { readActivityLog } from './activity-log.ts';
import { hourRangeOf, journeyStats } from './journey-stats.ts';
import { timeRangeParams } from './time-range.ts';
import { onlyParams } from '../http/query-params.ts';
import { instanceTimeline } from './instance-timeline.ts';
import { profileJourneys } from './profile-journeys.ts';

/** What the observability routes read. */
export interface ObservabilityDeps {
  store: Store;
  journeys: JourneyService;
  finder: ProfileFinder;
  clock: Clock;
}

/**
 * What happened to whom and why: a journey's activity log and figures, an instance's timeline,
 * a profile's journeys. Every id is looked up in the caller's space (another space's id: 404).
 */
export function createObservabilityRoutes(deps: ObservabilityDeps): Router {
  const router = Router();
  const space = (res: Response) => principalOf(res).spaceId;

  router.get('/journeys/:id/activity', async (req, res) => {
    const spaceId = space(res);
    const journey = await deps.journeys.get(spaceId, req.params['id']!);
    res.json(await readActivityLog(req, spaceId, journey.id, { activities: deps.store.activities, finder: deps.finder }));
  });
  router.get('/journeys/:id/stats', async (req, res) => {
    const spaceId = space(res);
    onlyParams(req, ['from', 'to']);
    const journey = await deps.journeys.get(spaceId, req.params['id']!);
    const range = hourRangeOf(timeRangeParams(req), deps.clock.now());
    const [counts, live] = await Promise.all([
      deps.store.figures.journey(spaceId, journey.id, range),
      journey.liveVersion === null ? null : deps.store.journeys.getVersion(spaceId, journey.id, journey.liveVersion),
    ]);
    res.json({ stats: journeyStats(journey.id, counts, range, live?.definition ?? null) });
  });
  router.get('/instances/:id/timeline', async (req, res) => {
    res.json(await instanceTimeline(deps.store, space(res), req.params['id']!));
  });
  router.get('/profiles/:profileId/journeys', async (req, res) => {
    res.json(await profileJourneys(deps.store, deps.finder, space(res), req.params['profileId']!));
  });
  return router;
}

import { Router } from 'express';
import { invalidRequest } from '../errors.ts';
import type { ManualClock } from '../clock.ts';

/** Moves the test clock and waits until everything that came due has been processed. */
export function createTestClockRoutes(clock: ManualClock, advance: (ms: number) => Promise<number>): Router {
  const router = Router();
  router.post('/advance', async (req, res) => {
    const ms = (req.body as Record<string, unknown> | null)?.['ms'];
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > 10 * 366 * 86_400_000) {
      throw invalidRequest('ms must be a non-negative integer number of milliseconds (at most 10 years)', '/ms');
    }
    const fired = await advance(ms);
    res.json({ now: new Date(clock.now()).toISOString(), fired });
  });
  router.get('/', (_req, res) => {
    res.json({ now: new Date(clock.now()).toISOString() });
  });
  return router;
}

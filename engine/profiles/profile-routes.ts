import { Router } from 'express';
import { EngineError, notFound } from '../errors.ts';
import { principalOf } from '../http/admin-auth.ts';
import { onlyParams, stringParam } from '../http/query-params.ts';
import type { AudienceService } from '../audiences/audience-service.ts';
import type { ProfileFinder } from './profile-finder.ts';
import type { ProfileRef } from './profile-ref.ts';
import { viewProfile } from './profile-view.ts';

/** Profile lookups (`/api/v1/profiles`). */
export function createProfileRoutes(finder: ProfileFinder, audiences: AudienceService): Router {
  const router = Router();
  const answer = async (spaceId: string, ref: ProfileRef, label: string) => {
    const profile = await finder.byRef(spaceId, ref);
    if (!profile) throw notFound('profile', label);
    return { profile: { ...viewProfile(profile), audiences: await audiences.audiencesOf(spaceId, profile.id) } };
  };
  router.get('/lookup', async (req, res) => {
    onlyParams(req, ['userId', 'anonymousId', 'email']);
    const given = (['userId', 'anonymousId', 'email'] as const)
      .map((key) => [key, stringParam(req, key)] as const)
      .filter((entry): entry is readonly ['userId' | 'anonymousId' | 'email', string] => entry[1] !== undefined);
    if (given.length === 0) {
      throw new EngineError('invalid_request', 'give one of ?userId=, ?anonymousId=, ?email=', { path: '?' });
    }
    // Several identifiers narrow the lookup: they must all lead to the same profile.
    const spaceId = principalOf(res).spaceId;
    const label = given.map(([key, value]) => `${key}=${value}`).join(', ');
    const found = await Promise.all(given.map(([key, value]) => finder.byRef(spaceId, { [key]: value } as ProfileRef)));
    const first = found[0];
    if (!first || found.some((p) => p?.id !== first.id)) throw notFound('profile', label);
    res.json(await answer(spaceId, { profileId: first.id }, label));
  });
  router.get('/:id', async (req, res) => {
    res.json(await answer(principalOf(res).spaceId, { profileId: req.params['id']! }, req.params['id']!));
  });
  router.get('/:id/audiences', async (req, res) => {
    const { profile } = await answer(principalOf(res).spaceId, { profileId: req.params['id']! }, req.params['id']!);
    res.json({ audiences: profile.audiences });
  });
  return router;
}

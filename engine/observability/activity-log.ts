import type { Request } from 'express';
import { EngineError, invalidRequest } from '../errors.ts';
import { limitParam, onlyParams, stringParam } from '../http/query-params.ts';
import type { ProfileFinder } from '../profiles/profile-finder.ts';
import type { ProfileRef } from '../profiles/profile-ref.ts';
import { ACTIVITY_TYPES, type ActivityQuery, type ActivityRecord, type ActivityStore, type ActivityType } from '../store/activity-store.ts';
import { decodeActivityCursor, encodeActivityCursor } from './activity-cursor.ts';
import { timeRangeParams } from './time-range.ts';

const PROFILE_KEYS = ['userId', 'anonymousId', 'email', 'profileId'] as const;

/** One page of a journey's activity log, newest first. */
export interface ActivityPage {
  activity: ActivityRecord[];
  nextCursor: string | null;
}

/**
 * Reads a journey's activity log from the query string: `from`, `to`, one of `userId`,
 * `anonymousId`, `email`, `profileId` (the profile and those merged into it), `instanceId`,
 * `type`, `step`, `cursor`, `limit`. An unknown profile has no activity: an empty page.
 */
export async function readActivityLog(
  req: Request, spaceId: string, journeyId: string, deps: { activities: ActivityStore; finder: ProfileFinder },
): Promise<ActivityPage> {
  onlyParams(req, ['from', 'to', ...PROFILE_KEYS, 'instanceId', 'type', 'step', 'cursor', 'limit']);
  const { from, to } = timeRangeParams(req);
  const type = stringParam(req, 'type');
  if (type !== undefined && !(ACTIVITY_TYPES as readonly string[]).includes(type)) {
    throw invalidRequest(`type must be one of ${ACTIVITY_TYPES.join(', ')}`, '?type');
  }
  const refs = PROFILE_KEYS.flatMap((key) => {
    const value = stringParam(req, key);
    return value === undefined ? [] : [[key, value] as const];
  });
  if (refs.length > 1) throw new EngineError('invalid_request', `give at most one of ${PROFILE_KEYS.map((k) => `?${k}=`).join(', ')}`, { path: `?${refs[1]![0]}` });
  const cursor = stringParam(req, 'cursor');
  const limit = limitParam(req);
  const query: ActivityQuery = { order: 'desc', limit: limit + 1, after: cursor === undefined ? null : decodeActivityCursor(cursor) };
  if (from !== null) query.from = new Date(from).toISOString();
  if (to !== null) query.to = new Date(to).toISOString();
  if (type !== undefined) query.type = type as ActivityType;
  const step = stringParam(req, 'step');
  if (step !== undefined) query.stepId = step;
  const instanceId = stringParam(req, 'instanceId');
  if (instanceId !== undefined) query.instanceId = instanceId;
  if (refs.length === 1) {
    const [key, value] = refs[0]!;
    const profile = await deps.finder.byRef(spaceId, { [key]: value } as ProfileRef);
    if (!profile) return { activity: [], nextCursor: null };
    query.profileIds = [profile.id, ...profile.mergedFrom];
  }
  const fetched = await deps.activities.list(spaceId, journeyId, query);
  const activity = fetched.slice(0, limit);
  return { activity, nextCursor: fetched.length > limit ? encodeActivityCursor(activity[activity.length - 1]!) : null };
}

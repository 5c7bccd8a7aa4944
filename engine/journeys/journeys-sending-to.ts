import type { Store } from '../store/store.ts';
import type { SendTarget } from './definition/journey-definition.ts';
import { sendsOf } from './activation-keys.ts';

/**
 * The journeys of a space with a send to a matching target, in their draft or in a version that
 * still runs: what deleting a destination or a function would break.
 */
export async function journeysSendingTo(store: Store, spaceId: string, matches: (target: SendTarget) => boolean): Promise<Array<{ id: string; name: string }>> {
  const users: Array<{ id: string; name: string }> = [];
  for (const journey of await store.journeys.list(spaceId, {})) {
    const docs = journey.draft ? [journey.draft] : [];
    for (const v of await store.journeys.listVersions(spaceId, journey.id)) if (v.state !== 'retired') docs.push(v.definition);
    if (docs.some((doc) => sendsOf(doc).some(({ spec }) => spec.target != null && matches(spec.target)))) users.push({ id: journey.id, name: journey.name });
  }
  return users;
}

import type { JourneyRecord, JourneyStore, JourneyVersionRecord, VersionState } from '../../store/journey-store.ts';

/**
 * The state a version should be in by its journey's record, when that differs from the state it
 * has: null when it is right. Publishing and archiving write the journey record first and the
 * versions' states after it; a crash (or a failing store) between the two leaves a superseded
 * version `live`, or an archived journey's versions running, with nothing left to retry (the
 * publish has no draft any more, the journey is already archived).
 *
 * Only versions older than the live one are touched: a newer one may be a publish in progress,
 * whose journey write has not landed yet.
 */
export function intendedState(journey: JourneyRecord, version: JourneyVersionRecord): VersionState | null {
  if (journey.status === 'archived') return version.state === 'live' || version.state === 'draining' ? 'exiting' : null;
  if (version.state !== 'live' || journey.liveVersion === null || version.version >= journey.liveVersion) return null;
  return journey.retiring?.version === version.version ? journey.retiring.state : 'draining';
}

/**
 * Puts every active version in the state its journey's record asks for (see intendedState);
 * answers the versions it changed. Run by the processor at take-over and every few seconds.
 */
export async function repairVersionStates(journeys: JourneyStore, active: readonly JourneyVersionRecord[]): Promise<JourneyVersionRecord[]> {
  const byJourney = new Map<string, JourneyVersionRecord[]>();
  for (const v of active) {
    if (v.state === 'exiting') continue;
    const key = `${v.spaceId}\u0000${v.journeyId}`;
    byJourney.set(key, [...(byJourney.get(key) ?? []), v]);
  }
  const changed: JourneyVersionRecord[] = [];
  // One journey read per journey with an active version (a published journey has one): every few seconds, cheap.
  for (const versions of byJourney.values()) {
    const journey = await journeys.get(versions[0]!.spaceId, versions[0]!.journeyId);
    if (!journey) continue;
    for (const v of versions) {
      const state = intendedState(journey, v);
      if (state === null) continue;
      await journeys.setVersionState(v.spaceId, v.journeyId, v.version, state);
      changed.push({ ...v, state });
    }
  }
  return changed;
}

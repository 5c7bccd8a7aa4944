import type { JourneyRecord } from '../store/journey-store.ts';
import type { InstanceRecord } from '../store/instance-store.ts';
import type { JourneyDefinition } from './definition/journey-definition.ts';

/** A journey as the API shows it: lifecycle facts plus the document being edited or run. */
export function viewJourney(j: JourneyRecord, liveDefinition: JourneyDefinition | null) {
  return {
    id: j.id, name: j.name, description: j.description, status: j.status,
    liveVersion: j.liveVersion, draftVersion: j.draftVersion, hasDraft: j.draft !== null,
    definition: j.draft ?? liveDefinition,
    createdAt: j.createdAt, updatedAt: j.updatedAt,
  };
}

/** An instance as the API shows it. */
export function viewInstance(i: InstanceRecord) {
  return {
    id: i.id, journeyId: i.journeyId, version: i.version, profileId: i.profileId, status: i.status,
    currentStep: i.stepId, identifier: i.identifier, waiting: i.wait === null ? null : {
      kind: i.wait.kind, until: new Date(i.wait.until).toISOString(),
    },
    context: i.context, conversions: i.conversions, loops: i.loops,
    enteredAt: i.enteredAt, updatedAt: i.updatedAt, endedAt: i.endedAt, endReason: i.endReason,
  };
}

import { randomBytes } from 'node:crypto';
import type { JourneyDefinition, SendSpec } from './definition/journey-definition.ts';

/** Every send (send steps and exit-rule sends) of a document, with its JSON path. */
export function sendsOf(doc: JourneyDefinition): Array<{ spec: SendSpec; path: string }> {
  const sends: Array<{ spec: SendSpec; path: string }> = [];
  (Array.isArray(doc.steps) ? doc.steps : []).forEach((step, i) => {
    if (step && step.type === 'send') sends.push({ spec: step, path: `/steps/${i}` });
  });
  (Array.isArray(doc.exitRules) ? doc.exitRules : []).forEach((rule, i) => {
    if (rule && rule.send) sends.push({ spec: rule.send, path: `/exitRules/${i}/send` });
  });
  return sends;
}

/** A new activation key. */
export function newActivationKey(): string {
  return `act_${randomBytes(9).toString('base64url')}`;
}

/** A copy of the document where every send without an activation key gets a new one. */
export function withActivationKeys(doc: JourneyDefinition): JourneyDefinition {
  const copy = structuredClone(doc);
  for (const { spec } of sendsOf(copy)) spec.activationKey ??= newActivationKey();
  return copy;
}

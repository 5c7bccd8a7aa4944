/**
 * Invariant 1, the event log: every acknowledged message is stored, none is stored twice, the log
 * holds nothing the load did not send (or seed), what is stored is what was sent, every stored
 * event was processed, and the event log API lists exactly the stored events.
 */
import type { EngineFacts, HarnessFacts, StoredEvent } from './chaos-facts.ts';
import type { Violations } from './chaos-violations.ts';

/** Figures of the event log for the summary. */
export interface EventCounts {
  offered: number;
  acknowledged: number;
  stored: number;
  /** Stored although the client never saw the 200 (the answer was lost in a kill). */
  storedUnacknowledged: number;
}

/** Checks the event log; answers its figures. */
export function checkEvents(engine: EngineFacts, harness: HarnessFacts, v: Violations): EventCounts {
  const byMessageId = new Map<string, StoredEvent[]>();
  for (const e of engine.events) {
    const list = byMessageId.get(e.messageId);
    if (list) list.push(e);
    else byMessageId.set(e.messageId, [e]);
  }
  for (const [messageId, list] of byMessageId) {
    if (list.length > 1) v.add('events.stored-twice', `messageId ${messageId} is stored ${list.length} times (seq ${list.map((e) => e.seq).join(', ')})`);
    if (!harness.sent.has(messageId) && !harness.isSeed(messageId)) v.add('events.unknown', `messageId ${messageId} is stored but was never sent`);
  }

  let acknowledged = 0;
  let storedUnacknowledged = 0;
  for (const [messageId, sent] of harness.sent) {
    const stored = byMessageId.get(messageId)?.[0];
    if (sent.ackedAt !== null) acknowledged++;
    if (!stored) {
      if (sent.ackedAt !== null) v.add('events.lost', `messageId ${messageId} (${sent.message.type} ${sent.message.event ?? ''}) was acknowledged but is not stored`);
      continue;
    }
    if (sent.ackedAt === null) storedUnacknowledged++;
    const m = sent.message;
    const expectedName = m.type === 'track' ? m.event ?? null : m.type === 'page' ? m.name ?? null : null;
    if (stored.type !== m.type || stored.userId !== m.userId || stored.name !== expectedName) {
      v.add('events.altered', `messageId ${messageId}: sent ${m.type} ${expectedName} for ${m.userId}, stored ${stored.type} ${stored.name} for ${stored.userId}`);
    }
  }

  const unprocessed = engine.events.filter((e) => e.seq > engine.processedSeq);
  if (unprocessed.length > 0) {
    v.add('events.unprocessed', `${unprocessed.length} stored events are past the processing cursor (seq ${engine.processedSeq}), e.g. ${unprocessed.slice(0, 5).map((e) => e.messageId).join(', ')}`);
  }

  // The event log API must list the same events, each once.
  const listed = new Map<string, number>();
  for (const id of engine.apiMessageIds) listed.set(id, (listed.get(id) ?? 0) + 1);
  const missing = [...byMessageId.keys()].filter((id) => !listed.has(id));
  const extra = [...listed.keys()].filter((id) => !byMessageId.has(id));
  if (engine.apiMessageIds.length !== engine.events.length || missing.length > 0 || extra.length > 0) {
    v.add('events.api', `GET /api/v1/events lists ${engine.apiMessageIds.length} events, the store has ${engine.events.length}`
      + ` (missing ${missing.slice(0, 5).join(', ') || 'none'}; not stored ${extra.slice(0, 5).join(', ') || 'none'})`);
  }
  return { offered: harness.sent.size, acknowledged, stored: engine.events.length, storedUnacknowledged };
}

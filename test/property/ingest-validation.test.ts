import fc from 'fast-check';
import { expect } from 'chai';
import { EngineError } from '../../engine/errors.ts';
import { normalizeMessage } from '../../engine/ingest/normalize-message.ts';
import { validateBatchEnvelope, validateMessage } from '../../engine/ingest/validate-message.ts';
import { adversarialJson, asReceived, ingestBody, MESSAGE_TYPES, objectFromEntries, timestampString, type SegmentType } from './arbitraries.ts';
import { checkProperty } from './property-harness.ts';

const RECEIVED_AT = Date.UTC(2024, 4, 1, 12, 0, 0);

/** Runs validateMessage; answers the EngineError it threw (checked to be a proper invalid_message), or null when it accepted. */
function rejection(body: unknown, type: SegmentType, index: number | null): EngineError | null {
  const prefix = index === null ? '' : `/batch/${index}`;
  try {
    validateMessage(body, type, prefix, index);
    return null;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(EngineError);
    const e = error as EngineError;
    expect(e.code).to.equal('invalid_message');
    expect(e.message).to.be.a('string').and.not.equal('');
    expect(e.details['path']).to.be.a('string');
    expect((e.details['path'] as string).startsWith(prefix), e.message).to.equal(true);
    if (index !== null) {
      expect(e.details['index']).to.equal(index);
      expect(e.message).to.contain(`(batch message ${index})`);
    }
    return e;
  }
}

function expectIsoInstant(value: unknown, what: string): void {
  expect(value, what).to.be.a('string');
  expect(new Date(value as string).toISOString(), what).to.equal(value);
}

/** Reads `timestamp` as the engine stores it, with the process in `zone`. */
function normalizedIn(zone: string, timestamp: string): string {
  const previous = process.env['TZ'];
  process.env['TZ'] = zone;
  try {
    return normalizeMessage({ userId: 'u', event: 'E', timestamp }, 'track', 'spc', RECEIVED_AT).timestamp;
  } finally {
    if (previous === undefined) delete process.env['TZ'];
    else process.env['TZ'] = previous;
  }
}

describe('property: Segment message validation and normalization', function () {
  this.timeout(60_000);

  it('rejects with invalid_message at a path, or accepts a message that normalizes into a well-formed event', async () => {
    const property = fc.property(
      fc.constantFrom(...MESSAGE_TYPES), ingestBody, fc.option(fc.nat({ max: 499 }), { nil: null }),
      (type, generated, index) => {
        const body = asReceived(generated);
        if (rejection(body, type, index) !== null) return;
        const raw = body as Record<string, unknown>;
        const event = normalizeMessage(raw, type, 'spc', RECEIVED_AT);
        expect(event.type).to.equal(type);
        expect(event.message['type']).to.equal(type);
        expectIsoInstant(event.timestamp, 'timestamp');
        expectIsoInstant(event.receivedAt, 'receivedAt');
        expect(event.message['timestamp']).to.equal(event.timestamp);
        expect(event.messageId).to.be.a('string').and.not.equal('');
        expect(event.userId ?? event.anonymousId, 'an identity').to.be.a('string').and.not.equal('');
        if (type === 'track') expect(event.name).to.equal(raw['event']);
        expect(() => JSON.stringify(event.message)).not.to.throw();
      },
    );
    await checkProperty('ingest: validate + normalize any body', property, { seed: 4201, numRuns: 4000 });
  });

  it('reads every date-time it accepts as the same instant in any server timezone (no offset means UTC)', async () => {
    const property = fc.property(timestampString, (timestamp) => {
      if (rejection({ userId: 'u', event: 'E', timestamp }, 'track', null) !== null) return;
      const utc = normalizedIn('UTC', timestamp);
      expectIsoInstant(utc, timestamp);
      expect(normalizedIn('Pacific/Chatham', timestamp), timestamp).to.equal(utc);
      expect(normalizedIn('America/St_Johns', timestamp), timestamp).to.equal(utc);
    });
    await checkProperty('ingest: accepted timestamps are zone-independent instants', property, { seed: 4202, numRuns: 3000 });
  });

  it('corrects originalTimestamp by sentAt for any accepted pair without failing', async () => {
    const property = fc.property(timestampString, timestampString, (originalTimestamp, sentAt) => {
      const body = { userId: 'u', event: 'E', originalTimestamp, sentAt };
      if (rejection(body, 'track', null) !== null) return;
      expectIsoInstant(normalizeMessage(body, 'track', 'spc', RECEIVED_AT).timestamp, `${originalTimestamp} / ${sentAt}`);
    });
    await checkProperty('ingest: clock-skew correction', property, { seed: 4203, numRuns: 2000 });
  });

  it('rejects a bad batch envelope with invalid_message, naming the index when a message is at fault', async () => {
    const batchBody = fc.oneof(
      adversarialJson(),
      fc.record({ batch: fc.oneof(fc.array(adversarialJson({ maxDepth: 2 }), { maxLength: 6 }), adversarialJson({ maxDepth: 1 })), context: adversarialJson({ maxDepth: 1 }) }, { requiredKeys: [] })
        .map((r) => objectFromEntries(Object.entries(r))),
    );
    const property = fc.property(batchBody, (generated) => {
      const body = asReceived(generated);
      try {
        validateBatchEnvelope(body);
      } catch (error) {
        expect(error).to.be.instanceOf(EngineError);
        const e = error as EngineError;
        expect(e.code).to.equal('invalid_message');
        const item = /^\/batch\/(\d+)/.exec(String(e.details['path']));
        if (item) expect(e.details['index']).to.equal(Number(item[1]));
      }
    });
    await checkProperty('ingest: batch envelope', property, { seed: 4204, numRuns: 2000 });
  });
});

import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { expectAccepted, expectError, expectNothingStored, storedWithMessageId, uniqueId } from './ingest-helpers.ts';

const LIMIT = 32 * 1024;

/** A track message's JSON text of exactly `bytes` UTF-8 bytes, its blob made of `unit` repeated (and 'x' to fill up). */
function messageText(messageId: string, bytes: number, unit = 'x'): string {
  const head = `{"type":"track","messageId":"${messageId}","userId":"size-user","event":"Sized","properties":{"blob":"`;
  const tail = '"}}';
  const room = bytes - Buffer.byteLength(head + tail);
  const unitBytes = Buffer.byteLength(unit);
  const units = Math.floor(room / unitBytes);
  return `${head}${unit.repeat(units)}${'x'.repeat(room - units * unitBytes)}${tail}`;
}

const small = (messageId: string) => JSON.stringify({ type: 'track', messageId, userId: 'size-user', event: 'Small' });

describe('ingest: a batch message is measured as sent, as a single call is', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine(); });
  after(async () => { await t.close(); });

  it('accepts a message of exactly 32 KB and refuses one of a byte more, naming its size and index', async () => {
    const id = uniqueId('exact');
    const atLimit = messageText(`${id}-a`, LIMIT);
    expect(Buffer.byteLength(atLimit)).to.equal(LIMIT);
    expectAccepted(await t.ingest('/v1/batch', `{"batch":[${small(`${id}-0`)},${atLimit}]}`), 2);
    const over = messageText(`${id}-b`, LIMIT + 1);
    const res = await expectNothingStored(t, () => t.ingest('/v1/batch', `{"batch":[${small(`${id}-1`)},${over}]}`));
    expectError(res, { status: 400, code: 'message_too_large', message: /^batch message 1 is 32769 bytes; the limit is 32768$/, path: '/batch/1', index: 1 });
  });

  it('counts the whitespace a client sent inside a message, not around it', async () => {
    const id = uniqueId('spaces');
    // Compact, the message is well under the limit; as sent, its indentation takes it over.
    const indented = JSON.stringify(JSON.parse(messageText(`${id}-a`, LIMIT - 40)), null, 10);
    expect(Buffer.byteLength(indented)).to.be.above(LIMIT);
    const res = await expectNothingStored(t, () => t.ingest('/v1/batch', `{"batch":[${indented}]}`));
    expectError(res, { status: 400, code: 'message_too_large', message: new RegExp(`^batch message 0 is ${Buffer.byteLength(indented)} bytes`), index: 0 });
    // Whitespace between the messages is not theirs.
    const padded = `{"batch":[ \n\t${messageText(`${id}-b`, LIMIT)}${' '.repeat(5000)}, ${small(`${id}-c`)}\n]}`;
    expectAccepted(await t.ingest('/v1/batch', padded), 2);
  });

  it('counts UTF-8 bytes, not characters', async () => {
    const id = uniqueId('utf8');
    const euros = messageText(`${id}-a`, LIMIT, '€');
    expect(euros.length, 'characters').to.be.below(LIMIT / 2);
    expectAccepted(await t.ingest('/v1/batch', `{"batch":[${euros},${small(`${id}-0`)}]}`), 2);
    expect((await storedWithMessageId(t, `${id}-a`))[0]!.properties.blob).to.have.length(euros.length - euros.indexOf('€') - 3);
    const over = messageText(`${id}-b`, LIMIT + 3, '€');
    const res = await expectNothingStored(t, () => t.ingest('/v1/batch', `{"batch":[${small(`${id}-1`)},${over}]}`));
    expectError(res, { status: 400, code: 'message_too_large', message: /^batch message 1 is 32771 bytes/, index: 1 });
  });

  it('counts escapes as the bytes sent, in a batch as in a single call', async () => {
    const id = uniqueId('escapes');
    // 5,500 escaped letters: 33,000 bytes sent, 5,500 once decoded.
    const escaped = `{"type":"track","messageId":"${id}-a","userId":"size-user","event":"Sized","properties":{"blob":"${'\\u0041'.repeat(5500)}"}}`;
    const batch = await expectNothingStored(t, () => t.ingest('/v1/batch', `{"batch":[${escaped}]}`));
    expectError(batch, { status: 400, code: 'message_too_large', message: new RegExp(`^batch message 0 is ${Buffer.byteLength(escaped)} bytes`), index: 0 });
    const single = await expectNothingStored(t, () => t.ingest('/v1/track', escaped));
    expectError(single, { status: 413, code: 'payload_too_large', message: /larger than 32768 bytes/ });
  });

  it('still measures every message when the batch key is spelled with an escape', async () => {
    const id = uniqueId('escaped-key');
    const over = messageText(`${id}-b`, LIMIT + 100);
    const res = await expectNothingStored(t, () => t.ingest('/v1/batch', `{"b\\u0061tch":[${small(`${id}-a`)},${over}]}`));
    expectError(res, { status: 400, code: 'message_too_large', message: /^batch message 1 is \d+ bytes/, path: '/batch/1', index: 1 });
    expectAccepted(await t.ingest('/v1/batch', `{"b\\u0061tch":[${small(`${id}-c`)}]}`), 1);
  });
});

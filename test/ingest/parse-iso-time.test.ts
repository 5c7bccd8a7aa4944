import { expect } from 'chai';
import fc from 'fast-check';
import { parseIsoTime } from '../../engine/ingest/normalize-message.ts';
import { validateMessage } from '../../engine/ingest/validate-message.ts';

/** Runs `read` with the process in `zone`, as a server abroad would. */
function inZone<T>(zone: string, read: () => T): T {
  const previous = process.env['TZ'];
  process.env['TZ'] = zone;
  try {
    return read();
  } finally {
    if (previous === undefined) delete process.env['TZ'];
    else process.env['TZ'] = previous;
  }
}

describe('ingest: parseIsoTime', () => {
  it('reads every spelling the validator accepts, whatever the server\'s timezone (found by the property suite)', () => {
    const cases: Array<[string, string]> = [
      ['2024-05-01 12:00:00', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01t12:00:00', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T12:00:00+05', '2024-05-01T07:00:00.000Z'],
      ['2024-05-01T12:00:00-0530', '2024-05-01T17:30:00.000Z'],
      ['2024-05-01T12:00:00.987654321z', '2024-05-01T12:00:00.987Z'],
      ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999Z'],
      ['2017-01-01T00:59:60+01:00', '2016-12-31T23:59:59.999Z'],
      ['0001-02-03T04:05:06Z', '0001-02-03T04:05:06.000Z'],
    ];
    for (const zone of ['UTC', 'Pacific/Chatham', 'America/St_Johns']) {
      for (const [text, expected] of cases) {
        expect(inZone(zone, () => new Date(parseIsoTime(text)).toISOString()), `${text} in ${zone}`).to.equal(expected);
        expect(() => validateMessage({ userId: 'u', event: 'E', timestamp: text }, 'track', '', null), text).not.to.throw();
      }
    }
  });

  it('answers NaN for what is not a real date-time, and the validator refuses it', () => {
    for (const text of ['2024-02-30T00:00:00Z', '2024-05-01T24:00:00Z', '2024-05-01T12:59:60Z', '2024-05-01T12:00:00+24:00', '2024-05-01', '2024-05-01T12:00Z', '2024-05-01\t12:00:00Z']) {
      expect(parseIsoTime(text), text).to.be.NaN;
      expect(() => validateMessage({ userId: 'u', event: 'E', timestamp: text }, 'track', '', null), text).to.throw(/\/timestamp must be an ISO-8601 date-time/);
    }
  });

  it('reads the common spelling (toISOString\'s) exactly as the general reading does, real dates or not', () => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    const canonical = fc.tuple(
      fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 999 }),
    ).map(([y, mo, d, h, mi, s, ms]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`);
    // One character replaced by any other: separators, letters and signs where digits belong.
    const mangled = fc.tuple(canonical, fc.integer({ min: 0, max: 23 }), fc.constantFrom('a', ' ', '-', '+', ':', '.', '/', 'Z', '9', '0'))
      .map(([text, at, c]) => text.slice(0, at) + c + text.slice(at + 1));
    fc.assert(fc.property(fc.oneof(canonical, mangled), (text) => {
      // The same instant spelled with an offset (so not the common spelling) goes through the general reading.
      const general = parseIsoTime(text.replace(/Z$/, '+00:00'));
      const fast = parseIsoTime(text);
      expect(Number.isNaN(fast) ? 'NaN' : fast, text).to.equal(Number.isNaN(general) ? 'NaN' : general);
    }), { numRuns: 20_000, seed: 20261124 });
    expect(parseIsoTime('2024-02-29T12:34:56.789Z')).to.equal(Date.UTC(2024, 1, 29, 12, 34, 56, 789));
    expect(parseIsoTime('2023-02-29T12:34:56.789Z')).to.be.NaN;
  });
});

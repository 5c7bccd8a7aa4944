import { expect } from 'chai';
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
});

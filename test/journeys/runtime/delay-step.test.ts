/**
 * When a delay ends: the next wall-clock time of day in a timezone (DST days included, with one
 * answer whatever day the wait began), and a date read from a property in the same ISO-8601
 * forms date conditions accept. Both were found wrong by an audit: the fall-back day's 01:30 was
 * the first or the second depending on when the instance entered, and "2027-11-08 10:00:00" was
 * no date while "2027-W45-2" was one.
 */
import { expect } from 'chai';
import { delayUntil, nextTimeOfDay } from '../../../engine/journeys/runtime/steps/delay-step.ts';
import type { Run } from '../../../engine/journeys/runtime/run.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('delay step: when it ends', () => {
  describe('time of day in a timezone', () => {
    it('on a fall-back day, waits for the first 01:30 whichever day the wait began', () => {
      // New York falls back on 2027-11-07: 01:30 EDT (05:30Z), then 01:30 EST (06:30Z).
      expect(iso(nextTimeOfDay(at('2027-11-06T16:00:00Z'), '01:30', 'America/New_York'))).to.equal('2027-11-07T05:30:00.000Z');
      expect(iso(nextTimeOfDay(at('2027-11-07T04:30:00Z'), '01:30', 'America/New_York'))).to.equal('2027-11-07T05:30:00.000Z');
      // Between the two, the second one is the next.
      expect(iso(nextTimeOfDay(at('2027-11-07T06:00:00Z'), '01:30', 'America/New_York'))).to.equal('2027-11-07T06:30:00.000Z');
      expect(iso(nextTimeOfDay(at('2027-11-07T06:30:00Z'), '01:30', 'America/New_York'))).to.equal('2027-11-08T06:30:00.000Z');
      // Berlin falls back on 2027-10-31 (02:30 CEST = 00:30Z, then 02:30 CET = 01:30Z); Adelaide, half an hour off UTC, on 2027-04-04.
      expect(iso(nextTimeOfDay(at('2027-10-30T12:00:00Z'), '02:30', 'Europe/Berlin'))).to.equal('2027-10-31T00:30:00.000Z');
      expect(iso(nextTimeOfDay(at('2027-04-03T13:00:00Z'), '02:30', 'Australia/Adelaide'))).to.equal('2027-04-03T16:00:00.000Z');
    });

    it('on a spring-forward day, a time the clocks skip becomes the time they jump to', () => {
      expect(iso(nextTimeOfDay(at('2027-03-13T12:00:00Z'), '02:30', 'America/New_York'))).to.equal('2027-03-14T07:30:00.000Z');
    });

    it('on ordinary days and weekdays, the next one strictly after now, in zones with odd offsets', () => {
      expect(iso(nextTimeOfDay(at('2027-06-01T03:15:00Z'), '09:00', 'Asia/Kathmandu'))).to.equal('2027-06-02T03:15:00.000Z');
      expect(iso(nextTimeOfDay(at('2027-06-01T03:14:00Z'), '09:00', 'Asia/Kathmandu'))).to.equal('2027-06-01T03:15:00.000Z');
      // 2027-06-04 is a Friday: the next Monday 09:00 in New York.
      expect(iso(nextTimeOfDay(at('2027-06-04T18:00:00Z'), '09:00', 'America/New_York', ['mon']))).to.equal('2027-06-07T13:00:00.000Z');
    });
  });

  describe('a date from a property', () => {
    const NOW = at('2027-11-01T00:00:00Z');
    const runWith = (value: unknown): Run => ({
      instance: { context: { go: { properties: { at: value } } } },
      env: { now: NOW, profile: { traits: {} } },
    }) as unknown as Run;
    const until = (value: unknown) => {
      const decided = delayUntil({ type: 'property', path: 'context.go.properties.at' }, runWith(value));
      return 'until' in decided ? iso(decided.until) : decided.skip;
    };

    it('reads ISO-8601 dates and date-times as date conditions do, and epoch milliseconds', () => {
      expect(until('2027-11-08T10:00:00Z')).to.equal('2027-11-08T10:00:00.000Z');
      expect(until('2027-11-08 10:00:00')).to.equal('2027-11-08T10:00:00.000Z');
      expect(until('2027-11-08T10:00:00+02:00')).to.equal('2027-11-08T08:00:00.000Z');
      expect(until('2027-11-08')).to.equal('2027-11-08T00:00:00.000Z');
      expect(until(at('2027-11-09T00:00:00Z'))).to.equal('2027-11-09T00:00:00.000Z');
    });

    it('does not take week dates, ordinal dates or the basic format for dates', () => {
      for (const odd of ['2027-W45-2', '2027-312', '20271108T100000Z', 'next tuesday']) {
        expect(until(odd), odd).to.equal("no date at 'context.go.properties.at'");
      }
    });
  });
});

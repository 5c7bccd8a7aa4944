import { expect } from 'chai';
import { DateTime } from 'luxon';
import { addDuration, durationMs, parseDuration } from '../../../engine/journeys/definition/duration.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('journeys: durations', () => {
  it('measures fixed durations in milliseconds', () => {
    expect(durationMs('PT1S')).to.equal(1_000);
    expect(durationMs('PT30M')).to.equal(30 * 60_000);
    expect(durationMs('PT1H30M')).to.equal(1.5 * HOUR);
    expect(durationMs('P1DT1H')).to.equal(DAY + HOUR);
    expect(durationMs('P2W')).to.equal(14 * DAY);
    expect(durationMs('PT0.25S')).to.equal(250);
    expect(durationMs('PT0S')).to.equal(0);
    expect(durationMs('-PT1H')).to.equal(-HOUR);
  });

  it('counts months as 30 days and years as 365 days', () => {
    expect(durationMs('P1M')).to.equal(30 * DAY);
    expect(durationMs('P2Y')).to.equal(730 * DAY);
  });

  it('rejects what is not an ISO-8601 duration', () => {
    for (const text of ['', 'P', 'PT', 'P1DT', '1h', 'pt1h', 'PT1.5H', 'P1.5D', 'PT1,5S', '+PT1H', 'P-1D', 'P1DT-1H', 'PT0.0001S', '--PT1H']) {
      expect(parseDuration(text), text).to.equal(undefined);
      expect(() => durationMs(text), text).to.throw(RangeError, 'not an ISO-8601 duration');
    }
  });

  it('adds calendar days on the wall clock: P1D across the Berlin spring-forward keeps 10:00', () => {
    const before = DateTime.fromISO('2025-03-29T10:00', { zone: 'Europe/Berlin' }).toMillis();
    const after = addDuration(before, 'P1D', 'Europe/Berlin');
    expect(DateTime.fromMillis(after, { zone: 'Europe/Berlin' }).toISO()).to.equal('2025-03-30T10:00:00.000+02:00');
    expect(after - before).to.equal(23 * HOUR);
  });

  it('adds hours as elapsed time: PT24H across the same change ends at 11:00', () => {
    const before = DateTime.fromISO('2025-03-29T10:00', { zone: 'Europe/Berlin' }).toMillis();
    const after = addDuration(before, 'PT24H', 'Europe/Berlin');
    expect(DateTime.fromMillis(after, { zone: 'Europe/Berlin' }).toISO()).to.equal('2025-03-30T11:00:00.000+02:00');
  });

  it('adds months on the calendar and subtracts negative durations', () => {
    const jan31 = Date.UTC(2025, 0, 31, 12);
    expect(new Date(addDuration(jan31, 'P1M')).toISOString()).to.equal('2025-02-28T12:00:00.000Z');
    expect(new Date(addDuration(jan31, 'P1Y')).toISOString()).to.equal('2026-01-31T12:00:00.000Z');
    expect(new Date(addDuration(jan31, '-PT1H')).toISOString()).to.equal('2025-01-31T11:00:00.000Z');
    expect(addDuration(jan31, 'PT0S')).to.equal(jan31);
  });

  it('refuses an invalid duration or timezone', () => {
    expect(() => addDuration(0, 'soon')).to.throw(RangeError);
    expect(() => addDuration(0, 'P1D', 'Mars/Olympus_Mons')).to.throw(RangeError, 'timezone');
  });
});

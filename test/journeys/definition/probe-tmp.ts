import { Duration, IANAZone, DateTime } from 'luxon';
for (const s of ['PT30M','-PT1H','+PT1H','P','PT','P1D','PT0S','P-1D','P1DT-1H','PT1.5H','P1Y','P2Y','P1W','P1WT1H','pt1h','P1M', 'PT1H30M', '-P1D', 'P0D', 'PT1,5H', 'P1DT', 'PT36H', 'P1.5D', 'P1Y2M3W4DT5H6M7.5S']) {
  const d = Duration.fromISO(s);
  console.log(JSON.stringify(s), d.isValid, d.isValid ? d.toMillis() : d.invalidReason, d.isValid ? JSON.stringify(d.toObject()) : '');
}
console.log(IANAZone.isValidZone('Europe/Berlin'), IANAZone.isValidZone('UTC'), IANAZone.isValidZone('Mars/Base'), IANAZone.isValidZone('utc'), IANAZone.isValidZone('+01:00'), IANAZone.isValidZone('EST'), IANAZone.isValidZone('europe/berlin'));
const t = DateTime.fromISO('2024-03-30T10:00', {zone: 'Europe/Berlin'});
console.log(t.plus(Duration.fromISO('P1D')).toISO(), t.plus({hours: 24}).toISO());
console.log(DateTime.fromFormat('2024-02-30','yyyy-MM-dd', {zone:'UTC'}).isValid, DateTime.fromFormat('2024-2-3','yyyy-MM-dd').isValid, DateTime.fromFormat('2024-02-29','yyyy-MM-dd').isValid);

/** Percentiles of a set of values (lateness, durations), in the values' unit (ms). */
export interface Distribution {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Summarizes values exactly (nearest-rank percentiles: the smallest value with at least p% at or below it). */
export function distribution(values: ArrayLike<number>): Distribution {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0, min: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, min: sorted[0]!, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: sorted[n - 1]!, mean: sum / n };
}

/** How many values fall in each `bucketMs` from `origin` (e.g. timers fired per second). */
export function histogram(values: ArrayLike<number>, origin: number, bucketMs: number): number[] {
  const counts: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor((values[i]! - origin) / bucketMs);
    if (b < 0) continue;
    while (counts.length <= b) counts.push(0);
    counts[b]!++;
  }
  return counts;
}

/** Percentiles of a set of latencies, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Collects every latency sample of a phase (a few hundred thousand at most) and summarizes them exactly. */
export class LatencyRecorder {
  #samples: number[] = [];

  record(ms: number): void {
    this.#samples.push(ms);
  }

  summary(): LatencySummary {
    const sorted = Float64Array.from(this.#samples).sort();
    const n = sorted.length;
    if (n === 0) return { count: 0, p50Ms: NaN, p90Ms: NaN, p99Ms: NaN, maxMs: NaN, meanMs: NaN };
    // Nearest-rank percentile: the smallest sample with at least p% of samples at or below it.
    const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
    let sum = 0;
    for (const v of sorted) sum += v;
    return { count: n, p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: sorted[n - 1]!, meanMs: sum / n };
  }
}

/**
 * The order in which `timers` and `journeys` address their profiles. Real traffic reaches
 * profiles in no particular order: the users whose timers come due together, or who send the
 * next events, were created at unrelated times. Benchmark rows written in one order and then
 * used in that same order read and write the store's pages sequentially, which flattered the
 * figures by 10–25% (bench/RESULTS.md, eighteenth session).
 */
export type ProfileOrder = 'random' | 'sequential';

/**
 * A permutation of 0 … n-1: position k holds the profile the k-th row or event goes to. `random`
 * is a Fisher–Yates shuffle from a fixed seed, so runs are repeatable; `sequential` is the identity
 * (what the benchmarks did before, for comparing with earlier figures).
 */
export function profilePermutation(n: number, order: ProfileOrder, seed = 0x5eed): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  if (order === 'sequential') return out;
  const next = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** A small seeded generator of uniform numbers in [0, 1) (mulberry32): Math.random cannot be seeded. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

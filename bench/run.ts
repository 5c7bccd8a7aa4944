/**
 * Benchmark runner: `npm run bench` runs every bench/<name>.bench.ts, `npm run bench -- <name> …`
 * the named ones. Each runs in its own child process (same node and execArgv) so benchmarks do
 * not disturb each other; its output passes through, and its final `BENCH {json}` line is
 * collected into a summary. Missed targets do not fail the run; a crashed benchmark does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const SUFFIX = '.bench.ts';

const available = fs.readdirSync(BENCH_DIR).filter((f) => f.endsWith(SUFFIX)).map((f) => f.slice(0, -SUFFIX.length)).sort();
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
const selected = requested.length > 0 ? requested : available;

function runOne(name: string): Promise<{ code: number | null; bench: string | null; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...process.execArgv, path.join(BENCH_DIR, `${name}${SUFFIX}`)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let bench: string | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    console.log(line);
    if (line.startsWith('BENCH ')) bench = line.slice('BENCH '.length);
  });
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, bench, seconds: (performance.now() - started) / 1000 }));
  });
}

const summary: string[] = [];
let failed = false;
for (const name of selected) {
  console.log(`=== ${name}`);
  const { code, bench, seconds } = await runOne(name);
  if (code !== 0 || bench === null) {
    failed = true;
    summary.push(`${name}: CRASHED (exit code ${code}${bench === null ? ', no BENCH line' : ''})`);
  } else {
    summary.push(`${name}: done in ${seconds.toFixed(1)} s`);
  }
}
console.log(`=== summary\n${summary.join('\n')}`);
process.exit(failed ? 1 : 0);

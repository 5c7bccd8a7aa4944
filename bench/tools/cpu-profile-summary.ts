/**
 * Summarizes a V8 .cpuprofile (as written by BENCH_ENGINE_CPU_PROF_DIR or `node --cpu-prof`):
 * sampled time by file or package, by function (self), and by function including callees.
 * Time in native code (SQLite statements, fsync, socket writes, JSON) is charged to the nearest
 * JavaScript caller and marked `[native]`, so a store method shows what its SQL costs.
 *
 *   node bench/tools/cpu-profile-summary.ts <file.cpuprofile> [top=25]
 */
import fs from 'node:fs';
import path from 'node:path';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/tools/cpu-profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
const root = `file://${process.cwd()}${path.sep}`;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
const where = (f: CallFrame) => f.url.replace(root, '');
const fnKey = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${where(f)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
const fileKey = (f: CallFrame) => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
  return pkg ? `package ${pkg[1]}` : where(f) || f.functionName;
};

const bySelfFile = new Map<string, number>();
const bySelfFn = new Map<string, number>();
const byTotalFn = new Map<string, number>();
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  let leaf = byId.get(id)!.callFrame;
  const native = leaf.url === '' && !SPECIAL.has(leaf.functionName);
  if (native) {
    // Walk up to the JavaScript function that made the native call.
    for (let cur = parentOf.get(id); cur !== undefined; cur = parentOf.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      if (frame.url !== '') { leaf = frame; break; }
    }
  }
  add(bySelfFile, fileKey(leaf), dt);
  add(bySelfFn, `${native ? '[native] ' : ''}${fnKey(leaf)}`, dt);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
    const key = fnKey(byId.get(cur)!.callFrame);
    if (!seen.has(key)) add(byTotalFn, key, dt);
    seen.add(key);
  }
});

const print = (title: string, m: Map<string, number>) => {
  console.log(`--- ${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled`);
print('self time by file or package', bySelfFile);
print('self time by function', bySelfFn);
byTotalFn.delete('(root) ');
byTotalFn.delete('(anonymous) ');
print('total time by function (with callees)', byTotalFn);

import fs from 'node:fs';
import { startEngineProcess } from './engine-handle.ts';
import { EventFactory } from './event-factory.ts';
import { IngestClient } from './ingest-client.ts';
import { runClosedLoop, runOpenLoop } from './load-phases.ts';
const mode = process.argv[2]!;
const dir = fs.mkdtempSync('/tmp/jb-');
fs.rmSync(`/tmp/prof/${mode}`, { recursive: true, force: true });
const engine = await startEngineProcess({ dataDir: dir, cpuProfileDir: `/tmp/prof/${mode}` });
const f = new EventFactory({ runId: 'p' });
const client = new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections: 64 });
const next = mode === 'batch'
  ? () => ({ path: '/v1/batch' as const, body: f.batch(100, new Date().toISOString()), events: 100 })
  : () => ({ path: '/v1/track' as const, body: f.track(new Date().toISOString()), events: 1 });
const s0 = await engine.stats();
const r = mode === 'paced'
  ? await runOpenLoop({ client, requestsPerSecond: 5000, durationMs: 8000, next })
  : await runClosedLoop({ client, concurrency: mode === 'batch' ? 8 : 64, durationMs: 8000, next });
const s1 = await engine.stats();
console.log(mode, Math.round(r.eventsPerSecond), r.latency, 'cpu%', Math.round((s1.cpuUserMs + s1.cpuSystemMs - s0.cpuUserMs - s0.cpuSystemMs) / r.seconds / 10), 'backlog', s1.backlog);
await client.close();
await engine.stop();
fs.rmSync(dir, { recursive: true, force: true });

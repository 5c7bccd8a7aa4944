/**
 * CPU time of another process and of each of its threads, from /proc (Linux; null elsewhere).
 * Read from outside, so sampling it often does not disturb the engine (unlike an IPC stats call).
 */
import fs from 'node:fs';

/** Cumulative CPU of a process: in all, and per thread name (threads of the same name summed), in ms. */
export interface ProcCpu {
  /** performance.now() of the reading. */
  at: number;
  totalMs: number;
  threads: Record<string, number>;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function ticks(statFile: string): number {
  const stat = fs.readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

export function readProcCpu(pid: number): ProcCpu | null {
  try {
    const at = performance.now();
    const threads: Record<string, number> = {};
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        threads[name] = (threads[name] ?? 0) + ticks(`/proc/${pid}/task/${tid}/stat`) * TICK_MS;
      } catch {
        // the thread ended meanwhile
      }
    }
    return { at, totalMs: ticks(`/proc/${pid}/stat`) * TICK_MS, threads };
  } catch {
    return null;
  }
}

/** Cores used between two readings, in all and per thread name. */
export function procCoresBetween(before: ProcCpu | null, after: ProcCpu | null): { total: number; threads: Record<string, number> } | null {
  if (!before || !after || after.at <= before.at) return null;
  const wall = after.at - before.at;
  const threads: Record<string, number> = {};
  for (const [name, ms] of Object.entries(after.threads)) threads[name] = (ms - (before.threads[name] ?? 0)) / wall;
  return { total: (after.totalMs - before.totalMs) / wall, threads };
}

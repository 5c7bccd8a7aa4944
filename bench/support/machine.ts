import fs from 'node:fs';
import os from 'node:os';

/** The machine a benchmark ran on, as printed with its figures. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
}

/** Describes this machine (CPU model from /proc/cpuinfo where available). */
export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':')[1]!.trim();
  } catch {
    // Not Linux: os.cpus() is good enough.
  }
  return {
    cpus: os.availableParallelism(), cpuModel,
    memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version,
  };
}

/** Cumulative CPU time of the whole machine, from /proc/stat (null elsewhere). */
export interface CpuTimes {
  busy: number;
  idle: number;
  iowait: number;
  steal: number;
}

/** Reads the machine's cumulative CPU times, in clock ticks. */
export function readCpuTimes(): CpuTimes | null {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    return { busy: user + nice + system + irq + softirq, idle, iowait, steal };
  } catch {
    return null;
  }
}

/** How many cores were busy, waiting on I/O and stolen by the hypervisor between two readings. */
export function coresUsed(before: CpuTimes | null, after: CpuTimes | null, cpus: number): { busy: number; iowait: number; steal: number } | null {
  if (!before || !after) return null;
  const d = (k: keyof CpuTimes) => after[k] - before[k];
  const total = d('busy') + d('idle') + d('iowait') + d('steal');
  if (total <= 0) return null;
  return { busy: (d('busy') / total) * cpus, iowait: (d('iowait') / total) * cpus, steal: (d('steal') / total) * cpus };
}

/**
 * A fixed CPU workload (20,000 JSON round trips of a 1 KB object), in ms. Shared hosts vary from
 * run to run; printing this next to the figures shows whether a slow run was a slow machine.
 */
export function calibrateCpuMs(): number {
  const sample = { id: 'x'.repeat(24), items: Array.from({ length: 12 }, (_, i) => ({ sku: `SKU-${i}`, price: i * 1.5, name: `item ${i}`.repeat(4) })) };
  const started = performance.now();
  let size = 0;
  for (let i = 0; i < 20_000; i++) size += (JSON.parse(JSON.stringify({ ...sample, n: i })) as { items: unknown[] }).items.length;
  if (size === 0) throw new Error('unreachable');
  return performance.now() - started;
}

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

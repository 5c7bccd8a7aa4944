/**
 * Bytes another process passed to read and write calls, from /proc/<pid>/io (Linux; null elsewhere).
 * Why these counters and not the disk's: SQLite reads and writes whole pages through the OS page
 * cache, so what a phase costs the engine is the bytes it copies in and out (`rchar`, `wchar`),
 * whether or not the disk is touched; a page that misses SQLite's cache is one `pread` of it.
 */
import fs from 'node:fs';

/** Cumulative I/O counters of a process. */
export interface ProcIo {
  readBytes: number;
  writtenBytes: number;
  readCalls: number;
  writeCalls: number;
}

export function readProcIo(pid: number): ProcIo | null {
  try {
    const fields = new Map<string, number>();
    for (const line of fs.readFileSync(`/proc/${pid}/io`, 'utf8').split('\n')) {
      const [key, value] = line.split(': ');
      if (key && value) fields.set(key, Number(value));
    }
    return { readBytes: fields.get('rchar') ?? 0, writtenBytes: fields.get('wchar') ?? 0, readCalls: fields.get('syscr') ?? 0, writeCalls: fields.get('syscw') ?? 0 };
  } catch {
    return null;
  }
}

/** I/O per unit of work (an event, a timer) between two readings: KB read and written, and calls of each. */
export interface IoPerUnit {
  kbRead: number;
  kbWritten: number;
  reads: number;
  writes: number;
}

export function ioPerUnit(before: ProcIo | null, after: ProcIo | null, units: number): IoPerUnit | null {
  if (!before || !after || units <= 0) return null;
  return {
    kbRead: (after.readBytes - before.readBytes) / 1024 / units,
    kbWritten: (after.writtenBytes - before.writtenBytes) / 1024 / units,
    reads: (after.readCalls - before.readCalls) / units,
    writes: (after.writeCalls - before.writeCalls) / units,
  };
}

/** The figure as the BENCH line carries it (rounded), or null. */
export function ioFigure(io: IoPerUnit | null): { kb_read: number; kb_written: number; reads: number; writes: number } | null {
  const r1 = (n: number) => Math.round(n * 10) / 10;
  return io ? { kb_read: r1(io.kbRead), kb_written: r1(io.kbWritten), reads: r1(io.reads), writes: r1(io.writes) } : null;
}

/** One line for the log. */
export function describeIo(io: IoPerUnit | null, unit: string): string {
  if (!io) return `I/O per ${unit}: n/a`;
  return `I/O per ${unit}: ${io.kbWritten.toFixed(1)} KB written in ${io.writes.toFixed(1)} calls, ${io.kbRead.toFixed(1)} KB read in ${io.reads.toFixed(1)} calls`;
}

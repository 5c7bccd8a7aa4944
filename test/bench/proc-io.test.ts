import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { describeIo, ioFigure, ioPerUnit, readProcIo } from '../../bench/support/proc-io.ts';

describe("benchmarks read the engine's I/O per event (bench/support/proc-io.ts)", () => {
  it('counts the bytes and calls of writes and reads between two readings (on Linux, where /proc/<pid>/io exists)', function () {
    if (readProcIo(process.pid) === null) this.skip(); // not Linux: no /proc (the benchmarks then print n/a)
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'proc-io-')), 'f');
    const before = readProcIo(process.pid);
    const fd = fs.openSync(file, 'w+');
    const page = Buffer.alloc(8192, 1);
    for (let i = 0; i < 10; i++) fs.writeSync(fd, page, 0, page.length, i * page.length);
    for (let i = 0; i < 5; i++) fs.readSync(fd, page, 0, page.length, i * page.length);
    fs.closeSync(fd);
    const io = ioPerUnit(before, readProcIo(process.pid), 5)!;
    // Per unit of 5: 10 writes of 8 KB are 16 KB in 2 calls; other threads of this process may add a little.
    expect(io.kbWritten).to.be.at.least(16);
    expect(io.writes).to.be.at.least(2);
    expect(io.kbRead).to.be.at.least(8);
    expect(io.reads).to.be.at.least(1);
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('answers null for a process that is gone or no units, and formats the figure', () => {
    expect(readProcIo(2 ** 30)).to.equal(null);
    const reading = { readBytes: 0, writtenBytes: 0, readCalls: 0, writeCalls: 0 };
    expect(ioPerUnit(reading, reading, 0)).to.equal(null);
    const io = ioPerUnit(reading, { readBytes: 3 * 1024 * 10, writtenBytes: 160 * 1024 * 10, readCalls: 36, writeCalls: 37 }, 10);
    expect(ioFigure(io)).to.deep.equal({ kb_read: 3, kb_written: 160, reads: 3.6, writes: 3.7 });
    expect(describeIo(io, 'event')).to.equal('I/O per event: 160.0 KB written in 3.7 calls, 3.0 KB read in 3.6 calls');
    expect(describeIo(null, 'event')).to.equal('I/O per event: n/a');
  });
});

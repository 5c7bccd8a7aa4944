import fs from 'node:fs';
import { expect } from 'chai';
import { ENGINE_ENV, ENGINE_NODE_ARGS } from '../../bench/support/engine-handle.ts';

/**
 * The engine's Node flags and environment are written three times, because each place needs
 * them in its own syntax: `npm start`, the Dockerfile and the benchmarks' engine. They must agree,
 * or the benchmarks measure an engine nobody runs.
 */
describe('the engine runs with the same settings under npm start, Docker and the benchmarks', () => {
  const read = (file: string) => fs.readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start']!.split(/\s+/);
  const dockerfile = read('Dockerfile');
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  const flagsOf = (words: readonly string[]) => words.filter((w) => w.startsWith('--') && w !== '--no-node-snapshot');

  it('passes the same V8 flags', () => {
    expect(flagsOf(start), 'npm start').to.deep.equal(ENGINE_NODE_ARGS);
    expect(flagsOf(cmd), 'Dockerfile CMD').to.deep.equal(ENGINE_NODE_ARGS);
  });

  it('sets the same environment', () => {
    for (const [name, value] of Object.entries(ENGINE_ENV)) {
      expect(start, 'npm start').to.include(`${name}=${value}`);
      expect(new RegExp(`^\\s*${name}=${value}\\b`, 'm').test(dockerfile), `Dockerfile ENV ${name}=${value}`).to.equal(true);
    }
  });
});

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import nock from 'nock';
import { createTestEvent, defaultValues } from '../../destinations/actions-core.ts';
import { PluginRegistry } from '../../destinations/plugin-registry.ts';
import { runAction } from '../../destinations/run-action.ts';
import { PROJECT_ROOT } from '../../destinations/scaffold/new-destination.ts';
import { capture, useNock } from './support/use-nock.ts';

const SCAFFOLD = join(PROJECT_ROOT, 'destinations', 'scaffold', 'new-destination.ts');

function scaffold(...args: string[]) {
  return spawnSync(process.execPath, [SCAFFOLD, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });
}

describe('new-destination scaffold', function () {
  this.timeout(30_000); // runs the generated test in a child mocha
  useNock();
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'scaffold-'));
    // The generated test imports the harness and node_modules relative to the project root:
    // link them into the temporary root so the generated files run exactly as in the project.
    mkdirSync(join(root, 'destinations'));
    for (const file of ['testing.ts', 'actions-core.ts', 'plugin.ts']) {
      symlinkSync(join(PROJECT_ROOT, 'destinations', file), join(root, 'destinations', file));
    }
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a plugin the registry discovers and can run', async () => {
    const result = scaffold('acme-crm', '--dir', root);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include(join(root, 'destinations', 'plugins', 'acme-crm', 'index.ts'));

    const registry = new PluginRegistry({ catalog: false });
    const [registered] = await registry.registerLocalPlugins(join(root, 'destinations', 'plugins'));
    expect(registered).to.include({ slug: 'acme-crm', source: 'local', name: 'Acme Crm' });
    const plugin = await registry.get('acme-crm');
    expect(registry.list().map((p) => p.slug)).to.deep.equal(['acme-crm']);

    const seen = capture(nock('https://api.example.com').post('/v1/events').reply(200));
    const result2 = await runAction({
      plugin, settings: { apiKey: 'k' }, action: 'send',
      event: createTestEvent({ event: 'Signed Up', userId: 'u-2', messageId: 'm-2' }),
      mapping: defaultValues(plugin.definition.actions.send!.fields),
    });
    expect(result2.status).to.equal(200);
    expect(seen[0]!.headers.get('authorization')).to.equal('Bearer k');
    expect(JSON.parse(seen[0]!.body)).to.include({ event: 'Signed Up', user_id: 'u-2' });
  });

  it('creates a test that passes when run with mocha', () => {
    expect(scaffold('acme-crm', '--dir', root).status).to.equal(0);
    const testFile = join(root, 'test', 'destinations', 'plugins', 'acme-crm.test.ts');
    expect(readFileSync(testFile, 'utf8')).to.include("testDestination(plugin.definition)");
    const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'), testFile], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.include('1 passing');
  });

  it('refuses bad slugs and existing plugins with clear messages', () => {
    for (const slug of ['Acme', '../evil', 'acme_crm', 'catalog-acme']) {
      const result = scaffold(slug, '--dir', root);
      expect(result.status, slug).to.equal(1);
      expect(result.stderr, slug).to.include('invalid slug');
    }
    expect(scaffold('acme-crm', '--dir', root).status).to.equal(0);
    const again = scaffold('acme-crm', '--dir', root);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.include('destinations/plugins/acme-crm already exists');
    expect(scaffold('--dir', root).stderr).to.include('usage:');
  });
});

/**
 * The management API of destination functions (README "Destination functions"): every save is a
 * version, one version is deployed, code that does not compile is refused at save with its line
 * and column, settings follow the function's settings schema, and secret settings never leave
 * the engine (but are kept across updates that do not resend them).
 */
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import type { TestEngine } from '../support/test-engine.ts';
import {
  SECRET, createFunction, createJourney, expectError, functionTarget, ok, sendOnEntry, startFunctionsEngine, testRun, trackEvent,
} from './helpers.ts';

const CODE_V1 = `async function onTrack(event, settings) {\n  return { version: 1, event: event.event };\n}\n`;
const CODE_V2 = `async function onTrack(event, settings) {\n  return { version: 2, event: event.event };\n}\n`;
// The error is on line 3: `const b = ;` has no expression.
const BROKEN_LINE_3 = `async function onTrack(event, settings) {\n  const a = 1;\n  const b = ;\n  return a;\n}\n`;

// Proves what a secret holds without the API showing it: its length and an HMAC keyed by it.
const SECRET_PROBE = `
async function onTrack(event, settings) {
  return {
    length: settings.apiKey.length,
    hmac: crypto.createHmac('sha256', settings.apiKey).update('probe').digest('hex'),
    region: settings.region,
  };
}
`;
const SCHEMA = [
  { name: 'apiKey', type: 'string', required: true, secret: true, label: 'API key' },
  { name: 'region', type: 'string' },
];

function hmacOf(secret: string): string {
  return createHmac('sha256', secret).update('probe').digest('hex');
}

describe('destination functions: management API', function () {
  this.timeout(20_000);
  let t: TestEngine;
  before(async () => { t = await startFunctionsEngine(); });
  after(async () => { await t?.close(); });

  async function names(token?: string): Promise<string[]> {
    const list = await ok(token ? t.api('GET', '/api/v1/functions', undefined, { token }) : t.api('GET', '/api/v1/functions'));
    return list.functions.map((f: any) => f.name);
  }

  describe('lifecycle', () => {
    it('create answers 201 with version 1, not deployed; get shows the code; list leaves it out', async () => {
      const fn = await createFunction(t, { name: 'Lifecycle', code: CODE_V1, description: 'first' });
      expect(fn.id).to.match(/^fn_/);
      expect(fn).to.include({ name: 'Lifecycle', description: 'first', latestVersion: 1, deployedVersion: null, code: CODE_V1 });
      expect(fn).not.to.have.property('spaceId');

      const got = (await ok(t.api('GET', `/api/v1/functions/${fn.id}`))).function;
      expect(got).to.include({ id: fn.id, latestVersion: 1, deployedVersion: null, code: CODE_V1 });

      const listed = (await ok(t.api('GET', '/api/v1/functions'))).functions.find((f: any) => f.id === fn.id);
      expect(listed).to.include({ name: 'Lifecycle', latestVersion: 1 });
      expect(listed).not.to.have.property('code');
    });

    it('an update is a new version; the deployed version stays; versions lists both; get shows the newest code', async () => {
      const fn = await createFunction(t, { name: 'Versions', code: CODE_V1 });
      const deployed = (await ok(t.api('POST', `/api/v1/functions/${fn.id}/deploy`, {}))).function;
      expect(deployed.deployedVersion).to.equal(1);

      const updated = (await ok(t.api('PUT', `/api/v1/functions/${fn.id}`, { name: 'Versions', code: CODE_V2 }))).function;
      expect(updated).to.include({ latestVersion: 2, deployedVersion: 1, code: CODE_V2 });
      expect((await ok(t.api('GET', `/api/v1/functions/${fn.id}`))).function).to.include({ latestVersion: 2, deployedVersion: 1, code: CODE_V2 });

      const versions = (await ok(t.api('GET', `/api/v1/functions/${fn.id}/versions`))).versions;
      expect(versions.map((v: any) => v.version)).to.have.members([1, 2]);
      for (const v of versions) expect(v.createdAt).to.be.a('string');

      // test runs the newest version unless told otherwise
      expect((await testRun(t, fn.id, { event: trackEvent() })).value).to.deep.equal({ version: 2, event: 'Checkout Started' });
      const old = await testRun(t, fn.id, { event: trackEvent(), version: 1 });
      expect(old).to.include({ ok: true, version: 1 });
      expect(old.value.version).to.equal(1);
    });

    it('deploy: the newest by default, an explicit version, and 404 for a version that does not exist', async () => {
      const fn = await createFunction(t, { name: 'Deploys', code: CODE_V1 });
      await ok(t.api('PUT', `/api/v1/functions/${fn.id}`, { name: 'Deploys', code: CODE_V2 }));

      expect((await ok(t.api('POST', `/api/v1/functions/${fn.id}/deploy`, {}))).function.deployedVersion).to.equal(2);
      expect((await ok(t.api('POST', `/api/v1/functions/${fn.id}/deploy`, { version: 1 }))).function.deployedVersion).to.equal(1);
      expect((await ok(t.api('GET', `/api/v1/functions/${fn.id}`))).function.deployedVersion).to.equal(1);

      const unknown = await expectError(t.api('POST', `/api/v1/functions/${fn.id}/deploy`, { version: 7 }), 404, 'not_found');
      expect(unknown.message).to.contain('version 7');
      const bad = await expectError(t.api('POST', `/api/v1/functions/${fn.id}/deploy`, { version: 'latest' }), 400, 'invalid_request');
      expect(bad.path).to.equal('/version');
      expect((await ok(t.api('GET', `/api/v1/functions/${fn.id}`))).function.deployedVersion).to.equal(1);
    });

    it('delete answers 204, then 404; a function a journey draft sends to cannot be deleted (409 function_in_use)', async () => {
      const gone = await createFunction(t, { name: 'Doomed', code: CODE_V1 });
      const del = await t.api('DELETE', `/api/v1/functions/${gone.id}`);
      expect(del.status).to.equal(204);
      await expectError(t.api('GET', `/api/v1/functions/${gone.id}`), 404, 'not_found');
      await expectError(t.api('DELETE', `/api/v1/functions/${gone.id}`), 404, 'not_found');
      expect(await names()).not.to.include('Doomed');

      const used = await createFunction(t, { name: 'In use', code: CODE_V1 });
      const journeyId = await createJourney(t, sendOnEntry('Uses a function', 'Checkout Started', { target: functionTarget(used.id) }));
      const inUse = await expectError(t.api('DELETE', `/api/v1/functions/${used.id}`), 409, 'function_in_use');
      expect(inUse.journeys).to.deep.equal([{ id: journeyId, name: 'Uses a function' }]);
      expect((await ok(t.api('GET', `/api/v1/functions/${used.id}`))).function.id).to.equal(used.id);

      // Once the draft no longer sends to it, it can go.
      await ok(t.api('PUT', `/api/v1/journeys/${journeyId}`, sendOnEntry('Uses a function', 'Checkout Started', { target: null })));
      expect((await t.api('DELETE', `/api/v1/functions/${used.id}`)).status).to.equal(204);
    });
  });

  describe('code that does not compile', () => {
    it('is refused at create with line and column, and nothing is stored', async () => {
      const before = await names();
      const error = await expectError(t.api('POST', '/api/v1/functions', { name: 'Broken', code: BROKEN_LINE_3 }), 400, 'invalid_function_code');
      expect(error.path).to.equal('/code');
      expect(error.line).to.equal(3);
      expect(error.column).to.be.a('number').and.to.be.greaterThan(0);
      expect(error.message).to.match(/line 3/);
      expect(await names()).to.deep.equal(before);
    });

    it('is refused at update, and the version is not bumped', async () => {
      const fn = await createFunction(t, { name: 'Stays at 1', code: CODE_V1 });
      const error = await expectError(t.api('PUT', `/api/v1/functions/${fn.id}`, { name: 'Stays at 1', code: BROKEN_LINE_3 }), 400, 'invalid_function_code');
      expect(error).to.include({ line: 3 });
      const got = (await ok(t.api('GET', `/api/v1/functions/${fn.id}`))).function;
      expect(got).to.include({ latestVersion: 1, code: CODE_V1 });
      expect((await ok(t.api('GET', `/api/v1/functions/${fn.id}/versions`))).versions).to.have.length(1);
    });

    it('reports an early error inside a handler body too (line and column of the offending token)', async () => {
      const code = `async function onTrack(event) {\n  return 1;\n}\nasync function onIdentify(event) {\n  let x = 1;\n  let x = 2;\n}\n`;
      const error = await expectError(t.api('POST', '/api/v1/functions', { name: 'Redeclared', code }), 400, 'invalid_function_code');
      expect(error).to.include({ line: 6, column: 7 });
    });
  });

  describe('bad bodies: 400 invalid_request with the path', () => {
    const cases: Array<[string, unknown, string]> = [
      ['not an object', ['x'], ''],
      ['unknown property', { name: 'X', code: CODE_V1, runtime: 'node' }, '/runtime'],
      ['missing code', { name: 'X' }, '/code'],
      ['blank code', { name: 'X', code: '   ' }, '/code'],
      ['missing name', { code: CODE_V1 }, '/name'],
      ['settingsSchema not an array', { name: 'X', code: CODE_V1, settingsSchema: {} }, '/settingsSchema'],
      ['bad setting name', { name: 'X', code: CODE_V1, settingsSchema: [{ name: 'api-key', type: 'string' }] }, '/settingsSchema/0/name'],
      ['duplicate setting name', { name: 'X', code: CODE_V1, settingsSchema: [{ name: 'a', type: 'string' }, { name: 'a', type: 'number' }] }, '/settingsSchema/1/name'],
      ['bad setting type', { name: 'X', code: CODE_V1, settingsSchema: [{ name: 'a', type: 'text' }] }, '/settingsSchema/0/type'],
      ['unknown setting property', { name: 'X', code: CODE_V1, settingsSchema: [{ name: 'a', type: 'string', default: 'x' }] }, '/settingsSchema/0/default'],
      ['settings not an object', { name: 'X', code: CODE_V1, settings: 'a=b' }, '/settings'],
    ];
    for (const [what, body, path] of cases) {
      it(`${what} → path '${path}'`, async () => {
        const before = await names();
        const error = await expectError(t.api('POST', '/api/v1/functions', body), 400, 'invalid_request');
        expect(error.path).to.equal(path);
        expect(await names()).to.deep.equal(before);
      });
    }

    it('an update with a bad body changes nothing', async () => {
      const fn = await createFunction(t, { name: 'Bad update', code: CODE_V1 });
      const error = await expectError(t.api('PUT', `/api/v1/functions/${fn.id}`, { name: 'Bad update' }), 400, 'invalid_request');
      expect(error.path).to.equal('/code');
      expect((await ok(t.api('GET', `/api/v1/functions/${fn.id}`))).function.latestVersion).to.equal(1);
    });
  });

  describe('settings', () => {
    it('are checked against the schema: every problem (required, type, unknown) at its path', async () => {
      const schema = [
        { name: 'apiKey', type: 'string', required: true, secret: true },
        { name: 'retries', type: 'number' },
        { name: 'tags', type: 'array' },
        { name: 'headers', type: 'map' },
      ];
      const error = await expectError(t.api('POST', '/api/v1/functions', {
        name: 'Bad settings', code: CODE_V1, settingsSchema: schema,
        settings: { retries: 'three', tags: ['a', 1], headers: { a: 'b' }, colour: 'red' },
      }), 400, 'invalid_settings');
      const problems = error.problems.map((p: any) => [p.path, p.code]);
      expect(error.path).to.equal(error.problems[0].path);
      expect(problems).to.have.deep.members([
        ['/settings/apiKey', 'required'],
        ['/settings/retries', 'invalid_type'],
        ['/settings/tags', 'invalid_type'],
        ['/settings/colour', 'unknown_setting'],
      ]);
      for (const p of error.problems) expect(p.message).to.be.a('string').and.not.equal('');
      expect(await names()).not.to.include('Bad settings');
    });

    it('secrets are never returned, and are kept when an update leaves them out or sends the marker back', async () => {
      const created = await createFunction(t, {
        name: 'Secretive', code: SECRET_PROBE, settingsSchema: SCHEMA, settings: { apiKey: 'sk_live_first_secret', region: 'eu' },
      });
      expect(created.settings).to.deep.equal({ apiKey: SECRET, region: 'eu' });
      expect(JSON.stringify(created)).not.to.include('sk_live_first_secret');
      const got = await ok(t.api('GET', `/api/v1/functions/${created.id}`));
      expect(got.function.settings).to.deep.equal({ apiKey: SECRET, region: 'eu' });
      const list = await ok(t.api('GET', '/api/v1/functions'));
      expect(JSON.stringify(list)).not.to.include('sk_live_first_secret');

      const first = await testRun(t, created.id, { event: trackEvent() });
      expect(first.value).to.deep.equal({ length: 20, hmac: hmacOf('sk_live_first_secret'), region: 'eu' });
      expect(JSON.stringify(first)).not.to.include('sk_live_first_secret');

      // The marker sent back keeps the stored secret (a required one: no invalid_settings either).
      const echoed = await ok(t.api('PUT', `/api/v1/functions/${created.id}`, {
        name: 'Secretive', code: SECRET_PROBE, settingsSchema: SCHEMA, settings: { apiKey: SECRET, region: 'us' },
      }));
      expect(echoed.function.settings).to.deep.equal({ apiKey: SECRET, region: 'us' });
      expect((await testRun(t, created.id, { event: trackEvent() })).value).to.deep.equal({ length: 20, hmac: hmacOf('sk_live_first_secret'), region: 'us' });

      // Left out: kept as well.
      await ok(t.api('PUT', `/api/v1/functions/${created.id}`, { name: 'Secretive', code: SECRET_PROBE, settingsSchema: SCHEMA, settings: { region: 'ap' } }));
      expect((await testRun(t, created.id, { event: trackEvent() })).value).to.deep.equal({ length: 20, hmac: hmacOf('sk_live_first_secret'), region: 'ap' });

      // A new value replaces it.
      const replaced = await ok(t.api('PUT', `/api/v1/functions/${created.id}`, {
        name: 'Secretive', code: SECRET_PROBE, settingsSchema: SCHEMA, settings: { apiKey: 'sk_new', region: 'ap' },
      }));
      expect(replaced.function.settings.apiKey).to.equal(SECRET);
      expect((await testRun(t, created.id, { event: trackEvent() })).value).to.deep.equal({ length: 6, hmac: hmacOf('sk_new'), region: 'ap' });
      expect((await ok(t.api('GET', `/api/v1/functions/${created.id}`))).function.latestVersion).to.equal(4);
    });

    it('a required secret cannot be created from the marker alone', async () => {
      const error = await expectError(t.api('POST', '/api/v1/functions', {
        name: 'Marker only', code: SECRET_PROBE, settingsSchema: SCHEMA, settings: { apiKey: SECRET },
      }), 400, 'invalid_settings');
      expect(error.problems.map((p: any) => [p.path, p.code])).to.deep.equal([['/settings/apiKey', 'required']]);
    });
  });

  it('concurrent saves: every save answered 200 is stored as the version it names, with its code', async () => {
    const fn = await createFunction(t, { name: 'Busy', code: CODE_V1 });
    const codeOf = (i: number) => `async function onTrack() {\n  return ${i};\n}\n`;
    const answers = await Promise.all([1, 2, 3, 4, 5].map((i) => t.api('PUT', `/api/v1/functions/${fn.id}`, { name: 'Busy', code: codeOf(i) })));
    const saved = answers.filter((a) => a.status === 200).map((a) => a.body.function);
    for (const a of answers) if (a.status !== 200) expect([a.status, a.body.error.code]).to.deep.equal([409, 'version_conflict']);
    expect(saved.length).to.be.at.least(1);
    expect(new Set(saved.map((f) => f.latestVersion)).size, 'distinct versions').to.equal(saved.length);
    for (const f of saved) {
      const i = Number(/return (\d+)/.exec(f.code)![1]);
      expect((await testRun(t, fn.id, { event: trackEvent(), version: f.latestVersion })).value, `version ${f.latestVersion}`).to.equal(i);
    }
    const latest = (await ok(t.api('GET', `/api/v1/functions/${fn.id}`))).function;
    expect(saved.map((f) => f.latestVersion)).to.include(latest.latestVersion);
  });

  describe('names and spaces', () => {
    it('a name is unique in its space (409 conflict at /name) on create and on rename', async () => {
      await createFunction(t, { name: 'Taken', code: CODE_V1 });
      const dup = await expectError(t.api('POST', '/api/v1/functions', { name: 'Taken', code: CODE_V2 }), 409, 'conflict');
      expect(dup.path).to.equal('/name');
      expect((await names()).filter((n) => n === 'Taken')).to.have.length(1);

      const other = await createFunction(t, { name: 'Other', code: CODE_V1 });
      const rename = await expectError(t.api('PUT', `/api/v1/functions/${other.id}`, { name: 'Taken', code: CODE_V1 }), 409, 'conflict');
      expect(rename.path).to.equal('/name');
      expect((await ok(t.api('GET', `/api/v1/functions/${other.id}`))).function).to.include({ name: 'Other', latestVersion: 1 });
    });

    it('a refused rename stores no version: the next save is version 2 with its own code', async () => {
      await createFunction(t, { name: 'Name in use', code: CODE_V1 });
      const fn = await createFunction(t, { name: 'Renamed later', code: CODE_V1 });
      const refused = `async function onTrack() {\n  return 'from the refused save';\n}\n`;
      await expectError(t.api('PUT', `/api/v1/functions/${fn.id}`, { name: 'Name in use', code: refused }), 409, 'conflict');
      expect((await ok(t.api('GET', `/api/v1/functions/${fn.id}/versions`))).versions.map((v: any) => v.version)).to.deep.equal([1]);

      const saved = (await ok(t.api('PUT', `/api/v1/functions/${fn.id}`, { name: 'Renamed later', code: CODE_V2 }))).function;
      expect(saved).to.include({ latestVersion: 2, code: CODE_V2 });
      expect((await ok(t.api('GET', `/api/v1/functions/${fn.id}`))).function).to.include({ latestVersion: 2, code: CODE_V2 });
      expect((await testRun(t, fn.id, { event: trackEvent() })).value).to.deep.equal({ version: 2, event: 'Checkout Started' });
    });

    it("another space's admin token sees 404 for every call on the function, and its own list without it", async () => {
      const space = await ok(t.api('POST', '/api/v1/spaces', { name: `Other space ${Date.now()}` }, { token: t.operatorToken }), 201);
      const token = space.adminToken.secret as string;
      const fn = await createFunction(t, { name: 'Ours', code: CODE_V1 });
      const calls: Array<[string, string, unknown]> = [
        ['GET', `/api/v1/functions/${fn.id}`, undefined],
        ['PUT', `/api/v1/functions/${fn.id}`, { name: 'Ours', code: CODE_V2 }],
        ['DELETE', `/api/v1/functions/${fn.id}`, undefined],
        ['GET', `/api/v1/functions/${fn.id}/versions`, undefined],
        ['POST', `/api/v1/functions/${fn.id}/deploy`, {}],
        ['POST', `/api/v1/functions/${fn.id}/test`, { event: trackEvent() }],
      ];
      for (const [method, path, body] of calls) {
        await expectError(t.api(method, path, body, { token }), 404, 'not_found');
      }
      expect(await names(token)).not.to.include('Ours');
      // The same name is free in the other space.
      const theirs = await createFunction(t, { name: 'Ours', code: CODE_V2 }, token);
      expect(theirs.id).not.to.equal(fn.id);
      expect((await ok(t.api('GET', `/api/v1/functions/${fn.id}`))).function).to.include({ latestVersion: 1, deployedVersion: null, code: CODE_V1 });
    });
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { testConfig } from '../../engine/config.ts';
import { startEngine } from '../../engine/engine.ts';
import { createLogger } from '../../engine/logger.ts';
import { BOOTSTRAP_FILE } from '../../engine/spaces/bootstrap.ts';
import { removeDir, startTestEngine, tempDataDir, type TestEngine } from '../support/test-engine.ts';
import { dropDatabase, freshDbName, mongoUriFor } from '../support/mongo-server.ts';

const CHOSEN = {
  writeKey: 'wk_operator-chosen-write-key-01',
  adminToken: 'adm_operator-chosen-admin-token-01',
  operatorToken: 'op_operator-chosen-operator-token-01',
};

describe('api: state survives a restart', () => {
  let dataDir: string;
  const running: TestEngine[] = [];
  beforeEach(() => { dataDir = tempDataDir(); });
  afterEach(async () => {
    for (const t of running.splice(0)) await t.close();
    removeDir(dataDir);
  });

  async function start(overrides: Parameters<typeof startTestEngine>[0] = {}): Promise<TestEngine> {
    const t = await startTestEngine({ dataDir, ...overrides });
    running.push(t);
    return t;
  }

  async function stop(t: TestEngine): Promise<void> {
    await t.close();
    running.splice(running.indexOf(t), 1);
  }

  async function ok(res: Promise<{ status: number; body: unknown }>, status = 200): Promise<any> {
    const answer = await res;
    expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
    return answer.body;
  }

  it('keeps spaces, credentials, events, profiles, catalog and audiences', async () => {
    const first = await start();
    const created = await ok(first.api('POST', '/api/v1/spaces', { name: 'Persistent' }, { token: first.operatorToken }), 201);
    const space = { id: created.space.id as string, writeKey: created.writeKey.secret as string, adminToken: created.adminToken.secret as string };
    const extra = await ok(first.api('POST', '/api/v1/credentials', { kind: 'write_key', label: 'web' }, { token: space.adminToken }), 201);
    await ok(first.ingest('/v1/batch', {
      batch: [
        { type: 'track', anonymousId: 'rs-anon', event: 'Viewed Pricing', properties: { tier: { name: 'pro' } } },
        { type: 'identify', userId: 'rs-user', anonymousId: 'rs-anon', traits: { plan: 'pro', email: 'RS@example.com' } },
        { type: 'identify', userId: 'rs-free', traits: { plan: 'free' } },
      ],
    }, { writeKey: space.writeKey }));
    await ok(first.ingest('/v1/track', { userId: 'default-user', event: 'Default Event' }));
    await first.settle();
    const asSpace = (t: TestEngine, method: string, p: string, body?: unknown) => t.api(method, p, body, { token: space.adminToken });
    const audience = await ok(asSpace(first, 'POST', '/api/v1/audiences', { name: 'Pros', rule: [{ path: 'plan', operator: 'equals', value: 'pro' }] }), 201);
    const audienceId: string = audience.audience.id;
    await ok(asSpace(first, 'POST', `/api/v1/audiences/${audienceId}/members`, { add: [{ userId: 'rs-free' }] }));
    const before = {
      profile: (await ok(asSpace(first, 'GET', '/api/v1/profiles/lookup?userId=rs-user'))).profile,
      free: (await ok(asSpace(first, 'GET', '/api/v1/profiles/lookup?userId=rs-free'))).profile,
      members: (await ok(asSpace(first, 'GET', `/api/v1/audiences/${audienceId}/members`))).profileIds as string[],
      catalog: (await ok(asSpace(first, 'GET', '/api/v1/catalog/events'))).events,
      credentials: (await ok(asSpace(first, 'GET', '/api/v1/credentials'))).credentials,
    };
    expect(before.members).to.have.members([before.profile.id, before.free.id]);
    await stop(first);

    const second = await start();
    const spaces = await ok(second.api('GET', '/api/v1/spaces', undefined, { token: second.operatorToken }));
    expect(spaces.spaces.map((s: { id: string }) => s.id)).to.include.members(['default', space.id]);
    expect((await ok(asSpace(second, 'GET', '/api/v1/space'))).space.name).to.equal('Persistent');
    expect((await ok(asSpace(second, 'GET', '/api/v1/credentials'))).credentials).to.deep.equal(before.credentials);

    const profile = (await ok(asSpace(second, 'GET', '/api/v1/profiles/lookup?anonymousId=rs-anon'))).profile;
    expect(profile.id).to.equal(before.profile.id);
    expect(profile.traits).to.deep.equal({ plan: 'pro', email: 'RS@example.com' });
    expect(profile.audiences).to.deep.equal([{ id: audienceId, name: 'Pros', via: 'rule' }]);
    expect((await ok(asSpace(second, 'GET', '/api/v1/profiles/lookup?email=rs%40example.com'))).profile.id).to.equal(before.profile.id);
    expect((await ok(asSpace(second, 'GET', `/api/v1/audiences/${audienceId}/members`))).profileIds).to.have.members(before.members);
    expect((await ok(asSpace(second, 'GET', '/api/v1/catalog/events'))).events).to.deep.equal(before.catalog);
    expect((await ok(asSpace(second, 'GET', '/api/v1/catalog/events/Viewed%20Pricing'))).event.propertyKeys)
      .to.have.members(['tier', 'tier.name']);
    for (const key of [space.writeKey, extra.credential.secret as string]) {
      await ok(second.ingest('/v1/track', { userId: 'rs-user', event: 'After Restart' }, { writeKey: key }));
    }
    const events = (await ok(asSpace(second, 'GET', '/api/v1/events?userId=rs-user'))).events;
    expect(events.map((e: { type: string; event?: string }) => e.event ?? e.type)).to.deep.equal(['After Restart', 'After Restart', 'identify']);
    const defaultEvents = (await ok(second.api('GET', '/api/v1/events?userId=default-user'))).events;
    expect(defaultEvents.map((e: { event: string }) => e.event)).to.deep.equal(['Default Event']);

    // The processor picks up where it left off: a trait change after restart still moves memberships.
    await ok(second.ingest('/v1/identify', { userId: 'rs-user', traits: { plan: 'free' } }, { writeKey: space.writeKey }));
    await second.settle();
    expect((await ok(asSpace(second, 'GET', `/api/v1/audiences/${audienceId}/members`))).profileIds).to.deep.equal([before.free.id]);
  });

  it('keeps the default space\'s generated credentials in the data directory across restarts', async () => {
    const first = await start();
    const credentials = { writeKey: first.writeKey, adminToken: first.adminToken, operatorToken: first.operatorToken };
    await stop(first);
    const file = path.join(dataDir, BOOTSTRAP_FILE);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).to.deep.equal(credentials);
    expect(fs.statSync(file).mode & 0o777, 'only the owner may read the secrets').to.equal(0o600);

    const second = await start();
    expect({ writeKey: second.writeKey, adminToken: second.adminToken, operatorToken: second.operatorToken }).to.deep.equal(credentials);
    await ok(second.ingest('/v1/track', { userId: 'u', event: 'E' }));
    await ok(second.api('GET', '/api/v1/space'));
    await ok(second.api('GET', '/api/v1/spaces', undefined, { token: second.operatorToken }));
  });

  it('honours operator-chosen credentials on first start and later starts, without writing them to disk', async () => {
    const first = await start({ bootstrap: CHOSEN });
    expect({ writeKey: first.writeKey, adminToken: first.adminToken, operatorToken: first.operatorToken }).to.deep.equal(CHOSEN);
    await ok(first.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: CHOSEN.writeKey }));
    await ok(first.api('GET', '/api/v1/space', undefined, { token: CHOSEN.adminToken }));
    await ok(first.api('GET', '/api/v1/spaces', undefined, { token: CHOSEN.operatorToken }));
    const creds = (await ok(first.api('GET', '/api/v1/credentials', undefined, { token: CHOSEN.adminToken }))).credentials;
    expect(creds).to.have.length(2, 'no generated key besides the chosen ones');
    await stop(first);
    const file = path.join(dataDir, BOOTSTRAP_FILE);
    const saved = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    for (const secret of Object.values(CHOSEN)) expect(saved).not.to.contain(secret);

    const second = await start({ bootstrap: CHOSEN });
    expect({ writeKey: second.writeKey, adminToken: second.adminToken, operatorToken: second.operatorToken }).to.deep.equal(CHOSEN);
    await ok(second.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: CHOSEN.writeKey }));
    const after = (await ok(second.api('GET', '/api/v1/credentials', undefined, { token: CHOSEN.adminToken }))).credentials;
    expect(after).to.deep.equal(creds);
  });

  it('adds operator-chosen credentials to a default space that already has generated ones', async () => {
    const first = await start();
    const generated = { writeKey: first.writeKey, adminToken: first.adminToken };
    await stop(first);

    const second = await start({ bootstrap: { ...CHOSEN, operatorToken: null } });
    expect(second.writeKey).to.equal(CHOSEN.writeKey);
    expect(second.adminToken).to.equal(CHOSEN.adminToken);
    expect(second.operatorToken, 'the kept operator token is used when none is chosen').to.equal(first.operatorToken);
    for (const key of [CHOSEN.writeKey, generated.writeKey]) await ok(second.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: key }));
    for (const token of [CHOSEN.adminToken, generated.adminToken]) {
      expect((await ok(second.api('GET', '/api/v1/space', undefined, { token }))).space.id).to.equal('default');
    }
  });

  it('does not print a kept bootstrap write key that was rotated away', async () => {
    const first = await start();
    const credentials = (await ok(first.api('GET', '/api/v1/credentials'))).credentials as Array<{ id: string; kind: string }>;
    const writeKey = credentials.find((c) => c.kind === 'write_key')!;
    const rotated = await ok(first.api('POST', `/api/v1/credentials/${writeKey.id}/rotate`), 201);
    await stop(first);

    const engine = await startEngine(testConfig({ dataDir, host: '127.0.0.1', port: 0 }), { logger: createLogger('error', true) });
    try {
      expect(engine.credentials.writeKey).to.equal(null);
      expect(engine.credentials.adminToken).to.equal(first.adminToken);
      const res = await fetch(`${engine.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${rotated.credential.secret}:`).toString('base64')}` },
        body: JSON.stringify({ userId: 'u', event: 'E' }),
      });
      expect(res.status, 'the rotated-in key still works').to.equal(200);
    } finally {
      await engine.close();
    }
  });

  it('processes events that were stored but not yet processed before the stop', async () => {
    const first = await start();
    await ok(first.ingest('/v1/identify', { userId: 'late-pro', traits: { plan: 'pro' } }));
    await first.settle();
    const audience = await ok(first.api('POST', '/api/v1/audiences', { name: 'Late pros', rule: [{ path: 'plan', operator: 'equals', value: 'pro' }] }), 201);
    await first.engine.processing.stopProcessing();

    await ok(first.ingest('/v1/batch', {
      batch: [
        { type: 'identify', userId: 'late-new', traits: { plan: 'pro', email: 'late@example.com' } },
        { type: 'track', userId: 'late-new', event: 'Late Event', properties: { n: 1 } },
        { type: 'identify', userId: 'late-pro', traits: { plan: 'free' } },
      ],
    }));
    const unprocessed = await first.api('GET', '/api/v1/profiles/lookup?userId=late-new');
    expect(unprocessed.status, 'nothing is processed while the processor is stopped').to.equal(404);
    expect((await ok(first.api('GET', '/api/v1/events?userId=late-new'))).events, 'but the events are stored').to.have.length(2);
    await stop(first);

    const second = await start();
    await second.settle();
    const fresh = (await ok(second.api('GET', '/api/v1/profiles/lookup?email=late%40example.com'))).profile;
    expect(fresh.userId).to.equal('late-new');
    expect(fresh.traits).to.deep.equal({ plan: 'pro', email: 'late@example.com' });
    expect((await ok(second.api('GET', '/api/v1/catalog/events/Late%20Event'))).event.propertyKeys).to.deep.equal(['n']);
    const formerPro = (await ok(second.api('GET', '/api/v1/profiles/lookup?userId=late-pro'))).profile;
    expect(formerPro.traits).to.deep.equal({ plan: 'free' });
    const members = (await ok(second.api('GET', `/api/v1/audiences/${audience.audience.id}/members`))).profileIds;
    expect(members).to.deep.equal([fresh.id]);
  });

  it('on MongoDB, with a data directory that does not exist yet: creates it for the generated credentials, and a restart prints the same ones', async () => {
    const dbName = freshDbName('bootstrap');
    const nested = path.join(dataDir, 'not', 'yet');
    try {
      const config = testConfig({ host: '127.0.0.1', port: 0, dataDir: nested, mongodbUri: mongoUriFor(dbName) });
      const first = await startEngine(config, { logger: createLogger('error', true) });
      const printed = first.credentials;
      await first.close();
      expect(fs.existsSync(path.join(nested, BOOTSTRAP_FILE)), 'credentials kept in the new directory').to.equal(true);
      expect(printed.writeKey).to.match(/^wk_/);
      const second = await startEngine(config, { logger: createLogger('error', true) });
      await second.close();
      expect(second.credentials).to.deep.equal(printed);
    } finally {
      await dropDatabase(dbName);
    }
  });
});

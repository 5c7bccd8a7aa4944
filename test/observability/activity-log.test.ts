/**
 * GET /api/v1/journeys/{id}/activity: the journey's log across profiles, newest first, filtered by
 * time range, profile, instance, type and step, cursor-paginated (records share times a lot:
 * everything one run decides happens at the same journey time).
 */
import { expect } from 'chai';
import { STORE_MODES, type TestEngine } from '../support/test-engine.ts';
import { expectError, unique } from '../delivery-api/delivery-api-helpers.ts';
import { createAndPublish, profileIdOf } from '../journeys/scenarios/scenario-helpers.ts';
import { onlyInstance } from '../journeys/scenarios/runtime-helpers.ts';
import { useCartScenario, type CartScenario } from './cart-scenario.ts';

interface Row { id: string; at: string; type: string; stepId: string | null; profileId: string; instanceId: string | null }

for (const store of STORE_MODES) {
  describe(`Journey activity log [${store}]`, function () {
    this.timeout(60_000);
    let everything: Row[];
    let t: TestEngine;
    let scenario: CartScenario;
    const fixture = useCartScenario(store, async (f) => {
      ({ t, scenario } = f);
      everything = (await page('')).activity;
    });
    beforeEach(() => ({ t, scenario } = fixture()));
    async function page(query: string, journeyId = scenario.journeyId): Promise<{ activity: Row[]; nextCursor: string | null }> {
      const res = await t.api('GET', `/api/v1/journeys/${journeyId}/activity?limit=1000${query}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body;
    }
    const ids = (rows: Row[]) => rows.map((r) => r.id);

    it('answers newest first, id order breaking ties', () => {
      expect(everything.length).to.be.greaterThan(20);
      for (let i = 1; i < everything.length; i += 1) {
        const [newer, older] = [everything[i - 1]!, everything[i]!];
        expect(newer.at > older.at || (newer.at === older.at && newer.id > older.id), `${newer.id} before ${older.id}`).to.equal(true);
      }
    });

    it('pages through everything with cursors, across records that share a time, none repeated or skipped', async () => {
      const seen: Row[] = [];
      let cursor: string | null = null;
      let splitTies = 0;
      do {
        const res = await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/activity?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        const rows = res.body.activity as Row[];
        if (seen.length > 0 && rows.length > 0 && rows[0]!.at === seen.at(-1)!.at) splitTies += 1;
        seen.push(...rows);
        cursor = res.body.nextCursor;
      } while (cursor !== null);
      expect(ids(seen)).to.deep.equal(ids(everything));
      expect(splitTies, 'some page boundary fell between records of the same time').to.be.greaterThan(0);
    });

    it('filters by type, step, profile, instance and time range, combined', async () => {
      expect((await page('&type=entered')).activity).to.have.lengthOf(4);
      const waiting = (await page('&type=waiting&step=wait')).activity;
      expect(waiting).to.have.lengthOf(4);
      expect(waiting.every((r) => r.type === 'waiting' && r.stepId === 'wait')).to.equal(true);
      expect(ids((await page('&step=thanks')).activity)).to.deep.equal(ids(everything.filter((r) => r.stepId === 'thanks')));
      const buyerId = (await profileIdOf(t, scenario.users.buyer))!;
      const buyer = (await page(`&userId=${scenario.users.buyer}`)).activity;
      expect(ids(buyer)).to.deep.equal(ids(everything.filter((r) => r.profileId === buyerId)));
      expect(ids((await page(`&profileId=${buyerId}&type=converted`)).activity)).to.have.lengthOf(1);
      const instance = await onlyInstance(t, scenario.journeyId, scenario.users.leaver);
      expect(ids((await page(`&instanceId=${instance.id}`)).activity)).to.deep.equal(ids(everything.filter((r) => r.instanceId === instance.id)));
      const since = new Date(scenario.lateAt).toISOString();
      expect(ids((await page(`&from=${since}`)).activity)).to.deep.equal(ids(everything.filter((r) => r.at >= since)));
      expect(ids((await page(`&to=${since}&type=entered`)).activity)).to.have.lengthOf(3);
      expect((await page(`&userId=${unique('nobody')}`)).activity, 'an unknown user has no activity').to.deep.equal([]);
    });

    it('answers empty pages: a journey with no activity, past the last record', async () => {
      await t.ingest('/v1/track', { userId: unique('seed'), event: 'Quiet Event' });
      await t.settle();
      const quiet = await createAndPublish(t, {
        name: unique('Quiet'), entry: { event: 'Quiet Event' }, start: 'done', steps: [{ id: 'done', type: 'exit' }],
      });
      expect(await page('', quiet.id)).to.deep.equal({ activity: [], nextCursor: null });
      const last = await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/activity?limit=${everything.length}`);
      expect(last.body.nextCursor).to.equal(null);
      const exact = await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/activity?limit=${everything.length - 1}`);
      const after = await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/activity?cursor=${exact.body.nextCursor}`);
      expect(ids(after.body.activity)).to.deep.equal([everything.at(-1)!.id]);
      expect(after.body.nextCursor).to.equal(null);
    });

    it('refuses bad filters with the parameter named', async () => {
      const bad = async (query: string, path: string) => expectError(await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/activity?${query}`), 400, 'invalid_request', path);
      await bad('type=started', '?type');
      await bad('from=last-week', '?from');
      await bad('from=2025-02-01&to=2025-01-01', '?from');
      await bad('cursor=not-a-cursor', '?cursor');
      await bad(`cursor=${Buffer.from('{"at":1}').toString('base64url')}`, '?cursor');
      await bad('userId=a&email=b@example.com', '?email');
      await bad('limit=0', '?limit');
      await bad('limit=1001', '?limit');
      await bad('step=', '?step');
      // A cursor this API did not write: a made-up time would sort past every record and restart the paging.
      await bad(`cursor=${Buffer.from('["x","y"]').toString('base64url')}`, '?cursor');
      await bad(`cursor=${Buffer.from('["2025-01-01T00:00:00.000Z",""]').toString('base64url')}`, '?cursor');
      // A misspelt or unknown filter is refused, not ignored (which would answer every record).
      await bad('typ=entered', '?typ');
      await bad('userid=nobody', '?userid');
      await bad('type[a]=entered', '?type[a]');
    });

    it('refuses unknown parameters of the figures, explain, profile lookup, instances, deliveries and event log too', async () => {
      const bad = async (path: string, param: string) => expectError(await t.api('GET', path), 400, 'invalid_request', param);
      await bad(`/api/v1/journeys/${scenario.journeyId}/stats?form=2001-01-01&to=2001-01-02`, '?form');
      await bad(`/api/v1/journeys/${scenario.journeyId}/explain?messageId=m&userId=u&versoin=1`, '?versoin');
      await bad('/api/v1/profiles/lookup?userId=u1&bogus=1', '?bogus');
      await bad(`/api/v1/journeys/${scenario.journeyId}/instances?user=u1`, '?user');
      await bad(`/api/v1/journeys/${scenario.journeyId}/deliveries?state=failed`, '?state');
      await bad('/api/v1/deliveries?stauts=failed', '?stauts');
      await bad('/api/v1/events?eventName=Order', '?eventName');
      await bad('/api/v1/journeys?state=draft', '?state');
      // The parameters they do take still work.
      expect((await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/stats?from=2001-01-01&to=2001-01-02`)).status).to.equal(200);
    });

    it('answers 404 for an unknown journey and for another space\'s', async () => {
      expectError(await t.api('GET', '/api/v1/journeys/no-such-journey/activity'), 404, 'not_found');
      const space = await t.api('POST', '/api/v1/spaces', { name: `other-${store}-activity` }, { token: t.operatorToken });
      expect(space.status, JSON.stringify(space.body)).to.equal(201);
      expectError(await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/activity`, undefined, { token: space.body.adminToken.secret }), 404, 'not_found');
    });
  });
}

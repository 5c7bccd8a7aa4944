import { expect } from 'chai';
import { isMember, type MembershipRecord } from '../../engine/store/audience-store.ts';
import { SPACE_A, SPACE_B, byId, iso, makeAudience, nextVersion, useFreshStore, type MakeStore } from './store-fixtures.ts';

/** A membership record as the store reports it. */
function membership(audienceId: string, profileId: string, byRule: boolean, manual: MembershipRecord['manual'], updatedAt: string, spaceId = SPACE_A): MembershipRecord {
  return { spaceId, audienceId, profileId, byRule, manual, updatedAt };
}

function byAudience(records: MembershipRecord[]): MembershipRecord[] {
  return [...records].sort((a, b) => (a.audienceId < b.audienceId ? -1 : 1));
}

/** AudienceStore: audiences with unique names, rule and manual memberships. */
export function audienceStoreContract(makeStore: MakeStore): void {
  describe('isMember', () => {
    const cases: Array<[boolean, MembershipRecord['manual'], boolean]> = [
      [false, null, false], [true, null, true],
      [false, 'added', true], [true, 'added', true],
      [false, 'removed', false], [true, 'removed', false],
    ];
    for (const [byRule, manual, expected] of cases) {
      it(`byRule ${byRule}, manual ${manual} → ${expected ? 'member' : 'not a member'}`, () => {
        expect(isMember({ byRule, manual })).to.equal(expected);
      });
    }
  });

  describe('audience store', () => {
    const s = useFreshStore(makeStore);

    describe('audiences', () => {
      it('inserts, gets and lists audiences per space', async () => {
        const vip = makeAudience({ name: 'VIP', description: 'Big spenders', rule: [{ path: 'plan', operator: 'equals', value: 'pro' }, { path: 'address.city', operator: 'exists' }] });
        const churn = makeAudience({ name: 'Churn risk' });
        const elsewhere = makeAudience({ spaceId: SPACE_B, name: 'Other' });
        for (const a of [vip, churn, elsewhere]) expect(await s.store.audiences.insert(a)).to.equal('ok');
        expect(await s.store.audiences.get(SPACE_A, vip.id)).to.deep.equal(vip);
        expect(await s.store.audiences.get(SPACE_B, vip.id), 'no reading across spaces').to.equal(null);
        expect(await s.store.audiences.get(SPACE_A, 'no-such-audience')).to.equal(null);
        expect(byId(await s.store.audiences.list(SPACE_A))).to.deep.equal(byId([vip, churn]));
        expect(await s.store.audiences.list(SPACE_B)).to.deep.equal([elsewhere]);
      });

      it('refuses a name taken in the space; the same name in another space is fine', async () => {
        const vip = makeAudience({ name: 'VIP' });
        await s.store.audiences.insert(vip);
        expect(await s.store.audiences.insert(makeAudience({ name: 'VIP' }))).to.equal('conflict');
        expect(await s.store.audiences.insert(makeAudience({ spaceId: SPACE_B, name: 'VIP' }))).to.equal('ok');
        expect(await s.store.audiences.list(SPACE_A)).to.deep.equal([vip]);
      });

      it('updates by compare-and-set on version', async () => {
        const vip = makeAudience({ name: 'VIP' });
        await s.store.audiences.insert(vip);
        const v2 = nextVersion(vip, { description: 'changed', ruleVersion: 2, backfilledAt: iso(3000) });
        expect(await s.store.audiences.update(v2, 1)).to.equal('ok');
        expect(await s.store.audiences.get(SPACE_A, vip.id)).to.deep.equal(v2);
        expect(await s.store.audiences.update(nextVersion(vip, { description: 'stale' }), 1)).to.equal('version_conflict');
        expect(await s.store.audiences.get(SPACE_A, vip.id)).to.deep.equal(v2);
      });

      it('refuses a rename to a name taken in the space and changes nothing', async () => {
        const vip = makeAudience({ name: 'VIP' });
        const churn = makeAudience({ name: 'Churn' });
        await s.store.audiences.insert(vip);
        await s.store.audiences.insert(churn);
        await s.store.audiences.insert(makeAudience({ spaceId: SPACE_B, name: 'Elsewhere' }));
        expect(await s.store.audiences.update(nextVersion(vip, { name: 'Churn', description: 'x' }), 1)).to.equal('conflict');
        expect(await s.store.audiences.get(SPACE_A, vip.id)).to.deep.equal(vip);

        const renamed = nextVersion(vip, { name: 'Elsewhere' });
        expect(await s.store.audiences.update(renamed, 1), 'a name of another space is free').to.equal('ok');
        expect(await s.store.audiences.insert(makeAudience({ name: 'VIP' })), 'the old name is free again').to.equal('ok');
        expect(await s.store.audiences.insert(makeAudience({ name: 'Elsewhere' }))).to.equal('conflict');
      });

      it('deletes an audience with its memberships, only in its own space', async () => {
        const vip = makeAudience({ name: 'VIP' });
        const keep = makeAudience({ name: 'Keep' });
        await s.store.audiences.insert(vip);
        await s.store.audiences.insert(keep);
        await s.store.audiences.setManual(SPACE_A, vip.id, 'p-1', 'added', iso());
        await s.store.audiences.setByRule(SPACE_A, vip.id, 'p-2', true, 1, iso());
        await s.store.audiences.setManual(SPACE_A, keep.id, 'p-1', 'added', iso());

        expect(await s.store.audiences.delete(SPACE_B, vip.id)).to.equal(false);
        expect(await s.store.audiences.get(SPACE_A, vip.id)).to.deep.equal(vip);
        expect(await s.store.audiences.delete(SPACE_A, vip.id)).to.equal(true);
        expect(await s.store.audiences.get(SPACE_A, vip.id)).to.equal(null);
        expect(await s.store.audiences.list(SPACE_A)).to.deep.equal([keep]);
        expect(await s.store.audiences.members(SPACE_A, vip.id, { after: null, limit: 10 })).to.deep.equal([]);
        expect(await s.store.audiences.membershipsOfProfile(SPACE_A, 'p-1')).to.deep.equal([membership(keep.id, 'p-1', false, 'added', iso())]);
        expect(await s.store.audiences.membershipsOfProfile(SPACE_A, 'p-2')).to.deep.equal([]);
        expect(await s.store.audiences.delete(SPACE_A, vip.id), 'second delete').to.equal(false);
      });

      it('lets exactly one of concurrent writers take a name or a version', async () => {
        const results = await Promise.all(Array.from({ length: 4 }, () => s.store.audiences.insert(makeAudience({ name: 'VIP' }))));
        expect(results.filter((r) => r === 'ok'), 'one name taken').to.have.length(1);
        const [vip] = await s.store.audiences.list(SPACE_A);
        const racers = Array.from({ length: 4 }, (_x, i) => nextVersion(vip!, { description: `writer ${i}` }));
        const updates = await Promise.all(racers.map((a) => s.store.audiences.update(a, 1)));
        expect(updates.filter((r) => r === 'ok'), 'one compare-and-set wins').to.have.length(1);
        expect(updates.filter((r) => r !== 'ok').every((r) => r === 'version_conflict')).to.equal(true);
        expect(await s.store.audiences.get(SPACE_A, vip!.id)).to.deep.equal(racers[updates.indexOf('ok')]);
      });
    });

    describe('memberships', () => {
      let audienceId: string;
      beforeEach(async () => {
        const a = makeAudience({ name: 'VIP' });
        await s.store.audiences.insert(a);
        audienceId = a.id;
      });
      const one = async (profileId: string) => (await s.store.audiences.membershipsOfProfile(SPACE_A, profileId))
        .filter((m) => m.audienceId === audienceId);
      const members = () => s.store.audiences.members(SPACE_A, audienceId, { after: null, limit: 100 });

      it('records the rule flag and makes a rule match a member', async () => {
        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', true, 1, iso(1000));
        expect(await one('p-1')).to.deep.equal([membership(audienceId, 'p-1', true, null, iso(1000))]);
        expect(await members()).to.deep.equal(['p-1']);
        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', false, 2, iso(2000));
        expect((await one('p-1')).map((m) => m.byRule)).to.deep.equal([false]);
        expect(await members()).to.deep.equal([]);
      });

      it('lets a manual remove override the rule and a manual add win over it', async () => {
        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', true, 1, iso(1000));
        await s.store.audiences.setManual(SPACE_A, audienceId, 'p-1', 'removed', iso(2000));
        expect(await one('p-1')).to.deep.equal([membership(audienceId, 'p-1', true, 'removed', iso(2000))]);
        expect(await members(), 'removed overrides the rule').to.deep.equal([]);

        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', true, 2, iso(3000));
        expect(await one('p-1'), 'a rule re-evaluation keeps the manual flag').to.deep.equal([membership(audienceId, 'p-1', true, 'removed', iso(3000))]);
        expect(await members()).to.deep.equal([]);

        await s.store.audiences.setManual(SPACE_A, audienceId, 'p-1', 'added', iso(4000));
        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', false, 3, iso(5000));
        expect(await one('p-1')).to.deep.equal([membership(audienceId, 'p-1', false, 'added', iso(5000))]);
        expect(await members(), 'added wins without the rule').to.deep.equal(['p-1']);

        await s.store.audiences.setManual(SPACE_A, audienceId, 'p-1', null, iso(6000));
        expect(await one('p-1'), 'clearing the manual flag keeps the rule flag').to.deep.equal([membership(audienceId, 'p-1', false, null, iso(6000))]);
        expect(await members()).to.deep.equal([]);
      });

      it('creates the record on a manual add of a profile the rule never saw', async () => {
        await s.store.audiences.setManual(SPACE_A, audienceId, 'p-9', 'added', iso(1000));
        expect(await one('p-9')).to.deep.equal([membership(audienceId, 'p-9', false, 'added', iso(1000))]);
        expect(await members()).to.deep.equal(['p-9']);
      });

      it('ignores setByRule computed from an older profile version than the stored one', async () => {
        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', true, 5, iso(1000));
        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', false, 3, iso(2000));
        expect(await one('p-1')).to.deep.equal([membership(audienceId, 'p-1', true, null, iso(1000))]);
        expect(await members()).to.deep.equal(['p-1']);
        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', false, 6, iso(3000));
        expect(await one('p-1')).to.deep.equal([membership(audienceId, 'p-1', false, null, iso(3000))]);
        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', true, 4, iso(4000));
        expect(await members(), 'a slow backfill cannot undo a fresher evaluation').to.deep.equal([]);
      });

      it('lists a profile\'s membership records in every audience of its space, members or not', async () => {
        const other = makeAudience({ name: 'Other' });
        await s.store.audiences.insert(other);
        const foreign = makeAudience({ spaceId: SPACE_B, name: 'VIP' });
        await s.store.audiences.insert(foreign);
        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', true, 1, iso(1000));
        await s.store.audiences.setManual(SPACE_A, other.id, 'p-1', 'removed', iso(2000));
        await s.store.audiences.setManual(SPACE_A, audienceId, 'p-2', 'added', iso(3000));
        await s.store.audiences.setManual(SPACE_B, foreign.id, 'p-1', 'added', iso(4000));
        expect(byAudience(await s.store.audiences.membershipsOfProfile(SPACE_A, 'p-1'))).to.deep.equal(byAudience([
          membership(audienceId, 'p-1', true, null, iso(1000)),
          membership(other.id, 'p-1', false, 'removed', iso(2000)),
        ]));
        expect(await s.store.audiences.membershipsOfProfile(SPACE_B, 'p-1')).to.deep.equal([membership(foreign.id, 'p-1', false, 'added', iso(4000), SPACE_B)]);
        expect(await s.store.audiences.membershipsOfProfile(SPACE_A, 'p-none')).to.deep.equal([]);
      });

      it('pages members in profile id order, members only, this audience only', async () => {
        const other = makeAudience({ name: 'Other' });
        await s.store.audiences.insert(other);
        const ids = ['p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6', 'p-7'];
        for (const id of [...ids].reverse()) await s.store.audiences.setByRule(SPACE_A, audienceId, id, true, 1, iso());
        await s.store.audiences.setManual(SPACE_A, audienceId, 'p-3', 'removed', iso());
        await s.store.audiences.setByRule(SPACE_A, audienceId, 'p-6', false, 2, iso());
        await s.store.audiences.setManual(SPACE_A, audienceId, 'p-8', 'added', iso());
        await s.store.audiences.setManual(SPACE_A, other.id, 'p-0', 'added', iso());
        await s.store.audiences.setManual(SPACE_A, other.id, 'p-45', 'added', iso());

        const page = (after: string | null) => s.store.audiences.members(SPACE_A, audienceId, { after, limit: 2 });
        expect(await page(null)).to.deep.equal(['p-1', 'p-2']);
        expect(await page('p-2')).to.deep.equal(['p-4', 'p-5']);
        expect(await page('p-5')).to.deep.equal(['p-7', 'p-8']);
        expect(await page('p-8')).to.deep.equal([]);
        expect(await page('p-45'), 'the cursor need not be a member').to.deep.equal(['p-5', 'p-7']);
        expect(await s.store.audiences.members(SPACE_B, audienceId, { after: null, limit: 10 })).to.deep.equal([]);
      });

      it('keeps the newest profile version\'s rule flag whatever order concurrent setByRule calls land in', async () => {
        await s.store.audiences.setManual(SPACE_A, audienceId, 'p-1', null, iso());
        const versions = [3, 6, 1, 5, 2, 4];
        await Promise.all(versions.map((v) => s.store.audiences.setByRule(SPACE_A, audienceId, 'p-1', v !== 6, v, iso(v * 1000))));
        expect(await one('p-1')).to.deep.equal([membership(audienceId, 'p-1', false, null, iso(6000))]);
        expect(await members()).to.deep.equal([]);
      });
    });
  });
}

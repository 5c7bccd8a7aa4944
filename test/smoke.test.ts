import { expect } from 'chai';
describe('smoke', () => { it('runs TS on node 24', () => { expect(process.versions.node.split('.')[0]).to.equal('24'); }); });

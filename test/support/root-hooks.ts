/**
 * Mocha root hooks (loaded through .mocharc.json `require`). nock starts intercepting every
 * HTTP request of the process as soon as any test file imports it; tests that do not use it
 * (ingest with gzip bodies, engines talking to local servers) must see the real network stack,
 * so it is off until a block turns it on (test/destinations/support/use-nock.ts).
 */
import nock from 'nock';

export const mochaHooks = {
  beforeAll(): void {
    nock.restore();
  },
};

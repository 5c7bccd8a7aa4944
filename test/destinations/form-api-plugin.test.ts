import { expect } from 'chai';
import nock from 'nock';
import { formApiDefinition } from '../../destinations/builtin/form-api/form-api-destination.ts';
import { testDestination } from '../../destinations/testing.ts';
import { capture, useNock } from './support/use-nock.ts';

describe('built-in form-api plugin', () => {
  useNock();
  const formApi = testDestination(formApiDefinition);
  const settings = { baseUrl: 'https://forms.example.com/v1/', apiToken: 'tok-123' };

  it('POSTs the mapped fields form-encoded with the Bearer token', async () => {
    const seen = capture(nock('https://forms.example.com').post('/v1/submissions').reply(201, { id: 's1' }));
    const [sent] = await formApi.action('submit', {
      event: { messageId: 'm-1', properties: { email: 'ada@example.com', plan: 'pro', tags: ['a', 'b'] }, context: { traits: { name: 'Ada' } } },
      settings,
    });
    expect(sent!.status).to.equal(201);
    expect(seen[0]!.headers.get('authorization')).to.equal('Bearer tok-123');
    expect(seen[0]!.headers.get('content-type')).to.equal('application/x-www-form-urlencoded');
    const form = new URLSearchParams(seen[0]!.body);
    expect(form.get('email')).to.equal('ada@example.com');
    expect(form.get('name')).to.equal('Ada');
    expect(form.get('submission_id')).to.equal('m-1');
    expect(form.get('fields[plan]')).to.equal('pro');
    expect(form.get('fields[tags]')).to.equal('["a","b"]');
  });

  it('falls back to the email trait when the event has none', async () => {
    const seen = capture(nock('https://forms.example.com').post('/v1/submissions').reply(200));
    await formApi.action('submit', { event: { properties: {}, context: { traits: { email: 'grace@example.com' } } }, settings });
    expect(new URLSearchParams(seen[0]!.body).get('email')).to.equal('grace@example.com');
  });

  it('testAuthentication succeeds when the check URL answers 2xx with the token', async () => {
    const seen = capture(nock('https://auth.example.com').get('/whoami').reply(200, { user: 'svc' }));
    const result = await formApi.testAuthentication({ ...settings, authTestUrl: 'https://auth.example.com/whoami' });
    expect(result).to.deep.equal({ ok: true });
    expect(seen[0]!.headers.get('authorization')).to.equal('Bearer tok-123');
  });

  it('testAuthentication defaults to <base URL>/me and reports a 401 with its status', async () => {
    nock('https://forms.example.com').get('/v1/me').reply(401, { error: 'bad token' });
    const result = await formApi.testAuthentication(settings);
    expect(result.ok).to.equal(false);
    expect(result.status).to.equal(401);
  });
});

import { expect } from 'chai';
import { FunctionSandbox } from '../../functions-runtime/function-sandbox.ts';
import type { HostFetchRequest } from '../../functions-runtime/host-fetch-types.ts';
import { recordingFetch } from './recording-fetch.ts';

// A destination function written the way Segment's public examples are: top-level async
// handlers, fetch with a JSON body, basic auth through btoa, Segment's error types, onBatch.
const CRM_FUNCTION = `
/**
 * Forwards Segment events to a CRM's REST API.
 * @param {SpecTrack} event
 * @param {FunctionSettings} settings
 */
async function onTrack(event, settings) {
  const endpoint = new URL('/v1/activities', settings.apiBaseUrl);
  endpoint.searchParams.set('source', 'segment');
  let response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        Authorization: \`Basic \${btoa(settings.apiKey + ':')}\`,
        'Content-Type': 'application/json'
      },
      body: JSON.stringify({ activity: event.event, user: event.userId, total: _.get(event, 'properties.total', 0) })
    });
  } catch (error) {
    // Network errors are worth another try.
    throw new RetryError(error.message);
  }
  if (response.status >= 500 || response.status === 429) {
    throw new RetryError(\`Failed with \${response.status}\`);
  }
  const body = await response.json();
  console.log('created activity', body.id);
  return body;
}

async function onIdentify(event, settings) {
  if (!event.traits || !event.traits.email) {
    throw new InvalidEventPayload('email is required');
  }
  const response = await fetch(settings.apiBaseUrl + '/v1/contacts', {
    method: 'PUT',
    headers: { Authorization: 'Basic ' + btoa(settings.apiKey + ':'), 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: event.traits.email, name: event.traits.name })
  });
  if (!response.ok) throw new ValidationError(\`contact rejected: \${response.status}\`);
}

async function onBatch(events, settings) {
  const response = await fetch(settings.apiBaseUrl + '/v1/bulk', {
    method: 'POST',
    headers: { Authorization: 'Basic ' + btoa(settings.apiKey + ':'), 'Content-Type': 'application/json' },
    body: JSON.stringify(events.map((e) => ({ type: e.type, id: e.messageId })))
  });
  if (response.status >= 500) throw new RetryError('bulk endpoint unavailable');
  return events.map(() => ({ status: response.status }));
}

async function onDelete(event, settings) {
  throw new EventNotSupported('delete is not supported');
}
`;

describe('FunctionSandbox: a function written like Segment\'s examples runs unchanged', () => {
  let sandbox: FunctionSandbox;
  let fetch: ReturnType<typeof recordingFetch>;
  let answer: (request: HostFetchRequest) => { status?: number; body?: string };
  const settings = { apiBaseUrl: 'https://crm.example.com', apiKey: 'key_123' };
  const basic = `Basic ${Buffer.from('key_123:').toString('base64')}`;

  beforeEach(() => {
    answer = () => ({ status: 201, body: '{"id":"act_1"}' });
    fetch = recordingFetch((request) => answer(request));
    sandbox = new FunctionSandbox({ fetch });
  });
  afterEach(() => sandbox.dispose());

  it('onTrack posts to the API with basic auth and a JSON body', async () => {
    const event = { type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'm1', properties: { total: 99.5 } };
    const result = await sandbox.invoke({ key: 'crm@1', code: CRM_FUNCTION, handler: 'onTrack', payload: event, settings });
    expect(result).to.deep.include({ ok: true, value: { id: 'act_1' } });
    expect(result.logs.map((l) => l.message)).to.deep.equal(['created activity act_1']);
    expect(fetch.requests).to.deep.equal([{
      url: 'https://crm.example.com/v1/activities?source=segment',
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ activity: 'Order Completed', user: 'u1', total: 99.5 }),
    }]);
  });

  it('a 503 becomes RetryError, a thrown fetch error too', async () => {
    answer = () => ({ status: 503, body: 'down' });
    const unavailable = await sandbox.invoke({ key: 'crm@1', code: CRM_FUNCTION, handler: 'onTrack', payload: { event: 'X' }, settings });
    expect(unavailable).to.deep.include({ ok: false, error: { name: 'RetryError', message: 'Failed with 503' } });
    answer = () => { throw new Error('socket hang up'); };
    const network = await sandbox.invoke({ key: 'crm@1', code: CRM_FUNCTION, handler: 'onTrack', payload: { event: 'X' }, settings });
    expect(network).to.deep.include({ ok: false, error: { name: 'RetryError', message: 'socket hang up' } });
  });

  it('onIdentify validates its payload and PUTs the contact', async () => {
    const invalid = await sandbox.invoke({ key: 'crm@1', code: CRM_FUNCTION, handler: 'onIdentify', payload: { type: 'identify', traits: {} }, settings });
    expect(invalid).to.deep.include({ ok: false, error: { name: 'InvalidEventPayload', message: 'email is required' } });
    const valid = await sandbox.invoke({ key: 'crm@1', code: CRM_FUNCTION, handler: 'onIdentify', payload: { type: 'identify', traits: { email: 'a@example.com', name: 'A' } }, settings });
    expect(valid).to.deep.include({ ok: true, value: undefined });
    expect(fetch.requests.at(-1)).to.include({ method: 'PUT', url: 'https://crm.example.com/v1/contacts' });
  });

  it('onBatch sends every event in one request', async () => {
    const events = [{ type: 'track', messageId: 'm1' }, { type: 'identify', messageId: 'm2' }];
    const result = await sandbox.invoke({ key: 'crm@1', code: CRM_FUNCTION, handler: 'onBatch', payload: events, settings });
    expect(result).to.deep.include({ ok: true, value: [{ status: 201 }, { status: 201 }] });
    expect(JSON.parse(fetch.requests[0]!.body!)).to.deep.equal([{ type: 'track', id: 'm1' }, { type: 'identify', id: 'm2' }]);
  });

  it('onDelete throws EventNotSupported and an undefined handler answers the same', async () => {
    const deleted = await sandbox.invoke({ key: 'crm@1', code: CRM_FUNCTION, handler: 'onDelete', payload: { type: 'delete' }, settings });
    expect(deleted).to.deep.include({ ok: false, error: { name: 'EventNotSupported', message: 'delete is not supported' } });
    const page = await sandbox.invoke({ key: 'crm@1', code: CRM_FUNCTION, handler: 'onPage', payload: { type: 'page' }, settings });
    expect(page.ok === false && page.error.name).to.equal('EventNotSupported');
  });
});

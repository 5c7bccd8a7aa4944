/**
 * Publishing copies destination actions' field defaults into send mappings again, as saving a
 * draft does: actions-core does not apply defaults when it runs an action, so a field an action
 * gained after the draft was saved (a plugin upgrade) must reach the frozen version's mapping.
 */
import { expect } from 'chai';
import { openSqliteStorage } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { JourneyService } from '../../engine/journeys/journey-service.ts';
import type { DestinationActions } from '../../engine/journeys/send-targets.ts';
import type { InputField } from '../../destinations/actions-core.ts';
import type { JourneyDefinition } from '../../engine/journeys/definition/journey-definition.ts';
import type { Store } from '../../engine/store/store.ts';

const URL_FIELD: InputField = { label: 'URL', type: 'string', required: true, description: 'Where to send' };
const METHOD_FIELD: InputField = { label: 'Method', type: 'string', required: true, description: 'HTTP method', default: 'POST' };

const journey: JourneyDefinition = {
  name: 'Forward signups', entry: { event: 'Signed Up' }, start: 'forward',
  steps: [
    { id: 'forward', type: 'send', eventName: 'Signup Forwarded', next: 'done',
      target: { type: 'destination', destinationId: 'dst_1', action: 'post' }, mapping: { url: 'https://example.com/hook' } },
    { id: 'done', type: 'exit' },
  ],
};

describe('publishing applies send defaults', () => {
  let store: Store;
  let close: () => Promise<void>;
  /** The action's fields as the plugin defines them now: the test upgrades the plugin between save and publish. */
  let fields: Record<string, InputField>;
  let service: JourneyService;

  beforeEach(async () => {
    const storage = openSqliteStorage({ dataDir: ':memory:' });
    store = storage.store;
    close = () => storage.store.close();
    await store.spaces.createSpace({ id: 's1', name: 'S', createdAt: new Date().toISOString() });
    const at = new Date().toISOString();
    await store.catalog.record([{ spaceId: 's1', name: 'Signed Up', propertyKeys: [], firstSeenAt: at, lastSeenAt: at }]);
    fields = { url: URL_FIELD };
    const destinationActions: DestinationActions = async (id) => (id === 'dst_1' ? { name: 'Hook', actions: { post: fields } } : null);
    service = new JourneyService({
      store, onChange: () => {}, exitVersion: async () => {},
      destinationActions: () => destinationActions, functionState: () => async () => null,
    });
  });
  afterEach(async () => {
    await close();
  });

  it('a field with a default that the action gained after the draft was saved is in the published mapping', async () => {
    const created = await service.create('s1', journey);
    const forward = (doc: JourneyDefinition | null) => doc!.steps.find((s) => s.id === 'forward') as { mapping?: Record<string, unknown> };
    expect(forward(created.draft).mapping).to.deep.equal({ url: 'https://example.com/hook' });

    fields = { url: URL_FIELD, method: METHOD_FIELD };
    await service.publish('s1', created.id, { previousVersion: 'drain' });
    const version = await store.journeys.getVersion('s1', created.id, 1);
    expect(forward(version!.definition).mapping).to.deep.equal({ url: 'https://example.com/hook', method: 'POST' });
  });

  it('a value the draft sets is kept over the default', async () => {
    const created = await service.create('s1', {
      ...journey,
      steps: journey.steps.map((s) => (s.id === 'forward' ? { ...s, mapping: { url: 'https://example.com/hook', method: 'PUT' } } : s)),
    } as JourneyDefinition);
    fields = { url: URL_FIELD, method: METHOD_FIELD };
    await service.publish('s1', created.id, { previousVersion: 'drain' });
    const version = await store.journeys.getVersion('s1', created.id, 1);
    const forward = version!.definition.steps.find((s) => s.id === 'forward') as { mapping?: Record<string, unknown> };
    expect(forward.mapping).to.deep.equal({ url: 'https://example.com/hook', method: 'PUT' });
  });
});

/**
 * The built-in Webhook plugin (slug `webhook`): JSON to any URL, signed with HMAC-SHA256 when a
 * shared secret is set, one event per request or in batches with per-item results.
 */
import { defaultValues } from '../../actions-core.ts';
import type { DestinationDefinition } from '../../actions-core.ts';
import type { PluginModule } from '../../plugin.ts';
import { sendAction, type WebhookSettings } from './send-action.ts';

/** The webhook's DestinationDefinition. */
export const webhookDefinition: DestinationDefinition<WebhookSettings> = {
  name: 'Webhook',
  slug: 'webhook',
  mode: 'cloud',
  description: 'Send events as JSON to any HTTP endpoint, optionally signed (HMAC-SHA256) and batched.',
  authentication: {
    scheme: 'custom',
    fields: {
      sharedSecret: {
        label: 'Shared secret',
        description: 'When set, each request carries "X-Signature: sha256=<hex HMAC-SHA256 of the body>".',
        type: 'password',
      },
    },
  },
  presets: [
    { name: 'Send track events', subscribe: 'type = "track"', partnerAction: 'send', mapping: defaultValues(sendAction.fields), type: 'automatic' },
  ],
  actions: { send: sendAction },
};

/** The webhook as a registrable plugin. */
export const webhookPlugin: PluginModule = { slug: 'webhook', version: '1.0.0', definition: webhookDefinition };

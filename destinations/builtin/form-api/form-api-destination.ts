/**
 * The built-in Form API plugin (slug `form-api`): a token-authenticated API taking
 * application/x-www-form-urlencoded bodies. It shows the other common shape next to the webhook:
 * credentials in settings, an `extendRequest` that adds them to every request, and a
 * `testAuthentication` that checks them against a configurable URL.
 */
import { defaultValues } from '../../actions-core.ts';
import type { DestinationDefinition } from '../../actions-core.ts';
import type { PluginModule } from '../../plugin.ts';
import { joinUrl, submitAction, type FormApiSettings } from './submit-action.ts';

/** The form API's DestinationDefinition. */
export const formApiDefinition: DestinationDefinition<FormApiSettings> = {
  name: 'Form API',
  slug: 'form-api',
  mode: 'cloud',
  description: 'Submit events form-encoded to a Bearer-token API.',
  authentication: {
    scheme: 'custom',
    fields: {
      baseUrl: { label: 'Base URL', description: 'The API root, e.g. https://forms.example.com/v1.', type: 'string', format: 'uri', required: true },
      apiToken: { label: 'API token', description: 'Sent as "Authorization: Bearer <token>".', type: 'password', required: true },
      authTestUrl: {
        label: 'Credentials check URL',
        description: 'GET here with the token must answer 2xx for the credentials to be valid. Default: <base URL>/me.',
        type: 'string', format: 'uri',
      },
    },
    testAuthentication: (request, { settings }) => request(settings.authTestUrl || joinUrl(settings.baseUrl, '/me'), { method: 'GET' }),
  },
  extendRequest: ({ settings }) => ({ headers: { Authorization: `Bearer ${settings.apiToken}` } }),
  presets: [
    { name: 'Submit track events', subscribe: 'type = "track"', partnerAction: 'submit', mapping: defaultValues(submitAction.fields), type: 'automatic' },
  ],
  actions: { submit: submitAction },
};

/** The form API as a registrable plugin. */
export const formApiPlugin: PluginModule = { slug: 'form-api', version: '1.0.0', definition: formApiDefinition };

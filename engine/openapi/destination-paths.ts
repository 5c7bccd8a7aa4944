import type { PluginSource } from '../../destinations/plugin.ts';
import { SECRET_MARKER } from '../../destinations/settings.ts';
import { DEFAULT_DELIVERY_OPTIONS, DELIVERY_OPTION_RANGES } from '../destination-instances/destination-input.ts';
import type { DeliveryOptions } from '../store/destination-store.ts';
import {
  arrayOf, everyMember, json, jsonBody, name200, noContent, object, op, pathParam, schemaRef, str, timestamp, type ApiArea, type Schema,
} from './operation-parts.ts';

const TAG = 'Destinations';

const PLUGIN_SOURCES = everyMember<PluginSource>()(['builtin', 'local', 'catalog']);

const deliveryOptionKeys = Object.keys(DELIVERY_OPTION_RANGES) as Array<keyof DeliveryOptions>;

/** The delivery options as integers in their ranges; `withDefaults` adds the defaults. */
function deliveryOptions(withDefaults: boolean): Record<string, Schema> {
  return Object.fromEntries(deliveryOptionKeys.map((key) => {
    const [minimum, maximum] = DELIVERY_OPTION_RANGES[key];
    return [key, { type: 'integer', minimum, maximum, ...(withDefaults ? { default: DEFAULT_DELIVERY_OPTIONS[key] } : {}) }];
  }));
}

const settings: Schema = {
  type: 'object',
  description: `Settings of the plugin (its \`settings.fields\`). Secret fields read back as "${SECRET_MARKER}"; `
    + 'sending the marker (or leaving the field out) on update keeps the stored value.',
};

const schemas: Record<string, Schema> = {
  FieldSummary: object({
    key: str(),
    label: str(),
    description: str(),
    type: str(),
    required: { type: 'boolean' },
    requiredWhen: { description: 'Conditions under which the field is required (actions-core DependsOnConditions).' },
    multiple: { type: 'boolean' },
    allowNull: { type: 'boolean' },
    format: str(),
    default: {},
    choices: arrayOf(object({ value: { anyOf: [{ type: 'string' }, { type: 'number' }] }, label: str() })),
    secret: { type: 'boolean', description: 'Settings only: the API never returns its value.' },
    properties: arrayOf(schemaRef('FieldSummary'), 'Sub-fields of an object field.'),
  }, { optional: ['requiredWhen', 'format', 'default', 'choices', 'secret', 'properties'] }),
  PluginSummary: object({
    slug: str(),
    name: str(),
    description: str(),
    source: { type: 'string', enum: PLUGIN_SOURCES },
    version: str(),
    loaded: { type: 'boolean', description: 'False for a catalog plugin not loaded yet: then only slug, name and source are known.' },
    verified: { type: 'boolean' },
    settings: object({ scheme: str(), fields: arrayOf(schemaRef('FieldSummary')) }),
    actions: arrayOf(object({
      slug: str(),
      title: str(),
      description: str(),
      defaultSubscription: str(),
      supportsBatch: { type: 'boolean' },
      fields: arrayOf(schemaRef('FieldSummary')),
    }, { optional: ['defaultSubscription'] })),
    presets: arrayOf(object({
      name: str(), partnerAction: str(), subscribe: str(), mapping: { type: 'object' }, type: str(),
    }, { optional: ['name', 'subscribe', 'mapping'] })),
  }, { optional: ['description', 'version', 'verified', 'settings', 'actions', 'presets'] }),
  DeliveryOptions: { ...object(deliveryOptions(false)), description: 'How the dispatcher treats this destination’s deliveries.' },
  Destination: object({
    id: str(),
    name: str(),
    plugin: str({ description: 'Plugin slug.' }),
    settings,
    enabled: { type: 'boolean' },
    delivery: schemaRef('DeliveryOptions'),
    createdAt: timestamp,
    updatedAt: timestamp,
    version: { type: 'integer' },
  }, { description: 'A destination configured in the space.' }),
  DestinationInput: {
    ...object({
      plugin: str({ minLength: 1, description: 'A plugin slug (GET /api/v1/destination-plugins).' }),
      name: name200,
      settings,
      enabled: { type: 'boolean', default: true },
      delivery: {
        type: 'object', additionalProperties: false, properties: deliveryOptions(true),
        description: 'Options left out take their defaults.',
      },
    }, { optional: ['settings', 'enabled', 'delivery'] }),
    additionalProperties: false,
  },
  AuthenticationResult: object({
    ok: { type: 'boolean' },
    status: { type: 'integer', description: 'HTTP status of the failed check, when it was an HTTP error.' },
    message: str(),
  }, { optional: ['status', 'message'] }),
};

const destinationId = pathParam('id', 'A destination id.');
const destinationResponse = (status: string) => ({ [status]: json('The destination.', object({ destination: schemaRef('Destination') })) });

/** Destination plugins and the destinations configured from them. */
export const destinationArea: ApiArea = {
  tag: { name: TAG, description: 'Plugins (webhook, form API, local and Segment catalog destinations) and configured destinations.' },
  schemas,
  paths: {
    '/api/v1/destination-plugins': {
      get: op(TAG, {
        id: 'listDestinationPlugins', summary: 'Every plugin that can be configured', auth: 'admin',
        responses: { 200: json('The plugins (catalog ones not loaded yet by name only).', object({ plugins: arrayOf(schemaRef('PluginSummary')) })) },
      }),
    },
    '/api/v1/destination-plugins/{slug}': {
      get: op(TAG, {
        id: 'getDestinationPlugin', summary: 'A plugin with its settings and actions', auth: 'admin',
        params: [pathParam('slug', 'A plugin slug.')],
        responses: { 200: json('The plugin (a catalog plugin is loaded).', object({ plugin: schemaRef('PluginSummary') })) },
        errors: [400, 404],
      }),
    },
    '/api/v1/destinations': {
      post: op(TAG, {
        id: 'createDestination', summary: 'Configure a destination', auth: 'admin',
        body: jsonBody(schemaRef('DestinationInput')),
        responses: destinationResponse('201'),
        errors: [409],
      }),
      get: op(TAG, {
        id: 'listDestinations', summary: 'List destinations', auth: 'admin',
        responses: { 200: json('The destinations.', object({ destinations: arrayOf(schemaRef('Destination')) })) },
      }),
    },
    '/api/v1/destinations/{id}': {
      get: op(TAG, {
        id: 'getDestination', summary: 'A destination', auth: 'admin', params: [destinationId],
        responses: destinationResponse('200'),
        errors: [404],
      }),
      put: op(TAG, {
        id: 'updateDestination', summary: 'Replace a destination', auth: 'admin', params: [destinationId],
        description: 'A change of `plugin` is refused (409 destination_in_use, listing the journeys) while send steps target it.',
        body: jsonBody(schemaRef('DestinationInput')),
        responses: destinationResponse('200'),
        errors: [404, 409],
      }),
      delete: op(TAG, {
        id: 'deleteDestination', summary: 'Delete a destination no journey sends to', auth: 'admin', params: [destinationId],
        description: 'Refused (409 destination_in_use, listing the journeys) while send steps target it.',
        responses: { 204: noContent },
        errors: [404, 409],
      }),
    },
    '/api/v1/destinations/{id}/test-authentication': {
      post: op(TAG, {
        id: 'testDestinationAuthentication', summary: "Run the plugin's credentials check with the stored settings", auth: 'admin',
        params: [destinationId],
        responses: { 200: json('Whether the destination accepted the credentials.', schemaRef('AuthenticationResult')) },
        errors: [404],
      }),
    },
  },
};

import { MAX_FUNCTION_CODE_BYTES } from '../functions/function-input.ts';
import type { FunctionHandler } from '../functions/function-runner.ts';
import type { FunctionSettingSpec } from '../store/function-store.ts';
import {
  arrayOf, everyMember, json, jsonBody, name200, noContent, nullable, object, op, pathParam, schemaRef, str, timestamp,
  type ApiArea, type Schema,
} from './operation-parts.ts';

const TAG = 'Functions';

const SETTING_TYPES = everyMember<FunctionSettingSpec['type']>()(['string', 'number', 'boolean', 'array', 'map']);
const HANDLERS = everyMember<FunctionHandler>()(['onTrack', 'onIdentify', 'onPage', 'onScreen', 'onGroup', 'onAlias', 'onDelete', 'onBatch']);

const settingSpec: Schema = {
  ...object({
    name: str({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$', description: 'An identifier, unique among the settings.' }),
    label: str(),
    description: str(),
    type: { type: 'string', enum: SETTING_TYPES },
    required: { type: 'boolean' },
    secret: { type: 'boolean', description: 'Never returned by the API once set.' },
  }, { optional: ['label', 'description', 'required', 'secret'] }),
  additionalProperties: false,
};

const settings: Schema = { type: 'object', description: 'Setting values; secret ones read back as a marker, and sending the marker back keeps them.' };

const int: Schema = { type: 'integer' };

const schemas: Record<string, Schema> = {
  FunctionSettingSpec: settingSpec,
  DestinationFunction: object({
    id: str(),
    name: str(),
    description: nullable(str()),
    settingsSchema: arrayOf(schemaRef('FunctionSettingSpec')),
    settings,
    latestVersion: { ...int, description: 'The newest saved version (every save is one).' },
    deployedVersion: { ...nullable(int), description: 'What deliveries run; null until deployed.' },
    createdAt: timestamp,
    updatedAt: timestamp,
    code: str({ description: "The newest version's source (not in listings)." }),
  }, { optional: ['code'], description: 'A destination function: Segment-style JavaScript run in a sandbox.' }),
  FunctionInput: {
    ...object({
      name: name200,
      description: nullable(str()),
      code: str({ minLength: 1, pattern: '\\S', description: `The function source (at most ${MAX_FUNCTION_CODE_BYTES} bytes); it must compile.` }),
      settingsSchema: arrayOf(schemaRef('FunctionSettingSpec')),
      settings,
    }, { optional: ['description', 'settingsSchema', 'settings'] }),
    additionalProperties: false,
  },
  FunctionTestInput: {
    type: 'object',
    additionalProperties: false,
    properties: {
      event: { type: 'object', description: 'A Segment message: its type picks the handler (onTrack…).' },
      events: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'object' }, description: 'Messages for onBatch.' },
      settings: { type: 'object', description: 'Settings to use instead of (merged over) the stored ones.' },
      version: { type: 'integer', minimum: 1, description: 'The version to run (default: the newest).' },
    },
    oneOf: [{ required: ['event'] }, { required: ['events'] }],
  },
  FunctionTestResult: {
    ...object({
      ok: { type: 'boolean' },
      value: { description: 'What the handler returned (ok only).' },
      error: object({ name: str(), message: str() }, { description: 'What the handler threw (not ok only).' }),
      logs: arrayOf(object({ level: str(), message: str(), at: { anyOf: [{ type: 'string' }, { type: 'number' }] } }, { optional: ['at'] })),
      requests: arrayOf(object({
        method: str(), url: str(), status: nullable(int), durationMs: { type: 'number' }, error: str(),
      }, { optional: ['error'] })),
      timing: object({ totalMs: { type: 'number' }, coldStart: { type: 'boolean' } }),
      handler: { type: 'string', enum: HANDLERS },
      version: int,
    }, { optional: ['value', 'error'] }),
    description: 'One run of the function: its result or error, logs, outgoing requests and timing.',
  },
};

const functionId = pathParam('id', 'A function id.');
const functionResponse = (status: string, description: string) => ({
  [status]: json(description, object({ function: schemaRef('DestinationFunction') })),
});

/** Destination functions: versioned code, deploys and test runs. */
export const functionArea: ApiArea = {
  tag: { name: TAG, description: 'Destination functions: every save is a version; one version is deployed for deliveries.' },
  schemas,
  paths: {
    '/api/v1/functions': {
      post: op(TAG, {
        id: 'createFunction', summary: 'Create a function (version 1, not deployed)', auth: 'admin',
        body: jsonBody(schemaRef('FunctionInput')),
        responses: functionResponse('201', 'The function.'),
        errors: [409],
      }),
      get: op(TAG, {
        id: 'listFunctions', summary: 'List functions (without code)', auth: 'admin',
        responses: { 200: json('The functions.', object({ functions: arrayOf(schemaRef('DestinationFunction')) })) },
      }),
    },
    '/api/v1/functions/{id}': {
      get: op(TAG, {
        id: 'getFunction', summary: 'A function with its newest code', auth: 'admin', params: [functionId],
        responses: functionResponse('200', 'The function.'),
        errors: [404],
      }),
      put: op(TAG, {
        id: 'updateFunction', summary: 'Save a new version (the deployed version does not change)', auth: 'admin', params: [functionId],
        body: jsonBody(schemaRef('FunctionInput')),
        responses: functionResponse('200', 'The function.'),
        errors: [404, 409],
      }),
      delete: op(TAG, {
        id: 'deleteFunction', summary: 'Delete a function no journey sends to', auth: 'admin', params: [functionId],
        description: 'Refused (409 function_in_use, listing the journeys) while send steps target it.',
        responses: { 204: noContent },
        errors: [404, 409],
      }),
    },
    '/api/v1/functions/{id}/versions': {
      get: op(TAG, {
        id: 'listFunctionVersions', summary: 'Saved versions, newest first', auth: 'admin', params: [functionId],
        responses: { 200: json('The versions (without code).', object({ versions: arrayOf(object({ version: int, createdAt: timestamp })) })) },
        errors: [404],
      }),
    },
    '/api/v1/functions/{id}/deploy': {
      post: op(TAG, {
        id: 'deployFunction', summary: 'Make a version the one deliveries run', auth: 'admin', params: [functionId],
        body: jsonBody({
          type: 'object',
          properties: { version: { type: 'integer', minimum: 1, description: 'The version to deploy (default: the newest).' } },
          additionalProperties: false,
        }, { required: false }),
        responses: functionResponse('200', 'The function.'),
        errors: [404, 409],
      }),
    },
    '/api/v1/functions/{id}/test': {
      post: op(TAG, {
        id: 'testFunction', summary: 'Run a version on a sample event (or events for onBatch)', auth: 'admin', params: [functionId],
        body: jsonBody(schemaRef('FunctionTestInput')),
        responses: { 200: json('The run.', schemaRef('FunctionTestResult')) },
        errors: [404],
      }),
    },
  },
};

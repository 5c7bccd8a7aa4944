/*
 * The essentials of the OpenAPI 3.1 meta-schema, as a JSON Schema 2020-12 for ajv: the object
 * structure, required fields, allowed keys (plus `x-` extensions), response status keys, path
 * parameters being required, and the security scheme kinds. Schema objects themselves are
 * checked by compiling them (see openapi-document.test.ts), not here.
 */

const extensions = { '^x-': {} };

const closed = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  required,
  properties,
  patternProperties: extensions,
  additionalProperties: false,
});

const componentName = { pattern: '^[a-zA-Z0-9._-]+$' };
const text = { type: 'string' };
const schemaObject = { type: ['object', 'boolean'] };
const reference = {
  type: 'object', required: ['$ref'], additionalProperties: false,
  properties: { $ref: { type: 'string', pattern: '^#/' }, summary: text, description: text },
};
const orRef = (ref: string) => ({ anyOf: [{ $ref: '#/$defs/reference' }, { $ref: `#/$defs/${ref}` }] });
const mapOf = (value: unknown) => ({ type: 'object', propertyNames: componentName, additionalProperties: value });

/** The essentials of the OpenAPI 3.1 document schema. */
export const openApi31Essentials = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $defs: {
    reference,
    mediaType: closed({ schema: schemaObject, example: {}, examples: { type: 'object' }, encoding: { type: 'object' } }),
    content: { type: 'object', propertyNames: { pattern: '^[\\w.+-]+/[\\w.+*-]+$' }, additionalProperties: { $ref: '#/$defs/mediaType' } },
    parameter: {
      ...closed({
        name: { type: 'string', minLength: 1 },
        in: { enum: ['query', 'header', 'path', 'cookie'] },
        description: text,
        required: { type: 'boolean' },
        deprecated: { type: 'boolean' },
        allowEmptyValue: { type: 'boolean' },
        style: text,
        explode: { type: 'boolean' },
        schema: schemaObject,
        content: { $ref: '#/$defs/content' },
      }, ['name', 'in']),
      oneOf: [{ required: ['schema'] }, { required: ['content'] }],
      if: { properties: { in: { const: 'path' } } },
      then: { required: ['required'], properties: { required: { const: true } } },
    },
    header: closed({ description: text, required: { type: 'boolean' }, schema: schemaObject, content: { $ref: '#/$defs/content' } }),
    requestBody: closed({ description: text, content: { $ref: '#/$defs/content' }, required: { type: 'boolean' } }, ['content']),
    response: closed({
      description: text,
      headers: mapOf(orRef('header')),
      content: { $ref: '#/$defs/content' },
      links: { type: 'object' },
    }, ['description']),
    securityRequirement: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array', items: text } } },
    operation: closed({
      tags: { type: 'array', items: text },
      summary: text,
      description: text,
      operationId: text,
      parameters: { type: 'array', items: orRef('parameter') },
      requestBody: orRef('requestBody'),
      responses: {
        type: 'object', minProperties: 1,
        propertyNames: { pattern: '^(?:[1-5](?:\\d\\d|XX)|default)$' },
        additionalProperties: orRef('response'),
      },
      callbacks: { type: 'object' },
      deprecated: { type: 'boolean' },
      security: { $ref: '#/$defs/securityRequirement' },
      servers: { type: 'array' },
      externalDocs: { type: 'object' },
    }),
    pathItem: closed({
      $ref: text, summary: text, description: text,
      get: { $ref: '#/$defs/operation' },
      put: { $ref: '#/$defs/operation' },
      post: { $ref: '#/$defs/operation' },
      delete: { $ref: '#/$defs/operation' },
      options: { $ref: '#/$defs/operation' },
      head: { $ref: '#/$defs/operation' },
      patch: { $ref: '#/$defs/operation' },
      trace: { $ref: '#/$defs/operation' },
      servers: { type: 'array' },
      parameters: { type: 'array', items: orRef('parameter') },
    }),
    securityScheme: {
      ...closed({
        type: { enum: ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'] },
        description: text, name: text, in: { enum: ['query', 'header', 'cookie'] }, scheme: text, bearerFormat: text,
        flows: { type: 'object' }, openIdConnectUrl: text,
      }, ['type']),
      allOf: [
        { if: { properties: { type: { const: 'http' } } }, then: { required: ['scheme'] } },
        { if: { properties: { type: { const: 'apiKey' } } }, then: { required: ['name', 'in'] } },
      ],
    },
  },
  ...closed({
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+(?:-.+)?$' },
    info: closed({
      title: text, summary: text, description: text, termsOfService: text, contact: { type: 'object' },
      license: {
        ...closed({ name: text, identifier: text, url: text }, ['name']),
        not: { required: ['identifier', 'url'] },
      },
      version: text,
    }, ['title', 'version']),
    jsonSchemaDialect: text,
    servers: { type: 'array', items: closed({ url: text, description: text, variables: { type: 'object' } }, ['url']) },
    paths: { type: 'object', propertyNames: { pattern: '^/' }, additionalProperties: { $ref: '#/$defs/pathItem' } },
    webhooks: { type: 'object' },
    components: closed({
      schemas: mapOf(schemaObject),
      responses: mapOf(orRef('response')),
      parameters: mapOf(orRef('parameter')),
      examples: mapOf({ type: 'object' }),
      requestBodies: mapOf(orRef('requestBody')),
      headers: mapOf(orRef('header')),
      securitySchemes: mapOf(orRef('securityScheme')),
      links: mapOf({ type: 'object' }),
      callbacks: mapOf({ type: 'object' }),
      pathItems: mapOf({ $ref: '#/$defs/pathItem' }),
    }),
    security: { $ref: '#/$defs/securityRequirement' },
    tags: { type: 'array', items: closed({ name: text, description: text, externalDocs: { type: 'object' } }, ['name']) },
    externalDocs: { type: 'object' },
  }, ['openapi', 'info', 'paths']),
} as const;

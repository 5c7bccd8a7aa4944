import type { ERROR_CODES, ErrorCode } from '../errors.ts';

/*
 * The parts every area of the OpenAPI document is built from: the few OpenAPI 3.1 object types
 * the engine uses, and builders for operations, parameters, bodies and responses. An operation
 * names its credential (`auth`); the error responses that credential and a JSON body imply are
 * added for it, so each area lists only the errors its own routes add.
 */

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1). */
export type Schema = { readonly [keyword: string]: unknown };

/** A `$ref` to a component. */
export interface Reference {
  $ref: string;
}

/** An operation parameter (path or query). */
export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description: string;
  schema: Schema;
}

/** A body or response content of one media type. */
export interface MediaType {
  schema: Schema;
}

/** An operation's request body. */
export interface RequestBody {
  required: boolean;
  description?: string;
  content: Record<string, MediaType>;
}

/** One response of an operation. */
export interface ResponseObject {
  description: string;
  content?: Record<string, MediaType>;
  headers?: Record<string, { description: string; schema: Schema }>;
}

/** One security requirement: scheme name → scopes (always none here). */
export type SecurityRequirement = Record<string, string[]>;

/** One operation (method + path). */
export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: SecurityRequirement[];
  parameters?: Array<Parameter | Reference>;
  requestBody?: RequestBody;
  responses: Record<string, ResponseObject | Reference>;
  /** Served only when the engine runs with ENGINE_TEST_CLOCK=1. */
  'x-test-clock-only'?: true;
}

/** The HTTP methods the engine serves. */
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** An HTTP method as OpenAPI spells it (lower case). */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The operations of one path. */
export type PathItem = Partial<Record<HttpMethod, Operation>>;

/** OpenAPI paths: templated path (`/api/v1/journeys/{id}`) → its operations. */
export type Paths = Record<string, PathItem>;

/** One area of the API: its tag, its paths and the component schemas it defines. */
export interface ApiArea {
  tag: { name: string; description: string };
  paths: Paths;
  schemas: Record<string, Schema>;
}

/** The credential an operation takes. */
export type Auth = 'admin' | 'operator' | 'writeKey' | 'none';

/** An HTTP status some error code answers with (each has a shared error response). */
export type ErrorStatus = (typeof ERROR_CODES)[ErrorCode]['status'];

const SECURITY: Record<Auth, SecurityRequirement[]> = {
  admin: [{ adminToken: [] }],
  operator: [{ operatorToken: [] }],
  writeKey: [{ writeKey: [] }],
  none: [],
};

/** A reference to a component schema. */
export function schemaRef(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

/** `schema` or null. */
export function nullable(schema: Schema): Schema {
  return { anyOf: [schema, { type: 'null' }] };
}

/** An object schema whose listed properties are all required. */
export function object(properties: Record<string, Schema>, options: { optional?: readonly string[]; description?: string } = {}): Schema {
  const optional = new Set(options.optional ?? []);
  return {
    type: 'object',
    ...(options.description !== undefined ? { description: options.description } : {}),
    required: Object.keys(properties).filter((key) => !optional.has(key)),
    properties,
  };
}

/** An array of `items`. */
export function arrayOf(items: Schema, description?: string): Schema {
  return { type: 'array', items, ...(description !== undefined ? { description } : {}) };
}

/** A string with optional extra keywords. */
export function str(extra: Schema = {}): Schema {
  return { type: 'string', ...extra };
}

/** An ISO-8601 timestamp as the engine writes them. */
export const timestamp: Schema = { type: 'string', format: 'date-time' };

/** The cursor of the next page of a listing. */
export const nextCursor: Schema = { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'Pass as `?cursor=` for the next page; null on the last page.' };

/** A name the engine trims and requires non-blank, at most 200 characters. */
export const name200: Schema = { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S', description: 'Non-blank; at most 200 characters; trimmed.' };

/** A required path parameter. */
export function pathParam(name: string, description: string): Parameter {
  return { name, in: 'path', required: true, description, schema: { type: 'string', minLength: 1 } };
}

/** A query parameter (a single non-empty value unless `schema` says otherwise). */
export function queryParam(name: string, description: string, schema: Schema = { type: 'string', minLength: 1 }, required = false): Parameter {
  return { name, in: 'query', required, description, schema };
}

/** `?limit=` and `?cursor=` of a paged listing. */
export const pageParams: Reference[] = [{ $ref: '#/components/parameters/limit' }, { $ref: '#/components/parameters/cursor' }];

/** A JSON request body. */
export function jsonBody(schema: Schema, options: { required?: boolean; description?: string } = {}): RequestBody {
  return {
    required: options.required ?? true,
    ...(options.description !== undefined ? { description: options.description } : {}),
    content: { 'application/json': { schema } },
  };
}

/** A JSON response. */
export function json(description: string, schema: Schema): ResponseObject {
  return { description, content: { 'application/json': { schema } } };
}

/** A 204 response. */
export const noContent: ResponseObject = { description: 'Done; no body.' };

/** The shared error response of a status. */
export function errorResponse(status: ErrorStatus): Reference {
  return { $ref: `#/components/responses/Error${status}` };
}

/** What one `op()` call describes. */
export interface OperationSpec {
  id: string;
  summary: string;
  description?: string;
  auth: Auth;
  params?: Array<Parameter | Reference>;
  body?: RequestBody;
  responses: Record<string, ResponseObject | Reference>;
  /** Errors beyond those implied by `auth` and `body`. */
  errors?: ErrorStatus[];
  testClockOnly?: true;
}

/**
 * Builds an operation of `tag`. Implied errors: 401 and 403 for a token (wrong, missing, or the
 * other kind of token), 401 for a write key, 400/413/415 for a JSON body (unreadable, too large,
 * not JSON), 400 when there are query parameters, and 500/503 everywhere.
 */
export function op(tag: string, spec: OperationSpec): Operation {
  const statuses = new Set<ErrorStatus>(spec.errors ?? []);
  if (spec.auth === 'admin' || spec.auth === 'operator') statuses.add(401).add(403);
  if (spec.auth === 'writeKey') statuses.add(401);
  if (spec.body) statuses.add(400).add(413).add(415);
  if ((spec.params ?? []).some((p) => '$ref' in p || p.in === 'query')) statuses.add(400);
  statuses.add(500).add(503);
  const responses: Record<string, ResponseObject | Reference> = { ...spec.responses };
  for (const status of [...statuses].sort((a, b) => a - b)) responses[String(status)] ??= errorResponse(status);
  return {
    operationId: spec.id,
    summary: spec.summary,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    tags: [tag],
    security: SECURITY[spec.auth],
    ...(spec.params && spec.params.length > 0 ? { parameters: spec.params } : {}),
    ...(spec.body ? { requestBody: spec.body } : {}),
    responses,
    ...(spec.testClockOnly ? { 'x-test-clock-only': true as const } : {}),
  };
}

/**
 * The members of the string union `T`, checked at compile time: the list must name every member
 * (for unions that exist only as TypeScript types, so the document cannot drift from them).
 */
export function everyMember<T extends string>() {
  // A missing member makes the parameter type demand `{ missing: <the members> }`, which the error then names.
  return <const L extends readonly T[]>(list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : { missing: Exclude<T, L[number]> })): L => list;
}

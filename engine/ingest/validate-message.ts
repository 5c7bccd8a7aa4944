import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { EngineError } from '../errors.ts';
import type { MessageType } from '../store/event-store.ts';
import { BATCH_SCHEMA, MESSAGE_SCHEMAS } from './message-schema.ts';
import { parseIsoTime } from './normalize-message.ts';

const ajv = new Ajv({ allErrors: false, strict: true });
// Why not ajv-formats' iso-date-time: it accepts spellings (±hh zones, leap seconds) that Date
// cannot read, so an accepted message could not be stored. Accepting exactly what
// normalizeMessage can read keeps validation and storage in step.
ajv.addFormat('iso-date-time', { type: 'string', validate: (text: string) => Number.isFinite(parseIsoTime(text)) });

const validators = Object.fromEntries(
  Object.entries(MESSAGE_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]),
) as Record<MessageType, ValidateFunction>;
const validateBatchBody = ajv.compile(BATCH_SCHEMA);

/** The message types, in the order the spec lists them. */
export const MESSAGE_TYPES = Object.keys(MESSAGE_SCHEMAS) as MessageType[];

/** Whether a string names a message type. */
export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && Object.hasOwn(MESSAGE_SCHEMAS, value);
}

function describe(error: ErrorObject): { path: string; message: string } {
  if (error.keyword === 'required') {
    const field = (error.params as { missingProperty: string }).missingProperty;
    return { path: `${error.instancePath}/${field}`, message: `'${field}' is required` };
  }
  if (error.keyword === 'format') {
    return { path: error.instancePath, message: 'must be an ISO-8601 date-time (e.g. 2024-05-01T12:00:00.000Z)' };
  }
  if (error.keyword === 'enum') {
    return { path: error.instancePath, message: `must be one of ${MESSAGE_TYPES.join(', ')}` };
  }
  if (error.keyword === 'anyOf') {
    return { path: error.instancePath, message: 'must be a non-empty string or a number' };
  }
  return { path: error.instancePath, message: error.message ?? 'is invalid' };
}

function nonEmptyId(value: unknown): boolean {
  return (typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Checks one message against its type's schema and the identity rule. `prefix` locates it in
 * the request (`''` for a single call, `/batch/3` in a batch); `index` is its batch position.
 */
export function validateMessage(message: unknown, type: MessageType, prefix: string, index: number | null): void {
  const where = index === null ? '' : ` (batch message ${index})`;
  const details = (path: string) => ({ path, ...(index === null ? {} : { index }) });
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw new EngineError('invalid_message', `message must be a JSON object${where}`, details(prefix));
  }
  const validate = validators[type];
  if (!validate(message)) {
    // Without allErrors ajv stops at the first failing keyword; for an anyOf it lists each
    // branch's error first and the anyOf itself last, and the last one is the one to report.
    const { path, message: text } = describe(validate.errors!.at(-1)!);
    throw new EngineError('invalid_message', `${prefix}${path || '/'} ${text}${where}`, details(`${prefix}${path}`));
  }
  const m = message as Record<string, unknown>;
  if (!nonEmptyId(m['userId']) && !nonEmptyId(m['anonymousId'])) {
    throw new EngineError('invalid_message', `${prefix || ''}/ needs a userId or an anonymousId${where}`, details(`${prefix}/userId`));
  }
}

/** Checks the envelope of a batch request (not its messages). */
export function validateBatchEnvelope(body: unknown): asserts body is { batch: unknown[]; context?: object; integrations?: object; sentAt?: string } {
  if (!validateBatchBody(body)) {
    const { path, message } = describe(validateBatchBody.errors![0]!);
    const item = /^\/batch\/(\d+)$/.exec(path);
    const index = item ? Number(item[1]) : null;
    throw new EngineError('invalid_message', `${path || '/'} ${message}${index === null ? '' : ` (batch message ${index})`}`,
      index === null ? { path } : { path, index });
  }
}

import { ERROR_CODES, type ErrorCode } from '../errors.ts';
import { conditionSchema } from '../conditions/condition-schema.ts';
import { CONDITION_PROBLEM_CODES } from '../conditions/condition-problem.ts';
import { JOURNEY_PROBLEM_CODES } from '../journeys/definition/journey-problem.ts';
import { MAPPING_PROBLEM_CODES } from '../../mappings/mapping-problem.ts';
import { fromDraft07 } from './from-draft-07.ts';
import { arrayOf, object, schemaRef, str, type ErrorStatus, type Parameter, type ResponseObject, type Schema } from './operation-parts.ts';

/** The three credentials of the API. */
export const securitySchemes = {
  adminToken: {
    type: 'http', scheme: 'bearer',
    description: "A space's admin token (`adm_…`): the management API under /api/v1, scoped to that space. The operator token is refused here (403).",
  },
  operatorToken: {
    type: 'http', scheme: 'bearer',
    description: 'The operator token (`op_…`, printed at start): creating, listing and deleting spaces. Admin tokens are refused here (403).',
  },
  writeKey: {
    type: 'http', scheme: 'basic',
    description: "A space's write key (`wk_…`) as the HTTP Basic username with an empty password, as Segment clients send it. "
      + 'A request without the header may carry it as `writeKey` in the JSON body instead.',
  },
} as const;

/** `?limit=` and `?cursor=`, shared by paged listings. */
export const parameters: Record<string, Parameter> = {
  limit: {
    name: 'limit', in: 'query', required: false, description: 'Page size.',
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
  cursor: {
    name: 'cursor', in: 'query', required: false,
    description: 'Where the page starts: the `nextCursor` of the previous page of the same listing (opaque; any other value is refused with 400).',
    schema: { type: 'string', minLength: 1 },
  },
};

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

function codesOf(status: number): ErrorCode[] {
  return CODES.filter((code) => ERROR_CODES[code].status === status);
}

const problem = object({
  path: str({ description: 'JSON pointer of the problem (or `?param` for a query parameter).' }),
  code: str(),
  message: str(),
}, { optional: ['path'] });

/** The one error body of the API, for every status. */
const errorSchema: Schema = object({
  error: {
    type: 'object',
    required: ['code', 'message'],
    description: 'Beyond code and message, details that depend on the code (see ERROR_CODES in engine/errors.ts and the README).',
    properties: {
      code: { type: 'string', enum: CODES, description: CODES.map((code) => `\`${code}\` (${ERROR_CODES[code].status}): ${ERROR_CODES[code].meaning}`).join('\n') },
      message: str({ description: 'What went wrong, for people.' }),
      path: str({ description: 'JSON pointer (or `?param`) of the offending value.' }),
      index: { type: 'integer', minimum: 0, description: 'Position of the offending message in a batch.' },
      problems: arrayOf(problem, 'Every problem found (invalid_conditions, invalid_journey, invalid_settings).'),
      journeys: arrayOf({}, 'The journeys that still use the resource (destination_in_use, function_in_use).'),
      limit: { type: 'integer', description: 'The byte limit exceeded (payload_too_large).' },
      line: { type: 'integer', description: 'Where the function source fails to compile (invalid_function_code).' },
      column: { type: 'integer' },
    },
  },
});

/** The error response of one status: the shared body, its code narrowed to that status's codes. */
function errorResponse(status: ErrorStatus): ResponseObject {
  const codes = codesOf(status);
  const response: ResponseObject = {
    description: `Error (${codes.map((c) => `\`${c}\``).join(', ')}).`,
    content: {
      'application/json': {
        schema: { allOf: [schemaRef('Error'), { properties: { error: { properties: { code: { enum: codes } } } } }] },
      },
    },
  };
  if (status === 503 || status === 429) response.headers = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };
  return response;
}

const STATUSES = [...new Set(CODES.map((code) => ERROR_CODES[code].status))].sort((a, b) => a - b) as ErrorStatus[];

/** The shared error responses, `Error<status>`, one per status an error code has. */
export const responses: Record<string, ResponseObject> = Object.fromEntries(STATUSES.map((status) => [`Error${status}`, errorResponse(status)]));

/** Every code a journey problem can carry. */
const JOURNEY_PROBLEM_CODE_LIST = [
  ...Object.keys(JOURNEY_PROBLEM_CODES), ...Object.keys(CONDITION_PROBLEM_CODES), ...Object.keys(MAPPING_PROBLEM_CODES),
];

/** Component schemas used across areas. */
export const sharedSchemas: Record<string, Schema> = {
  Error: errorSchema,
  Condition: fromDraft07(conditionSchema, 'condition-schema.ts conditionSchema'),
  ConditionList: arrayOf(schemaRef('Condition'), 'Conditions, all of which must hold (may be empty).'),
  JourneyProblem: object({
    path: str({ description: 'JSON pointer into the journey document, e.g. `/steps/3/timeout/after`.' }),
    code: { type: 'string', enum: JOURNEY_PROBLEM_CODE_LIST },
    message: str(),
  }),
};

import { CONDITION_OPERATORS, type ConditionOperator } from './condition.ts';

/*
 * The JSON Schema checks shape only. Path syntax, numeric or ISO-8601 strings as bounds and
 * min <= max are beyond it: validateConditions checks those too and names every problem.
 */

// anyOf rather than a type array: ajv's strict mode rejects union types unless allowUnionTypes is set.
const scalar = { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } as const;
const orderable = { anyOf: [{ type: 'string' }, { type: 'number' }] } as const;

function whenOperator<T extends object>(operators: readonly ConditionOperator[], then: T) {
  return { if: { type: 'object', required: ['operator'], properties: { operator: { enum: operators } } }, then: { type: 'object', ...then } } as const;
}

/** Draft-07 JSON Schema of one condition, without `$id` so it can be embedded in other schemas. */
export const conditionSchema = {
  type: 'object',
  required: ['path', 'operator'],
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1 },
    operator: { type: 'string', enum: [...CONDITION_OPERATORS] },
    value: {},
    ignoreCase: { type: 'boolean' },
  },
  allOf: [
    whenOperator(['exists', 'not_exists'], { properties: { value: false } }),
    whenOperator(['equals', 'not_equals'], { required: ['value'], properties: { value: { not: { type: 'null' } } } }),
    whenOperator(['contains'], { required: ['value'], properties: { value: scalar } }),
    whenOperator(['starts_with'], { required: ['value'], properties: { value: { type: 'string' } } }),
    whenOperator(['equals_any_of'], { required: ['value'], properties: { value: { type: 'array', minItems: 1, items: scalar } } }),
    whenOperator(['gt', 'gte', 'lt', 'lte'], { required: ['value'], properties: { value: orderable } }),
    whenOperator(['between'], {
      required: ['value'],
      properties: { value: { type: 'array', minItems: 2, maxItems: 2, items: orderable } },
    }),
    whenOperator(['exists', 'not_exists', 'gt', 'gte', 'lt', 'lte', 'between'], { properties: { ignoreCase: { const: false } } }),
  ],
} as const;

/** Draft-07 JSON Schema of a condition list (ANDed; may be empty), without `$id`. */
export const conditionListSchema = {
  type: 'array',
  items: conditionSchema,
} as const;

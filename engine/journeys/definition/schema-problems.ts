import { Ajv, type ErrorObject } from 'ajv';
import { JOURNEY_ID_PATTERN, journeySchema } from './journey-schema.ts';
import { journeyProblem, pointerSegment, type JourneyProblem } from './journey-problem.ts';

type SchemaNode = Record<string, unknown>;

const ajv = new Ajv({ strict: true, allErrors: true, discriminator: true, verbose: true });
const validate = ajv.compile(journeySchema);

// validateConditions reports problems inside condition lists with condition_* codes and more
// precisely than the schema can (path syntax, bounds), so the schema's own errors there are dropped.
const CONDITION_LIST = /^(?:\/entry|\/steps\/\d+\/branches\/\d+|\/exitRules\/\d+|\/goals\/\d+)\/conditions(?:\/|$)/;

/** Every place the document breaks the journey JSON Schema, as readable journey_schema problems. */
export function schemaProblems(doc: unknown): JourneyProblem[] {
  if (validate(doc)) return [];
  const errors = (validate.errors ?? []).filter((error) => !CONDITION_LIST.test(error.instancePath));
  return translate(errors);
}

/** Turns ajv errors into problems: one per failure, unions reduced to the variant that was meant. */
function translate(errors: ErrorObject[]): JourneyProblem[] {
  const problems: JourneyProblem[] = [];
  const handled = new Set<ErrorObject>();
  // ajv lists the errors of an anyOf's branches before the anyOf error itself, so walk backwards.
  for (let i = errors.length - 1; i >= 0; i -= 1) {
    const error = errors[i]!;
    if (handled.has(error)) continue;
    handled.add(error);
    if (error.keyword === 'anyOf') {
      const children = errors.slice(0, i).filter((e) => !handled.has(e) && isWithin(e, error));
      for (const child of children) handled.add(child);
      problems.push(...anyOfProblems(error, children));
    } else {
      problems.push(...describe(error));
    }
  }
  return problems.reverse();
}

function isWithin(child: ErrorObject, parent: ErrorObject): boolean {
  const samePlace = child.instancePath === parent.instancePath || child.instancePath.startsWith(`${parent.instancePath}/`);
  return samePlace && child.schemaPath.startsWith(`${parent.schemaPath}/`);
}

/**
 * An anyOf (`'all' | string[]`, `string | null`): if one branch has the value's type, its errors are
 * the ones meant; otherwise the value has none of the allowed types.
 */
function anyOfProblems(error: ErrorObject, children: ErrorObject[]): JourneyProblem[] {
  const branches = (error.schema as SchemaNode[]).map((_, index) =>
    children.filter((child) => child.schemaPath.startsWith(`${error.schemaPath}/${index}/`)),
  );
  const fitting = branches.find((branchErrors) =>
    branchErrors.every((e) => e.instancePath !== error.instancePath || !['type', 'const', 'enum'].includes(e.keyword)),
  );
  if (fitting !== undefined && fitting.length > 0) return translate(fitting);
  const allowed = (error.schema as SchemaNode[]).map(describeSchema).join(' or ');
  return [journeyProblem('journey_schema', error.instancePath, `must be ${allowed}`)];
}

function describe(error: ErrorObject): JourneyProblem[] {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const name = String(params['missingProperty']);
      return [journeyProblem('journey_schema', `${at}/${pointerSegment(name)}`, `'${name}' is required`)];
    }
    case 'additionalProperties': {
      const name = String(params['additionalProperty']);
      const allowed = Object.keys((error.parentSchema as SchemaNode)['properties'] ?? {}).join(', ');
      return [journeyProblem('journey_schema', `${at}/${pointerSegment(name)}`, `unknown property '${name}'`, `allowed here: ${allowed}`)];
    }
    case 'type':
      if (params['type'] === 'null' && error.schemaPath.endsWith('/else/type')) {
        return [journeyProblem('journey_schema', at, 'must be an object or null')];
      }
      // ajv refuses Infinity (what JSON.parse makes of 1e400) as "not a number": say why.
      if (typeof error.data === 'number' && !Number.isFinite(error.data)) {
        return [journeyProblem('journey_schema', at, `must be ${article(String(params['type']))}, and finite: this one is too large to store`)];
      }
      return [journeyProblem('journey_schema', at, `must be ${article(String(params['type']))}`)];
    case 'discriminator':
      return discriminatorProblems(error);
    case 'if':
      // The branch taken (then/else) reported its own errors.
      return [];
    case 'enum':
      return [journeyProblem('journey_schema', at, `must be one of ${(params['allowedValues'] as unknown[]).join(', ')}`)];
    case 'const':
      return [journeyProblem('journey_schema', at, `must be ${JSON.stringify(params['allowedValue'])}`)];
    case 'pattern':
      if (params['pattern'] === JOURNEY_ID_PATTERN) {
        return [journeyProblem('journey_schema', at, "must be an id of 1 to 64 letters, digits, '_' or '-'")];
      }
      return [journeyProblem('journey_schema', at, `must match ${String(params['pattern'])}`)];
    case 'minLength':
      return [journeyProblem('journey_schema', at, params['limit'] === 1 ? 'must not be empty' : `must have at least ${String(params['limit'])} characters`)];
    case 'maxLength':
      return [journeyProblem('journey_schema', at, `must have at most ${String(params['limit'])} characters`)];
    case 'minItems':
      return [journeyProblem('journey_schema', at, `must have at least ${String(params['limit'])} item${params['limit'] === 1 ? '' : 's'}`)];
    default:
      return [journeyProblem('journey_schema', at, error.message ?? 'is invalid')];
  }
}

/** A missing or non-string tag is reported by `required`/`type`; an unknown one is reported here. */
function discriminatorProblems(error: ErrorObject): JourneyProblem[] {
  const { error: kind, tag, tagValue } = error.params as { error: string; tag: string; tagValue?: unknown };
  if (kind !== 'mapping') return [];
  const expected = variantTags(error.parentSchema as SchemaNode, tag);
  return [journeyProblem('journey_schema', `${error.instancePath}/${tag}`, `unknown ${tag} ${JSON.stringify(tagValue)}`, `expected one of ${expected.join(', ')}`)];
}

function variantTags(union: SchemaNode, tag: string): string[] {
  const definitions = journeySchema.definitions as Record<string, SchemaNode>;
  return (union['oneOf'] as SchemaNode[]).map((member) => {
    const name = String(member['$ref']).replace('#/definitions/', '');
    const properties = definitions[name]?.['properties'] as Record<string, SchemaNode> | undefined;
    return String(properties?.[tag]?.['const']);
  });
}

function describeSchema(schema: SchemaNode): string {
  if ('const' in schema) return JSON.stringify(schema['const']);
  return typeof schema['type'] === 'string' ? article(schema['type']) : 'another shape';
}

function article(type: string): string {
  switch (type) {
    case 'null':
      return 'null';
    case 'array':
    case 'object':
    case 'integer':
      return `an ${type}`;
    default:
      return `a ${type}`;
  }
}

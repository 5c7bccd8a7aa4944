import type { Schema } from './operation-parts.ts';

/*
 * The engine's JSON Schemas (journey documents, conditions, Segment messages) are draft-07, the
 * dialect ajv compiles by default; OpenAPI 3.1 speaks JSON Schema 2020-12. This step carries
 * them over instead of copying them by hand, so the document follows every change:
 *  - `definitions` become component schemas, and `#/definitions/X` refs point at them;
 *  - draft-07 tuple keywords become 2020-12 ones (`items: [..]` → `prefixItems`,
 *    `additionalItems` → `items`) and `dependencies` splits into `dependentRequired` and
 *    `dependentSchemas`;
 *  - formats that only ajv-formats knows become standard ones;
 *  - a `discriminator` gets an explicit `mapping`: OpenAPI reads an unmapped discriminator value
 *    as a component name, and the engine's tags (`delay`, `send`…) are not component names.
 * Anything it does not know how to carry over (a foreign `$ref`, another draft) throws, so a
 * schema change that needs more care is noticed by the tests rather than published wrong.
 */

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/** Formats only ajv-formats knows, and the standard format each becomes. */
const FORMATS: Readonly<Record<string, { format: string; note: string }>> = {
  'iso-date-time': { format: 'date-time', note: 'An ISO-8601 date-time; the engine also accepts one without a timezone (read as UTC).' },
};

const SUBSCHEMA = new Set(['additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames']);
const SUBSCHEMA_MAP = new Set(['properties', 'patternProperties']);
const SUBSCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf']);

type Definitions = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How refs are rewritten: definition name → component name. */
interface Context {
  definitions: Definitions;
  rootName: string | null;
  where: string;
}

function componentRef(ref: unknown, ctx: Context): string {
  if (ref === '#' && ctx.rootName !== null) return `#/components/schemas/${ctx.rootName}`;
  const match = typeof ref === 'string' ? /^#\/definitions\/([^/]+)$/.exec(ref) : null;
  if (!match || !Object.hasOwn(ctx.definitions, match[1]!)) throw new Error(`${ctx.where}: cannot carry over $ref ${String(ref)}`);
  return `#/components/schemas/${match[1]}`;
}

/** The discriminator `mapping` of a oneOf of refs: each variant's constant tag value → its component. */
function discriminatorMapping(schema: Record<string, unknown>, ctx: Context): Record<string, string> {
  const tag = (schema['discriminator'] as { propertyName?: unknown }).propertyName;
  const variants = schema['oneOf'];
  if (typeof tag !== 'string' || !Array.isArray(variants)) throw new Error(`${ctx.where}: a discriminator needs propertyName and oneOf`);
  const mapping: Record<string, string> = {};
  for (const variant of variants) {
    const target = componentRef(isObject(variant) ? variant['$ref'] : undefined, ctx);
    const definition = ctx.definitions[target.slice('#/components/schemas/'.length)];
    const value = isObject(definition) && isObject(definition['properties']) && isObject(definition['properties'][tag])
      ? definition['properties'][tag]['const'] : undefined;
    if (typeof value !== 'string') throw new Error(`${ctx.where}: variant ${target} has no constant '${tag}'`);
    mapping[value] = target;
  }
  return mapping;
}

function convert(schema: unknown, ctx: Context): unknown {
  if (typeof schema === 'boolean') return schema;
  if (!isObject(schema)) throw new Error(`${ctx.where}: not a schema: ${JSON.stringify(schema)}`);
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === '$ref') out['$ref'] = componentRef(value, ctx);
    else if (SUBSCHEMA.has(keyword)) out[keyword] = convert(value, ctx);
    else if (SUBSCHEMA_MAP.has(keyword)) {
      out[keyword] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, convert(v, ctx)]));
    } else if (SUBSCHEMA_LIST.has(keyword)) out[keyword] = (value as unknown[]).map((v) => convert(v, ctx));
    else if (keyword === 'items') out[Array.isArray(value) ? 'prefixItems' : 'items'] = Array.isArray(value) ? value.map((v) => convert(v, ctx)) : convert(value, ctx);
    else if (keyword === 'additionalItems') out['items'] = convert(value, ctx);
    else if (keyword === 'dependencies') {
      for (const [property, dependency] of Object.entries(value as Record<string, unknown>)) {
        const target = Array.isArray(dependency) ? 'dependentRequired' : 'dependentSchemas';
        out[target] = { ...(out[target] as object | undefined), [property]: Array.isArray(dependency) ? dependency : convert(dependency, ctx) };
      }
    } else if (keyword === 'format' && typeof value === 'string' && Object.hasOwn(FORMATS, value)) {
      out['format'] = FORMATS[value]!.format;
      out['description'] = [schema['description'], FORMATS[value]!.note].filter((s) => typeof s === 'string').join(' ');
    } else if (keyword === 'definitions' || keyword === '$schema' || keyword === '$id') {
      throw new Error(`${ctx.where}: '${keyword}' is only carried over at the top of a schema`);
    } else if (!(keyword === 'description' && typeof out['description'] === 'string')) {
      out[keyword] = value;
    }
  }
  if (isObject(out['discriminator']) && out['discriminator']['mapping'] === undefined) {
    out['discriminator'] = { ...out['discriminator'], mapping: discriminatorMapping(schema, ctx) };
  }
  return out;
}

function checkDialect(root: Record<string, unknown>, where: string): void {
  const dialect = root['$schema'];
  if (dialect !== undefined && dialect !== DRAFT_07) throw new Error(`${where}: expected a draft-07 schema, got ${String(dialect)}`);
}

/** Carries one draft-07 schema without definitions over to 2020-12 (`where` names it in errors). */
export function fromDraft07(schema: Schema, where: string): Schema {
  checkDialect(schema, where);
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return convert(rest, { definitions: {}, rootName: null, where }) as Schema;
}

/**
 * Carries a draft-07 schema and its `definitions` over as component schemas: one per definition,
 * and the top-level schema as `rootName` (which may also be a definition holding the same schema).
 */
export function componentsFromDraft07(root: Schema, rootName: string, where: string): Record<string, Schema> {
  checkDialect(root, where);
  const { $schema: _dialect, $id: _id, title: _title, definitions = {}, ...top } = root;
  if (!isObject(definitions)) throw new Error(`${where}: definitions must be an object`);
  const ctx = (name: string): Context => ({ definitions, rootName, where: `${where} ${name}` });
  const components: Record<string, Schema> = {};
  for (const [name, definition] of Object.entries(definitions)) components[name] = convert(definition, ctx(name)) as Schema;
  const converted = convert(top, ctx(rootName)) as Schema;
  const existing = components[rootName];
  if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(converted)) {
    throw new Error(`${where}: definition ${rootName} differs from the top-level schema`);
  }
  components[rootName] = converted;
  return components;
}

import fs from 'node:fs';
import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import { openApiDocument } from '../../engine/openapi/openapi-document.ts';
import { HTTP_METHODS, type Operation, type Parameter, type Reference } from '../../engine/openapi/operation-parts.ts';
import { journeySchema } from '../../engine/journeys/definition/journey-schema.ts';
import { openApi31Essentials } from './openapi-31-essentials.ts';
import { documentAjv, pointer, schemaLocations } from './openapi-schema-compiler.ts';

const doc = openApiDocument;

function operations(): Array<{ method: string; path: string; operation: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => (item[method] ? [{ method, path, operation: item[method] }] : [])));
}

/** The value a local `$ref` points at, or undefined. */
function resolve(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function refsIn(value: unknown, at: string, out: Array<{ ref: string; at: string }>): typeof out {
  if (Array.isArray(value)) value.forEach((v, i) => refsIn(v, `${at}/${i}`, out));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') out.push({ ref: v, at });
      else refsIn(v, `${at}/${key}`, out);
    }
  }
  return out;
}

function parameterOf(p: Parameter | Reference): Parameter {
  return '$ref' in p ? resolve(p.$ref) as Parameter : p;
}

describe('openapi: the document is a valid OpenAPI 3.1 document', () => {
  it('matches the essentials of the OpenAPI 3.1 schema', () => {
    const validate = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true }).compile(openApi31Essentials);
    const valid = validate(structuredClone(doc));
    expect(valid ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)).to.deep.equal([]);
  });

  it('holds only schemas that compile as JSON Schema 2020-12 (strict about unknown keywords)', () => {
    const { compile } = documentAjv(doc);
    const failures: string[] = [];
    const locations = schemaLocations(doc);
    for (const location of locations) {
      try {
        compile(location);
      } catch (error) {
        failures.push(`${decodeURIComponent(location)}: ${(error as Error).message}`);
      }
    }
    expect(failures).to.deep.equal([]);
    expect(locations.length).to.be.greaterThan(150);
  });

  it('resolves every $ref within the document', () => {
    const broken = refsIn(doc, '', []).filter(({ ref }) => resolve(ref) === undefined);
    expect(broken).to.deep.equal([]);
  });

  it('names every operation once, tags it with a declared tag and gives it a success response', () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).to.deep.equal([]);
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const { method, path, operation } of operations()) {
      expect(operation.tags.every((t) => tags.has(t)), `${method} ${path} tags`).to.equal(true);
      expect(Object.keys(operation.responses).some((s) => /^2\d\d$/.test(s)), `${method} ${path} has a 2xx response`).to.equal(true);
    }
  });

  it('states the credential of every operation, with defined security schemes', () => {
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    for (const { method, path, operation } of operations()) {
      expect(operation.security, `${method} ${path}`).to.be.an('array');
      for (const requirement of operation.security) {
        for (const scheme of Object.keys(requirement)) expect(schemes.has(scheme), `${method} ${path}: ${scheme}`).to.equal(true);
      }
    }
    expect(doc.paths['/api/v1/spaces']!.post!.security).to.deep.equal([{ operatorToken: [] }]);
    expect(doc.paths['/v1/track']!.post!.security).to.deep.equal([{ writeKey: [] }]);
    expect(doc.paths['/api/v1/openapi.json']!.get!.security).to.deep.equal([]);
  });

  it('declares exactly the path parameters of each path template', () => {
    for (const { method, path, operation } of operations()) {
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!).sort();
      const declared = (operation.parameters ?? []).map(parameterOf).filter((p) => p.in === 'path').map((p) => p.name).sort();
      expect(declared, `${method} ${path}`).to.deep.equal(inTemplate);
    }
  });

  it('has no two paths that differ only in the names of their parameters', () => {
    const shapes = Object.keys(doc.paths).map((path) => path.replace(/\{[^}]+\}/g, '{}'));
    expect(shapes.filter((shape, i) => shapes.indexOf(shape) !== i)).to.deep.equal([]);
  });

  it('marks the test-clock routes, and only them, as x-test-clock-only', () => {
    const marked = operations().filter(({ operation }) => operation['x-test-clock-only']).map(({ method, path }) => `${method} ${path}`);
    expect(marked).to.have.members(['get /api/v1/test-clock', 'post /api/v1/test-clock/advance']);
  });

  describe('schemas carried over from the engine', () => {
    const { compile } = documentAjv(doc);

    it('judges every journey fixture and example as the engine\'s draft-07 journey schema does', () => {
      const original = new Ajv({ strict: true, discriminator: true }).compile(journeySchema);
      const converted = compile(pointer('components', 'schemas', 'JourneyDefinition'));
      const documents: Array<{ file: string; document: unknown }> = [];
      for (const dir of ['test/fixtures/journeys/valid', 'test/fixtures/journeys/invalid', 'examples/journeys']) {
        const folder = new URL(`../../${dir}/`, import.meta.url);
        for (const file of fs.readdirSync(folder).filter((f) => f.endsWith('.json'))) {
          const parsed = JSON.parse(fs.readFileSync(new URL(file, folder), 'utf8')) as { document?: unknown };
          documents.push({ file: `${dir}/${file}`, document: dir.endsWith('invalid') ? parsed.document : parsed });
        }
      }
      expect(documents.length).to.be.greaterThan(40);
      const verdicts = documents.map(({ file, document }) => ({ file, original: original(document), converted: converted(document) }));
      expect(verdicts.filter((v) => v.original !== v.converted)).to.deep.equal([]);
      expect(verdicts.some((v) => v.original) && verdicts.some((v) => !v.original)).to.equal(true);
    });

    it('maps each discriminator value to its variant', () => {
      const step = doc.components.schemas['Step'] as { discriminator: { mapping: Record<string, string> } };
      expect(step.discriminator.mapping).to.include({ delay: '#/components/schemas/DelayStep', send: '#/components/schemas/SendStep' });
    });

    it('accepts Segment messages as the ingest endpoints do, and refuses what they refuse', () => {
      const track = compile(pointer('components', 'schemas', 'TrackMessage'));
      const batch = compile(pointer('components', 'schemas', 'BatchRequest'));
      expect(track({ userId: 'u1', event: 'Order Completed', timestamp: '2024-05-01T12:00:00.000Z', properties: { total: 3 } })).to.equal(true);
      expect(track({ anonymousId: 42, event: 'Viewed' })).to.equal(true);
      expect(track({ event: 'Viewed' }), 'no identity').to.equal(false);
      expect(track({ userId: 'u1' }), 'no event').to.equal(false);
      expect(track({ userId: 'u1', event: 'x', type: 'identify' }), 'another type').to.equal(false);
      expect(track({ userId: 'u1', event: 'x', timestamp: 'yesterday' }), 'bad timestamp').to.equal(false);
      expect(batch({ batch: [{ type: 'identify', userId: 'u1', traits: {} }, { type: 'alias', userId: 'u1', previousId: 'a1' }] })).to.equal(true);
      expect(batch({ batch: [{ userId: 'u1', event: 'x' }] }), 'batch message without type').to.equal(false);
      expect(batch({ batch: [] }), 'empty batch').to.equal(false);
    });
  });
});

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { HTTP_METHODS } from '../../engine/openapi/operation-parts.ts';
import type { OpenApiDocument } from '../../engine/openapi/openapi-document.ts';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const DOCUMENT_ID = 'https://journey-engine.test/openapi.json';

/** A JSON pointer segment, escaped for a pointer and then for a URI fragment. */
function segment(key: string): string {
  return encodeURIComponent(key.replace(/~/g, '~0').replace(/\//g, '~1'));
}

/** The URI-fragment JSON pointer of a location given as keys. */
export function pointer(...keys: Array<string | number>): string {
  return keys.map((k) => `/${segment(String(k))}`).join('');
}

/**
 * An ajv (JSON Schema 2020-12, strict about unknown keywords) holding the whole document, so
 * each schema in it compiles with its `#/components/...` refs resolved against the document.
 * `discriminator` is an OpenAPI annotation: oneOf does the validating.
 */
export function documentAjv(document: OpenApiDocument): { ajv: Ajv2020; compile(location: string): ValidateFunction } {
  const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, strictTuples: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'discriminator', schemaType: 'object' });
  // The document's own top-level fields are not schema keywords: declared as annotations, the
  // document can stand as the schema resource that the fragments' refs resolve against.
  for (const field of Object.keys(document)) ajv.addKeyword({ keyword: field });
  ajv.addSchema(structuredClone(document) as object, DOCUMENT_ID);
  return {
    ajv,
    compile(location) {
      const validate = ajv.getSchema(`${DOCUMENT_ID}#${location}`);
      if (!validate) throw new Error(`no schema at ${location}`);
      return validate;
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function contentSchemas(content: unknown, at: Array<string | number>): string[] {
  if (!isObject(content)) return [];
  return Object.entries(content).filter(([, media]) => isObject(media) && 'schema' in media).map(([type]) => pointer(...at, type, 'schema'));
}

/** Pointers of every schema object of the document: components, parameters, bodies, responses, headers. */
export function schemaLocations(document: OpenApiDocument): string[] {
  const locations = Object.keys(document.components.schemas).map((name) => pointer('components', 'schemas', name));
  for (const name of Object.keys(document.components.parameters)) locations.push(pointer('components', 'parameters', name, 'schema'));
  const ofResponse = (response: unknown, at: Array<string | number>) => {
    if (!isObject(response) || '$ref' in response) return;
    locations.push(...contentSchemas(response['content'], [...at, 'content']));
    for (const header of Object.keys(isObject(response['headers']) ? response['headers'] : {})) locations.push(pointer(...at, 'headers', header, 'schema'));
  };
  for (const [name, response] of Object.entries(document.components.responses)) ofResponse(response, ['components', 'responses', name]);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const at = ['paths', path, method];
      (operation.parameters ?? []).forEach((p, i) => { if (!('$ref' in p)) locations.push(pointer(...at, 'parameters', i, 'schema')); });
      if (operation.requestBody) locations.push(...contentSchemas(operation.requestBody.content, [...at, 'requestBody', 'content']));
      for (const [status, response] of Object.entries(operation.responses)) ofResponse(response, [...at, 'responses', status]);
    }
  }
  return locations;
}

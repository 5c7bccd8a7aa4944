import packageJson from '../../package.json' with { type: 'json' };
import { parameters, responses, securitySchemes, sharedSchemas } from './components.ts';
import { deliveryArea } from './delivery-paths.ts';
import { destinationArea } from './destination-paths.ts';
import { engineArea } from './engine-paths.ts';
import { functionArea } from './function-paths.ts';
import { ingestArea } from './ingest-paths.ts';
import { journeyArea } from './journey-paths.ts';
import { observabilityArea } from './observability-paths.ts';
import { profileArea } from './profile-paths.ts';
import { spaceArea } from './space-paths.ts';
import { HTTP_METHODS, type ApiArea, type Parameter, type Paths, type ResponseObject, type Schema } from './operation-parts.ts';

/** The OpenAPI 3.1 document of the engine's HTTP API. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  servers: Array<{ url: string; description: string }>;
  security: Array<Record<string, string[]>>;
  tags: Array<{ name: string; description: string }>;
  paths: Paths;
  components: {
    schemas: Record<string, Schema>;
    parameters: Record<string, Parameter>;
    responses: Record<string, ResponseObject>;
    securitySchemes: typeof securitySchemes;
  };
}

const AREAS: readonly ApiArea[] = [
  engineArea, ingestArea, spaceArea, profileArea, journeyArea, observabilityArea, destinationArea, deliveryArea, functionArea,
];

/** Merges named parts, refusing a name defined twice (two areas must not silently replace each other's entries). */
function mergeDistinct<T>(what: string, parts: ReadonlyArray<Record<string, T>>): Record<string, T> {
  const merged: Record<string, T> = {};
  for (const part of parts) {
    for (const [name, value] of Object.entries(part)) {
      if (Object.hasOwn(merged, name)) throw new Error(`OpenAPI document: ${what} '${name}' is defined twice`);
      merged[name] = value;
    }
  }
  return merged;
}

function mergePaths(areas: readonly ApiArea[]): Paths {
  const paths: Paths = {};
  for (const area of areas) {
    for (const [path, item] of Object.entries(area.paths)) {
      const target = (paths[path] ??= {});
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!operation) continue;
        if (target[method]) throw new Error(`OpenAPI document: ${method.toUpperCase()} ${path} is defined twice`);
        target[method] = operation;
      }
    }
  }
  return paths;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function assemble(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Journey engine API',
      version: packageJson.version,
      description: 'The Segment-compatible ingest API (`/v1/*`, write key as HTTP Basic username), the management API (`/api/v1`, '
        + "a space's admin token; spaces with the operator token), and the engine's own endpoints. Every error answers "
        + '`{ "error": { "code", "message", ...details } }`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'The engine serving this document.' }],
    security: [{ adminToken: [] }],
    tags: AREAS.map((area) => area.tag),
    paths: mergePaths(AREAS),
    components: {
      schemas: mergeDistinct('schema', [sharedSchemas, ...AREAS.map((area) => area.schemas)]),
      parameters,
      responses,
      securitySchemes,
    },
  };
}

/** The document served at `GET /api/v1/openapi.json`, built once and frozen. */
export const openApiDocument: OpenApiDocument = deepFreeze(assemble());

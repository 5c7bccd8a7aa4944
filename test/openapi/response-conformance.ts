import type { ValidateFunction } from 'ajv';
import { openApiDocument } from '../../engine/openapi/openapi-document.ts';
import type { HttpMethod, ResponseObject } from '../../engine/openapi/operation-parts.ts';
import type { Answer } from '../support/test-engine.ts';
import { documentAjv, pointer } from './openapi-schema-compiler.ts';

/** Checks real answers against the responses the document gives their operation. */
export class ResponseConformance {
  readonly #compile = documentAjv(openApiDocument).compile;
  readonly #validators = new Map<string, ValidateFunction>();
  /** Every `METHOD template status` checked so far. */
  readonly seen = new Set<string>();

  /** Problems with `res` as an answer of `method template`: an undocumented status, a body its schema refuses. */
  problems(method: HttpMethod, template: string, res: Answer): string[] {
    const where = `${method.toUpperCase()} ${template} → ${res.status}`;
    const operation = openApiDocument.paths[template]?.[method];
    if (!operation) return [`${where}: not a documented operation`];
    this.seen.add(`${method.toUpperCase()} ${template} ${res.status}`);
    const status = String(res.status);
    const documented = operation.responses[status];
    if (!documented) return [`${where}: status not documented (${JSON.stringify(res.body).slice(0, 300)})`];
    let response: ResponseObject;
    let at: string[];
    if ('$ref' in documented) {
      const name = documented.$ref.replace('#/components/responses/', '');
      response = openApiDocument.components.responses[name]!;
      at = ['components', 'responses', name];
    } else {
      response = documented;
      at = ['paths', template, method, 'responses', status];
    }
    const type = res.headers.get('content-type') ?? '';
    if (!response.content) return res.body === null ? [] : [`${where}: documented without a body, got one`];
    const mediaType = Object.keys(response.content).find((t) => type.startsWith(t));
    if (!mediaType) return [`${where}: content-type '${type}' not documented (${Object.keys(response.content).join(', ')})`];
    const location = pointer(...at, 'content', mediaType, 'schema');
    let validate = this.#validators.get(location);
    if (!validate) {
      validate = this.#compile(location);
      this.#validators.set(location, validate);
    }
    if (validate(res.body)) return [];
    return (validate.errors ?? []).slice(0, 5).map((e) => `${where}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }
}

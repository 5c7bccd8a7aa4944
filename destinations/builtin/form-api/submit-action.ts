/**
 * The form API's `submit` action: one form-encoded POST per event. Nested `fields` become
 * `fields[<key>]=<value>` pairs (objects and arrays JSON-encoded), the common convention of
 * form-based APIs.
 */
import type { ActionDefinition } from '../../actions-core.ts';

/** The form API's settings. */
export interface FormApiSettings {
  baseUrl: string;
  apiToken: string;
  authTestUrl?: string;
}

/** The mapped fields of one event. */
export interface SubmitPayload {
  path: string;
  email: string;
  name?: string;
  fields?: Record<string, unknown>;
  submission_id?: string;
}

/** Encodes a payload as an application/x-www-form-urlencoded body. */
export function encodeSubmission(payload: SubmitPayload): string {
  const form = new URLSearchParams();
  form.set('email', payload.email);
  if (payload.name) form.set('name', payload.name);
  if (payload.submission_id) form.set('submission_id', payload.submission_id);
  for (const [key, value] of Object.entries(payload.fields ?? {})) {
    if (value === undefined || value === null) continue;
    form.set(`fields[${key}]`, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return form.toString();
}

/** Joins the base URL and a path without doubling or losing the slash. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** The `submit` action. */
export const submitAction: ActionDefinition<FormApiSettings, SubmitPayload> = {
  title: 'Submit Form',
  description: 'POST the mapped fields form-encoded to <base URL>/<path>, authenticated with the Bearer token.',
  defaultSubscription: 'type = "track"',
  fields: {
    path: { label: 'Path', description: 'Path under the base URL.', type: 'string', required: true, default: '/submissions' },
    email: {
      label: 'Email', description: 'The submitter\'s email address.', type: 'string', format: 'email', required: true,
      default: {
        '@if': { exists: { '@path': '$.properties.email' }, then: { '@path': '$.properties.email' }, else: { '@path': '$.context.traits.email' } },
      },
    },
    name: { label: 'Name', description: 'The submitter\'s name.', type: 'string', default: { '@path': '$.context.traits.name' } },
    fields: { label: 'Fields', description: 'Extra form fields, sent as fields[<key>].', type: 'object', default: { '@path': '$.properties' } },
    submission_id: {
      label: 'Submission ID', description: 'Idempotency key the API uses to drop duplicates.', type: 'string', default: { '@path': '$.messageId' },
    },
  },
  perform: (request, { payload, settings }) =>
    request(joinUrl(settings.baseUrl, payload.path), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: encodeSubmission(payload),
      // Not followed: a POST redirected by 301/302/303 would arrive as a GET without the form (see the webhook).
      redirect: 'manual',
    }),
};

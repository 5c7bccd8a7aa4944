import type { CredentialKind } from '../store/space-store.ts';
import {
  arrayOf, everyMember, json, jsonBody, name200, noContent, nullable, object, op, pathParam, schemaRef, str, timestamp,
  type ApiArea,
} from './operation-parts.ts';

const TAG = 'Spaces and credentials';

const CREDENTIAL_KINDS = everyMember<CredentialKind>()(['write_key', 'admin_token']);

const credential = {
  id: str(),
  spaceId: str(),
  kind: { type: 'string', enum: CREDENTIAL_KINDS },
  hint: str({ description: 'The first characters of the secret, to tell credentials apart.' }),
  label: nullable(str()),
  createdAt: timestamp,
  revokedAt: nullable(timestamp),
};

const schemas = {
  Space: object({ id: str(), name: str(), createdAt: timestamp }),
  Credential: object(credential, { description: 'A credential; its secret is never shown again after it was issued.' }),
  IssuedCredential: object({ ...credential, secret: str({ description: 'The secret: shown this once only.' }) }),
};

const spaceId = pathParam('id', 'A space id.');
const credentialId = pathParam('id', 'A credential id of this space.');

/** Spaces (operator token) and a space's own credentials (admin token). */
export const spaceArea: ApiArea = {
  tag: { name: TAG, description: 'Tenants and the secrets that reach them.' },
  schemas,
  paths: {
    '/api/v1/spaces': {
      post: op(TAG, {
        id: 'createSpace', summary: 'Create a space with a write key and an admin token', auth: 'operator',
        body: jsonBody({ ...object({ name: name200 }), additionalProperties: false }),
        responses: {
          201: json('The space and its first credentials (their secrets are shown this once).', object({
            space: schemaRef('Space'), writeKey: schemaRef('IssuedCredential'), adminToken: schemaRef('IssuedCredential'),
          })),
        },
        errors: [409],
      }),
      get: op(TAG, {
        id: 'listSpaces', summary: 'List spaces', auth: 'operator',
        responses: { 200: json('Every space.', object({ spaces: arrayOf(schemaRef('Space')) })) },
      }),
    },
    '/api/v1/spaces/{id}': {
      delete: op(TAG, {
        id: 'deleteSpace', summary: 'Delete a space and everything in it', auth: 'operator', params: [spaceId],
        description: 'The default space cannot be deleted (409).',
        responses: { 204: noContent },
        errors: [404, 409],
      }),
    },
    '/api/v1/space': {
      get: op(TAG, {
        id: 'getOwnSpace', summary: 'The space of the admin token', auth: 'admin',
        responses: { 200: json('The space.', object({ space: schemaRef('Space') })) },
      }),
    },
    '/api/v1/credentials': {
      get: op(TAG, {
        id: 'listCredentials', summary: "List the space's credentials (revoked ones too)", auth: 'admin',
        responses: { 200: json('Credentials, without secrets.', object({ credentials: arrayOf(schemaRef('Credential')) })) },
      }),
      post: op(TAG, {
        id: 'issueCredential', summary: 'Issue a write key or an admin token', auth: 'admin',
        body: jsonBody({
          ...object({
            kind: { type: 'string', enum: CREDENTIAL_KINDS },
            label: { type: 'string', maxLength: 200 },
          }, { optional: ['label'] }),
          additionalProperties: false,
        }),
        responses: { 201: json('The credential with its secret (shown this once).', object({ credential: schemaRef('IssuedCredential') })) },
        errors: [409],
      }),
    },
    '/api/v1/credentials/{id}': {
      delete: op(TAG, {
        id: 'revokeCredential', summary: 'Revoke a credential (it stops working at once)', auth: 'admin', params: [credentialId],
        responses: { 204: noContent },
        errors: [404, 409],
      }),
    },
    '/api/v1/credentials/{id}/rotate': {
      post: op(TAG, {
        id: 'rotateCredential', summary: 'Issue a replacement and revoke the old credential', auth: 'admin', params: [credentialId],
        responses: { 201: json('The replacement with its secret (shown this once).', object({ credential: schemaRef('IssuedCredential') })) },
        errors: [404, 409],
      }),
    },
  },
};

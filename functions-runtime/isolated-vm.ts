import { createRequire } from 'node:module';
import type IsolatedVM from 'isolated-vm';

// isolated-vm is CommonJS with a native binding: it enters the codebase through this file only.
const require = createRequire(import.meta.url);

/** The isolated-vm module (v7), loaded once. Needs `--no-node-snapshot` on Node 24. */
export const ivm = require('isolated-vm') as typeof IsolatedVM;

/** isolated-vm's type namespace (Isolate, Context, Reference, Script, ...). */
export type { IsolatedVM };

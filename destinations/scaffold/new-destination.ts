/**
 * Scaffolds a new destination plugin:
 *
 *   node destinations/scaffold/new-destination.ts <slug> [--dir <project root>]
 *
 * writes `destinations/plugins/<slug>/index.ts` and `test/destinations/plugins/<slug>.test.ts`
 * under the project root (default: this project). Nothing else needs editing: the registry
 * discovers `destinations/plugins/*` (see local-plugins.ts).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATALOG_SLUG_PREFIX } from '../catalog.ts';
import { PLUGIN_SLUG_PATTERN } from '../plugin-error.ts';
import { pluginSource, testSource } from './plugin-template.ts';

/** The project root this file belongs to. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Why the scaffold refused. */
export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

/** Files written by scaffoldDestination. */
export interface ScaffoldResult {
  pluginFile: string;
  testFile: string;
}

/** Writes the plugin and its test; throws ScaffoldError for a bad slug or an existing plugin. */
export function scaffoldDestination(options: { slug: string; rootDir?: string }): ScaffoldResult {
  const { slug } = options;
  const rootDir = resolve(options.rootDir ?? PROJECT_ROOT);
  if (!PLUGIN_SLUG_PATTERN.test(slug)) {
    throw new ScaffoldError(`invalid slug "${slug}": use 1-64 lowercase letters, digits and dashes, starting with a letter or digit (e.g. acme-crm)`);
  }
  if (slug.startsWith(CATALOG_SLUG_PREFIX)) {
    throw new ScaffoldError(`invalid slug "${slug}": the "${CATALOG_SLUG_PREFIX}" prefix is reserved for catalog destinations`);
  }
  const pluginDir = join(rootDir, 'destinations', 'plugins', slug);
  const pluginFile = join(pluginDir, 'index.ts');
  const testFile = join(rootDir, 'test', 'destinations', 'plugins', `${slug}.test.ts`);
  for (const existing of [pluginDir, testFile]) {
    if (existsSync(existing)) throw new ScaffoldError(`${relative(rootDir, existing)} already exists: choose another slug or remove it first`);
  }
  mkdirSync(pluginDir, { recursive: true });
  mkdirSync(dirname(testFile), { recursive: true });
  writeFileSync(pluginFile, pluginSource(slug), { flag: 'wx' });
  writeFileSync(testFile, testSource(slug), { flag: 'wx' });
  return { pluginFile, testFile };
}

function main(argv: string[]): number {
  const args = [...argv];
  let rootDir: string | undefined;
  const dirAt = args.indexOf('--dir');
  if (dirAt !== -1) {
    rootDir = args[dirAt + 1];
    if (!rootDir) {
      console.error('--dir needs a path');
      return 1;
    }
    args.splice(dirAt, 2);
  }
  const [slug, ...extra] = args;
  if (!slug || extra.length > 0) {
    console.error('usage: npm run new-destination -- <slug> [--dir <project root>]');
    return 1;
  }
  try {
    const { pluginFile, testFile } = scaffoldDestination({ slug, ...(rootDir ? { rootDir } : {}) });
    console.log(`created ${pluginFile}\ncreated ${testFile}\nrun: npx mocha ${testFile}`);
    return 0;
  } catch (error) {
    if (!(error instanceof ScaffoldError)) throw error;
    console.error(error.message);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}

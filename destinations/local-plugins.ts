/**
 * Discovers project plugins in `destinations/plugins/<slug>/index.ts` (the folders the scaffold
 * creates). Discovery instead of an explicit list file: adding a plugin touches no shared file,
 * so two people adding plugins at once never conflict. Each module's default export is a
 * PluginModule whose slug must equal its folder name.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PLUGIN_SLUG_PATTERN, PluginError } from './plugin-error.ts';
import type { PluginModule } from './plugin.ts';

/** The folder the scaffold writes to and the default registry scans. */
export const LOCAL_PLUGINS_DIR = fileURLToPath(new URL('./plugins/', import.meta.url));

/** Imports every `<dir>/<slug>/index.ts` and returns its PluginModule (sorted by slug). */
export async function loadLocalPlugins(dir: string = LOCAL_PLUGINS_DIR): Promise<PluginModule[]> {
  if (!existsSync(dir)) return [];
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && PLUGIN_SLUG_PATTERN.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  const modules: PluginModule[] = [];
  for (const folder of folders) {
    const file = join(dir, folder, 'index.ts');
    if (!existsSync(file)) continue;
    const imported = (await import(pathToFileURL(file).href)) as { default?: PluginModule };
    const module = imported.default;
    if (!module || typeof module !== 'object' || !module.definition || typeof module.version !== 'string') {
      throw new PluginError('invalid_plugin', `${file}: default export must be { slug, version, definition }`);
    }
    if (module.slug !== folder) {
      throw new PluginError('invalid_plugin', `${file}: slug "${module.slug}" does not match its folder "${folder}"`);
    }
    modules.push(module);
  }
  return modules;
}

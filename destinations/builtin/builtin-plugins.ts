/** The plugins written in this project and always registered (see createPluginRegistry). */
import type { PluginModule } from '../plugin.ts';
import { formApiPlugin } from './form-api/form-api-destination.ts';
import { webhookPlugin } from './webhook/webhook-destination.ts';

/** Every built-in plugin, in listing order. */
export const builtinPlugins: readonly PluginModule[] = Object.freeze([webhookPlugin, formApiPlugin]);

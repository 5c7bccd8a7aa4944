/**
 * Turns a plugin into the JSON summary served by `GET /api/v1/destination-plugins`: settings
 * fields (with which are secret), actions with their fields, default subscriptions and presets.
 * Functions (perform, dynamic field fetchers, hooks) never leave this file.
 */
import type { GlobalSetting, InputField, JSONValue } from './actions-core.ts';
import type { Plugin, PluginSource } from './plugin.ts';

/** One field of an action or of the settings, as the API shows it. */
export interface FieldSummary {
  key: string;
  label: string;
  description: string;
  type: string;
  required: boolean;
  /** Present when the field is required only under conditions (actions-core DependsOnConditions). */
  requiredWhen?: unknown;
  multiple: boolean;
  allowNull: boolean;
  format?: string;
  default?: unknown;
  choices?: Array<{ value: string | number; label: string }>;
  /** Settings only: true for `type: 'password'` fields, whose values the API never returns. */
  secret?: boolean;
  /** Sub-fields of an object field. */
  properties?: FieldSummary[];
}

/** One action of a plugin, as the API shows it. */
export interface ActionSummary {
  slug: string;
  title: string;
  description: string;
  defaultSubscription?: string;
  supportsBatch: boolean;
  fields: FieldSummary[];
}

/** One preset subscription of a plugin. */
export interface PresetSummary {
  name?: string;
  partnerAction: string;
  subscribe?: string;
  mapping?: Record<string, JSONValue>;
  type: string;
}

/** A plugin as listed by the API. Catalog plugins not loaded yet carry only slug/name/description. */
export interface PluginSummary {
  slug: string;
  name: string;
  description?: string;
  source: PluginSource;
  version?: string;
  loaded: boolean;
  /** Catalog only: whether the slug is in our verified list (see catalog.ts). */
  verified?: boolean;
  settings?: { scheme: string; fields: FieldSummary[] };
  actions?: ActionSummary[];
  presets?: PresetSummary[];
}

type AnyField = (InputField | GlobalSetting) & { properties?: Record<string, Partial<InputField>> };

/** Summarises one field definition; `secretAware` adds the `secret` flag (settings fields). */
export function describeField(key: string, field: AnyField, secretAware = false): FieldSummary {
  const summary: FieldSummary = {
    key,
    label: field.label,
    description: field.description ?? '',
    type: field.type,
    required: field.required === true,
    multiple: 'multiple' in field && field.multiple === true,
    allowNull: field.allowNull === true,
  };
  if (field.required && typeof field.required === 'object') summary.requiredWhen = field.required;
  if (field.format) summary.format = field.format;
  if (field.default !== undefined) summary.default = field.default;
  if (field.choices) {
    summary.choices = field.choices.map((choice) =>
      typeof choice === 'string' ? { value: choice, label: choice } : { value: choice.value, label: choice.label });
  }
  if (secretAware) summary.secret = field.type === 'password';
  if (field.properties) {
    summary.properties = Object.entries(field.properties).map(([subKey, sub]) =>
      describeField(subKey, { ...sub, label: sub.label ?? subKey, type: sub.type ?? 'string' } as AnyField));
  }
  return summary;
}

/** The full summary of a loaded plugin. */
export function describePlugin(plugin: Plugin, extra: { verified?: boolean } = {}): PluginSummary {
  const definition = plugin.definition;
  const authentication = definition.authentication;
  const summary: PluginSummary = {
    slug: plugin.slug,
    name: plugin.name,
    source: plugin.source,
    version: plugin.version,
    loaded: true,
    ...extra,
    settings: {
      scheme: authentication?.scheme ?? 'none',
      fields: Object.entries(authentication?.fields ?? {}).map(([key, field]) => describeField(key, field, true)),
    },
    actions: Object.entries(definition.actions).map(([slug, action]) => {
      const actionSummary: ActionSummary = {
        slug,
        title: action.title,
        description: action.description,
        supportsBatch: typeof action.performBatch === 'function',
        fields: Object.entries(action.fields ?? {}).map(([key, field]) => describeField(key, field as AnyField)),
      };
      if (action.defaultSubscription) actionSummary.defaultSubscription = action.defaultSubscription.trim();
      return actionSummary;
    }),
    presets: (definition.presets ?? []).map((preset) => {
      const presetSummary: PresetSummary = { partnerAction: preset.partnerAction, type: preset.type };
      if (preset.name !== undefined) presetSummary.name = preset.name;
      if ('subscribe' in preset) presetSummary.subscribe = preset.subscribe.trim();
      if (preset.mapping) presetSummary.mapping = preset.mapping;
      return presetSummary;
    }),
  };
  if (definition.description) summary.description = definition.description;
  return summary;
}

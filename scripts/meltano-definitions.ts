/**
 * The Meltano plugin definitions in meltano/ (one per plugin, for `meltano add loader NAME --from-ref FILE`),
 * generated from the plugins' config schemas so that no setting, type or description is written twice.
 * `make meltano` writes them; a spec checks that the files in the repository are what this generates.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { EXPORT_PLUGIN, TARGET_PLUGIN, type PluginInfo } from '../src/config/plugins.js';
import { settingsJsonSchema, type JsonSchemaProperty } from '../src/config/sources.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const PLUGINS = [TARGET_PLUGIN, EXPORT_PLUGIN];

export function definitionPath(plugin: PluginInfo): string {
  return join(repoRoot, 'meltano', `${plugin.name}.yml`);
}

/**
 * Meltano's setting kind for a JSON Schema property. A fractional number is `string`, never `decimal`: Meltano
 * casts a decimal from an env var, a `.env` entry or a quoted YAML value to Python's Decimal, which its JSON
 * writer cannot write, and fails before the plugin starts; the config schema reads numeric text as the number.
 */
function kind(p: JsonSchemaProperty): string {
  if (p.enum) return 'options';
  switch (p.type) {
    case 'integer':
      return 'integer';
    case 'number':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'object';
    case 'array':
      return 'array';
    default:
      return 'string';
  }
}

export function meltanoDefinition(plugin: PluginInfo) {
  const schema = settingsJsonSchema(plugin.schema);
  return {
    name: plugin.name,
    namespace: plugin.name.replace(/-/g, '_'),
    description: plugin.description,
    // No pip_url: the plugin is a Node.js package; `npm install -g` (or `npm link`) puts this on PATH.
    executable: plugin.name,
    capabilities: [...plugin.capabilities],
    settings_group_validation: plugin.settingsGroups?.map((g) => [...g]) ?? [schema.required ?? []],
    settings: Object.entries(schema.properties).map(([name, p]) => ({
      name,
      kind: kind(p),
      description: p.type === 'number' ? `${p.description} (a number, given as text: "0.2")` : p.description,
      ...(p.enum ? { options: p.enum.map((value) => ({ label: value === '' ? '(none)' : String(value), value })) } : {}),
      ...(p.secret ? { sensitive: true } : {}),
    })),
  };
}

export function definitionYaml(plugin: PluginInfo): string {
  return `# Generated from the config schema by \`make meltano\`: edit the schema, not this file.\n${stringify(meltanoDefinition(plugin), { lineWidth: 0 })}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const plugin of PLUGINS) writeFileSync(definitionPath(plugin), definitionYaml(plugin));
}

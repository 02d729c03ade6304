/**
 * `--about`: what the plugin is, in the Meltano SDK's shape (`name`, `description`, `version`, `capabilities`,
 * and `settings` as a JSON Schema object), as JSON or as Markdown. The settings come from the zod config schema.
 */
import { ConfigError } from '../errors.js';
import type { PluginInfo } from '../config/plugins.js';
import { settingsJsonSchema } from '../config/sources.js';
import { packageVersion } from './args.js';

export function aboutText(plugin: PluginInfo, format = 'json'): string {
  const { $schema: _drop, ...settings } = settingsJsonSchema(plugin.schema) as ReturnType<typeof settingsJsonSchema> & { $schema?: string };
  const about = { name: plugin.name, description: plugin.description, version: packageVersion(), capabilities: plugin.capabilities, settings };
  switch (format.toLowerCase()) {
    case 'json':
      return JSON.stringify(about, null, 2);
    case 'markdown':
      return aboutMarkdown(about);
    default:
      throw new ConfigError(`--format must be json or markdown, not ${format}`);
  }
}

function aboutMarkdown(about: { name: string; description: string; version: string; capabilities: readonly string[]; settings: ReturnType<typeof settingsJsonSchema> }): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = Object.entries(about.settings.properties).map(([key, p]) => {
    const required = about.settings.required?.includes(key) ? 'yes' : 'no';
    const value = p.default === undefined ? '' : cell(JSON.stringify(p.default));
    return `| ${key} | ${p.type ?? 'string'}${p.secret ? ' (secret)' : ''} | ${required} | ${value} | ${cell(p.description ?? '')} |`;
  });
  return [
    `# \`${about.name}\` ${about.version}`,
    '',
    about.description,
    '',
    '## Capabilities',
    '',
    ...about.capabilities.map((c) => `* \`${c}\``),
    '',
    '## Settings',
    '',
    '| Setting | Type | Required | Default | Description |',
    '|:--|:--|:--|:--|:--|',
    ...rows,
  ].join('\n');
}

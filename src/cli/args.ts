/** Command-line parsing shared by the binaries: Node's own parseArgs, with errors turned into ConfigError. */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

export function parseCli<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new ConfigError(`${(e as Error).message} (see --help)`);
  }
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** `--about`: the plugin's settings, read from its zod config schema, as JSON or a Markdown table. */
export function aboutText(name: string, description: string, schema: z.ZodType, format: string, sensitive: string[] = []): string {
  const json = z.toJSONSchema(schema, { io: 'input' }) as { properties: Record<string, { type?: string; default?: unknown }>; required?: string[] };
  const settings = Object.entries(json.properties).map(([key, s]) => ({
    name: key,
    type: s.type ?? 'string',
    required: json.required?.includes(key) ?? false,
    default: s.default,
    sensitive: sensitive.includes(key) || undefined,
  }));
  const info = { name, version: packageVersion(), description, capabilities: ['about', 'dry-run'], settings };
  if (format === 'json') return JSON.stringify(info, null, 2);
  if (format !== 'markdown') throw new ConfigError(`--format must be json or markdown, not ${format}`);
  const rows = settings.map((s) => `| ${s.name} | ${s.type} | ${s.required ? 'yes' : 'no'} | ${s.default === undefined ? '' : JSON.stringify(s.default)} |`);
  return [`# ${name} ${info.version}`, '', description, '', '| setting | type | required | default |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * Where a config comes from, as the Meltano SDK reads it: `--config` may be given several times, each a JSON file
 * or the word `ENV`, merged left to right (a later source wins, key by key). `ENV` reads one variable per setting,
 * `<PLUGIN>_<SETTING>` in upper case (`TARGET_LISTRAK_SMS_CLIENT_ID`), which is also how Meltano hands settings
 * to a plugin's environment.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { readJsonFile } from './target.js';

/** The settings' JSON Schema: one property per key, with its type and description (also `--about`'s). */
export function settingsJsonSchema(schema: z.ZodType): { properties: Record<string, JsonSchemaProperty>; required?: string[] } {
  return z.toJSONSchema(schema, { io: 'input' }) as { properties: Record<string, JsonSchemaProperty>; required?: string[] };
}

export interface JsonSchemaProperty {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  secret?: boolean;
}

/** The environment prefix of a plugin's settings: `target-listrak-sms` → `TARGET_LISTRAK_SMS_`. */
export function envPrefix(plugin: string): string {
  return plugin.toUpperCase().replace(/[^A-Z0-9]/g, '_') + '_';
}

/**
 * One variable per setting of the schema that is set. A value is read as JSON when it parses as JSON (numbers,
 * booleans, objects), except for a setting that is a string, which keeps the text as it is (a secret made of
 * digits stays a string).
 */
export function configFromEnv(schema: z.ZodType, prefix: string, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(settingsJsonSchema(schema).properties)) {
    const text = env[prefix + key.toUpperCase()];
    if (text === undefined) continue;
    out[key] = prop.type === 'string' ? text : parseOrKeep(text);
  }
  return out;
}

function parseOrKeep(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The config the sources make together; a file must hold a JSON object. */
export function readConfigSources(sources: string[], schema: z.ZodType, plugin: string): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  for (const source of sources) {
    if (source === 'ENV') {
      merged = { ...merged, ...configFromEnv(schema, envPrefix(plugin)) };
      continue;
    }
    const value = readJsonFile(source, 'config file');
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`config file ${source} must hold a JSON object`);
    merged = { ...merged, ...(value as Record<string, unknown>) };
  }
  return merged;
}

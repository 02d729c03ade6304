/**
 * What a config looks like when Meltano hands it over, made what the schemas expect, before they validate it:
 *  - a number setting given as text (an env var, a `.env` entry, a quoted YAML value: Meltano passes them as they
 *    were written): `"0.1"` is 0.1; text that is not a number stays text, and the schema names the key;
 *  - an id-like string setting written as a bare YAML number (`client_id: 12345`) is its decimal text;
 *  - a map setting whose keys hold a dot (`public.customers`) arrives nested, as Meltano splits keys on dots:
 *    `{public: {customers: …}}` is flattened back;
 *  - relative paths follow `MELTANO_PROJECT_ROOT` when it is set: Meltano does not change into the project before
 *    starting a plugin, so a run started from a subfolder would otherwise use another journal.
 */
import { isAbsolute, join } from 'node:path';
import type { z } from 'zod';
import { settingsJsonSchema, type JsonSchemaProperty } from './sources.js';

const NUMBER_TEXT = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

type Prop = JsonSchemaProperty & { anyOf?: Prop[]; additionalProperties?: Prop | boolean };

function types(p: Prop | undefined): string[] {
  if (!p) return [];
  return [...(p.type ? [p.type] : []), ...(p.anyOf ?? []).flatMap(types)];
}

const isNumeric = (p: Prop | undefined) => types(p).some((t) => t === 'number' || t === 'integer');

function asNumber(value: unknown): unknown {
  return typeof value === 'string' && NUMBER_TEXT.test(value) ? Number(value) : value;
}

/** A nested object of leaves (`{a: {b: x}}`) as dotted keys (`{"a.b": x}`); anything else as it is. */
function flattenDotted(value: unknown, isLeaf: (v: unknown) => boolean): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (!isLeaf(v) && v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, key);
      else out[key] = v;
    }
  };
  walk(value as Record<string, unknown>, '');
  return out;
}

export function asMeltanoGaveIt(raw: unknown, schema: z.ZodType): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const props = settingsJsonSchema(schema).properties as Record<string, Prop>;
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const [key, value] of Object.entries(out)) {
    const p = props[key];
    if (!p) continue;
    if (isNumeric(p)) out[key] = asNumber(value);
    else if (types(p).includes('string') && !p.enum && typeof value === 'number' && Number.isSafeInteger(value)) out[key] = String(value);
    else if (types(p).includes('object') && typeof p.additionalProperties === 'object') {
      const values = p.additionalProperties;
      // Leaves are the map's values: numbers (or null) for a map to ids, text for a map to names.
      const leafIsValue = (v: unknown) => v === null || typeof v !== 'object' || Array.isArray(v);
      const flat = values.type === 'object' ? value : flattenDotted(value, leafIsValue);
      out[key] = isNumeric(values) && flat && typeof flat === 'object' ? Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, asNumber(v)])) : flat;
    }
  }
  return out;
}

/** `path` under the Meltano project when Meltano started the plugin and the path is relative; else as it is. */
export function underProjectRoot(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = env.MELTANO_PROJECT_ROOT;
  if (!root || isAbsolute(path) || path.startsWith('s3://')) return path;
  return join(root, path);
}

/**
 * The shape of a Meltano plugin definition as `meltano add --from-ref` reads it (Meltano 3.9 and 4.x): what the
 * definitions in meltano/ must parse as. Kinds are those Meltano knows, less `decimal` (its JSON writer fails on a
 * Decimal from the environment) and the deprecated `password` (`string` + `sensitive: true` instead).
 */
import { z } from 'zod';

export const SAFE_KINDS = ['string', 'integer', 'boolean', 'object', 'array', 'options', 'date_iso8601', 'email', 'file', 'hidden', 'oauth'] as const;

const setting = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/),
    kind: z.enum(SAFE_KINDS),
    description: z.string().min(1),
    label: z.string().optional(),
    value: z.unknown().optional(),
    sensitive: z.boolean().optional(),
    options: z.array(z.object({ label: z.string(), value: z.unknown() })).optional(),
  })
  .strict();

export const meltanoPluginDefinition = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    namespace: z.string().regex(/^[a-z_]+$/),
    description: z.string().optional(),
    executable: z.string().min(1),
    pip_url: z.string().optional(),
    capabilities: z.array(z.enum(['about', 'batch', 'stream-maps', 'schema-flattening', 'validate-records', 'structured-logging', 'hard-delete', 'datatype-failsafe', 'record-flattening', 'target-schema'])),
    settings_group_validation: z.array(z.array(z.string())).optional(),
    settings: z.array(setting),
  })
  .strict()
  .superRefine((d, ctx) => {
    const names = new Set(d.settings.map((s) => s.name));
    for (const group of d.settings_group_validation ?? []) {
      for (const name of group) if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['settings_group_validation'], message: `names ${name}, which is no setting` });
    }
    for (const s of d.settings) if (s.kind === 'options' && !s.options?.length) ctx.addIssue({ code: 'custom', path: ['settings', s.name], message: 'options kind without options' });
  });

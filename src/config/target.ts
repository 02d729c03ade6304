/**
 * The target's configuration: one zod schema that is also the documentation of every key's type, default and
 * meaning (`--about` and the Meltano plugin definition are generated from it).
 * A bad config fails here, before any API call, with a message that names the key.
 */
import { readFileSync } from 'node:fs';
import { getCountries, isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { durationMs } from './duration.js';
import { isS3Url } from './s3-url.js';
import { asMeltanoGaveIt, underProjectRoot } from './meltano.js';

/**
 * A positive whole number: as JSON gives it (Meltano and `--config ENV` both pass numbers as numbers). Never a
 * boolean, string, array or fraction, which a coercing number would turn into an id (`true` → 1).
 */
function positiveInt(max = Number.MAX_SAFE_INTEGER) {
  const message = 'must be a positive whole number';
  return z.number({ error: message }).int(message).positive(message).max(max);
}

const regionNames = new Intl.DisplayNames('en', { type: 'region' });

/** A region libphonenumber knows, or a ConfigError-worthy message naming the nearest one ("UK: did you mean GB?"). */
function regionProblem(code: string): string | undefined {
  if (isSupportedCountry(code)) return undefined;
  // CLDR knows common aliases (UK is the United Kingdom, whose code is GB): match them by the region's name.
  const name = regionNames.of(code);
  const same = name && name !== code ? getCountries().find((c) => regionNames.of(c) === name) : undefined;
  return `${code} is not a region code libphonenumber knows${same ? `: did you mean ${same}?` : ' (use an ISO 3166-1 alpha-2 code such as US or GB)'}`;
}

/** Marks a secret the way the Meltano SDK's settings schemas do (and so `--about` and the Meltano definition). */
export const SECRET = { secret: true, writeOnly: true } as const;

export const targetConfigSchema = z
  .object({
    client_id: z.string().min(1, 'must be a non-empty string').describe('Client ID of a Listrak integration of type SMS'),
    client_secret: z.string().min(1, 'must be a non-empty string').meta({ description: 'Client secret of that integration', ...SECRET }),
    sender_code_id: positiveInt().describe('The SMS sender code (short code) id'),
    phone_list_id: positiveInt().optional().describe('The SMS list the audience is mirrored into; required when the input has an audience stream'),
    auth_url: z.url().default('https://auth.listrak.com/OAuth2/Token').describe('OAuth2 token endpoint'),
    api_url: z.url().default('https://api.listrak.com/sms').describe('Base URL of the SMS API'),
    default_region: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO 3166-1 country code')
      .transform((s) => s.toUpperCase())
      .superRefine((code, ctx) => {
        const problem = regionProblem(code);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional()
      .describe("ISO 3166-1 alpha-2 region for phones written without a country code (one libphonenumber knows); default: the sender code's country, else US"),
    allowed_countries: z
      .array(z.string().regex(/^[A-Za-z]{2}$/, 'must be two-letter ISO 3166-1 country codes'))
      .default([])
      .transform((a) => a.map((s) => s.toUpperCase()))
      .describe("Countries (ISO 3166-1 alpha-2) whose numbers may be added besides those of the sender code's calling code"),
    include_custom_fields: z.boolean().default(true).describe('Manage profile fields (custom attributes) as well as the system fields'),
    max_unsubscribe_ratio: z.number().min(0).max(1).default(0.2).describe('Refuse a sync that would unsubscribe more than this share of the members in the removal scope'),
    removal_scope: z
      .enum(['list', 'managed'])
      .default('list')
      .describe('Who may be unsubscribed: "list" (the list mirrors the audience) or "managed" (only members carrying managed_field, which the sync sets on everyone it adds or finds in the audience)'),
    managed_field: z.string().min(1).optional().describe('Name of the Checkbox profile field that marks the contacts this tool manages (required with removal_scope "managed")'),
    removal_evidence: z
      .enum(['final_message', 'end_of_input'])
      .optional()
      .meta({ default: 'final_message' })
      .describe(
        'What shows the audience arrived whole, so that members missing from it may be unsubscribed: "final_message" (default), a STATE or ACTIVATE_VERSION after the ' +
          'stream\'s last record, as taps write when a stream is whole; "end_of_input", the input read to its clean end (for files that never carry state). ' +
          'Either way an incremental stream or a partial last line removes nobody',
      ),
    consent_property: z
      .string()
      .min(1)
      .default('sms_consent')
      .describe(
        'The audience property that carries SMS consent: granted (true, yes, opted_in, …), revoked (false, no, opted_out, stop) or empty (unknown). ' +
          'A revocation opts the person out (on_revoked) even from a cut input; never written to a profile field',
      ),
    consent_time_property: z
      .string()
      .min(1)
      .default('sms_consent_at')
      .describe('The audience property with the time of the consent event (ISO 8601): of several rows for one phone the latest event wins, and a revocation wins a tie'),
    require_consent: z.boolean().default(false).describe('Add a new number only when its consent is granted (else it is rejected no_consent); members with unknown consent are kept'),
    on_revoked: z
      .enum(['opt_out', 'unsubscribe'])
      .default('opt_out')
      .describe('What a revoked consent does: "opt_out" opts the number out of the whole sender code (cannot be undone through the API); "unsubscribe" takes it off this list only'),
    max_opt_out_ratio: z.number().min(0).max(1).default(0.05).describe("Refuse a sync whose revocations would opt out more than this share of the list's members, before any write"),
    require_final_state: z.boolean().optional().describe('Deprecated: use removal_evidence (false is read as "end_of_input", true as "final_message")'),
    rejects_file: z.string().min(1).default('listrak-rejects.jsonl').describe('Where rejected records go (JSONL: line, reason, field, detail, record); a dry run writes <rejects_file>.dry-run'),
    audience_stream: z.string().min(1).optional().describe('The stream whose records are the audience; default: the first stream the input declares'),
    stream_lists: z
      .record(z.string().min(1), positiveInt().nullable())
      .optional()
      .describe(
        'Several audiences in one run: a map from audience stream to the SMS list it mirrors (each a complete mirror of its own list, with its own removal evidence, guard and report), ' +
          'or to null for a stream read and counted but never written (a control group). Replaces audience_stream and phone_list_id; a stream of the input that is neither mapped nor texts stops the run',
      ),
    group_property: z.string().min(1).optional().describe('A record property holding the contact\'s treatment group (e.g. treatment); written to group_field'),
    group_field: z.string().min(1).optional().describe('Name of the Text profile field that keeps each contact\'s group (with group_property); a rerun writes only changed groups'),
    batch_size: positiveInt(100_000).default(5000).describe('Planned writes handled per batch'),
    page_size: positiveInt(5000).default(5000).describe("Members read per page (Listrak's maximum is 5000)"),
    max_requests_per_second: z
      .number()
      .positive()
      .default(100)
      .describe('The highest request rate of every phase together; the rate itself is found from Listrak\'s answers below it (see adaptive_rate)'),
    adaptive_rate: z
      .boolean()
      .default(true)
      .describe('Find the request rate Listrak allows: start slow, grow while calls succeed, cut back on a 429; false pins the rate at max_requests_per_second (for a contractual limit)'),
    max_concurrency: positiveInt(64).default(4).describe('Requests in flight at most'),
    request_timeout_ms: positiveInt().default(30_000).describe('Timeout of one request, in milliseconds'),
    max_retries: z.number().int().min(0).max(20).default(5).describe('Retries of 429, 5xx and network errors (exponential backoff with jitter, Retry-After honoured)'),
    import_poll_interval_s: z.number().positive().default(5).describe('Seconds between polls of a running contact update import'),
    import_timeout_s: z.number().positive().default(3600).describe('Seconds to wait for a contact update import at most'),
    import_max_bytes: positiveInt(195_000_000).default(195_000_000).describe('Largest contact-import file, raw bytes before Base64; larger batches are split'),
    transactional_stream: z.string().min(1).default('transactional_messages').describe('The stream whose records are transactional texts'),
    transactional_phone_list_id: positiveInt().optional().describe('The list whose transactional message shells the texts use; required when the input has texts'),
    journal_path: z
      .string()
      .min(1)
      .refine((p) => !p.startsWith('s3://') || isS3Url(p), 'an S3 journal is written s3://bucket or s3://bucket/prefix')
      .default('listrak-transactional-journal.jsonl')
      .describe('The exactly-once journal of transactional sends: a local file, or s3://bucket/prefix for a journal every runner shares'),
    journal_endpoint: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .optional()
      .describe('Endpoint of an S3-compatible store for an s3:// journal_path or audit_path (MinIO, R2, GCS interoperability), addressed path-style; default: AWS S3'),
    journal_retention_days: positiveInt().default(30).describe("Days a local journal keeps an entry after its last change; older entries are compacted away"),
    max_text_age: z
      .string()
      .refine((d) => durationMs(d) !== undefined, 'must be a duration such as 90m, 24h or 2d')
      .default('24h')
      .describe('A text whose event_time is older than this is rejected stale, never sent (90m, 24h, 2d)'),
    subscribe_before_send: z
      .boolean()
      .default(false)
      .describe('Subscribe (or create) a contact missing from the transactional list before its text, which makes Listrak text its opt-in'),
    resend_unknown: z.boolean().default(false).describe('Send again texts whose earlier outcome is unknown (the process died mid-call); off, they are reported'),
    max_plan_age: z
      .string()
      .refine((d) => durationMs(d) !== undefined, 'must be a duration such as 90m, 24h or 2d')
      .default('24h')
      .describe('--apply refuses a plan made longer ago than this (90m, 24h, 2d): the list it was made against has moved on'),
    audit_path: z
      .string()
      .min(1)
      .refine((p) => !p.startsWith('s3://') || isS3Url(p), 'an S3 audit trail is written s3://bucket or s3://bucket/prefix')
      .optional()
      .describe(
        'Where every write is recorded, one JSON line each (time, run id, list, action, full phone, reason, outcome): a local file, only ever appended to, mode 0600; ' +
          'or s3://bucket/prefix, one new object per batch (journal_endpoint for another store); unset, no audit trail',
      ),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.stream_lists !== undefined) {
      for (const key of ['phone_list_id', 'audience_stream'] as const) {
        if (c[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'not with stream_lists, which names every audience stream and its list' });
      }
      if (Object.keys(c.stream_lists).length === 0) ctx.addIssue({ code: 'custom', path: ['stream_lists'], message: 'maps no stream to a list' });
      if (c.transactional_stream in c.stream_lists) ctx.addIssue({ code: 'custom', path: ['stream_lists'], message: `"${c.transactional_stream}" is the transactional stream, not an audience` });
    }
    if ((c.group_property === undefined) !== (c.group_field === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.group_property === undefined ? 'group_property' : 'group_field'], message: 'group_property and group_field go together' });
    }
    if (c.removal_scope === 'managed' && c.managed_field === undefined) {
      ctx.addIssue({ code: 'custom', path: ['managed_field'], message: 'required with removal_scope "managed": the name of a Checkbox profile field that marks the contacts this tool manages' });
    }
  });

export type TargetConfig = z.output<typeof targetConfigSchema>;

/** Format zod issues as `key: reason` lines, naming every offending key. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const key = i.path.length ? i.path.join('.') : '(config)';
      if (i.code === 'unrecognized_keys') return `unknown key(s): ${i.keys.join(', ')}`;
      return `${key}: ${i.message}`;
    })
    .join('; ');
}

export function parseTargetConfig(raw: unknown): TargetConfig {
  const parsed = targetConfigSchema.safeParse(asMeltanoGaveIt(raw, targetConfigSchema));
  if (!parsed.success) throw new ConfigError(`invalid config: ${describeIssues(parsed.error)}`);
  const c = parsed.data;
  const audit = c.audit_path;
  return {
    ...c,
    rejects_file: underProjectRoot(c.rejects_file),
    journal_path: underProjectRoot(c.journal_path),
    ...(audit !== undefined ? { audit_path: isS3Url(audit) ? audit : underProjectRoot(audit) } : {}),
  };
}

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

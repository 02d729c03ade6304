/**
 * The target's configuration: one zod schema that is also the documentation of every key's type and default.
 * A bad config fails here, before any API call, with a message that names the key.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { durationMs } from './duration.js';
import { isS3Url } from './s3-url.js';

const positiveInt = z.coerce.number().int().positive();

export const targetConfigSchema = z
  .object({
    client_id: z.string().min(1, 'must be a non-empty string'),
    client_secret: z.string().min(1, 'must be a non-empty string'),
    sender_code_id: positiveInt,
    /** The list the audience is mirrored into; required when the input has an audience stream. */
    phone_list_id: positiveInt.optional(),
    auth_url: z.url().default('https://auth.listrak.com/OAuth2/Token'),
    api_url: z.url().default('https://api.listrak.com/sms'),
    /** ISO 3166-1 alpha-2 region for phones written without a country code; default: the sender code's country, else US. */
    default_region: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO 3166-1 country code')
      .transform((s) => s.toUpperCase())
      .optional(),
    include_custom_fields: z.boolean().default(true),
    /** Refuse a sync that would unsubscribe more than this share of the current list. */
    max_unsubscribe_ratio: z.number().min(0).max(1).default(0.2),
    rejects_file: z.string().min(1).default('listrak-rejects.jsonl'),
    /** Stream whose records are the audience; default: the first stream the tap declares. */
    audience_stream: z.string().min(1).optional(),
    /** Records diffed (and written) per batch. */
    batch_size: positiveInt.max(100_000).default(5000),
    /** Members read per page (Listrak allows at most 5000). */
    page_size: positiveInt.max(5000).default(5000),
    max_requests_per_second: z.number().positive().default(10),
    max_concurrency: positiveInt.max(64).default(4),
    request_timeout_ms: positiveInt.default(30_000),
    max_retries: z.number().int().min(0).max(20).default(5),
    /** Seconds between polls of a running contact import, and how long to wait for it at most. */
    import_poll_interval_s: z.number().positive().default(5),
    import_timeout_s: z.number().positive().default(3600),
    /** Largest contact-import file, raw bytes before Base64 (Listrak's limit: about 195,000,000). */
    import_max_bytes: positiveInt.max(195_000_000).default(195_000_000),
    /** Transactional texts: the stream, the list whose message shells they use, and the exactly-once journal. */
    transactional_stream: z.string().min(1).default('transactional_messages'),
    transactional_phone_list_id: positiveInt.optional(),
    /** A local file, or `s3://bucket/prefix` for a journal shared by every runner (see README "Exactly once"). */
    journal_path: z
      .string()
      .min(1)
      .refine((p) => !p.startsWith('s3://') || isS3Url(p), 'an S3 journal is written s3://bucket or s3://bucket/prefix')
      .default('listrak-transactional-journal.jsonl'),
    /** An S3-compatible store's endpoint (MinIO, R2, GCS interoperability); addressed path-style. Default: AWS S3. */
    journal_endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /** Days a local journal keeps an entry after its last change; older entries are compacted away. */
    journal_retention_days: positiveInt.default(30),
    /** A text whose `event_time` is older than this is rejected `stale`, never sent (`90m`, `24h`, `2d`). */
    max_text_age: z.string().refine((d) => durationMs(d) !== undefined, 'must be a duration such as 90m, 24h or 2d').default('24h'),
    /** Subscribe (or create) a contact not on the transactional list first; Listrak then texts them its opt-in. */
    subscribe_before_send: z.boolean().default(false),
    /** Send again messages whose earlier outcome is unknown (the process died mid-call). Off: they are reported. */
    resend_unknown: z.boolean().default(false),
  })
  .strict();

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
  const parsed = targetConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid config: ${describeIssues(parsed.error)}`);
  return parsed.data;
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

export function loadTargetConfig(path: string): TargetConfig {
  return parseTargetConfig(readJsonFile(path, 'config file'));
}

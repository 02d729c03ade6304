/** listrak-sftp-export's configuration, validated with zod before anything is read or sent. */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { describeIssues, readJsonFile } from './target.js';

export const FILE_KINDS = ['customers', 'products', 'orders', 'order_items'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

const fileKind = z.enum(FILE_KINDS);

export const exportConfigSchema = z
  .object({
    host: z.string().min(1).default('ftp.listrak.com'),
    port: z.coerce.number().int().min(1).max(65535).default(22),
    username: z.string().min(1, 'must be a non-empty string'),
    password: z.string().min(1).optional(),
    private_key_path: z.string().min(1).optional(),
    passphrase: z.string().min(1).optional(),
    /** The server's host key fingerprint as OpenSSH prints it: `SHA256:` + unpadded Base64. */
    host_key_sha256: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be an OpenSSH SHA256 fingerprint (SHA256: followed by 43 Base64 characters; see ssh-keygen -lf)')
      .optional(),
    /** Explicit opt-out of host key checking; never the default. */
    allow_unknown_host_key: z.boolean().default(false),
    remote_dir: z.string().min(1).default('/'),
    staging_dir: z.string().min(1).default('listrak-export'),
    /** UTC date in file names: YYYY, MM, DD, HH, mm, ss; other characters are kept as they are. */
    date_pattern: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'may hold only letters, digits, - and _')
      .default('YYYYMMDD'),
    delimiter: z.string().length(1, 'must be one character').default(','),
    text_qualifier: z.enum(['"', "'", '']).default('"'),
    /** Input stream → file kind. */
    streams: z.record(z.string(), fileKind).default({ customers: 'customers', products: 'products', orders: 'orders', order_items: 'order_items' }),
    /** Per file kind, column → record property, where names do not match by themselves. */
    mappings: z.partialRecord(fileKind, z.record(z.string(), z.string())).default({}),
    rejects_file: z.string().min(1).default('listrak-export-rejects.jsonl'),
    max_retries: z.number().int().min(0).max(10).default(3),
    retry_base_delay_ms: z.number().int().min(0).default(1000),
    timeout_ms: z.number().int().positive().default(30_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.delimiter === c.text_qualifier) ctx.addIssue({ code: 'custom', path: ['delimiter'], message: 'must differ from text_qualifier' });
    if (/[\r\n]/.test(c.delimiter)) ctx.addIssue({ code: 'custom', path: ['delimiter'], message: 'cannot be a line break' });
  });

export type ExportConfig = z.output<typeof exportConfigSchema>;

export function parseExportConfig(raw: unknown, opts: { needsUpload: boolean }): ExportConfig {
  const parsed = exportConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid config: ${describeIssues(parsed.error)}`);
  const c = parsed.data;
  if (opts.needsUpload) {
    if (!c.password && !c.private_key_path) throw new ConfigError('invalid config: password or private_key_path: one is required to upload');
    if (!c.host_key_sha256 && !c.allow_unknown_host_key) {
      throw new ConfigError(
        'invalid config: host_key_sha256: required, so the upload cannot go to an impostor server (get it with ssh-keyscan HOST | ssh-keygen -lf -), or set allow_unknown_host_key: true to skip the check knowingly',
      );
    }
  }
  return c;
}

export function loadExportConfig(path: string, opts: { needsUpload: boolean }): ExportConfig {
  return parseExportConfig(readJsonFile(path, 'config file'), opts);
}

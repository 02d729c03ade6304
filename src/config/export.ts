/** listrak-sftp-export's configuration, validated with zod before anything is read or sent. */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { describeIssues, SECRET } from './target.js';
import { asMeltanoGaveIt, underProjectRoot } from './meltano.js';

export const FILE_KINDS = ['customers', 'products', 'orders', 'order_items'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

const fileKind = z.enum(FILE_KINDS);

export const exportConfigSchema = z
  .object({
    host: z.string().min(1).default('ftp.listrak.com').describe('The SFTP server'),
    port: z.coerce.number().int().min(1).max(65535).default(22).describe("The SFTP server's port"),
    username: z.string().min(1, 'must be a non-empty string').describe("User name from Listrak's FTP integration"),
    password: z.string().min(1).optional().meta({ description: 'Password of that user (or private_key_path)', ...SECRET }),
    private_key_path: z.string().min(1).optional().describe('Private key file to log in with (or password)'),
    passphrase: z.string().min(1).optional().meta({ description: 'Passphrase of the private key', ...SECRET }),
    host_key_sha256: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be an OpenSSH SHA256 fingerprint (SHA256: followed by 43 Base64 characters; see ssh-keygen -lf)')
      .optional()
      .describe("The server key's fingerprint as OpenSSH prints it (ssh-keyscan HOST | ssh-keygen -lf -); required to upload"),
    allow_unknown_host_key: z.boolean().default(false).describe('Skip the host key check, knowingly (logged on every upload); never the default'),
    remote_dir: z.string().min(1).default('/').describe('Where files go on the server'),
    staging_dir: z.string().min(1).default('listrak-export').describe('Local folder the files are written to first'),
    date_pattern: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'may hold only letters, digits, - and _')
      .default('YYYYMMDD')
      .describe('<DATE> in file names, UTC: YYYY, MM, DD, HH, mm, ss; other characters are kept as they are'),
    delimiter: z.string().length(1, 'must be one character').default(',').describe('CSV field delimiter'),
    text_qualifier: z.enum(['"', "'", '']).default('"').describe("CSV text qualifier (RFC 4180 quoting with it; '' for none)"),
    streams: z
      .record(z.string(), fileKind)
      .default({ customers: 'customers', products: 'products', orders: 'orders', order_items: 'order_items' })
      .describe('Input stream → file kind (customers, products, orders, order_items)'),
    mappings: z
      .partialRecord(fileKind, z.record(z.string(), z.string()))
      .default({})
      .describe('Per file kind, column → record property, where names do not match by themselves'),
    rejects_file: z.string().min(1).default('listrak-export-rejects.jsonl').describe('Rejected rows (JSONL)'),
    max_retries: z.number().int().min(0).max(10).default(3).describe('Upload retries after a dropped connection'),
    retry_base_delay_ms: z.number().int().min(0).default(1000).describe('Base of the upload retries\' exponential backoff, in milliseconds'),
    timeout_ms: z.number().int().positive().default(30_000).describe('Connection timeout, in milliseconds'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.delimiter === c.text_qualifier) ctx.addIssue({ code: 'custom', path: ['delimiter'], message: 'must differ from text_qualifier' });
    if (/[\r\n]/.test(c.delimiter)) ctx.addIssue({ code: 'custom', path: ['delimiter'], message: 'cannot be a line break' });
  });

export type ExportConfig = z.output<typeof exportConfigSchema>;

export function parseExportConfig(raw: unknown, opts: { needsUpload: boolean }): ExportConfig {
  const parsed = exportConfigSchema.safeParse(asMeltanoGaveIt(raw, exportConfigSchema));
  if (!parsed.success) throw new ConfigError(`invalid config: ${describeIssues(parsed.error)}`);
  const c = { ...parsed.data, rejects_file: underProjectRoot(parsed.data.rejects_file), staging_dir: underProjectRoot(parsed.data.staging_dir) };
  if (c.private_key_path) c.private_key_path = underProjectRoot(c.private_key_path);
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

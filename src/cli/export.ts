#!/usr/bin/env node
/**
 * listrak-sftp-export: Singer records (customers, products, orders, order items) → Listrak's import files → SFTP.
 *   listrak-sftp-export --config config.json [--local-only | --dry-run] < singer.jsonl
 */
import { checkExport } from '../check/export.js';
import { exportConfigSchema, loadExportConfig, type ExportConfig } from '../config/export.js';
import { assertUsablePaths, exportPaths } from '../config/paths.js';
import { ConfigError, EXIT } from '../errors.js';
import { createLogger } from '../log.js';
import { scrubSecrets } from '../redact.js';
import { createStatusOutput } from '../report/progress.js';
import { runExport, type ExportMode } from '../sftp/exporter.js';
import { createSingerWriter } from '../singer/writer.js';
import { aboutText, packageVersion, parseCli } from './args.js';
import { debugRequested, runMain } from './run.js';

const HELP = `Usage: listrak-sftp-export --config CONFIG [--local-only | --dry-run] < singer.jsonl
       listrak-sftp-export --config CONFIG --check

Writes Listrak's import files (customers, products, orders, order items) from Singer records and uploads them
over SFTP: under a temporary name, size-checked, then renamed into place; the server's host key must match
host_key_sha256.

Options:
  --config FILE    JSON config (see README "listrak-sftp-export")
  --local-only     write the files to staging_dir and stop there
  --dry-run        read and check everything; write and upload nothing
  --check          check the local paths and the SFTP server (reached, host key, login, a probe file written to
                   remote_dir and removed), one line per check, and stop
  --debug          debug logging, and the stack trace of a failure
  --about          print the settings (--format json|markdown)
  --version, --help

Exit codes: 0 done, 1 upload failed, 2 bad config or credentials or host key, 3 bad input (the line is named).`;

let secrets: string[] = [];

async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, {
    config: { type: 'string' },
    'local-only': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    check: { type: 'boolean' },
    debug: { type: 'boolean' },
    about: { type: 'boolean' },
    format: { type: 'string' },
    version: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  const print = (text: string) => (process.stdout.write(text + '\n'), EXIT.ok);
  if (values.help) return print(HELP);
  if (values.version) return print(`listrak-sftp-export ${packageVersion()}`);
  if (values.about) return print(aboutText('listrak-sftp-export', "Singer target writing Listrak's import files and uploading them over SFTP", exportConfigSchema, values.format ?? 'json', ['password', 'passphrase']));
  if (!values.config) throw new ConfigError('--config is required (see --help)');
  if (values['local-only'] && values['dry-run']) throw new ConfigError('--local-only and --dry-run cannot be combined');
  if (values.check && (values['local-only'] || values['dry-run'])) throw new ConfigError('--check stands alone: it reads no input and writes no export');
  const mode: ExportMode = values['dry-run'] ? 'dry-run' : values['local-only'] ? 'local-only' : 'upload';
  const config: ExportConfig = loadExportConfig(values.config, { needsUpload: mode === 'upload' });
  secrets = [config.password, config.passphrase].filter((s): s is string => !!s);
  if (values.check) return checkExport(config, (line) => process.stdout.write(scrubSecrets(line, secrets) + '\n'));
  // Every local file and folder the export uses is checked before reading the input.
  assertUsablePaths(exportPaths(config, { staging: mode !== 'dry-run' }));
  const status = createStatusOutput(process.stderr);
  const logger = createLogger({ level: debugRequested() ? 'debug' : 'info', secrets: () => secrets, write: status.line });
  try {
    const result = await runExport({ config, input: process.stdin, writer: createSingerWriter(), logger, mode, progress: status.progress });
    status.stop();
    logger.info(`${mode === 'dry-run' ? 'dry run (nothing was written)' : 'report'}:\n${result.report}`);
    return EXIT.ok;
  } finally {
    status.stop();
  }
}

await runMain(() => main(process.argv.slice(2)), () => secrets);

#!/usr/bin/env node
/**
 * listrak-sftp-export: Singer records (customers, products, orders, order items) → Listrak's import files → SFTP.
 *   listrak-sftp-export --config config.json [--local-only | --dry-run] < singer.jsonl
 */
import { checkExport } from '../check/export.js';
import { parseExportConfig, type ExportConfig } from '../config/export.js';
import { assertUsablePaths, exportPaths } from '../config/paths.js';
import { EXPORT_PLUGIN } from '../config/plugins.js';
import { ConfigError, EXIT } from '../errors.js';
import { createLogger } from '../log.js';
import { scrubSecrets } from '../redact.js';
import { createStatusOutput } from '../report/progress.js';
import { runExport, type ExportMode } from '../sftp/exporter.js';
import { Metrics } from '../singer/metrics.js';
import { createSingerWriter } from '../singer/writer.js';
import { aboutText } from './about.js';
import { inputStream, packageVersion, parseCli, readConfig, TARGET_OPTIONS, TARGET_OPTIONS_HELP } from './args.js';
import { MELTANO_TEST_STREAM, peekMeltanoTest } from './meltano-test.js';
import { debugRequested, runMain } from './run.js';

const HELP = `Usage: listrak-sftp-export --config CONFIG [--local-only | --dry-run] [--input FILE] < singer.jsonl
       listrak-sftp-export --config CONFIG --check

Writes Listrak's import files (customers, products, orders, order items) from Singer records and uploads them
over SFTP: under a temporary name, size-checked, then renamed into place; the server's host key must match
host_key_sha256. stdout carries the tap's state once every file is in place.

Options:
${TARGET_OPTIONS_HELP}
  --local-only        write the files to staging_dir and stop there
  --dry-run           read and check everything; write and upload nothing
  --check             check the local paths and the SFTP server (reached, host key, login, a probe file written to
                      remote_dir and removed), one line per check, and stop
  --debug             debug logging, and the stack trace of a failure

Exit codes: 0 done, 1 upload failed, 2 bad config or credentials or host key, 3 bad input (the line is named),
130/143 stopped by SIGINT/SIGTERM, 141 stdout closed (both at a safe point: run again to finish the job).`;

let secrets: string[] = [];

async function main(argv: string[], stop: AbortSignal): Promise<number> {
  const { values } = parseCli(argv, { ...TARGET_OPTIONS, 'local-only': { type: 'boolean' }, 'dry-run': { type: 'boolean' }, check: { type: 'boolean' }, debug: { type: 'boolean' } });
  const print = (text: string) => (process.stdout.write(text + '\n'), EXIT.ok);
  if (values.help) return print(HELP);
  if (values.version) return print(`listrak-sftp-export ${packageVersion()}`);
  if (values.about) return print(aboutText(EXPORT_PLUGIN, values.format));
  if (!values.config?.length) throw new ConfigError('--config is required (see --help)');
  if (values['local-only'] && values['dry-run']) throw new ConfigError('--local-only and --dry-run cannot be combined');
  if (values.check && (values['local-only'] || values['dry-run'])) throw new ConfigError('--check stands alone: it reads no input and writes no export');
  const mode: ExportMode = values['dry-run'] ? 'dry-run' : values['local-only'] ? 'local-only' : 'upload';
  const raw = readConfig(values.config, EXPORT_PLUGIN);
  if (values.check) return checkWith(parseExportConfig(raw, { needsUpload: true }), (line) => process.stdout.write(line + '\n'));
  const peeked = await peekMeltanoTest(inputStream(values.input), stop);
  if (peeked.test) {
    process.stderr.write(`${MELTANO_TEST_STREAM}: Meltano's config test; checking the settings instead of exporting (nothing is uploaded)\n`);
    return checkWith(parseExportConfig(raw, { needsUpload: true }), (line) => process.stderr.write(line + '\n'));
  }
  const config: ExportConfig = parseExportConfig(raw, { needsUpload: mode === 'upload' });
  secrets = [config.password, config.passphrase].filter((s): s is string => !!s);
  // Every local file and folder the export uses is checked before reading the input.
  assertUsablePaths(exportPaths(config, { staging: mode !== 'dry-run' }));
  const status = createStatusOutput(process.stderr);
  const logger = createLogger({ level: debugRequested() ? 'debug' : 'info', secrets: () => secrets, write: status.line });
  try {
    const result = await runExport({ config, input: peeked.input, writer: createSingerWriter(), logger, mode, progress: status.progress, metrics: new Metrics(), signal: stop });
    status.stop();
    logger.info(`${mode === 'dry-run' ? 'dry run (nothing was written)' : 'report'}:\n${result.report}`);
    return EXIT.ok;
  } finally {
    status.stop();
  }
}

/** `--check` (or Meltano's config test): the checks' lines, secrets removed; the exit code of the first failure. */
function checkWith(config: ExportConfig, write: (line: string) => void): Promise<number> {
  secrets = [config.password, config.passphrase].filter((s): s is string => !!s);
  return checkExport(config, (line) => write(scrubSecrets(line, secrets)));
}

await runMain((stop) => main(process.argv.slice(2), stop), () => secrets);

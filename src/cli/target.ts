#!/usr/bin/env node
/**
 * target-listrak-sms: a Singer target that makes one Listrak SMS list mirror the audience on stdin.
 *   target-listrak-sms --config config.json [--dry-run] < audience.jsonl
 *   target-listrak-sms --sandbox seed.json [--config overrides.json] < audience.jsonl   (embedded sandbox)
 */
import { createReadStream, fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseTargetConfig, readJsonFile, targetConfigSchema, type TargetConfig } from '../config/target.js';
import { ConfigError, EXIT } from '../errors.js';
import { createListrakClient, type ListrakClient } from '../listrak/client.js';
import { createLogger } from '../log.js';
import { runSync } from '../sync/run.js';
import { rejectsPath } from '../report/rejects.js';
import { createSingerWriter } from '../singer/writer.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import type { SandboxSeed } from '../sandbox/model.js';
import { aboutText, packageVersion, parseCli } from './args.js';
import { runMain } from './run.js';

const HELP = `Usage: target-listrak-sms --config CONFIG [--dry-run] < singer.jsonl

Makes one Listrak SMS list mirror the audience stream read on stdin (Singer JSONL).

Options:
  --config FILE       JSON config (see README "Configuration")
  --dry-run           read everything, write nothing, print the plan
  --sandbox SEED      run against an embedded Listrak sandbox seeded from SEED (a demo; --config optional)
  --about             print what this target supports (--format json|markdown)
  --version           print the version
  --help              this text

Exit codes: 0 the list matches the audience, 1 Listrak or runtime failure, 2 bad config or arguments,
3 bad input (the message names the line), 4 the removal guard refused the sync, 5 removals withheld (the audience
was not shown complete: adds and updates applied, nobody unsubscribed).`;

let secrets: string[] = [];

async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, {
    config: { type: 'string' },
    'dry-run': { type: 'boolean' },
    sandbox: { type: 'string' },
    about: { type: 'boolean' },
    format: { type: 'string' },
    version: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (values.help) return print(HELP);
  if (values.version) return print(`target-listrak-sms ${packageVersion()}`);
  if (values.about) return print(aboutText('target-listrak-sms', 'Singer target that makes one Listrak SMS list mirror an audience stream', targetConfigSchema, values.format ?? 'json', ['client_secret']));

  let sandbox: Sandbox | undefined;
  let raw: Record<string, unknown> = {};
  if (values.config) raw = readJsonFile(values.config, 'config file') as Record<string, unknown>;
  else if (!values.sandbox) throw new ConfigError('--config is required (or --sandbox SEED for a demo against the embedded sandbox)');
  if (values.sandbox) {
    const seed = readJsonFile(values.sandbox, 'sandbox seed') as SandboxSeed;
    sandbox = await startSandbox({ seed, importDelayMs: 200 });
    raw = { ...sandboxConfig(seed, sandbox), ...raw };
    process.stderr.write(`sandbox: embedded Listrak sandbox at ${sandbox.url}\n`);
  }
  try {
    const config = parseTargetConfig(raw);
    secrets = [config.client_secret];
    return await sync(config, values['dry-run'] ?? false);
  } finally {
    await sandbox?.close();
  }
}

async function sync(config: TargetConfig, dryRun: boolean): Promise<number> {
  // The logger scrubs the secret and the current token; the client logs retries through it.
  const ref: { client?: ListrakClient } = {};
  const logger = createLogger({ level: process.env.DEBUG ? 'debug' : 'info', secrets: () => ref.client?.tokens.secrets() ?? [config.client_secret] });
  ref.client = createListrakClient(config, { onRetry: (route, attempt, reason) => logger.warn(`${route}: retry ${attempt} after ${reason}`) });
  const { tokens, http, api } = ref.client;
  try {
    // LISTRAK_SMS_REFERENCE_ONLY=1: the reference path alone, to compare with the fast path (or rule it out).
    const fastPath = process.env.LISTRAK_SMS_REFERENCE_ONLY !== '1';
    const result = await runSync({ config, api, http, input: stdinStream(), writer: createSingerWriter(), logger, dryRun, fastPath });
    logger.info(`${dryRun ? 'dry run (nothing was written)' : 'report'}:\n${result.report}`);
    if (result.counts.rejectedTotal() > 0) logger.info(`rejected records are in ${rejectsPath(config.rejects_file, dryRun)}`);
    if (result.counts.removalsWithheld) {
      logger.warn(`removals withheld (exit ${EXIT.withheld}): adds and updates were applied, nobody was unsubscribed`);
      return EXIT.withheld;
    }
    return EXIT.ok;
  } finally {
    secrets = tokens.secrets();
  }
}

function sandboxConfig(seed: SandboxSeed, sandbox: Sandbox): Record<string, unknown> {
  const client = seed.clients?.[0] ?? { client_id: 'sandbox-client', client_secret: 'sandbox-secret' };
  const list = seed.lists?.[0];
  return {
    client_id: client.client_id,
    client_secret: client.client_secret,
    sender_code_id: list?.senderCodeId ?? seed.senderCodes?.[0]?.shortCodeId,
    phone_list_id: list?.phoneListId,
    auth_url: sandbox.authUrl,
    api_url: sandbox.apiUrl,
    import_poll_interval_s: 0.1,
    max_requests_per_second: 200,
  };
}

function print(text: string): number {
  process.stdout.write(text + '\n');
  return EXIT.ok;
}

await runMain(() => main(process.argv.slice(2)), () => secrets);

/**
 * Standard input; read in 1 MiB blocks when it is a file (`target-listrak-sms < audience.jsonl`), where
 * process.stdin's 64 KiB reads mean thousands more read calls for a large audience. A pipe gives what it holds.
 */
function stdinStream(): Readable {
  try {
    if (fstatSync(0).isFile()) return createReadStream('', { fd: 0, highWaterMark: 1 << 20, autoClose: false });
  } catch {
    // No usable descriptor 0: fall back to process.stdin, which reports its own errors.
  }
  return process.stdin;
}

#!/usr/bin/env node
/**
 * target-listrak-sms: a Singer target that makes one Listrak SMS list mirror the audience on stdin.
 *   target-listrak-sms --config config.json [--dry-run] < audience.jsonl
 *   target-listrak-sms --sandbox seed.json [--config overrides.json] < audience.jsonl   (embedded sandbox)
 */
import { parseTargetConfig, readJsonFile, type TargetConfig } from '../config/target.js';
import { TARGET_PLUGIN } from '../config/plugins.js';
import { ConfigError, EXIT } from '../errors.js';
import { createListrakClient, type ListrakClient } from '../listrak/client.js';
import { createLogger } from '../log.js';
import { runSync } from '../sync/run.js';
import { Metrics } from '../singer/metrics.js';
import { createSingerWriter } from '../singer/writer.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import type { SandboxSeed } from '../sandbox/model.js';
import { aboutText } from './about.js';
import { inputStream, packageVersion, parseCli, readConfig, TARGET_OPTIONS, TARGET_OPTIONS_HELP } from './args.js';
import { runMain } from './run.js';

const HELP = `Usage: target-listrak-sms --config CONFIG [--dry-run] [--input FILE] < singer.jsonl

Makes one Listrak SMS list mirror the audience stream read on stdin (Singer JSONL), and sends the transactional
texts it holds exactly once. stdout carries the tap's states, each once it is safe to resume from.

Options:
${TARGET_OPTIONS_HELP}
  --dry-run           read everything, write nothing, print the plan
  --sandbox SEED      run against an embedded Listrak sandbox seeded from SEED (a demo; --config optional)

Exit codes: 0 the list matches the audience, 1 Listrak or runtime failure, 2 bad config or arguments,
3 bad input (the message names the line), 4 the removal guard refused the sync, 130/143 stopped by
SIGINT/SIGTERM, 141 stdout closed (both at a safe point: run again to finish the job).`;

let secrets: string[] = [];

async function main(argv: string[], stop: AbortSignal): Promise<number> {
  const { values } = parseCli(argv, { ...TARGET_OPTIONS, 'dry-run': { type: 'boolean' }, sandbox: { type: 'string' } });
  if (values.help) return print(HELP);
  if (values.version) return print(`target-listrak-sms ${packageVersion()}`);
  if (values.about) return print(aboutText(TARGET_PLUGIN, values.format));

  let sandbox: Sandbox | undefined;
  if (!values.config?.length && !values.sandbox) throw new ConfigError('--config is required (or --sandbox SEED for a demo against the embedded sandbox)');
  let raw = readConfig(values.config, TARGET_PLUGIN);
  const input = inputStream(values.input);
  if (values.sandbox) {
    const seed = readJsonFile(values.sandbox, 'sandbox seed') as SandboxSeed;
    sandbox = await startSandbox({ seed, importDelayMs: 200 });
    raw = { ...sandboxConfig(seed, sandbox), ...raw };
    process.stderr.write(`sandbox: embedded Listrak sandbox at ${sandbox.url}\n`);
  }
  try {
    const config = parseTargetConfig(raw);
    secrets = [config.client_secret];
    return await sync(config, values['dry-run'] ?? false, input, stop);
  } finally {
    await sandbox?.close();
  }
}

async function sync(config: TargetConfig, dryRun: boolean, input: ReturnType<typeof inputStream>, stop: AbortSignal): Promise<number> {
  // The logger scrubs the secret and the current token; the client logs retries through it.
  const ref: { client?: ListrakClient } = {};
  const logger = createLogger({ level: process.env.DEBUG ? 'debug' : 'info', secrets: () => ref.client?.tokens.secrets() ?? [config.client_secret] });
  const metrics = new Metrics();
  ref.client = createListrakClient(config, {
    onRetry: (route, attempt, reason) => logger.warn(`${route}: retry ${attempt} after ${reason}`),
    onAttempt: (route, status, seconds) =>
      metrics.timer('http_request_duration', seconds, { endpoint: route, status: status !== undefined && status < 300 ? 'succeeded' : 'failed', ...(status ? { http_status_code: status } : {}) }),
    signal: stop,
  });
  const { tokens, http, api } = ref.client;
  try {
    const result = await runSync({ config, api, http, input, writer: createSingerWriter(), logger, dryRun, metrics, signal: stop });
    logger.info(`${dryRun ? 'dry run (nothing was written)' : 'report'}:\n${result.report}`);
    if (result.counts.rejectedTotal() > 0) logger.info(`rejected records are in ${config.rejects_file}`);
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

await runMain((stop) => main(process.argv.slice(2), stop), () => secrets);

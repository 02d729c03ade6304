#!/usr/bin/env node
/**
 * target-listrak-sms: a Singer target that makes one Listrak SMS list mirror the audience on stdin.
 *   target-listrak-sms --config config.json [--dry-run] < audience.jsonl
 *   target-listrak-sms --sandbox seed.json [--config overrides.json] < audience.jsonl   (embedded sandbox)
 */
import { fstatSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { catalogAudience, checkTarget, PACKAGED_CATALOG } from '../check/target.js';
import { assertUsablePath, assertUsablePaths, targetPaths } from '../config/paths.js';
import { parseTargetConfig, readJsonFile, type TargetConfig } from '../config/target.js';
import { TARGET_PLUGIN } from '../config/plugins.js';
import { ConfigError, EXIT } from '../errors.js';
import { createListrakClient, type ListrakClient } from '../listrak/client.js';
import { retryLine } from '../listrak/http.js';
import { createLogger, type Logger } from '../log.js';
import { maskPhonesIn, scrubSecrets } from '../redact.js';
import { createStatusOutput } from '../report/progress.js';
import { runSync } from '../sync/run.js';
import { checkPlan, readPlanFile, type SavedPlan } from '../sync/plan-file.js';
import { Metrics } from '../singer/metrics.js';
import { createSingerWriter } from '../singer/writer.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import type { SandboxSeed } from '../sandbox/model.js';
import { aboutText } from './about.js';
import { inputStream, packageVersion, parseCli, readConfig, TARGET_OPTIONS, TARGET_OPTIONS_HELP } from './args.js';
import { MELTANO_TEST_STREAM, peekMeltanoTest } from './meltano-test.js';
import { debugRequested, runMain } from './run.js';

const HELP = `Usage: target-listrak-sms --config CONFIG [--dry-run] [--input FILE] < singer.jsonl
       target-listrak-sms --config CONFIG --plan PLAN [--input FILE] < singer.jsonl
       target-listrak-sms --config CONFIG --apply PLAN
       target-listrak-sms --config CONFIG --check [--catalog CATALOG]

Makes one Listrak SMS list mirror the audience stream read on stdin (Singer JSONL), and sends the transactional
texts it holds exactly once. stdout carries the tap's states, each once it is safe to resume from.

Options:
${TARGET_OPTIONS_HELP}
  --dry-run           read everything, write nothing, print the plan
  --plan FILE         as --dry-run, and write every planned change (full phones, values, reasons) to FILE
                      (mode 0600) for review; exit 0 once it is written
  --apply FILE        apply a plan written by --plan: reads no input, re-reads the list, and writes only the
                      planned changes still needed; refuses (exit 2) a plan for another sender code or list, of
                      another format, or older than max_plan_age; then passes on the plan's tap state
  --check             check the config against Listrak, one line per check, and stop (writes nothing)
  --catalog FILE      with --check: the catalog whose audience schema decides the mirrored fields
                      (default: the packaged catalog.json)
  --debug             debug logging, and the stack trace of a failure
  --sandbox SEED      run against an embedded Listrak sandbox seeded from SEED (a demo; --config optional)

Exit codes: 0 the list matches the audience, 1 Listrak or runtime failure, 2 bad config or arguments,
3 bad input (the message names the line), 4 the removal guard refused the sync, 5 removals withheld (the input did
not prove the audience whole: adds and updates applied, nobody unsubscribed), 130/143 stopped by SIGINT/SIGTERM, 141
stdout closed (both at a safe point: run again to finish the job).`;

let secrets: string[] = [];

async function main(argv: string[], stop: AbortSignal): Promise<number> {
  const { values } = parseCli(argv, {
    ...TARGET_OPTIONS,
    'dry-run': { type: 'boolean' },
    check: { type: 'boolean' },
    catalog: { type: 'string' },
    debug: { type: 'boolean' },
    sandbox: { type: 'string' },
    plan: { type: 'string' },
    apply: { type: 'string' },
  });
  if (values.help) return print(HELP);
  if (values.version) return print(`target-listrak-sms ${packageVersion()}`);
  if (values.about) return print(aboutText(TARGET_PLUGIN, values.format));
  if (values.catalog && !values.check) throw new ConfigError('--catalog goes with --check (a sync takes its fields from the SCHEMA in its input)');
  const modes = (['check', 'dry-run', 'plan', 'apply'] as const).filter((m) => values[m] !== undefined && values[m] !== false);
  if (modes.length > 1) throw new ConfigError(`--${modes[0]} and --${modes[1]} cannot be combined`);
  if (values.apply !== undefined && values.input !== undefined) throw new ConfigError('--apply reads no input: the plan holds every change (drop --input)');

  let sandbox: Sandbox | undefined;
  if (!values.config?.length && !values.sandbox) throw new ConfigError('--config is required (or --sandbox SEED for a demo against the embedded sandbox)');
  let raw = readConfig(values.config, TARGET_PLUGIN);
  // --apply reads nothing from stdin; a plan stands alone.
  const input = values.apply !== undefined ? ignoredStdin() : inputStream(values.input);
  if (values.sandbox) {
    const seed = readJsonFile(values.sandbox, 'sandbox seed') as SandboxSeed;
    sandbox = await startSandbox({ seed, importDelayMs: 200 });
    raw = { ...sandboxConfig(seed, sandbox), ...raw };
    process.stderr.write(`sandbox: embedded Listrak sandbox at ${sandbox.url}\n`);
  }
  try {
    const config = parseTargetConfig(raw);
    secrets = [config.client_secret];
    if (values.check) return await check(config, values.catalog ?? fileURLToPath(PACKAGED_CATALOG));
    const peeked = await peekMeltanoTest(input, stop);
    if (peeked.test) {
      process.stderr.write(`${MELTANO_TEST_STREAM}: Meltano's config test; checking the settings instead of syncing (nothing is written to Listrak)\n`);
      return await check(config, fileURLToPath(PACKAGED_CATALOG), (line) => process.stderr.write(line + '\n'));
    }
    // Every file the run may write is checked before the first call.
    assertUsablePaths(targetPaths(config));
    if (values.plan !== undefined) assertUsablePath('--plan', values.plan, 'file');
    const saved = values.apply !== undefined ? await readPlanFile(values.apply) : undefined;
    try {
      if (saved) checkPlan(saved, config);
      return await sync(config, { dryRun: values['dry-run'] === true || values.plan !== undefined, planFile: values.plan, saved }, peeked.input, stop);
    } finally {
      await saved?.close();
    }
  } finally {
    await sandbox?.close();
  }
}

/** The Listrak client, logging every retry (token endpoint included) through a logger that scrubs its secrets. */
function clientWithLogger(config: TargetConfig, write?: (line: string) => void, extra: { metrics?: Metrics; signal?: AbortSignal } = {}): { client: ListrakClient; logger: Logger } {
  const ref: { client?: ListrakClient } = {};
  const logger = createLogger({ level: debugRequested() ? 'debug' : 'info', secrets: () => ref.client?.tokens.secrets() ?? [config.client_secret], write });
  const { metrics, signal } = extra;
  ref.client = createListrakClient(config, {
    onRetry: (...retry) => logger.warn(retryLine(...retry)),
    onAttempt: metrics
      ? (route, status, seconds) =>
          metrics.timer('http_request_duration', seconds, { endpoint: route, status: status !== undefined && status < 300 ? 'succeeded' : 'failed', ...(status ? { http_status_code: status } : {}) })
      : undefined,
    signal,
  });
  return { client: ref.client, logger };
}

async function sync(config: TargetConfig, mode: { dryRun: boolean; planFile?: string; saved?: SavedPlan }, input: Readable, stop: AbortSignal): Promise<number> {
  const { dryRun, planFile, saved } = mode;
  // Log lines and progress share stderr: a live status line on a terminal, plain progress lines elsewhere.
  const status = createStatusOutput(process.stderr);
  const metrics = new Metrics();
  const { client, logger } = clientWithLogger(config, status.line, { metrics, signal: stop });
  const { tokens, http, api } = client;
  try {
    // LISTRAK_SMS_REFERENCE_ONLY=1: the reference path alone, to compare with the fast path (or rule it out).
    const fastPath = process.env.LISTRAK_SMS_REFERENCE_ONLY !== '1';
    const result = await runSync({ config, api, http, input, writer: createSingerWriter(), logger, dryRun, planFile, saved, fastPath, progress: status.progress, metrics, signal: stop });
    status.stop();
    logger.info(`${dryRun ? 'dry run (nothing was written)' : 'report'}:\n${result.report}`);
    // A plan was written: withheld or refused removals are in it, and applying it does what it says.
    if (planFile) return EXIT.ok;
    if (result.counts.removalsWithheld) {
      logger.warn(`removals withheld (exit ${EXIT.withheld}): everything else was applied; the warning above says what was withheld and why`);
      return EXIT.withheld;
    }
    return EXIT.ok;
  } finally {
    status.stop();
    secrets = tokens.secrets();
  }
}

/** `--check`: one line per check on stdout (stderr when Meltano's test runs it); the exit code of the first failure. */
async function check(config: TargetConfig, catalogPath: string, write: (line: string) => void = (line) => process.stdout.write(line + '\n')): Promise<number> {
  const audience = catalogAudience(catalogPath, config);
  const { client } = clientWithLogger(config);
  try {
    return await checkTarget(config, client, { path: catalogPath, audience }, (line) => write(scrubSecrets(maskPhonesIn(line), client.tokens.secrets())));
  } finally {
    secrets = client.tokens.secrets();
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

/**
 * --apply's stdin: never read for messages. Data arriving on a pipe is said once and dropped; nothing waits for it
 * (the stream is let go when the run ends).
 */
function ignoredStdin(): Readable {
  const warn = () => process.stderr.write('WARN: --apply reads no input: the data on stdin is ignored (the plan holds every change)\n');
  try {
    const st = fstatSync(0);
    if (st.isFile() && st.size > 0) warn();
    else if (st.isFIFO() || st.isSocket()) {
      process.stdin.once('data', warn);
      process.stdin.on('data', () => {});
      process.stdin.unref?.();
    }
  } catch {
    // No descriptor 0: nothing to ignore.
  }
  return Readable.from([]);
}

function print(text: string): number {
  process.stdout.write(text + '\n');
  return EXIT.ok;
}

await runMain((stop) => main(process.argv.slice(2), stop), () => secrets);

/**
 * Runs the real sync, in process, against a real sandbox server over HTTP: the config, HTTP layer and phases are
 * the production ones; only stdin and stdout are replaced by strings so the spec can read what came out.
 */
import { Readable } from 'node:stream';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';
import { parseTargetConfig, type TargetConfig } from '../../src/config/target.js';
import type { ListrakHttp } from '../../src/listrak/http.js';
import { createListrakClient } from '../../src/listrak/client.js';
import { retryLine } from '../../src/listrak/http.js';
import { createLogger } from '../../src/log.js';
import { runSync, type SyncResult } from '../../src/sync/run.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import type { SandboxSeed } from '../../src/sandbox/model.js';
import { WRITE_OPERATIONS } from '../../src/sandbox/routes.js';
import { LIST, SC } from './fixtures.js';
import { Metrics, METRIC_PREFIX } from '../../src/singer/metrics.js';
import { createSingerWriter } from '../../src/singer/writer.js';

export interface MetricLine {
  type: 'counter' | 'timer';
  metric: string;
  value: number;
  tags: Record<string, string | number | boolean>;
}

export interface SyncRun {
  result?: SyncResult;
  error?: Error;
  /** The lines the target wrote to stdout: the tap's states, as passed on. */
  states: Record<string, unknown>[];
  /** Its METRIC lines, parsed. */
  metrics: MetricLine[];
  log: string[];
  rejects: Record<string, unknown>[];
  config: TargetConfig;
  http: ListrakHttp;
}


export async function sandboxWith(seed: SandboxSeed, opts: Omit<SandboxOptions, 'seed'> = {}): Promise<Sandbox> {
  return startSandbox({ importDelayMs: 10, ...opts, seed });
}

/** The raw config (as a user would write it) for a run against `sandbox`. */
export function rawConfigFor(sandbox: Sandbox, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: 'test-client',
    client_secret: 'test-secret-value',
    sender_code_id: SC,
    phone_list_id: LIST,
    auth_url: sandbox.authUrl,
    api_url: sandbox.apiUrl,
    rejects_file: join(tempDir('run'), 'rejects.jsonl'),
    // Pinned: the specs are about other things than finding the rate (adaptive-rate.spec.ts and the bench are).
    max_requests_per_second: 1000,
    adaptive_rate: false,
    import_poll_interval_s: 0.01,
    ...overrides,
  };
}

export function configFor(sandbox: Sandbox, overrides: Record<string, unknown> = {}): TargetConfig {
  return parseTargetConfig(rawConfigFor(sandbox, overrides));
}

export interface RunOptions {
  dryRun?: boolean;
  retryBaseDelayMs?: number;
  /**
   * Hold the input after its first this-many lines until the members phase has ended, so the records after them
   * are diffed against a known index (the records before are, as usual, read while the members are).
   */
  holdInputAfterLine?: number;
  /** Deliver the input in chunks of this many characters (as a pipe would), rather than in one piece. */
  chunkChars?: number;
  /** false: the reference path alone (see SyncDeps.fastPath). */
  fastPath?: boolean;
  /** A stop request, as the CLI makes one from SIGINT or SIGTERM (its reason a StoppedError). */
  signal?: AbortSignal;
}

export async function runTarget(sandbox: Sandbox, input: string, overrides: Record<string, unknown> = {}, opts: RunOptions = {}): Promise<SyncRun> {
  const config = configFor(sandbox, overrides);
  const log: string[] = [];
  const ref: { secrets: () => string[] } = { secrets: () => [] };
  const logger = createLogger({ level: 'debug', write: (l) => log.push(l), secrets: () => ref.secrets() });
  const { tokens, http, api } = createListrakClient(config, {
    retryBaseDelayMs: opts.retryBaseDelayMs ?? 5,
    onRetry: (...retry) => logger.warn(retryLine(...retry)),
    signal: opts.signal,
  });
  ref.secrets = () => tokens.secrets();
  const states: Record<string, unknown>[] = [];
  const metricLines: MetricLine[] = [];
  const run: SyncRun = { states, metrics: metricLines, log, rejects: [], config, http };
  try {
    run.result = await runSync({
      config,
      api,
      http,
      input: Readable.from(opts.holdInputAfterLine !== undefined ? heldInput(input, opts.holdInputAfterLine, metricLines) : opts.chunkChars ? chunks(input, opts.chunkChars) : [input]),
      writer: createSingerWriter((line) => states.push(JSON.parse(line) as Record<string, unknown>)),
      logger,
      dryRun: opts.dryRun,
      fastPath: opts.fastPath,
      signal: opts.signal,
      metrics: new Metrics((line) => metricLines.push(JSON.parse(line.slice(METRIC_PREFIX.length)) as MetricLine)),
    });
  } catch (e) {
    run.error = e as Error;
  }
  run.rejects = jsonLinesOf(config.rejects_file);
  return run;
}

/** A JSONL file's lines (the rejects file, a plan, an audit trail), parsed; none when there is no file. */
export function jsonLinesOf(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function chunks(input: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < input.length; i += size) out.push(input.slice(i, i + size));
  return out;
}

async function* heldInput(input: string, firstLines: number, metrics: MetricLine[]): AsyncGenerator<string> {
  const lines = input.split('\n');
  yield lines.slice(0, firstLines).join('\n') + '\n';
  const membersDone = () => phasesIn(metrics).includes('members');
  // A run that fails before the members phase ends must not hang on its own input.
  for (let waited = 0; !membersDone() && waited < 10_000; waited += 5) await new Promise((r) => setTimeout(r, 5));
  yield lines.slice(firstLines).join('\n');
}

/** Write calls the sandbox received since the last reset, by operationId. */
export function writeCalls(sandbox: Sandbox): Record<string, number> {
  const out: Record<string, number> = {};
  for (const op of WRITE_OPERATIONS) {
    const n = sandbox.calls.get(op);
    if (n) out[op] = n;
  }
  return out;
}

/** The phases a run finished, in order, as its `phase_duration` METRIC timers say. */
export function phases(run: SyncRun): string[] {
  return phasesIn(run.metrics);
}

export function phasesIn(metrics: MetricLine[]): string[] {
  return metrics.filter((m) => m.metric === 'phase_duration').map((m) => String(m.tags.phase));
}

/** The METRIC lines of a process's stderr, parsed. */
export function metricLines(stderr: string): MetricLine[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith(METRIC_PREFIX))
    .map((l) => JSON.parse(l.slice(METRIC_PREFIX.length)) as MetricLine);
}

#!/usr/bin/env node
/**
 * listrak-sandbox: run the Listrak sandbox as a server.
 *   listrak-sandbox [--seed seed.json] [--port 8080] [--latency-ms 20] [--import-delay-ms 200]
 * Prints one JSON line `{"url","authUrl","apiUrl"}` on stdout when listening; stops on SIGINT/SIGTERM.
 */
import { readJsonFile } from '../config/target.js';
import { ConfigError, EXIT } from '../errors.js';
import type { SandboxSeed } from '../sandbox/model.js';
import type { RateLimitOptions } from '../sandbox/rate-limit.js';
import { startSandbox } from '../sandbox/server.js';
import { parseCli } from './args.js';
import { runMain } from './run.js';

async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, {
    seed: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'latency-ms': { type: 'string' },
    'import-delay-ms': { type: 'string' },
    'rate-limit': { type: 'string' },
    burst: { type: 'string' },
    'retry-after': { type: 'boolean' },
    debug: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: listrak-sandbox [--seed FILE] [--port N] [--host H] [--latency-ms N] [--import-delay-ms N]\n' +
        '                       [--rate-limit CALLS_PER_S [--burst N] [--retry-after]] [--debug]\n' +
        '  --rate-limit: a leaky bucket draining CALLS_PER_S, holding --burst calls (default: one second of them);\n' +
        '  a call that overflows it gets 429, with Retry-After only when --retry-after is given\n',
    );
    return EXIT.ok;
  }
  const seed = values.seed ? (readJsonFile(values.seed, 'sandbox seed') as SandboxSeed) : {};
  const host = values.host ?? '127.0.0.1';
  const port = values.port ? wholeNumber('--port', values.port, 65535) : 0;
  const sandbox = await startSandbox({
    seed,
    host,
    port,
    latencyMs: values['latency-ms'] ? wholeNumber('--latency-ms', values['latency-ms']) : 0,
    importDelayMs: values['import-delay-ms'] ? wholeNumber('--import-delay-ms', values['import-delay-ms']) : 200,
    ...(values['rate-limit'] ? { rateLimit: rateLimit(values['rate-limit'], values.burst, values['retry-after'] ?? false) } : {}),
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE') throw new ConfigError(`--port ${port}: ${host}:${port} is already in use; choose another port (or 0 for any free one)`);
    if (e.code === 'EACCES') throw new ConfigError(`--port ${port}: not allowed to listen on ${host}:${port}; choose a port above 1023`);
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') throw new ConfigError(`--host ${host}: not an address of this machine`);
    throw e;
  });
  process.stdout.write(JSON.stringify({ url: sandbox.url, authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl }) + '\n');
  process.stderr.write(`listrak-sandbox listening on ${sandbox.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.close();
  return EXIT.ok;
}

function rateLimit(perSecond: string, burst: string | undefined, retryAfter: boolean): RateLimitOptions {
  const rate = wholeNumber('--rate-limit', perSecond);
  if (rate === 0) throw new ConfigError('--rate-limit must be at least 1 call a second');
  return { perSecond: rate, capacity: burst ? Math.max(1, wholeNumber('--burst', burst)) : rate, retryAfter };
}

function wholeNumber(option: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new ConfigError(`${option} must be a whole number from 0 to ${max}, not "${text}"`);
  return n;
}

await runMain(() => main(process.argv.slice(2)));

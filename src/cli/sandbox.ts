#!/usr/bin/env node
/**
 * listrak-sandbox: run the Listrak sandbox as a server.
 *   listrak-sandbox [--seed seed.json] [--port 8080] [--latency-ms 20] [--import-delay-ms 200]
 * Prints one JSON line `{"url","authUrl","apiUrl"}` on stdout when listening; stops on SIGINT/SIGTERM.
 */
import { readJsonFile } from '../config/target.js';
import { EXIT } from '../errors.js';
import type { SandboxSeed } from '../sandbox/model.js';
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
    help: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write('Usage: listrak-sandbox [--seed FILE] [--port N] [--host H] [--latency-ms N] [--import-delay-ms N]\n');
    return EXIT.ok;
  }
  const seed = values.seed ? (readJsonFile(values.seed, 'sandbox seed') as SandboxSeed) : {};
  const sandbox = await startSandbox({
    seed,
    host: values.host ?? '127.0.0.1',
    port: values.port ? Number(values.port) : 0,
    latencyMs: values['latency-ms'] ? Number(values['latency-ms']) : 0,
    importDelayMs: values['import-delay-ms'] ? Number(values['import-delay-ms']) : 200,
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

await runMain(() => main(process.argv.slice(2)));

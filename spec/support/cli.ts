/** Runs a built binary as a user would: a child process with stdin, stdout and stderr as text. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Start a binary (in `cwd`, the repository by default); `done` settles when it exits (by itself or killed through
 * `child`). `stdin` is written at once and closed, or, as an async iterable, written piece by piece as a slow tap
 * would (closed at its end).
 */
export function startCli(bin: string, args: string[], stdin: string | Buffer | AsyncIterable<string> = '', env: Record<string, string> = {}, cwd = repoRoot): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [resolve(repoRoot, 'dist/src/cli', bin), ...args], { cwd, env: { ...process.env, ...env } });
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  child.stdin?.on('error', () => {}); // the target may exit before reading all input (config errors, kills)
  if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) child.stdin?.end(stdin);
  else
    void (async () => {
      for await (const piece of stdin) if (child.exitCode === null && child.signalCode === null) child.stdin?.write(piece);
      child.stdin?.end();
    })();
  return { child, done };
}

export function runCli(bin: string, args: string[], stdin: string | Buffer | AsyncIterable<string> = '', env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(bin, args, stdin, env).done;
}

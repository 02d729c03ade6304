/**
 * Temporary folders for specs, all under one root per test process: `listrak-spec-<pid>` in the temp folder. The
 * root goes when the process exits, also on SIGINT or SIGTERM; a process killed outright (SIGKILL, a runner's
 * timeout) cannot remove it, so the next test process removes every root whose process is gone. Roots of live
 * processes (Stryker runs several test processes at once) are left alone.
 *
 * Syncs run in process by a killed test process leave their temporary folders (`listrak-sync-*`) too: the next
 * test process removes those as the target does, by their owner's pid.
 *
 * Servers a spec starts (sshd, Ceph) are tied to the test process with `stopWithThisProcess`, so they stop and their
 * folders go even when the process is killed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning } from '../../src/processes.js';
import { WriteSpool } from '../../src/sync/spool.js';

const PREFIX = 'listrak-spec-';
let root: string | undefined;

/** A root without an owner's pid in its name (an older layout) is left a day, in case its run is still going. */
const UNOWNED_MAX_AGE_MS = 24 * 3600 * 1000;

/** The roots left by test processes that are gone; returns how many were removed. */
export function removeStaleRoots(dir = tmpdir(), alive: (pid: number) => boolean = isRunning): number {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(PREFIX)) continue;
    const suffix = name.slice(PREFIX.length);
    const pid = /^\d+$/.test(suffix) ? Number(suffix) : undefined;
    if (pid === undefined ? Date.now() - statSync(join(dir, name)).mtimeMs < UNOWNED_MAX_AGE_MS : pid === process.pid || alive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

function runRoot(): string {
  if (root) return root;
  removeStaleRoots();
  // The temporary folders of syncs run in a killed test process (the product removes its own on a clean exit).
  WriteSpool.removeStale();
  const dir = join(tmpdir(), `${PREFIX}${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  root = dir;
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      remove();
      // The signal's own outcome: the process ends as it would have.
      process.kill(process.pid, signal);
    });
  }
  return dir;
}

export function tempDir(prefix = 'd'): string {
  return mkdtempSync(join(runRoot(), `${prefix}-`));
}

/**
 * Stop `pid` (and remove `dir`) as soon as this test process is gone, however it ends: a small watchdog shell,
 * detached so that it outlives a SIGKILL of this process, checks every second.
 */
export function stopWithThisProcess(pid: number, dir?: string): void {
  const cleanup = dir ? `; rm -rf '${dir.replace(/'/g, "'\\''")}'` : '';
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null${cleanup}`;
  spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

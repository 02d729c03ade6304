/**
 * One runner at a time on a local journal. A runner reads the journal once, when it opens it: a second runner on
 * the same file would not see the first one's claims and could send the same text again. So the journal is held
 * through a lock file beside it (`<journal>.lock`), made whole in one step (written under a private name, then
 * hard-linked into place, which fails if a lock is there).
 *
 * A lock outlives a runner that was killed. It is taken over when it is provably stale: its process is gone (same
 * host), or it has not been touched for STALE_AFTER_MS (any host: the holder touches it every HEARTBEAT_MS, so a
 * lock left on a shared volume by a container that is gone frees itself).
 */
import { closeSync, linkSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { JournalError } from '../errors.js';

export const HEARTBEAT_MS = 15_000;
export const STALE_AFTER_MS = 120_000;

interface Holder {
  pid: number;
  host: string;
  since: string;
}

export class JournalLock {
  private readonly heartbeat: NodeJS.Timeout;
  private readonly releaseOnExit = () => this.release();
  private released = false;

  private constructor(readonly path: string) {
    this.heartbeat = setInterval(() => this.touch(), HEARTBEAT_MS).unref();
    process.once('exit', this.releaseOnExit);
  }

  /** Take the lock of the journal at `journalPath`, or throw JournalBusyError naming who holds it. */
  static acquire(journalPath: string, now = Date.now()): JournalLock {
    const path = `${journalPath}.lock`;
    const me: Holder = { pid: process.pid, host: hostname(), since: new Date(now).toISOString() };
    if (tryCreate(path, me)) return new JournalLock(path);
    const held = readHolder(path);
    if (held && !isStale(path, held, now)) throw new JournalError(busyMessage(journalPath, path, held));
    // Stale (or unreadable, which a whole-in-one-step lock never is unless damaged): take it over, once. Of two
    // runners taking over at the same moment, one removes and creates; the other's create then fails.
    rmSync(path, { force: true });
    if (tryCreate(path, me)) return new JournalLock(path);
    throw new JournalError(busyMessage(journalPath, path, readHolder(path) ?? me));
  }

  /** Give the lock up; safe to call more than once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    process.removeListener('exit', this.releaseOnExit);
    // Only our own lock: one taken over from us (we were thought stale) is another runner's now.
    if (isMine(readHolder(this.path))) rmSync(this.path, { force: true });
  }

  private touch() {
    try {
      const t = new Date();
      utimesSync(this.path, t, t);
    } catch {
      // Removed under us (by hand, or taken over): nothing to keep alive. The journal itself is still ours to close.
    }
  }
}

/** Create the lock whole: written under a private name, then linked into place (EEXIST: someone holds it). */
function tryCreate(path: string, holder: Holder): boolean {
  const draft = `${path}.${process.pid}`;
  const fd = openSync(draft, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(holder) + '\n');
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(draft, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(draft, { force: true });
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.since === 'string') return h as Holder;
  } catch {
    // gone or damaged: see the callers
  }
  return undefined;
}

function isStale(path: string, held: Holder, now: number): boolean {
  let touched: number;
  try {
    touched = statSync(path).mtimeMs;
  } catch {
    return true; // gone since we read it
  }
  if (now - touched > STALE_AFTER_MS) return true;
  // Our own pid and host, before we hold it: a runner before us that had our pid (a container's process 1).
  return held.host === hostname() && (held.pid === process.pid || !isAlive(held.pid));
}

function isMine(held: Holder | undefined): boolean {
  return held?.pid === process.pid && held.host === hostname();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, but another user's.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function busyMessage(journalPath: string, lockPath: string, held: Holder): string {
  return (
    `journal_path ${journalPath} is in use by process ${held.pid} on ${held.host} (since ${held.since}): a second runner on one local journal ` +
    `could send the same text twice. Wait for that run to end, or use an s3:// journal_path to run several at once ` +
    `(a lock whose runner is gone frees itself within ${STALE_AFTER_MS / 60_000} minutes; ${lockPath})`
  );
}

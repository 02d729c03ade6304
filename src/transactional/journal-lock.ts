/**
 * One runner at a time on a local journal. A runner reads the journal once, when it opens it: a second runner on
 * the same file would not see the first one's claims and could send the same text again. So a runner holds the
 * journal through `<journal>.lock`, created exclusively, naming its holder (pid, host, pid namespace, start time)
 * and a token of its own.
 *
 * A lock outlives a runner that was killed, and is taken over once that runner is provably gone:
 *  - where the holder's pid means something here (same host, same pid namespace): once that process is gone;
 *  - anywhere else (another host or container on a shared volume): once the lock has gone STALE_AFTER_MS without
 *    a heartbeat. The holder appends a byte every HEARTBEAT_MS, so the file system stamps the time, and the age
 *    is taken against a file this runner has just written beside it: two hosts' clocks are never compared.
 * Takeovers are one at a time (`<journal>.lock.takeover`, created exclusively), and one goes ahead only if the
 * lock is still the one found stale. A holder checks before each claim that the lock is still its own, so a
 * runner taken over by mistake (stopped for minutes, say) stops instead of sending from what it read.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, openSync, readFileSync, readlinkSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { JournalError } from '../errors.js';
import { isRunning } from '../processes.js';

export const HEARTBEAT_MS = 15_000;
export const STALE_AFTER_MS = 120_000;

export interface Holder {
  pid: number;
  host: string;
  /** The pid namespace (Linux), so that only a runner in the same one judges the holder by its pid. */
  pidns: string;
  since: string;
  token: string;
}

/** What is found at a lock's path: its holder (undefined when unreadable: damaged, or caught mid-write). */
export interface Found {
  holder?: Holder;
  stale: boolean;
}

export class JournalLock {
  private readonly heartbeat: NodeJS.Timeout;
  private readonly releaseOnExit = () => this.release();
  private released = false;

  private constructor(
    readonly path: string,
    private readonly me: Holder,
  ) {
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS).unref();
    process.once('exit', this.releaseOnExit);
  }

  /** Take the lock of the journal at `journalPath`, or throw JournalError naming who holds it. */
  static acquire(journalPath: string): JournalLock {
    const path = lockPath(journalPath);
    const me = newHolder();
    if (create(path, me)) return new JournalLock(path, me);
    const found = inspectLock(path);
    if (found && !found.stale) throw busy(journalPath, found.holder);
    if (takeOver(path, found, me)) return new JournalLock(path, me);
    throw busy(journalPath, inspectLock(path)?.holder);
  }

  /** Throws unless this runner still holds the lock: called before each claim, so no text goes out without it. */
  assertHeld(journalPath: string): void {
    const holder = readHolder(this.path);
    if (holder?.token === this.me.token) return;
    throw new JournalError(
      `journal_path ${journalPath}: this run's lock was taken over${holder ? ` by process ${holder.pid} on ${holder.host}` : ''}, ` +
        `as if this run were gone (was it stopped for minutes?); stopping before sending more`,
    );
  }

  /** Give the lock up; safe to call more than once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    process.removeListener('exit', this.releaseOnExit);
    // Only our own lock: one taken over from us is another runner's now.
    if (readHolder(this.path)?.token === this.me.token) rmSync(this.path, { force: true });
  }

  private beat() {
    // A byte of whitespace (the holder stays one JSON value): the file system stamps the time, not our clock.
    if (readHolder(this.path)?.token === this.me.token) appendFileSync(this.path, '\n');
  }
}

export function lockPath(journalPath: string): string {
  return `${journalPath}.lock`;
}

/** For `--check`: who holds the journal right now, if a live runner does. */
export function currentHolder(journalPath: string): Holder | undefined {
  const found = inspectLock(lockPath(journalPath));
  return found && !found.stale ? found.holder : undefined;
}

export function newHolder(): Holder {
  return { pid: process.pid, host: hostname(), pidns: pidNamespace(), since: new Date().toISOString(), token: randomUUID() };
}

function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return ''; // not Linux: one namespace
  }
}

/** Create `path` exclusively, holding `holder`; false when it exists. */
function create(path: string, holder: Holder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(holder) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.token === 'string') return h as Holder;
  } catch {
    // gone, damaged, or being written
  }
  return undefined;
}

/** The lock at `path` and whether its runner is gone; undefined when there is none. */
export function inspectLock(path: string): Found | undefined {
  let modified: number;
  try {
    modified = statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  const holder = readHolder(path);
  if (holder && holder.host === hostname() && holder.pidns === pidNamespace()) {
    // Our pid, yet not our lock: a runner before us that had this pid (a container's process 1).
    return { holder, stale: holder.pid === process.pid || !isRunning(holder.pid) };
  }
  return { holder, stale: fileSystemNow(path) - modified > STALE_AFTER_MS };
}

/** The time by the clock that stamps files beside `path`: that of a file written there now. */
function fileSystemNow(path: string): number {
  const probe = `${path}.probe-${randomUUID()}`;
  closeSync(openSync(probe, 'wx', 0o600));
  try {
    return statSync(probe).mtimeMs;
  } finally {
    rmSync(probe, { force: true });
  }
}

/**
 * Replace the lock `found` stale (or gone) with `me`'s, unless it changed since: another runner may have judged it
 * stale at the same moment and taken it over first. False when the lock is not ours after all.
 */
export function takeOver(path: string, found: Found | undefined, me: Holder): boolean {
  return oneTakeoverAtATime(path, () => {
    const now = inspectLock(path);
    if (now && (!now.stale || now.holder?.token !== found?.holder?.token)) return false;
    rmSync(path, { force: true });
    return create(path, me);
  });
}

/** Run `takeover` holding `<lock>.takeover`; false when another runner is taking over. */
function oneTakeoverAtATime(path: string, takeover: () => boolean): boolean {
  const guard = `${path}.takeover`;
  const me = newHolder();
  if (!create(guard, me)) {
    // Left by a runner killed mid-takeover (a window of microseconds): judged like a lock, and cleared once.
    const found = inspectLock(guard);
    if (found && !found.stale) return false;
    rmSync(guard, { force: true });
    if (!create(guard, me)) return false;
  }
  try {
    return takeover();
  } finally {
    rmSync(guard, { force: true });
  }
}

function busy(journalPath: string, holder: Holder | undefined): JournalError {
  const who = holder ? `process ${holder.pid} on ${holder.host} (since ${holder.since})` : 'another run';
  return new JournalError(
    `journal_path ${journalPath} is in use by ${who}: a second runner on one local journal could send the same text twice. ` +
      `Wait for that run to end, or use an s3:// journal_path to run several at once ` +
      `(the lock of a run that is gone is taken over: at once on its own machine, else after ${STALE_AFTER_MS / 60_000} minutes; ${lockPath(journalPath)})`,
  );
}

/**
 * One runner at a time on a local journal. A runner reads the journal once, when it opens it: a second runner on
 * the same file would not see the first one's claims and could send the same text again. So a runner holds the
 * journal through a lock file beside it (the journal's real path, links resolved, plus `.lock`), created
 * exclusively, naming its holder (pid, host, pid namespace, start time) and a token of its own.
 *
 * A lock outlives a runner that was killed, and is taken over once that runner is provably gone:
 *  - where the holder's pid means something here (same host, same pid namespace): once that process is gone;
 *  - anywhere, once the lock has gone STALE_AFTER_MS without a heartbeat (a pid reused by another process, or a
 *    host or container that is gone). The holder appends a byte every HEARTBEAT_MS, so the file system stamps the
 *    time, and the age is taken against a file this runner has just written beside it: two hosts' clocks are
 *    never compared.
 * Takeovers are one at a time (`<lock>.takeover`, created exclusively), and one goes ahead only if the lock is
 * still the one found stale. A holder checks before each claim that the lock is still its own, so a runner taken
 * over while it could not beat (stopped for minutes, say) stops instead of sending from what it read.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, lstatSync, openSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
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

  /** Take the lock of the journal at `journalPath`, or throw JournalError saying who holds it and what to do. */
  static acquire(journalPath: string): JournalLock {
    const path = lockPath(journalPath);
    const me = newHolder();
    if (create(path, me)) return new JournalLock(path, me);
    const found = inspectLock(path);
    if (found && !found.stale) throw busy(journalPath, path, found.holder);
    const outcome = takeOver(path, found, me);
    if (outcome === 'taken') return new JournalLock(path, me);
    if (outcome === 'another takeover') throw takingOver(journalPath, path);
    throw busy(journalPath, path, inspectLock(path)?.holder);
  }

  /** Throws unless this runner still holds the lock: called before each claim, so no text goes out without it. */
  assertHeld(journalPath: string): void {
    const holder = readHolder(this.path);
    if (this.isOurs(holder)) return;
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
    if (this.isOurs(readHolder(this.path))) rmSync(this.path, { force: true });
  }

  private beat() {
    // A byte of whitespace (the holder stays one JSON value): the file system stamps the time, not our clock.
    if (this.isOurs(readHolder(this.path))) appendFileSync(this.path, '\n');
  }

  private isOurs(holder: Holder | undefined): boolean {
    return holder?.token === this.me.token;
  }
}

/** The lock of the journal at `journalPath`: beside its real path, so every name of one file has one lock. */
export function lockPath(journalPath: string): string {
  return `${realJournalPath(journalPath)}.lock`;
}

function realJournalPath(journalPath: string): string {
  try {
    return realpathSync(journalPath);
  } catch {
    // Not there yet: its folder's real path.
  }
  try {
    return join(realpathSync(dirname(journalPath)), basename(journalPath));
  } catch {
    return resolve(journalPath);
  }
}

/** For `--check`: what a run with texts would meet now. */
export function inUseWarning(journalPath: string, holder: Holder): string {
  return `journal_path ${journalPath} is in use right now by process ${holder.pid} on ${holder.host} (since ${holder.since}); a run with texts would stop until it ends`;
}

/** For `--check`: who holds the journal right now, when a live runner does (never throws). */
export function currentHolder(journalPath: string): Holder | undefined {
  try {
    const found = inspectLock(lockPath(journalPath));
    return found && !found.stale ? found.holder : undefined;
  } catch {
    return undefined; // a lock --check cannot judge; a run would say why
  }
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
    const st = lstatSync(path);
    if (st.isDirectory()) throw new JournalError(`journal_path: ${path} is a folder where the journal's lock file belongs; remove it (no run makes one)`);
    modified = st.mtimeMs;
  } catch (e) {
    if (e instanceof JournalError) throw e;
    return undefined;
  }
  const holder = readHolder(path);
  // Our pid, yet not our lock: a runner before us that had this pid (a container's process 1).
  const gone = holder !== undefined && isHere(holder) && (holder.pid === process.pid || !isRunning(holder.pid));
  return { holder, stale: gone || fileSystemNow(path) - modified > STALE_AFTER_MS };
}

/** Whether the holder's pid names a process here: same host, same pid namespace. */
function isHere(holder: Holder): boolean {
  return holder.host === hostname() && holder.pidns === pidNamespace();
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

export type Takeover = 'taken' | 'not stale after all' | 'another takeover';

/**
 * Replace the lock `found` stale (or gone) with `me`'s, unless it changed since: another runner may have judged it
 * stale at the same moment and taken it over first.
 */
export function takeOver(path: string, found: Found | undefined, me: Holder): Takeover {
  const guard = takeoverPath(path);
  if (!create(guard, newHolder())) {
    // Left by a runner killed mid-takeover (a window of microseconds): judged like a lock, and cleared once.
    const left = inspectLock(guard);
    if (left && !left.stale) return 'another takeover';
    remove(guard);
    if (!create(guard, newHolder())) return 'another takeover';
  }
  try {
    const now = inspectLock(path);
    if (now && (!now.stale || now.holder?.token !== found?.holder?.token)) return 'not stale after all';
    remove(path);
    return create(path, me) ? 'taken' : 'not stale after all';
  } finally {
    rmSync(guard, { force: true });
  }
}

/** Held while one runner takes a stale lock over. */
function takeoverPath(lock: string): string {
  return `${lock}.takeover`;
}

/** Remove a stale lock file, or say what keeps it (another user's, in a folder that forbids removing it). */
function remove(path: string) {
  try {
    rmSync(path, { force: true });
  } catch (e) {
    throw new JournalError(`journal_path: cannot remove the stale lock ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)}): no run holds it; remove it as a user who may`);
  }
}

function busy(journalPath: string, path: string, holder: Holder | undefined): JournalError {
  if (!holder) {
    return new JournalError(
      `journal_path ${journalPath}: its lock ${path} cannot be read (a run is writing it at this moment, or it is damaged). ` +
        `It is taken over once ${STALE_AFTER_MS / 60_000} minutes old; if no run uses the journal, it is safe to remove it`,
    );
  }
  return new JournalError(
    `journal_path ${journalPath} is in use by process ${holder.pid} on ${holder.host} (since ${holder.since}): a second runner on one local journal ` +
      `could send the same text twice. Wait for that run to end, or use an s3:// journal_path to run several at once. ` +
      `The lock of a run that is gone is taken over: at once on its own machine, else once it has gone ${STALE_AFTER_MS / 60_000} minutes ` +
      `without its heartbeat; if no run uses the journal, it is safe to remove ${path}`,
  );
}

function takingOver(journalPath: string, path: string): JournalError {
  return new JournalError(
    `journal_path ${journalPath}: another run is taking over its stale lock at this moment (${takeoverPath(path)}). ` +
      `That file is cleared once its run is gone, or ${STALE_AFTER_MS / 60_000} minutes old; if no run uses the journal, it is safe to remove it`,
  );
}

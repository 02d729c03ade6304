/**
 * The journal as a local file: append-only JSONL, each line fsync'ed before the call it guards, the last line for
 * a key winning. It serves one runner at a time (journal-lock.ts holds it), on a machine that keeps the file
 * between runs.
 *
 * So that it does not grow without bound, a key whose last change is older than the retention is dropped, by
 * writing the kept lines to a new file and renaming it over the old one (atomic: a crash leaves one or the
 * other, whole). That is done only once the dropped lines outnumber the kept ones, so each line is rewritten a
 * bounded number of times however often the target runs.
 */
import { accessSync, closeSync, constants, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, InputError, EXIT } from '../errors.js';
import type { Claim, Journal, JournalCheck, JournalState } from './journal.js';
import { currentHolder, inUseWarning, JournalLock } from './journal-lock.js';

const DAY_MS = 86_400_000;
// The journal names messages and, through them, customers: readable by its owner only.
const PRIVATE = 0o600;

interface Line {
  k: string;
  s: JournalState;
  t: string;
  c?: string;
}

export class FileJournal implements Journal {
  private readonly lines = new Map<string, Line>();
  private readonly fd: number;
  private readonly lock: JournalLock;

  constructor(
    readonly path: string,
    retentionDays: number,
    now = Date.now(),
  ) {
    this.checkFolder();
    // Held before the file is read: what this runner reads is then all there is, until it closes.
    this.lock = JournalLock.acquire(path);
    try {
      if (existsSync(path)) {
        const read = this.load();
        this.dropOlderThan(now - retentionDays * DAY_MS);
        const dropped = read - this.lines.size; // lines superseded by a later one for their key, or expired
        if (dropped > 0 && dropped >= this.lines.size) this.compact();
      }
      this.fd = this.openForAppend();
    } catch (e) {
      this.lock.release();
      throw e;
    }
  }

  /** Read every line; returns how many there were. */
  private load(): number {
    const text = readFileSync(this.path, 'utf8').split('\n');
    let read = 0;
    text.forEach((raw, i) => {
      if (raw.trim() === '') return;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        // Only the last line can be torn (the process died mid-write); anywhere else the journal is damaged.
        if (i >= text.length - 2) return;
        throw new InputError(i + 1, `journal ${this.path} is damaged at this line; refusing to guess which messages were sent`);
      }
      read++;
      this.lines.set(line.k, line);
    });
    return read;
  }

  /** Forget keys whose last change is older than `cutoff`; a line without a readable time is kept. */
  private dropOlderThan(cutoff: number) {
    for (const [key, line] of this.lines) if (Date.parse(line.t) < cutoff) this.lines.delete(key);
  }

  private compact() {
    const next = `${this.path}.compacting`;
    rmSync(next, { force: true }); // left by a run killed while compacting; the journal itself is whole
    const fd = openSync(next, 'wx', PRIVATE);
    try {
      let chunk = '';
      for (const line of this.lines.values()) {
        chunk += JSON.stringify(line) + '\n';
        if (chunk.length >= 1 << 20) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      if (chunk) writeSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(next, this.path);
    syncDirectory(dirname(this.path));
  }

  private openForAppend(): number {
    try {
      return openSync(this.path, 'a', PRIVATE);
    } catch (e) {
      throw this.cannotOpen(e);
    }
  }

  /** The lock lives beside the journal: a missing or closed folder is the config's fault, said as for the file. */
  private checkFolder() {
    try {
      accessSync(dirname(this.path), constants.W_OK);
    } catch (e) {
      throw this.cannotOpen(e);
    }
  }

  private cannotOpen(e: unknown): ConfigError {
    return new ConfigError(`invalid config: journal_path: cannot open ${this.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }

  async state(key: string): Promise<JournalState | undefined> {
    return this.lines.get(key)?.s;
  }

  async claim(key: string, resendUnknown: boolean): Promise<Claim> {
    const before = this.lines.get(key)?.s;
    if (before === 'sent') return 'sent';
    if (before === 'sending' && !resendUnknown) return 'unknown';
    this.lock.assertHeld(this.path);
    this.record(key, 'sending');
    return 'claimed';
  }

  async settle(key: string, state: 'sent' | 'rejected', code?: string): Promise<void> {
    this.record(key, state, code);
  }

  /** Append a line and fsync it before returning: the call it guards comes after. */
  private record(key: string, state: JournalState, code?: string) {
    const line: Line = { k: key, s: state, t: new Date().toISOString(), ...(code ? { c: code } : {}) };
    writeSync(this.fd, JSON.stringify(line) + '\n');
    fsyncSync(this.fd);
    this.lines.set(key, line);
  }

  close() {
    closeSync(this.fd);
    this.lock.release();
  }
}

/** A rename is durable only once the folder holding it is synced. */
function syncDirectory(dir: string) {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function checkFileJournal(path: string): JournalCheck {
  // The folder too: the journal's lock is made beside it.
  for (const target of existsSync(path) ? [dirname(path), path] : [dirname(path)]) {
    try {
      accessSync(target, constants.R_OK | constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const fix = code === 'ENOENT' ? `create the folder ${target}` : `make ${target} readable and writable for this user (${code})`;
      return { ok: false, fix: `journal_path ${path}: ${fix}`, exitCode: EXIT.config };
    }
  }
  const holder = currentHolder(path);
  const inUse = holder ? [inUseWarning(path, holder)] : [];
  if (existsSync(path)) return { ok: true, detail: `journal_path ${path} is writable`, warnings: inUse };
  return { ok: true, detail: `journal_path ${path} will be created`, warnings: [newLocalJournal(path), ...inUse] };
}

/** Why a new local journal is worth a word: it says nothing about texts sent by runs on other disks. */
export function newLocalJournal(path: string): string {
  return (
    `journal_path ${path} is a new local file: texts are sent exactly once only while it survives between runs. ` +
    'Where runs start on a fresh disk (a container, a CI job), set journal_path to s3://bucket/prefix, and give texts an event_time so old ones are never sent (max_text_age).'
  );
}

/**
 * Rejected records are never silently dropped: each is counted by reason and written, whole, with its input line
 * and the reason, to the rejects file (JSONL), so it can be fixed and replayed. The file is data, not a log, so the
 * record keeps its phone; the logs never show one in full, and the file is private (mode 0600).
 *
 * While the run goes on, rejections are kept in a private temporary file (unlinked at once, see private-file.ts):
 * a run that fails, or is killed outright, leaves the previous run's rejects as they were and nothing of its own.
 * Only when the run finishes are they copied beside the rejects file and renamed over it. A dry run writes beside
 * it (`<rejects_file>.dry-run`), never over the real one.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { openUnlinked, readUnlinked } from '../private-file.js';
import type { RejectReason } from '../contact/coerce.js';
import type { SyncCounts } from './counts.js';

export interface Rejection {
  line: number;
  /** The BATCH file the record was read from (`line` is then that file's); absent for a record met inline. */
  file?: string;
  reason: RejectReason;
  field: string;
  detail: string;
  record?: Record<string, unknown>;
  listrak_code?: string;
}

/** Where a run's rejects end up: the configured file, or the file beside it for a dry run. */
export function rejectsPath(path: string, dryRun: boolean): string {
  return dryRun ? `${path}.dry-run` : path;
}

/** Where a rejection is told: the run's rejects file, counted into one tally. */
export interface Rejects {
  add(r: Rejection): void;
}

export class RejectSink implements Rejects {
  private out?: WriteStream;
  /** The private file the rejections go to while the run lasts. */
  private fd?: number;
  private written = 0;

  constructor(
    private readonly path: string | undefined,
    private readonly counts: SyncCounts,
  ) {
    if (!path) return;
    this.fd = openUnlinked(join(tmpdir(), `listrak-rejects-${process.pid}-${randomUUID().slice(0, 8)}`));
    this.out = createWriteStream('', { fd: this.fd, autoClose: false });
  }

  add(r: Rejection) {
    this.countedIn(this.counts).add(r);
  }

  /** The same file, each rejection counted in `counts` (one list's tally when a run mirrors several). */
  countedIn(counts: SyncCounts): Rejects {
    return { add: (r) => this.write(r, counts) };
  }

  private write(r: Rejection, counts: SyncCounts) {
    counts.reject(r.reason);
    if (!this.out) return;
    this.out.write(JSON.stringify(r) + '\n');
    this.written++;
  }

  get count(): number {
    return this.written;
  }

  /** The run finished: this run's rejects replace the last run's (an empty file when there were none). */
  async commit(): Promise<void> {
    await this.end();
    const { path, fd } = this;
    if (!path || fd === undefined) return;
    const partial = `${path}.${process.pid}.partial`;
    try {
      await pipeline(Readable.from(readUnlinked(fd)), createWriteStream(partial, { mode: 0o600 }));
      renameSync(partial, path);
    } catch (e) {
      rmSync(partial, { force: true });
      throw e;
    } finally {
      this.release();
    }
  }

  /** The run failed: the last run's rejects stay as they were. */
  async discard(): Promise<void> {
    await this.end().catch(() => {});
    this.release();
  }

  private async end(): Promise<void> {
    const out = this.out;
    if (!out || out.closed || out.writableFinished) return;
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }

  private release(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

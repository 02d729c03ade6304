/**
 * Rejected records are never silently dropped: each is counted by reason and written, whole, with its input line
 * and the reason, to the rejects file (JSONL), so it can be fixed and replayed. The file is data, not a log, so the
 * record keeps its phone; the logs only ever show masked samples, and the file is private (mode 0600).
 *
 * The file is written under a temporary name and renamed into place only when the run finishes: a run that fails
 * leaves the previous run's rejects as they were, and nothing of its own. A dry run writes beside it
 * (`<rejects_file>.dry-run`), never over the real one.
 */
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
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

export class RejectSink {
  private out?: WriteStream;
  private readonly partial?: string;
  private written = 0;
  /** A few rejections kept for the log (masked when printed). */
  readonly samples: Rejection[] = [];

  constructor(
    private readonly path: string | undefined,
    private readonly counts: SyncCounts,
  ) {
    if (!path) return;
    this.partial = `${path}.${process.pid}.partial`;
    this.out = createWriteStream(this.partial, { flags: 'w', mode: 0o600 });
  }

  add(r: Rejection) {
    this.counts.reject(r.reason);
    if (this.samples.length < 5) this.samples.push(r);
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
    if (this.partial && this.path) renameSync(this.partial, this.path);
  }

  /** The run failed: the last run's rejects stay as they were, and this run's partial file goes. */
  async discard(): Promise<void> {
    await this.end().catch(() => {});
    if (this.partial) rmSync(this.partial, { force: true });
  }

  private async end(): Promise<void> {
    const out = this.out;
    if (!out || out.closed) return;
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

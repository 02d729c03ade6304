/**
 * Rejected records are never silently dropped: each is counted by reason and written, whole, with its input line
 * and the reason, to the rejects file (JSONL), so it can be fixed and replayed. The file is data, not a log, so the
 * record keeps its phone; the logs only ever show masked samples.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
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

export class RejectSink {
  private out?: WriteStream;
  private written = 0;
  /** A few rejections kept for the log (masked when printed). */
  readonly samples: Rejection[] = [];

  constructor(
    path: string | undefined,
    private readonly counts: SyncCounts,
  ) {
    // Opened (and so emptied) at once: a file left by an earlier run must not pass for this run's rejects.
    if (path) this.out = createWriteStream(path, { flags: 'w' });
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

  async close(): Promise<void> {
    const out = this.out;
    if (!out) return;
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

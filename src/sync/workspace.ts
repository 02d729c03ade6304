/**
 * The run's temporary folder: the spool of planned writes and the input's copy (both may hold phone numbers, and
 * both go on every exit), and the wiring that makes a stop request end the reading of the input at once.
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../log.js';
import { readSinger, type SingerReader } from '../singer/reader.js';
import { InputSpill } from './input-spill.js';
import { WriteSpool } from './spool.js';

export class Workspace {
  readonly spool: WriteSpool;
  readonly spill: InputSpill;
  /** The input's messages, read through its copy. */
  readonly source: SingerReader;
  private readonly stopReading: () => void;
  /** The spools of further lists (several lists: one each), removed with the rest. */
  private readonly spools: WriteSpool[] = [];

  constructor(
    input: Readable,
    logger: Logger,
    private readonly signal: AbortSignal | undefined,
  ) {
    const stale = WriteSpool.removeStale();
    if (stale) logger.info(`removed ${stale} temporary folder(s) left by runs that were killed`);
    this.spool = new WriteSpool();
    this.spill = new InputSpill(this.spool.dir);
    // The input may be a tap that is slow to send more: a stop request does not wait for it.
    this.stopReading = () => this.spill.abort(signal?.reason as Error);
    signal?.addEventListener('abort', this.stopReading);
    this.source = readSinger(this.spill.tap(input));
  }

  /** A spool for one more list: its planned writes, gone with the workspace. */
  newSpool(): WriteSpool {
    const spool = new WriteSpool();
    this.spools.push(spool);
    return spool;
  }

  async dispose(): Promise<void> {
    this.signal?.removeEventListener('abort', this.stopReading);
    await this.spill.stop().catch(() => {});
    this.spill.dispose();
    this.spool.dispose();
    for (const spool of this.spools) spool.dispose();
  }
}

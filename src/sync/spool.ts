/**
 * The planned writes of a sync, spooled to a temporary file while the audience is read.
 *
 * Nothing is written to Listrak until the whole input has been read and validated: a malformed line fails the run
 * before the first write, so bad input never half-applies a sync, and a stream cut short is known as cut before
 * anyone could be unsubscribed for it. Only the records that need a write are spooled (new and changed contacts,
 * members to mark, texts), so memory stays bounded whatever the audience size.
 */
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { openUnlinked, readUnlinked } from '../private-file.js';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ContactValues } from '../contact/fields.js';
import type { ChangeReason } from './change.js';
import { isRunning } from '../processes.js';

/**
 * Each write keeps where its record came from (`file`: a BATCH file), so a later reject can name it. `reason`: set
 * when the write comes from a saved plan (--apply), whose reason it keeps (change.ts derives it otherwise).
 */
export type PlannedWrite =
  /** A phone not on the list: subscribe or create. */
  | { kind: 'new'; phone: string; line: number; file?: string; values: ContactValues; reason?: ChangeReason }
  /** A member whose mirrored fields differ; `system`/`custom` say which groups changed. */
  | { kind: 'update'; phone: string; line: number; file?: string; values: ContactValues; system: boolean; custom: boolean; reason?: ChangeReason }
  /** A member in the audience that does not carry the managed field yet (removal_scope "managed"): set it. */
  | { kind: 'mark'; phone: string; line: number }
  /** A transactional text met in an input that also holds the audience: sent once the audience is in place. */
  | { kind: 'transactional'; line: number; file?: string; record: Record<string, unknown> };

const DIR_PREFIX = 'listrak-sync-';
const OWNER_FILE = 'owner.pid';

export class WriteSpool {
  /** The run's temporary folder (the input's copy lives here too), removed by dispose(). */
  readonly dir: string;
  private readonly files = new Map<PlannedWrite['kind'], { path: string; fd: number; out: WriteStream; count: number }>();
  /** A disk error while spooling; raised on the next add or at finish, never lost as an unhandled event. */
  private failure?: Error;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
    writeFileSync(join(this.dir, OWNER_FILE), String(process.pid));
  }

  /**
   * Remove the folders of runs that were killed (SIGKILL, power loss) before they could remove their own: each
   * holds a spool and maybe a copy of the input, up to 1 GiB. A folder is stale when the process that made it is
   * gone; one whose process still runs, or whose owner cannot be told, is left alone. Returns how many went.
   */
  static removeStale(): number {
    let removed = 0;
    let entries: string[];
    try {
      entries = readdirSync(tmpdir()).filter((name) => name.startsWith(DIR_PREFIX));
    } catch {
      return 0;
    }
    for (const name of entries) {
      const dir = join(tmpdir(), name);
      try {
        const pid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
        if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
        rmSync(dir, { recursive: true, force: true });
        removed++;
      } catch {
        // No owner file (being made right now, or not ours to judge): leave it.
      }
    }
    return removed;
  }

  async add(w: PlannedWrite): Promise<void> {
    let f = this.files.get(w.kind);
    if (!f) {
      const path = join(this.dir, `${w.kind}.jsonl`);
      const fd = openUnlinked(path);
      f = { path, fd, out: createWriteStream(path, { fd, autoClose: false }), count: 0 };
      f.out.on('error', (e) => (this.failure ??= e));
      this.files.set(w.kind, f);
    }
    if (this.failure) throw this.failure;
    f.count++;
    if (!f.out.write(JSON.stringify(w) + '\n')) await new Promise<void>((resolve) => f.out.once('drain', () => resolve()));
  }

  count(kind: PlannedWrite['kind']): number {
    return this.files.get(kind)?.count ?? 0;
  }

  async finish(): Promise<void> {
    if (this.failure) throw this.failure;
    await Promise.all([...this.files.values()].map((f) => new Promise<void>((resolve, reject) => f.out.end((e?: Error | null) => (e ? reject(e) : resolve())))));
  }

  /** The spooled writes of one kind, in batches. */
  async *batches<K extends PlannedWrite['kind']>(kind: K, size: number): AsyncGenerator<Extract<PlannedWrite, { kind: K }>[]> {
    const f = this.files.get(kind);
    if (!f) return;
    const rl = createInterface({ input: Readable.from(readUnlinked(f.fd)), crlfDelay: Infinity });
    let batch: Extract<PlannedWrite, { kind: K }>[] = [];
    for await (const line of rl) {
      batch.push(JSON.parse(line) as Extract<PlannedWrite, { kind: K }>);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }

  dispose() {
    // Each write stream owns its descriptor: destroying it closes it, ended or not.
    for (const f of this.files.values()) f.out.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

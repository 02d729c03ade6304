/**
 * The audit trail (`audit_path`): one JSON line per write a run made or found already done, saying when, which
 * run, which list, what was done to whom (the full phone), why (change.ts's reason) and what Listrak answered
 * (`done`, `already`, or its `ERROR_*` code). It answers "who unsubscribed this person, when, and why?".
 *
 * Nothing is ever rewritten. A local file is private (mode 0600) and only appended to; an `s3://bucket/prefix`
 * trail gains one new object per batch, made with a create-if-absent write (the journal's store code), named by
 * day, time, run and sequence so that a listing reads in order. Lines are written a batch at a time (a local file
 * is fsync'ed each time), so a run killed outright loses at most the lines of the batch in flight. A run that
 * writes nothing adds nothing, not even an empty file. Import rows learn their outcome when their import ends;
 * they are held until then. A trail that cannot be written stops the run (AuditError): no write goes unrecorded
 * beyond the batch that found it out.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { TargetConfig } from '../config/target.js';
import { parseS3Url, type S3Location } from '../config/s3-url.js';
import { AuditError } from '../errors.js';
import type { ObjectStore } from '../transactional/s3-store.js';
import type { Change } from './change.js';

/** What the write code tells the trail (writes.ts, revocations.ts, unsubscribe.ts, apply-plan.ts). */
export interface AuditHook {
  /** A write and Listrak's answer to it. */
  written(change: Change, outcome: string): void;
  /** An import row: its outcome is the import's, known when the import ends. */
  queued(change: Change): void;
  /** The imports have ended (`done`) or failed (their code): the rows they carried get that outcome, and are written. */
  importsEnded(outcome: string): Promise<void>;
  /** Write what is pending (at the end of each batch of writes). */
  flush(): Promise<void>;
}

export interface AuditLine {
  time: string;
  run_id: string;
  list: number;
  action: Change['action'];
  phone: string;
  reason: Change['reason'];
  fields?: string[];
  outcome: string;
  /** For a write made by --apply: when the plan was made. */
  plan?: string;
}

/** Where the lines go: appended to a file, or added as objects. */
interface AuditStore {
  append(text: string, at: Date): Promise<void>;
  close(): Promise<void>;
}

export class AuditTrail implements AuditHook {
  private pending: string[] = [];
  private queuedRows: Change[] = [];

  private constructor(
    private readonly store: AuditStore,
    private readonly runId: string,
    private readonly opts: { plan?: string },
  ) {}

  /**
   * The trail of `config.audit_path` for run `runId`, or none when it is unset. An S3 trail is probed here, before
   * any write, so that missing permissions stop the run while nothing is written yet.
   */
  static async open(config: TargetConfig, runId: string, opts: { plan?: string } = {}): Promise<AuditTrail | undefined> {
    const path = config.audit_path;
    if (path === undefined) return undefined;
    const location = parseS3Url(path);
    const store = location ? await AuditObjects.open(config, location, runId) : new AuditFile(path);
    return new AuditTrail(store, runId, opts);
  }

  written(change: Change, outcome: string): void {
    const line: AuditLine = {
      time: new Date().toISOString(),
      run_id: this.runId,
      list: change.list,
      action: change.action,
      phone: change.phone,
      reason: change.reason,
      ...(change.fields ? { fields: change.fields } : {}),
      outcome,
      ...(this.opts.plan !== undefined ? { plan: this.opts.plan } : {}),
    };
    this.pending.push(JSON.stringify(line) + '\n');
  }

  queued(change: Change): void {
    this.queuedRows.push(change);
  }

  async importsEnded(outcome: string): Promise<void> {
    const rows = this.queuedRows;
    this.queuedRows = [];
    for (const c of rows) this.written(c, outcome);
    await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.pending.length) return;
    const text = this.pending.join('');
    this.pending = [];
    await this.store.append(text, new Date());
  }

  /** The last lines written and the store let go. Rows of imports that never ended are not written: no answer came. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.store.close();
    }
  }
}

/** A local file, created private at the first line and opened for appending only: no earlier line can be rewritten. */
class AuditFile implements AuditStore {
  private file: FileHandle | undefined;

  constructor(private readonly path: string) {}

  async append(text: string): Promise<void> {
    try {
      this.file ??= await open(this.path, 'a', 0o600);
      await this.file.write(text);
      await this.file.sync();
    } catch (e) {
      throw new AuditError(`audit_path ${this.path}: cannot append to it: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
    }
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }
}

/** One new object per batch under the prefix: `<prefix><day>/<time>-<run>-<sequence>.jsonl`. */
class AuditObjects implements AuditStore {
  private sequence = 0;

  private constructor(
    private readonly store: ObjectStore,
    private readonly location: S3Location,
    private readonly runId: string,
  ) {}

  static async open(config: TargetConfig, location: S3Location, runId: string): Promise<AuditObjects> {
    // The AWS SDK is loaded only by a run that uses a store.
    const { ObjectStore } = await import('../transactional/s3-store.js');
    const { store } = await ObjectStore.probed(config, location, 'audit_path');
    return new AuditObjects(store, location, runId);
  }

  async append(text: string, at: Date): Promise<void> {
    const iso = at.toISOString();
    // A name already taken (a run id seen twice, in the same millisecond) moves on to the next sequence number.
    for (let tries = 0; tries < 10; tries++) {
      const name = `${this.location.prefix}${iso.slice(0, 10)}/${iso.replace(/[-:]/g, '')}-${this.runId}-${String(++this.sequence).padStart(6, '0')}.jsonl`;
      if ((await this.store.create(name, text)) !== undefined) return;
    }
    throw new AuditError(`audit_path s3://${this.location.bucket}/${this.location.prefix}: every name tried for this run's next object is taken`);
  }

  async close(): Promise<void> {
    this.store.close();
  }
}

/**
 * The journal in S3 (or any S3-compatible store): one small JSON object per message key, named by the key's
 * SHA-256 under the prefix, holding {state, run, time, key}. Every runner that shares `journal_path` shares it,
 * so a fresh container or CI job knows what earlier runs sent.
 *
 * Claiming a key is a create with `If-None-Match: *`: of two runners only one can create it. The other reads it:
 * `sent` → already sent; `sending` → unknown (a runner is sending it now, or died mid-call; with resend_unknown,
 * claimed again once older than a call can take); `rejected` (Listrak certainly did not take it) → claimed again
 * by overwriting it with `If-Match: <its ETag>`, which again only one runner can do. After the call, the outcome is written over the claim the same way.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { S3Location } from '../config/s3-url.js';
import type { TargetConfig } from '../config/target.js';
import { exitCodeOf, JournalError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Claim, Journal, JournalCheck, JournalState } from './journal.js';
import { ObjectStore, type StoreFeatures } from './s3-store.js';

interface Entry {
  state: JournalState;
  /** The run that wrote it: tells a runner its own write (landed, though its answer was lost) from another's. */
  run: string;
  time: string;
  key: string;
  code?: string;
}

// How often a claim or an outcome is tried again when another runner changed the object between a read and a write.
const MAX_RACES = 5;
const STATES: readonly JournalState[] = ['sending', 'sent', 'rejected'];

export async function openS3Journal(config: TargetConfig, location: S3Location, logger: Logger): Promise<Journal> {
  const { store, features } = await ObjectStore.probed(config, location, 'journal_path');
  for (const limit of limitsOf(features)) logger.warn(`journal_path ${config.journal_path}: ${limit}`);
  return new S3Journal(store, location.prefix, randomUUID(), config.request_timeout_ms, logger);
}

export async function checkS3Journal(config: TargetConfig, location: S3Location): Promise<JournalCheck> {
  try {
    const { store, features } = await ObjectStore.probed(config, location, 'journal_path');
    store.close();
    const warnings = limitsOf(features).map((limit) => `journal_path ${config.journal_path}: ${limit}`);
    return { ok: true, detail: `journal_path ${config.journal_path} is writable`, warnings };
  } catch (e) {
    return { ok: false, fix: (e as Error).message, exitCode: exitCodeOf(e) };
  }
}

/** What a store that does not honour the conditions cannot promise, said once when the run begins. */
function limitsOf(features: StoreFeatures): string[] {
  const limits: string[] = [];
  if (!features.createIfAbsent) limits.push('the store does not honour conditional writes (If-None-Match): two runners at the same moment could both send a text; run one at a time');
  if (!features.ifMatch) limits.push('the store does not honour If-Match: a text Listrak refused earlier could be claimed again by two runners at once');
  return limits;
}

class S3Journal implements Journal {
  /** The ETag of the entry this run last wrote, per key: the condition of its next write. */
  private readonly etags = new Map<string, string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly run: string,
    private readonly callTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async state(key: string): Promise<JournalState | undefined> {
    return (await this.read(key))?.entry.state;
  }

  async claim(key: string, resendUnknown: boolean): Promise<Claim> {
    const name = this.objectName(key);
    for (let race = 0; race < MAX_RACES; race++) {
      const created = await this.store.create(name, this.body(key, 'sending'));
      if (created !== undefined) return this.claimed(key, created);
      const current = await this.read(key);
      if (!current) continue; // removed meanwhile (a lifecycle rule): create it again
      if (this.wroteLast(current.entry, 'sending')) return this.claimed(key, current.etag);
      if (current.entry.state === 'sent') return 'sent';
      if (current.entry.state === 'sending' && !(resendUnknown && this.abandoned(current.entry))) return 'unknown';
      const replaced = await this.store.replace(name, this.body(key, 'sending'), current.etag);
      if (replaced !== undefined) return this.claimed(key, replaced);
    }
    throw this.racing(name);
  }

  async settle(key: string, state: 'sent' | 'rejected', code?: string): Promise<void> {
    const name = this.objectName(key);
    let etag = this.etags.get(key);
    for (let race = 0; race < MAX_RACES; race++) {
      const written = etag === undefined ? await this.store.create(name, this.body(key, state, code)) : await this.store.replace(name, this.body(key, state, code), etag);
      if (written !== undefined) {
        this.etags.set(key, written);
        return;
      }
      const current = await this.read(key);
      if (current && this.wroteLast(current.entry, state)) return void this.etags.set(key, current.etag);
      // Another runner took the claim over (resend_unknown) while this one was sending. Its word stands, except
      // that a text this run knows was sent must stay `sent`: losing that fact is what sends twice.
      if (state === 'rejected' || current?.entry.state === 'sent') {
        this.logger.warn(`journal: another run claimed a text while this run was sending it; this run's outcome (${state}) is not recorded over it`);
        return;
      }
      etag = current?.etag;
    }
    throw this.racing(name);
  }

  close() {
    this.store.close();
  }

  private claimed(key: string, etag: string): Claim {
    this.etags.set(key, etag);
    return 'claimed';
  }

  /**
   * A `sending` claim older than the longest a call can wait for its answer: no runner is sending it any more, so
   * its outcome is unknown and resend_unknown may claim it. A younger one may be another runner's live claim:
   * taking it over (even with If-Match, which only stops two runners taking over the same claim) would send twice.
   */
  private abandoned(entry: Entry): boolean {
    return Date.parse(entry.time) < Date.now() - this.callTimeoutMs;
  }

  private wroteLast(entry: Entry, state: JournalState): boolean {
    return entry.run === this.run && entry.state === state;
  }

  private objectName(key: string): string {
    return `${this.prefix}${createHash('sha256').update(key).digest('hex')}.json`;
  }

  private body(key: string, state: JournalState, code?: string): string {
    const entry: Entry = { state, run: this.run, time: new Date().toISOString(), key, ...(code ? { code } : {}) };
    return JSON.stringify(entry);
  }

  private async read(key: string): Promise<{ entry: Entry; etag: string } | undefined> {
    const name = this.objectName(key);
    const object = await this.store.read(name);
    if (!object) return undefined;
    let entry: Entry | undefined;
    try {
      entry = JSON.parse(object.body) as Entry;
    } catch {
      entry = undefined;
    }
    if (!entry || !STATES.includes(entry.state)) throw new JournalError(`${this.store.where}: ${name} is not a journal entry; refusing to guess whether its text was sent`);
    return { entry, etag: object.etag };
  }

  private racing(name: string): JournalError {
    return new JournalError(`${this.store.where}: ${name} kept changing under this run (${MAX_RACES} tries); another runner is writing it`);
  }
}

/**
 * The durable journal that makes transactional sends exactly-once. Listrak has no idempotency key, so each
 * message's key is written (and fsync'ed) before the call and again with its outcome after it:
 *  - `sent`: confirmed by Listrak; never sent again;
 *  - `sending` with no outcome: the process died or the answer was lost mid-call; the message may or may not have
 *    gone out, so it is reported `unknown` and only re-sent when the user asks (`resend_unknown`);
 *  - `rejected`: Listrak certainly did not send it; a later run may try again.
 * The file is append-only JSONL; the last line for a key wins.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { InputError } from '../errors.js';

export type JournalState = 'sending' | 'sent' | 'rejected';

interface Entry {
  k: string;
  s: JournalState;
  t: string;
  c?: string;
}

export class Journal {
  private readonly states = new Map<string, JournalState>();
  private fd: number;

  constructor(readonly path: string) {
    if (existsSync(path)) this.load();
    this.fd = openSync(path, 'a');
  }

  private load() {
    const lines = readFileSync(this.path, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let e: Entry;
      try {
        e = JSON.parse(line) as Entry;
      } catch {
        // Only the last line can be torn (the process died mid-write); anywhere else the journal is damaged.
        if (i >= lines.length - 2) return;
        throw new InputError(i + 1, `journal ${this.path} is damaged at this line; refusing to guess which messages were sent`);
      }
      this.states.set(e.k, e.s);
    });
  }

  state(key: string): JournalState | undefined {
    return this.states.get(key);
  }

  /** Record a state durably before returning. */
  record(key: string, state: JournalState, code?: string) {
    const entry: Entry = { k: key, s: state, t: new Date().toISOString(), ...(code ? { c: code } : {}) };
    writeSync(this.fd, JSON.stringify(entry) + '\n');
    fsyncSync(this.fd);
    this.states.set(key, state);
  }

  close() {
    closeSync(this.fd);
  }
}

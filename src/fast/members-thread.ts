/**
 * The members phase's side of its worker thread (members-worker.ts): starting it, handing it page bytes, and
 * reading a page's cursor off its bytes so the next page can be asked for while this one is parsed.
 */
import { Worker } from 'node:worker_threads';
import type { PlanInput } from '../contact/fields.js';
import type { FromMembersWorker, ToMembersWorker } from './members-worker.js';
import { ReplyQueue, WORKER_HEAP } from './worker-replies.js';

/**
 * The members phase's parsing thread. It is started before the field plan is known, at the start of the sync:
 * loading its modules takes about 0.1 s, spent while the sync prepares instead of after the first page arrives.
 *
 * One thread: measured on a million members with the audience read beside it (interleaved runs), a second one made
 * the sync about 10% faster but took its peak RSS to 350-395 MiB, at the edge of the 400 MB target.
 */
export class MembersThread {
  private readonly worker = new Worker(new URL('./members-worker.js', import.meta.url), { resourceLimits: WORKER_HEAP });
  private readonly replies = new ReplyQueue<FromMembersWorker>(this.worker, 'members');

  /** First: how to read the members (the field plan to fingerprint them by, and whether to scan bytes). */
  plan(reading: { planInput: PlanInput; region: string; fastPath: boolean }): void {
    this.worker.postMessage({ type: 'plan', ...reading } satisfies ToMembersWorker);
  }

  /** A page's bytes, with the cursor read off them (checked by the worker against the parsed page). */
  page(bytes: Buffer, pageNo: number, expectedCursor: string | null | undefined): void {
    postPage(this.worker, bytes, pageNo, expectedCursor);
  }

  /** The answer about the oldest page not yet answered: its member count and its cursor. */
  async pageRead(): Promise<{ members: number; cursor: string | null }> {
    return this.replies.next('cursor');
  }

  /** Last: the index parts of every member read. */
  async parts(): Promise<Extract<FromMembersWorker, { type: 'parts' }>> {
    this.worker.postMessage({ type: 'build' } satisfies ToMembersWorker);
    return this.replies.next('parts');
  }

  /** Stop the thread (its memory goes with it); safe to call more than once. */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

function postPage(worker: Worker, bytes: Buffer, pageNo: number, expectedCursor: string | null | undefined) {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Transfer the page's memory when it owns it whole (the usual case for a large body); copy otherwise.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer);
  const msg: ToMembersWorker = { type: 'page', bytes: whole ? view : view.slice(), pageNo, expectedCursor };
  worker.postMessage(msg, [msg.bytes.buffer as ArrayBuffer]);
}

const CURSOR_KEY = Buffer.from('"nextPageCursor"');
const CURSOR_VALUE = /^\s*:\s*("(?:[^"\\]|\\.)*"|null)/;

/**
 * The page's `nextPageCursor` read straight off its bytes, without parsing the page: a JSON string cannot hold an
 * unescaped quote, so `"nextPageCursor"` followed by a colon can only be a key. Undefined when not found (then
 * the worker's full parse gives it); the worker also checks the parsed value against this one.
 */
export function peekCursor(bytes: Buffer): string | null | undefined {
  const at = bytes.indexOf(CURSOR_KEY);
  if (at < 0) return undefined;
  const m = CURSOR_VALUE.exec(bytes.toString('utf8', at + CURSOR_KEY.length, at + CURSOR_KEY.length + 4096));
  if (!m) return undefined;
  const value = JSON.parse(m[1] as string) as string | null;
  return value === '' ? null : value;
}

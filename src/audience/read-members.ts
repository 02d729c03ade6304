/**
 * Phase 2, members: page through the list's current members into the compact MemberIndex.
 *
 * The main thread makes the calls (one HTTP layer: rate limit, retries, token) and hands each page's bytes to a
 * worker thread that parses and indexes them (members-worker.ts). The worker answers a page's cursor as soon as it
 * has parsed it, so Listrak serves page n+1 while page n is indexed, and the main thread stays free for the
 * audience meanwhile.
 */
import { Worker } from 'node:worker_threads';
import type { SmsApi } from '../listrak/sms.js';
import type { PlanInput } from './fields.js';
import { MemberIndex } from './members.js';
import type { FromMembersWorker, MembersWorkerData, ToMembersWorker } from './members-worker.js';

export async function readMembers(
  api: SmsApi,
  listId: number,
  pageSize: number,
  planInput: PlanInput,
  region: string,
  signal: AbortSignal,
  onPage?: (membersSoFar: number) => void,
): Promise<MemberIndex> {
  const data: MembersWorkerData = { planInput, region };
  const worker = new Worker(new URL('./members-worker.js', import.meta.url), { workerData: data });
  const replies = new ReplyQueue(worker);
  try {
    const seen = new Set<string>();
    let next: Promise<Buffer> | undefined;
    const fetchPage = (cursor: string | null) => {
      if (cursor !== null) {
        // A server that hands back a cursor it already gave would loop forever; stop and say so.
        if (seen.has(cursor)) throw new Error(`paging: Listrak returned the cursor ${cursor} twice`);
        seen.add(cursor);
      }
      next = api.getMembersPageBytes(listId, cursor, pageSize);
      // Keep a rejected read-ahead from surfacing as unhandled while the worker's answers are awaited.
      next.catch(() => {});
    };
    fetchPage(null);
    /** Pages handed to the worker whose answer is not read yet, with the cursor seen in their bytes. */
    const inWorker: (string | null | undefined)[] = [];
    for (let pageNo = 1; next; pageNo++) {
      const bytes: Buffer = await next;
      next = undefined;
      signal.throwIfAborted();
      // The next page is asked for as soon as its cursor is known: read off the bytes when possible, so Listrak
      // serves it while the worker parses this one (the worker checks it against the parsed page).
      const early = peekCursor(bytes);
      postPage(worker, bytes, pageNo, early);
      inWorker.push(early);
      if (typeof early === 'string') fetchPage(early);
      // With a page in flight, wait only for the worker's previous page (memory stays at a few pages); without
      // one, for every answer: the last page's, or the one whose cursor only the worker's parse can give.
      while (inWorker.length > (next ? 1 : 0)) {
        const peeked = inWorker.shift();
        const reply = await replies.next('cursor');
        onPage?.(reply.members);
        if (peeked === undefined && reply.cursor !== null) fetchPage(reply.cursor);
      }
    }
    worker.postMessage({ type: 'build' } satisfies ToMembersWorker);
    const built = await replies.next('index');
    return new MemberIndex(built.keys, built.systemFp, built.customFp, new Uint8Array(built.keys.length), built.rawPhones, built.unmatchable);
  } finally {
    await worker.terminate();
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

/** The worker's answers in order; an error answer, a crash or an early exit rejects the waiting reader. */
class ReplyQueue {
  private readonly queue: FromMembersWorker[] = [];
  private waiter?: { resolve: (m: FromMembersWorker) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(worker: Worker) {
    worker.on('message', (m: FromMembersWorker) => this.push(m));
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`the members worker stopped (exit code ${code})`)));
  }

  async next<K extends FromMembersWorker['type']>(type: K): Promise<Extract<FromMembersWorker, { type: K }>> {
    const m = this.queue.shift() ?? (await this.wait());
    if (m.type === 'error') throw new Error(m.message);
    if (m.type !== type) throw new Error(`members worker: expected ${type}, got ${m.type}`);
    return m as Extract<FromMembersWorker, { type: K }>;
  }

  private wait(): Promise<FromMembersWorker> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private push(m: FromMembersWorker) {
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w.resolve(m);
    else this.queue.push(m);
  }

  private fail(e: Error) {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }
}

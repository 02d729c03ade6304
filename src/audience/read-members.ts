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
  onPage?: (membersSoFar: number) => void,
): Promise<MemberIndex> {
  const data: MembersWorkerData = { planInput, region };
  const worker = new Worker(new URL('./members-worker.js', import.meta.url), { workerData: data });
  const replies = new ReplyQueue(worker);
  try {
    const seen = new Set<string>();
    let cursor: string | null = null;
    for (let pageNo = 1; ; pageNo++) {
      const bytes = await api.getMembersPageBytes(listId, cursor, pageSize);
      const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      // Transfer the page's memory when it owns it whole (the usual case for a large body); copy otherwise.
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer);
      const msg: ToMembersWorker = { type: 'page', bytes: whole ? view : view.slice(), pageNo };
      worker.postMessage(msg, whole ? [bytes.buffer as ArrayBuffer] : [msg.bytes.buffer as ArrayBuffer]);
      const reply = await replies.next('cursor');
      onPage?.(reply.members);
      if (reply.cursor === null) break;
      // A server that hands back a cursor it already gave would loop forever; stop and say so.
      if (seen.has(reply.cursor)) throw new Error(`paging: Listrak returned the cursor ${reply.cursor} twice`);
      seen.add(reply.cursor);
      cursor = reply.cursor;
    }
    worker.postMessage({ type: 'build' } satisfies ToMembersWorker);
    const built = await replies.next('index');
    return new MemberIndex(built.keys, built.systemFp, built.customFp, new Uint8Array(built.keys.length), built.rawPhones, built.unmatchable);
  } finally {
    await worker.terminate();
  }
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

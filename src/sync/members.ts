/**
 * Phase 2, members: page through the list's current members into the compact MemberIndex.
 *
 * The main thread makes the calls (one HTTP layer: rate limit, retries, token) and hands each page's bytes to a
 * worker thread that reads it and collects its members' keys and fingerprints (members-worker.ts); its collection
 * becomes the index at the end. The next page is asked for as soon as its cursor is known, so
 * Listrak serves it while the workers parse, and the main thread stays free for the audience meanwhile.
 */
import { Worker } from 'node:worker_threads';
import { CursorTrail, type SmsApi } from '../listrak/sms.js';
import type { PlanInput } from '../contact/fields.js';
import { buildMemberIndex, type MemberIndex } from '../tables/member-index.js';
import type { FromMembersWorker, ToMembersWorker } from '../fast/members-worker.js';
import { ReplyQueue, WORKER_HEAP } from '../fast/worker-replies.js';

/**
 * The members phase's parsing thread. It is started before the field plan is known, at the start of the sync:
 * loading its modules takes about 0.1 s, spent while the sync prepares instead of after the first page arrives.
 *
 * One thread: measured on a million members with the audience read beside it (interleaved runs), a second one made
 * the sync about 10% faster but took its peak RSS to 350-395 MiB, at the edge of the 400 MB target.
 */
export class MembersParser {
  readonly worker = new Worker(new URL('../fast/members-worker.js', import.meta.url), { resourceLimits: WORKER_HEAP });
  readonly replies = new ReplyQueue<FromMembersWorker>(this.worker, 'members');

  /** Stop the thread (its memory goes with it); safe to call more than once. */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

export async function readMembers(
  parser: MembersParser,
  api: SmsApi,
  listId: number,
  pageSize: number,
  reading: { planInput: PlanInput; region: string; scan: boolean },
  signal: AbortSignal,
  onPage?: (membersSoFar: number) => void,
): Promise<MemberIndex> {
  const { worker, replies } = parser;
  try {
    worker.postMessage({ type: 'plan', ...reading } satisfies ToMembersWorker);
    const cursors = new CursorTrail();
    let next: Promise<Buffer> | undefined;
    const fetchPage = (cursor: string | null) => {
      if (cursor !== null) cursors.follow(cursor);
      next = api.getMembersPageBytes(listId, cursor, pageSize);
      // Keep a rejected read-ahead from surfacing as unhandled while the worker's answers are awaited.
      next.catch(() => {});
    };
    fetchPage(null);
    let members = 0;
    /** Pages handed to the worker whose answer is not read yet, in page order, with the cursor seen in their bytes. */
    const parsing: (string | null | undefined)[] = [];
    for (let pageNo = 1; next; pageNo++) {
      const bytes: Buffer = await next;
      next = undefined;
      signal.throwIfAborted();
      // Read the cursor off the bytes when possible, so Listrak serves the next page while this one is parsed
      // (the worker checks it against the parsed page).
      const peeked = peekCursor(bytes);
      postPage(worker, bytes, pageNo, peeked);
      parsing.push(peeked);
      if (typeof peeked === 'string') fetchPage(peeked);
      // With a page in flight, leave the worker a page to parse (memory stays at a few pages); without one, read
      // every answer: the last page's, or the one whose cursor only the worker's parse can give.
      while (parsing.length > (next ? 1 : 0)) {
        const peekedCursor = parsing.shift();
        const reply = await replies.next('cursor');
        members += reply.members;
        onPage?.(members);
        if (peekedCursor === undefined && reply.cursor !== null) fetchPage(reply.cursor);
      }
    }
    worker.postMessage({ type: 'build' } satisfies ToMembersWorker);
    return buildMemberIndex([await replies.next('parts')]);
  } finally {
    await parser.stop();
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

/**
 * Phase 2, members: page through the list's current members into the compact MemberIndex.
 *
 * The main thread makes the calls (one HTTP layer: rate limit, retries, token) and hands each page's bytes to a
 * worker thread that reads it and collects its members' keys and fingerprints (members-worker.ts); its collection
 * becomes the index at the end. The next page is asked for as soon as its cursor is known, so Listrak serves it
 * while the worker parses, and the main thread stays free for the audience meanwhile.
 */
import { CursorTrail, type SmsApi } from '../listrak/sms.js';
import type { PlanInput } from '../contact/fields.js';
import { buildMemberIndex, type MemberIndex } from '../tables/member-index.js';
import { peekCursor, type MembersThread } from '../fast/members-thread.js';

export async function readMembers(
  thread: MembersThread,
  api: SmsApi,
  listId: number,
  pageSize: number,
  reading: { planInput: PlanInput; region: string; fastPath: boolean },
  signal: AbortSignal,
  onPage?: (membersSoFar: number) => void,
): Promise<MemberIndex> {
  try {
    thread.plan(reading);
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
      thread.page(bytes, pageNo, peeked);
      parsing.push(peeked);
      if (typeof peeked === 'string') fetchPage(peeked);
      // With a page in flight, leave the worker a page to parse (memory stays at a few pages); without one, read
      // every answer: the last page's, or the one whose cursor only the worker's parse can give.
      while (parsing.length > (next ? 1 : 0)) {
        const peekedCursor = parsing.shift();
        const reply = await thread.pageRead();
        members += reply.members;
        onPage?.(members);
        if (peekedCursor === undefined && reply.cursor !== null) fetchPage(reply.cursor);
      }
    }
    return buildMemberIndex([await thread.parts()]);
  } finally {
    await thread.stop();
  }
}

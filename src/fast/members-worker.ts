/**
 * A members-phase worker thread: parses member pages the main thread fetches and collects their keys and
 * fingerprints, so that parsing a large list (hundreds of MB of JSON) runs beside the main thread's reading of the
 * audience. Protocol (see sync/members.ts): `plan` first, unanswered; `page` → answers `cursor` once the page is
 * read (the main thread follows it when it could not read it off the bytes); `build` → answers `parts`, the arrays
 * transferred.
 */
import { parentPort } from 'node:worker_threads';
import { buildFieldPlan, type PlanInput } from '../contact/fields.js';
import { MembersPageReader, type MembersPage } from './members-page.js';
import { MemberIndexBuilder, type MemberParts } from '../tables/member-index.js';

export type ToMembersWorker =
  /**
   * First: the field plan to fingerprint members by (the thread starts before it is known); `fastPath` false reads
   * every page the reference way (JSON.parse), for the specs that compare the two.
   */
  | { type: 'plan'; planInput: PlanInput; region: string; fastPath: boolean }
  /** expectedCursor: the cursor the main thread read off the bytes and already followed (undefined: none). */
  | { type: 'page'; bytes: Uint8Array; pageNo: number; expectedCursor: string | null | undefined }
  | { type: 'build' };

export type FromMembersWorker =
  /** members: how many the page held. */
  | { type: 'cursor'; pageNo: number; cursor: string | null; members: number }
  | ({ type: 'parts' } & MemberParts)
  | { type: 'error'; message: string };

function serve() {
  const port = parentPort;
  if (!port) throw new Error('members-worker runs as a worker thread');
  let reader: MembersPageReader | undefined;
  const builder = new MemberIndexBuilder();
  const send = (m: FromMembersWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  port.on('message', (m: ToMembersWorker) => {
    try {
      if (m.type === 'plan') {
        const plan = buildFieldPlan(m.planInput);
        if ('error' in plan) throw new Error(plan.error);
        reader = new MembersPageReader(plan, m.region, m.fastPath);
        return;
      }
      if (m.type === 'page') {
        if (!reader) throw new Error('members page before the field plan');
        let p: MembersPage;
        try {
          p = reader.read(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), builder);
        } catch (e) {
          if (!(e instanceof SyntaxError)) throw e;
          throw new Error(`members page ${m.pageNo} from Listrak is not valid JSON (${e.message})`, { cause: e });
        }
        if (m.expectedCursor !== undefined && m.expectedCursor !== p.cursor) {
          throw new Error(`members page ${m.pageNo}: its cursor read ahead (${m.expectedCursor}) differs from the parsed one (${p.cursor})`);
        }
        send({ type: 'cursor', pageNo: m.pageNo, cursor: p.cursor, members: p.members });
        return;
      }
      const parts = builder.parts();
      send({ type: 'parts', ...parts }, [parts.keys.buffer, parts.systemFp.buffer, parts.customFp.buffer, parts.managed.buffer] as ArrayBuffer[]);
    } catch (e) {
      send({ type: 'error', message: (e as Error).message });
    }
  });
}

serve();

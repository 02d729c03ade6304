/**
 * A members-phase worker thread: parses member pages the main thread fetches and collects their keys and
 * fingerprints, so that parsing a large list (hundreds of MB of JSON) runs beside the main thread's reading of the
 * audience. Protocol (see read-members.ts): `page` → answers `cursor` once the page is parsed (the main thread
 * follows it when it could not read it off the bytes); `build` → answers `parts`, the arrays transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { page, type SmsContact } from '../listrak/sms.js';
import { buildFieldPlan, storedFingerprints, type FieldPlan, type PlanInput } from './fields.js';
import { MemberIndexBuilder, type MemberParts } from './members.js';
import { canonicalKey } from './prepare.js';

export interface MembersWorkerData {
  planInput: PlanInput;
  region: string;
}

export type ToMembersWorker =
  /** expectedCursor: the cursor the main thread read off the bytes and already followed (undefined: none). */
  | { type: 'page'; bytes: Uint8Array; pageNo: number; expectedCursor: string | null | undefined }
  | { type: 'build' };

export type FromMembersWorker =
  /** members: how many the page held. */
  | { type: 'cursor'; pageNo: number; cursor: string | null; members: number }
  | ({ type: 'parts' } & MemberParts)
  | { type: 'error'; message: string };

function indexPage(builder: MemberIndexBuilder, contacts: SmsContact[], plan: FieldPlan, region: string) {
  for (const c of contacts) {
    if (typeof c?.phoneNumber !== 'string') continue;
    const key = canonicalKey(c.phoneNumber, region);
    if (key === undefined) {
      builder.addUnmatchable(c.phoneNumber);
      continue;
    }
    const stored = storedFingerprints(plan, c);
    builder.add(key, c.phoneNumber, stored.systemFp, stored.customFp);
  }
}

function serve() {
  const port = parentPort;
  if (!port) throw new Error('members-worker runs as a worker thread');
  const { planInput, region } = workerData as MembersWorkerData;
  const plan = buildFieldPlan(planInput);
  if ('error' in plan) throw new Error(plan.error);
  const builder = new MemberIndexBuilder();
  const send = (m: FromMembersWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  port.on('message', (m: ToMembersWorker) => {
    try {
      if (m.type === 'page') {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength).toString('utf8'));
        } catch (e) {
          throw new Error(`members page ${m.pageNo} from Listrak is not valid JSON (${(e as Error).message})`, { cause: e });
        }
        const p = page<SmsContact>(body);
        if (m.expectedCursor !== undefined && m.expectedCursor !== p.nextPageCursor) {
          throw new Error(`members page ${m.pageNo}: its cursor read ahead (${m.expectedCursor}) differs from the parsed one (${p.nextPageCursor})`);
        }
        send({ type: 'cursor', pageNo: m.pageNo, cursor: p.nextPageCursor, members: p.data.length });
        indexPage(builder, p.data, plan, region);
        return;
      }
      const parts = builder.parts();
      send({ type: 'parts', ...parts }, [parts.keys.buffer, parts.systemFp.buffer, parts.customFp.buffer] as ArrayBuffer[]);
    } catch (e) {
      send({ type: 'error', message: (e as Error).message });
    }
  });
}

serve();

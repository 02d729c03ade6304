/**
 * The members phase's worker thread: parses the member pages the main thread fetches and builds the MemberIndex,
 * so that parsing a large list (hundreds of MB of JSON) runs on the second core while the main thread reads the
 * audience. Protocol (see read-members.ts): `page` → answers `cursor` as soon as the page is parsed, so the main
 * thread can fetch the next page while this one is indexed; `build` → answers `index`, its arrays transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { page, type SmsContact } from '../listrak/sms.js';
import { buildFieldPlan, storedValues, type FieldPlan, type PlanInput } from './fields.js';
import { fingerprint } from './fingerprint.js';
import { MemberIndexBuilder } from './members.js';
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
  | { type: 'cursor'; pageNo: number; cursor: string | null; members: number }
  | { type: 'index'; keys: Float64Array; systemFp: Float64Array; customFp: Float64Array; rawPhones: Map<number, string>; unmatchable: string[] }
  | { type: 'error'; message: string };

function indexPage(builder: MemberIndexBuilder, contacts: SmsContact[], plan: FieldPlan, region: string) {
  for (const c of contacts) {
    if (typeof c?.phoneNumber !== 'string') continue;
    const key = canonicalKey(c.phoneNumber, region);
    if (key === undefined) {
      builder.addUnmatchable(c.phoneNumber);
      continue;
    }
    const values = storedValues(plan, c);
    builder.add(key, c.phoneNumber, fingerprint(values.system), fingerprint(values.custom));
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
        send({ type: 'cursor', pageNo: m.pageNo, cursor: p.nextPageCursor, members: builder.count + p.data.length });
        indexPage(builder, p.data, plan, region);
        return;
      }
      const index = builder.build();
      send(
        { type: 'index', keys: index.keys, systemFp: index.systemFp, customFp: index.customFp, rawPhones: index.rawPhones, unmatchable: index.unmatchable },
        [index.keys.buffer, index.systemFp.buffer, index.customFp.buffer] as ArrayBuffer[],
      );
    } catch (e) {
      send({ type: 'error', message: (e as Error).message });
    }
  });
}

serve();

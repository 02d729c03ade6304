/**
 * The audience's worker thread: splits line-aligned blocks of the input into lines, parses them and digests the
 * audience records (digest.ts), so that JSON.parse of a million records runs beside the main thread, which only
 * sequences the answers. Protocol (see block-digester.ts): `block` → `digested`, one kind per line, the digests in
 * parallel arrays, all transferred. Anything that is not a clean audience record is left to the main thread, which
 * parses that line itself and so raises the same errors, with the same line numbers, as it always does.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseSingerLine } from '../singer/reader.js';
import { splitBlock } from '../singer/lines.js';
import { LineKind, digestRecord, type DigestContext } from './digest.js';
import { buildFieldPlan, type PlanInput } from './fields.js';

export interface DigestWorkerData {
  planInput: PlanInput;
  region: string;
  callingCode: string;
  audienceStream: string;
}

export type ToDigestWorker = { type: 'block'; bytes: Uint8Array };

export type FromDigestWorker =
  | { type: 'digested'; kinds: Uint8Array; keys: Float64Array; systemFp: Float64Array; customFp: Float64Array }
  | { type: 'error'; message: string };

function serve() {
  const port = parentPort;
  if (!port) throw new Error('digest-worker runs as a worker thread');
  const { planInput, region, callingCode, audienceStream } = workerData as DigestWorkerData;
  const plan = buildFieldPlan(planInput);
  if ('error' in plan) throw new Error(plan.error);
  const ctx: DigestContext = { plan, region, callingCode };
  port.on('message', (m: ToDigestWorker) => {
    try {
      const lines = splitBlock(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
      const n = lines.length;
      const kinds = new Uint8Array(n);
      const keys = new Float64Array(n);
      const systemFp = new Float64Array(n);
      const customFp = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let kind: number = LineKind.Parse;
        try {
          // The line number only matters for errors, and those are raised by the main thread.
          const msg = parseSingerLine(lines[i] as string, 0);
          if (!msg) kind = LineKind.Blank;
          else if (msg.type === 'RECORD' && msg.stream === audienceStream) {
            const d = digestRecord(msg.record, ctx);
            if (d) {
              kind = LineKind.Digest;
              keys[i] = d.key;
              systemFp[i] = d.systemFp;
              customFp[i] = d.customFp;
            }
          }
        } catch {
          kind = LineKind.Parse;
        }
        kinds[i] = kind;
      }
      const reply: FromDigestWorker = { type: 'digested', kinds, keys, systemFp, customFp };
      port.postMessage(reply, [kinds.buffer, keys.buffer, systemFp.buffer, customFp.buffer]);
    } catch (e) {
      port.postMessage({ type: 'error', message: (e as Error).message } satisfies FromDigestWorker);
    }
  });
}

serve();

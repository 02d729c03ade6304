/**
 * The audience's worker thread: digests the audience records of line-aligned blocks of the input (record-lines.ts),
 * so that reading a million records runs beside the main thread, which only sequences the answers. Protocol (see
 * block-digester.ts): `block` → `digested`, one kind per line, the digests in parallel arrays, all transferred.
 * Anything that is not a clean audience record is left to the main thread, which parses that line itself and so raises the same errors, with the same line numbers, as it always does.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildFieldPlan, type PlanInput } from '../contact/fields.js';
import type { PhoneContext } from '../contact/phone.js';
import { RecordLineDigester } from './record-lines.js';

export interface DigestWorkerData {
  planInput: PlanInput;
  phone: PhoneContext;
  audienceStream: string;
}

export type ToDigestWorker = { type: 'block'; bytes: Uint8Array };

export type FromDigestWorker =
  | { type: 'digested'; kinds: Uint8Array; keys: Float64Array; systemFp: Float64Array; customFp: Float64Array }
  | { type: 'error'; message: string };

function serve() {
  const port = parentPort;
  if (!port) throw new Error('digest-worker runs as a worker thread');
  const { planInput, phone, audienceStream } = workerData as DigestWorkerData;
  const plan = buildFieldPlan(planInput);
  if ('error' in plan) throw new Error(plan.error);
  const digester = new RecordLineDigester({ plan, phone }, audienceStream);
  port.on('message', (m: ToDigestWorker) => {
    try {
      const { kinds, keys, systemFp, customFp } = digester.digestBlock(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
      const reply: FromDigestWorker = { type: 'digested', kinds, keys, systemFp, customFp };
      port.postMessage(reply, [kinds.buffer, keys.buffer, systemFp.buffer, customFp.buffer] as ArrayBuffer[]);
    } catch (e) {
      port.postMessage({ type: 'error', message: (e as Error).message } satisfies FromDigestWorker);
    }
  });
}

serve();

/**
 * The audience input after its head, parsed and digested on a worker thread (digest-worker.ts) a block at a time,
 * and handed back in input order with each block's first line number. A few blocks are in flight at once so the
 * worker never waits for the main thread, and memory stays at a few MB of input.
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { LineTooLong, splitBlock } from '../singer/lines.js';
import type { DigestWorkerData, FromDigestWorker, ToDigestWorker } from './digest-worker.js';
import type { DigestedLines } from './record-lines.js';
import { ReplyQueue, WORKER_HEAP } from './worker-replies.js';

export interface DigestedBlock extends DigestedLines {
  /** Number of the block's first line in the input. */
  firstLine: number;
  /** The block's lines, split on demand: only blocks with lines to parse in full (or blank ones) pay for it. */
  lines(): string[];
}

const IN_FLIGHT = 4;

export async function* digestBlocks(blocks: AsyncIterator<Buffer>, firstLine: number, data: DigestWorkerData): AsyncGenerator<DigestedBlock> {
  const worker = new Worker(new URL('./digest-worker.js', import.meta.url), { workerData: data, resourceLimits: WORKER_HEAP });
  const replies = new ReplyQueue<FromDigestWorker>(worker, 'audience');
  const inFlight: Buffer[] = [];
  let ended = false;
  let tooLong: LineTooLong | undefined;
  let line = firstLine;
  try {
    for (;;) {
      while (!ended && !tooLong && inFlight.length < IN_FLIGHT) {
        try {
          const next = await blocks.next();
          if (next.done) ended = true;
          else {
            // Copied, not transferred: the main thread keeps the block to parse the lines the worker leaves it.
            worker.postMessage({ type: 'block', bytes: next.value } satisfies ToDigestWorker);
            inFlight.push(next.value);
          }
        } catch (e) {
          if (!(e instanceof LineTooLong)) throw e;
          tooLong = e;
        }
      }
      const bytes = inFlight.shift();
      if (!bytes) break;
      const d = await replies.next('digested');
      let split: string[] | undefined;
      yield { firstLine: line, kinds: d.kinds, keys: d.keys, systemFp: d.systemFp, customFp: d.customFp, lines: () => (split ??= splitBlock(bytes)) };
      line += d.kinds.length;
    }
    // Raised in input order, once the line's number is known.
    if (tooLong) throw new InputError(line, tooLong.message);
  } finally {
    await worker.terminate();
  }
}

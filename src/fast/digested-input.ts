/**
 * The fast path's side of the router: the input after its head, parsed and digested on a worker thread
 * (block-digester.ts), handed to the router line by line. An audience record the worker digested goes over as its
 * digest; every other line as its text, which the router parses like any other. The digest only spares the main
 * thread a parse: the sink settles it exactly as it would the parsed record, or reads the line in full.
 */
import { LineKind, type Digest } from '../contact/digest.js';
import type { SingerRouter } from '../singer/route.js';
import type { DigestedBlock } from './block-digester.js';

export async function routeDigestedInput(
  router: SingerRouter<Digest>,
  audienceStream: string,
  rest: { firstLine: number; lines: string[]; blocks: AsyncIterable<DigestedBlock> },
): Promise<void> {
  // The lines the head's reader had already split.
  for (let i = 0; i < rest.lines.length; i++) await router.line(rest.lines[i] as string, rest.firstLine + i);
  for await (const block of rest.blocks) {
    const { kinds } = block;
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i];
      if (kind === LineKind.Blank) continue;
      const line = block.firstLine + i;
      const text = () => block.lines()[i] as string;
      // A digest before the stream's SCHEMA cannot be settled: its line goes through the router, which refuses it.
      if (kind === LineKind.Digest && router.declared(audienceStream)) {
        const d: Digest = { key: block.keys[i] as number, systemFp: block.systemFp[i] as number, customFp: block.customFp[i] as number };
        await router.digested(audienceStream, line, d, text);
      } else await router.line(text(), line);
    }
  }
}

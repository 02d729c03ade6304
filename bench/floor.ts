/**
 * The floor the sync is compared with: read the same JSONL file line by line and JSON.parse every line, nothing
 * else. It reads with the target's own line splitter (the fastest measured here), so the floor is not padded by a
 * slower reader. Usage: node floor.js FILE. Prints the line count.
 */
import { createReadStream } from 'node:fs';
import { lineBatches } from '../src/singer/lines.js';

let lines = 0;
for await (const batch of lineBatches(createReadStream(process.argv[2] as string))) {
  for (const line of batch) {
    if (line.length === 0) continue;
    JSON.parse(line);
    lines++;
  }
}
process.stdout.write(`${lines}\n`);

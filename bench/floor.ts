/**
 * The floor the sync is compared with: read the same JSONL file line by line and JSON.parse every line, nothing
 * else. Usage: node floor.js FILE. Prints the line count.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

let lines = 0;
const rl = createInterface({ input: createReadStream(process.argv[2] as string), crlfDelay: Infinity });
for await (const line of rl) {
  if (line.length === 0) continue;
  JSON.parse(line);
  lines++;
}
process.stdout.write(`${lines}\n`);

/**
 * Recorded stdout of a real Meltano SDK tap (../shared/singer-recordings beside the project, or
 * LISTRAK_RECORDINGS_DIR): what the target really receives. Under CI their absence is a failure, never a skip.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './cli.js';

export function recording(name: string): string[] | undefined {
  const path = join(process.env.LISTRAK_RECORDINGS_DIR ?? join(repoRoot, '..', 'shared', 'singer-recordings'), name);
  if (!existsSync(path)) {
    if (process.env.CI) throw new Error(`the tap recording ${path} is missing; CI must run the removal-evidence specs`);
    return undefined;
  }
  // Each line with its line end, so that a cut after any line is the lines before it joined.
  return readFileSync(path, 'utf8').split(/(?<=\n)/);
}

/** Temporary folders for specs, all under one root that is removed when the test process exits. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let root: string | undefined;

export function tempDir(prefix = 'd'): string {
  if (!root) {
    root = mkdtempSync(join(tmpdir(), 'listrak-spec-'));
    const dir = root;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return mkdtempSync(join(root, `${prefix}-`));
}

/**
 * Run after the TypeScript build: makes every `bin` of package.json executable. tsc writes its files without the
 * executable bit, and Meltano, a shell or a symlink on PATH runs a bin directly.
 */
import { chmodSync, readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { bin: Record<string, string> };
for (const file of Object.values(pkg.bin)) chmodSync(new URL(file, root), 0o755);

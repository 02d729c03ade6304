/** The dependency rule's check (tools/check-deps.ts): it finds each import that breaks the rule, and only those. */
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { breaches } from '../../tools/check-deps.js';
import { tempDir } from '../support/tmp.js';

function tree(files: Record<string, string>): string {
  const dir = tempDir('deps');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the dependency rule, checked', () => {
  it('passes on the project itself', () => {
    const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');
    expect(breaches(src)).to.deep.equal([]);
  });

  it('names each import a folder may not make, with its line', () => {
    const dir = tree({
      'errors.ts': 'export class E {}\n',
      'singer/route.ts': "import { E } from '../errors.js';\nimport type { X } from '../sync/plan.js';\n",
      'transactional/send.ts': "// texts\nimport { diff } from '../sync/diff.js';\nexport { a } from './journal.js';\n",
      'sync/members.ts': "import { Worker } from 'node:worker_threads';\nimport type { T } from '../fast/members-worker.js';\nimport { f } from '../fast/members-thread.js';\n",
      'fast/block.ts': "import { Worker } from 'node:worker_threads';\nimport type { T } from './digest-worker.js';\n",
      'newfolder/x.ts': "import { y } from '../config/target.js';\n",
      'config/target.ts': "const m = await import('../listrak/http.js');\n",
    });
    expect(breaches(dir).map((b) => `${b.file}:${b.line}: ${b.text}`).sort()).to.deep.equal([
      'config/target.ts:1: config/ may not import from listrak/ (../listrak/http.js); see ARCHITECTURE.md "Who may import whom"',
      'newfolder/x.ts:1: newfolder/ is not in the dependency rule (tools/check-deps.ts): say what it may import',
      'singer/route.ts:2: singer/ may not import from sync/ (../sync/plan.js); see ARCHITECTURE.md "Who may import whom"',
      'sync/members.ts:1: sync/ imports node:worker_threads: only fast/ speaks to worker threads',
      'sync/members.ts:2: sync/ imports the worker protocol ../fast/members-worker.js: only fast/ speaks to worker threads',
      'transactional/send.ts:2: transactional/ may not import from sync/ (../sync/diff.js); see ARCHITECTURE.md "Who may import whom"',
    ]);
  });
});

/**
 * The module dependency rule of ARCHITECTURE.md, checked on the sources (`make lint` runs it): which folder of src/
 * may import from which, and that only fast/ speaks to worker threads. Prints each import that breaks the rule, with
 * its file and line, and exits 1 when there is one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What each folder may import besides itself and src/'s top-level helpers (errors, log, redact, ...). The rule
 * follows the flow: cli/ drives everything; sync/ and transactional/ are the sinks and phases; singer/, config/,
 * tables/ and sandbox/ stand on nothing of the project; the rules about values (contact/) know only the API's types.
 */
export const MAY_IMPORT: Record<string, readonly string[]> = {
  cli: ['check', 'config', 'listrak', 'report', 'sandbox', 'sftp', 'singer', 'sync'],
  check: ['config', 'contact', 'listrak', 'sftp', 'transactional'],
  sync: ['config', 'contact', 'fast', 'listrak', 'report', 'singer', 'tables', 'transactional'],
  transactional: ['config', 'contact', 'listrak', 'report', 'singer'],
  fast: ['contact', 'listrak', 'singer', 'tables'],
  sftp: ['config', 'contact', 'listrak', 'report', 'singer'],
  listrak: ['config', 'contact'],
  contact: ['listrak'],
  report: ['contact'],
  singer: [],
  config: [],
  tables: [],
  sandbox: [],
};

/** Only these folders may start or speak to a worker thread. */
const WORKER_FOLDERS = new Set(['fast']);

const IMPORT = /(?:^|\s)(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

export interface Breach {
  file: string;
  line: number;
  text: string;
}

export function breaches(srcDir: string): Breach[] {
  const out: Breach[] = [];
  for (const file of tsFiles(srcDir)) {
    const rel = relative(srcDir, file);
    const folder = rel.includes('/') ? (rel.split('/')[0] as string) : undefined;
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2]) as string;
      const line = source.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0);
      const problem = folder === undefined ? undefined : breach(folder, spec, file, srcDir);
      if (problem) out.push({ file: rel, line, text: problem });
    }
  }
  return out;
}

function breach(folder: string, spec: string, file: string, srcDir: string): string | undefined {
  if (spec === 'node:worker_threads' && !WORKER_FOLDERS.has(folder)) return `${folder}/ imports node:worker_threads: only fast/ speaks to worker threads`;
  if (!spec.startsWith('.')) return undefined;
  const target = relative(srcDir, resolve(dirname(file), spec));
  if (target.startsWith('..')) return `${folder}/ imports ${spec}, outside src/`;
  if (!target.includes('/')) return undefined; // src/'s top-level helpers
  if (/-worker\.js$/.test(target) && !WORKER_FOLDERS.has(folder)) return `${folder}/ imports the worker protocol ${spec}: only fast/ speaks to worker threads`;
  const to = target.split('/')[0] as string;
  if (to === folder) return undefined;
  const allowed = MAY_IMPORT[folder];
  if (!allowed) return `${folder}/ is not in the dependency rule (tools/check-deps.ts): say what it may import`;
  if (!allowed.includes(to)) return `${folder}/ may not import from ${to}/ (${spec}); see ARCHITECTURE.md "Who may import whom"`;
  return undefined;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const srcDir = process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
  const found = breaches(srcDir);
  for (const b of found) console.error(`${b.file}:${b.line}: ${b.text}`);
  if (found.length) {
    console.error(`check-deps: ${found.length} import(s) break the dependency rule`);
    process.exit(1);
  }
}

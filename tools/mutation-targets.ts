/**
 * The targets `make mutate` holds each mutated module to, checked on Stryker's JSON report: at least 90% of its
 * mutants killed (killed or timed out, over all but those marked equivalent), and marks of equivalent mutants
 * (`// Stryker disable next-line <mutator>: <reason>`, reported as Ignored) on under 5% of its mutants.
 * Prints one row a module; exits 1 when a module misses a target.
 */
import { readFileSync } from 'node:fs';

const MIN_KILLED_PCT = 90;
const MAX_MARKED_PCT = 5;

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

const path = process.argv[2] ?? 'reports/mutation/mutation.json';
const report = JSON.parse(readFileSync(path, 'utf8')) as Report;

const rows: string[][] = [['module', 'mutants', 'killed', 'survived', 'no coverage', 'marked', 'score', 'target']];
let missed = 0;
for (const [file, { mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const count = (...statuses: string[]) => mutants.filter((m) => statuses.includes(m.status)).length;
  const killed = count('Killed', 'Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const marked = count('Ignored');
  const valid = killed + survived + noCoverage;
  const score = valid ? (100 * killed) / valid : 100;
  const markedPct = mutants.length ? (100 * marked) / mutants.length : 0;
  const met = score >= MIN_KILLED_PCT && markedPct < MAX_MARKED_PCT;
  if (!met) missed++;
  rows.push([file, mutants.length, killed, survived, noCoverage, `${marked} (${markedPct.toFixed(1)}%)`, `${score.toFixed(1)}%`, met ? 'met' : 'MISSED'].map(String));
}
const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
for (const [i, r] of rows.entries()) {
  console.log(r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j] as number) : cell.padStart(widths[j] as number))).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
console.log(`\ntargets: at least ${MIN_KILLED_PCT}% of each module's mutants killed; equivalent marks on under ${MAX_MARKED_PCT}% of them`);
if (missed) {
  console.error(`${missed} module(s) missed a target (survivors are listed above, in Stryker's report)`);
  process.exit(1);
}

import { expect } from 'chai';
import type { RejectReason } from '../../src/contact/coerce.js';
import { formatReport, SyncCounts, TALLY_GROUPS } from '../../src/report/counts.js';

function countsWith(rejected: [RejectReason, number][]): SyncCounts {
  const counts = new SyncCounts();
  for (const [reason, n] of rejected) for (let i = 0; i < n; i++) counts.reject(reason);
  return counts;
}

const report = (counts: SyncCounts, rejectsFile?: string) => formatReport(counts, new Map([['getList', 1]]), new Map(), 1234, false, { rejectsFile });

describe('the end-of-run report', () => {
  it('shows the commonest reject reasons first, sums the rest, and says where the rejects are', () => {
    const counts = countsWith([
      ['too_long', 1],
      ['invalid_phone', 40],
      ['duplicate', 7],
      ['invalid_email', 12],
      ['missing_phone', 3],
      ['invalid_date', 2],
      ['invalid_number', 2],
    ]);
    const rows = report(counts, 'out/rejects.jsonl')
      .split('\n')
      .map((l) => l.trim().replace(/\s{2,}/g, ' | '));
    const at = rows.indexOf('rejected | 67');
    expect(at).to.be.greaterThan(-1);
    expect(rows.slice(at + 1, at + 8)).to.deep.equal([
      'invalid_phone | 40',
      'invalid_email | 12',
      'duplicate | 7',
      'missing_phone | 3',
      'invalid_date | 2',
      '2 other reasons | 3',
      'rejects file | out/rejects.jsonl',
    ]);
  });

  it('names no rejects file when nothing was rejected', () => {
    expect(report(countsWith([]), 'out/rejects.jsonl')).to.not.include('rejects file');
  });

  it('sums every counter of several tallies: each group of counters, the records, members and rejects', () => {
    const tally = (n: number) => {
      const c = countsWith([['duplicate', n]]);
      c.records = n;
      c.members = 10 * n;
      // Every counter of every group, whatever groups SyncCounts has, set to n.
      for (const [key, value] of Object.entries(c)) {
        if (value && typeof value === 'object' && !(value instanceof Map) && !Array.isArray(value) && key !== 'phaseSeconds') {
          for (const k of Object.keys(value)) (value as Record<string, number>)[k] = n;
        }
      }
      return c;
    };
    const total = SyncCounts.sum([tally(1), tally(2)]);
    const groups = Object.entries(total).filter(([key, v]) => v && typeof v === 'object' && !(v instanceof Map) && !Array.isArray(v) && key !== 'phaseSeconds');
    expect(groups.map(([key]) => key).sort()).to.deep.equal([...TALLY_GROUPS].sort());
    for (const [key, group] of groups) for (const [k, v] of Object.entries(group as object)) expect(v, `${key}.${k}`).to.equal(3);
    expect([total.records, total.members, total.rejected.get('duplicate')]).to.deep.equal([3, 30, 3]);
  });
});

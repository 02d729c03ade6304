import { expect } from 'chai';
import type { RejectReason } from '../../src/contact/coerce.js';
import { formatReport, SyncCounts } from '../../src/report/counts.js';

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
});

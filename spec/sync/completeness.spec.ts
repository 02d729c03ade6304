/** The rule of removal evidence (sync/removal.ts), on the facts the router gathers: what allows removals, and why not. */
import { expect } from 'chai';
import type { StreamEvidence } from '../../src/singer/evidence.js';
import { completeness, evidenceMode } from '../../src/sync/removal.js';

const facts = (f: Partial<StreamEvidence> = {}): StreamEvidence => ({ records: 3, lastRecordLine: 4, closedBy: undefined, incremental: undefined, ...f });
const closed = { type: 'STATE' as const, line: 5 };

describe('removal evidence: the rule', () => {
  it('allows removals after a STATE or ACTIVATE_VERSION that follows the last record, saying which', () => {
    expect(completeness({ stream: 'audience', facts: facts({ closedBy: closed }) }, 'final_message')).to.deep.equal({
      complete: true,
      because: 'a STATE (line 5) follows the last record of stream "audience"',
    });
    expect(completeness({ stream: 'a', facts: facts({ closedBy: { type: 'ACTIVATE_VERSION', line: 9 } }) }, 'final_message')).to.deep.include({ complete: true, because: 'an ACTIVATE_VERSION (line 9) follows the last record of stream "a"' });
  });

  it('withholds them without that message, naming the last record and both ways to give the evidence', () => {
    expect(completeness({ stream: 'audience', facts: facts() }, 'final_message')).to.deep.equal({
      complete: false,
      missing: 'no STATE or ACTIVATE_VERSION follows the last record of stream "audience" (line 4), so the input may have been cut short',
      fix: 'end the input with a STATE line, as a tap does when its stream is whole, or set removal_evidence "end_of_input" for an input that never carries state',
    });
    const empty = completeness({ stream: 'audience', facts: facts({ records: 0, lastRecordLine: undefined }) }, 'final_message');
    expect(empty).to.deep.include({ complete: false, missing: 'no STATE or ACTIVATE_VERSION follows the last record of stream "audience", so the input may have been cut short' });
  });

  it('takes the clean end of input as evidence only when asked', () => {
    expect(completeness({ stream: 'audience', facts: facts() }, 'end_of_input')).to.deep.equal({ complete: true, because: 'removal_evidence is "end_of_input": the input was read to its clean end' });
  });

  it('never allows them for an incremental stream or after a partial last line, whatever the setting and the closing message', () => {
    for (const mode of ['final_message', 'end_of_input'] as const) {
      const inc = completeness({ stream: 'audience', facts: facts({ closedBy: closed, incremental: 'its SCHEMA (line 1) has bookmark_properties ["u"]' }) }, mode);
      expect(inc).to.deep.equal({
        complete: false,
        missing: 'stream "audience" is incremental (its SCHEMA (line 1) has bookmark_properties ["u"]): its records are the rows changed since the tap\'s bookmark, not the whole audience',
        fix: 'have the tap sync it FULL_TABLE (in Meltano: metadata: {audience: {replication-method: FULL_TABLE}}); a mirror needs the whole audience every run',
      });
      const cut = completeness({ stream: 'audience', facts: facts({ closedBy: closed }), cutLine: 12 }, mode);
      expect(cut).to.deep.equal({ complete: false, missing: 'the input ends in a partial line (line 12), as a tap killed mid-write leaves it', fix: 'rerun once the tap runs to its end' });
      const cutAtZero = completeness({ stream: 'audience', facts: facts({ closedBy: closed }), cutLine: 0 }, mode);
      expect(cutAtZero.complete).to.equal(false);
    }
  });

  it('reads removal_evidence, and the deprecated require_final_state only where removal_evidence is not set', () => {
    expect(evidenceMode({})).to.equal('final_message');
    expect(evidenceMode({ require_final_state: true })).to.equal('final_message');
    expect(evidenceMode({ require_final_state: false })).to.equal('end_of_input');
    expect(evidenceMode({ removal_evidence: 'final_message', require_final_state: false })).to.equal('final_message');
    expect(evidenceMode({ removal_evidence: 'end_of_input' })).to.equal('end_of_input');
  });
});

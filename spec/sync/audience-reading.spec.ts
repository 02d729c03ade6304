/**
 * How the audience is read: inline records, BATCH files, records met before and after the member index, on the
 * fast path (digests settled without parsing) and the reference path (every record parsed and diffed in full).
 * However a record arrives, the list ends the same; these specs also pin what each path does to get there.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { digestedRecord } from '../../src/sync/diff.js';
import { AUDIENCE_SCHEMA, LIST, OTHER_LIST, SC, TX_SCHEMA, baseSeed, member, msg, phone, range, row, txSeed, type Row } from '../support/fixtures.js';
import { runTarget, sandboxWith, type SyncRun } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const MEMBERS_PAGE = 'Contact_GetContactCollection';

/** The figures the run returns about its audience read. */
function readFigures(run: SyncRun) {
  const [figures] = run.result?.reading ?? [];
  return { early: figures?.early.records ?? NaN, reread: figures?.early.reread ?? NaN, settled: figures?.settledFromDigest ?? NaN };
}

const lines = (messages: object[]) => messages.map((m) => JSON.stringify(m)).join('\n') + '\n';
const record = (r: Row, stream = 'audience') => ({ type: 'RECORD', stream, record: r });
const STATE = { type: 'STATE', value: { bookmarks: { audience: 'done' } } };

describe('reading the audience', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  describe('the fast path and the reference path', () => {
    /** 300 members; the audience keeps them all, renames member 150, adds 301, with blank lines here and there. */
    async function threeHundred() {
      sandbox = await sandboxWith(baseSeed(range(1, 301).map((n) => member(n))));
      const body = range(1, 301).map((n) => JSON.stringify(record(n === 150 ? row(n, { first_name: 'Renamed' }) : row(n))));
      for (const at of [280, 200, 120, 40]) body.splice(at, 0, '', '   ');
      return [JSON.stringify({ ...AUDIENCE_SCHEMA, stream: 'audience' }), ...body, JSON.stringify(record(row(301))), JSON.stringify(STATE)].join('\n') + '\n';
    }
    const expectTheSameList = (s: Sandbox, run: SyncRun) => {
      expect(run.error).to.equal(undefined);
      expect(run.result?.counts.actions).to.include({ unchanged: 299, updated: 1, created: 1, unsubscribed: 0 });
      expect(s.state.contact(SC, phone(150))?.firstName).to.equal('Renamed');
      expect(s.state.subscribedPhones(LIST)).to.have.length(301);
    };

    it('settles unchanged members from their digests alone, after the member index too, and skips blank lines', async () => {
      const input = await threeHundred();
      const s = sandbox as Sandbox;
      // In pieces, as a pipe delivers it, held after line 30 until the members are read: the rest comes after.
      const run = await runTarget(s, input, {}, { chunkChars: 4096, holdInputAfterLine: 30 });
      expectTheSameList(s, run);
      const figures = readFigures(run);
      expect(figures.early, 'records after the member index are not kept as digests').to.be.at.most(29);
      // Every unchanged member after the first piece (which is parsed on this thread) is settled from its digest.
      expect(figures.settled).to.be.greaterThan(250).and.at.most(299);
    });

    it('on the reference path, parses and diffs every record in full, keeping none as a digest', async () => {
      const input = await threeHundred();
      const s = sandbox as Sandbox;
      // The members answer late, so the whole audience is there before them.
      s.faults.add({ operationId: MEMBERS_PAGE, delayMs: 300 });
      const run = await runTarget(s, input, {}, { chunkChars: 4096, fastPath: false });
      expectTheSameList(s, run);
      expect(readFigures(run)).to.deep.equal({ early: 0, reread: 0, settled: 0 });
    });
  });

  describe('BATCH messages', () => {
    const dir = tempDir('batch-sync');
    const batchFile = (name: string, records: Row[], gzip: boolean) => {
      const path = join(dir, name);
      const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
      writeFileSync(path, gzip ? gzipSync(text) : text);
      return pathToFileURL(path).href;
    };
    const batch = (stream: string, manifest: string[]) => ({ type: 'BATCH', stream, encoding: { format: 'jsonl', compression: 'gzip' }, manifest });

    it('syncs an audience sent as BATCH files exactly as inline records, also when it arrives before the members', async () => {
      sandbox = await sandboxWith(baseSeed([1, 2, 3, 4].map((n) => member(n))));
      const s = sandbox;
      s.faults.add({ operationId: MEMBERS_PAGE, delayMs: 300 });
      // Member 2 renamed, 3 kept, 5 new (in the second file), 1 inline before the BATCH, 4 left.
      const first = batchFile('a.jsonl.gz', [row(2, { first_name: 'Renamed' }), row(3)], true);
      const second = batchFile('b.jsonl.gz', [row(5)], true);
      const run = await runTarget(s, lines([{ ...AUDIENCE_SCHEMA, stream: 'audience' }, record(row(1)), batch('audience', [first, second]), STATE]), { max_unsubscribe_ratio: 0.5 });
      expect(run.error).to.equal(undefined);
      expect(s.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 5].map(phone));
      expect(s.state.contact(SC, phone(2))?.firstName).to.equal('Renamed');
      expect(run.result?.counts.records).to.equal(4);
      expect(run.result?.counts.actions).to.include({ unchanged: 2, updated: 1, created: 1, unsubscribed: 1 });
    });

    it('sends texts that come as a BATCH of the transactional stream', async () => {
      sandbox = await sandboxWith(txSeed([member(1, { lists: [LIST, OTHER_LIST] }), member(2, { lists: [LIST, OTHER_LIST] })]));
      const s = sandbox;
      const journal = join(tempDir('batch-journal'), 'journal.jsonl');
      writeFileSync(journal, '');
      const textsFile = batchFile('texts.jsonl.gz', [msg(1), msg(2)], true);
      const input = lines([{ ...AUDIENCE_SCHEMA, stream: 'audience' }, TX_SCHEMA, record(row(1)), record(row(2)), batch('transactional_messages', [textsFile]), STATE]);
      const run = await runTarget(s, input, { transactional_phone_list_id: OTHER_LIST, journal_path: journal });
      expect(run.error).to.equal(undefined);
      expect(s.state.sent.map((t) => t.phoneNumber)).to.deep.equal([phone(1), phone(2)]);
      expect(s.state.subscribedPhones(LIST)).to.deep.equal([1, 2].map(phone));
    });

    for (const [what, messages, message] of [
      ['before its SCHEMA', [{ ...AUDIENCE_SCHEMA, stream: 'audience' }, record(row(1)), batch('other', [])], /^input line 3: BATCH for stream "other" before its SCHEMA$/],
      [
        'for a stream that is neither the audience nor the texts',
        [{ ...AUDIENCE_SCHEMA, stream: 'audience' }, { ...AUDIENCE_SCHEMA, stream: 'other' }, batch('other', [])],
        /^input line 3: BATCH for stream "other", but the audience stream is "audience" \(set audience_stream, or send one stream\)$/,
      ],
    ] as const) {
      it(`refuses a BATCH ${what}, naming its line, and writes nothing`, async () => {
        sandbox = await sandboxWith(baseSeed([1, 2].map((n) => member(n))));
        const run = await runTarget(sandbox, lines([...messages]));
        expect(run.error).to.be.instanceOf(InputError);
        expect(run.error?.message).to.match(message);
        expect(sandbox.state.writes).to.deep.equal([]);
      });
    }
  });

  it('reads a line again only as the record its digest named: anything else is an error naming where it was read', () => {
    const rec = { type: 'RECORD' as const, stream: 'audience', record: { phone: '1' }, line: 9 };
    expect(digestedRecord(rec, 9, 'input copy')).to.equal(rec);
    expect(() => digestedRecord(undefined, 9, 'input copy')).to.throw(Error, /^input copy line 9: digested as a record, but it is not one$/);
    expect(() => digestedRecord({ type: 'STATE', value: {}, line: 9 }, 9, 'input')).to.throw(Error, /^input line 9: digested as a record, but it is not one$/);
  });
});

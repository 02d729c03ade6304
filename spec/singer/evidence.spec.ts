/** The facts of each stream's end, as the router gathers them (the removal rule that reads them: sync/removal.ts). */
import { expect } from 'chai';
import { EvidenceBook } from '../../src/singer/evidence.js';
import type { Numbered, SchemaMessage } from '../../src/singer/messages.js';

const schema = (stream: string, line: number, bookmark_properties?: string[]): Numbered<SchemaMessage> => ({ type: 'SCHEMA', stream, schema: {}, key_properties: [], line, ...(bookmark_properties ? { bookmark_properties } : {}) });

describe('evidence of a stream\'s end', () => {
  it('a STATE after the last record closes the stream; a record after it opens it again', () => {
    const book = new EvidenceBook();
    book.schema(schema('audience', 1));
    book.record('audience', 2);
    book.record('audience', 3);
    expect(book.of('audience')).to.deep.include({ records: 2, lastRecordLine: 3, closedBy: undefined, incremental: undefined });
    book.state({ bookmarks: {} }, 4);
    expect(book.of('audience').closedBy).to.deep.equal({ type: 'STATE', line: 4 });
    book.record('audience', 5);
    expect(book.of('audience').closedBy).to.equal(undefined);
  });

  it('a STATE closes every stream declared, also one with no records yet; ACTIVATE_VERSION only its own', () => {
    const book = new EvidenceBook();
    book.schema(schema('audience', 1));
    book.schema(schema('texts', 2));
    book.activateVersion('texts', 3);
    expect(book.of('audience').closedBy).to.equal(undefined);
    expect(book.of('texts').closedBy).to.deep.equal({ type: 'ACTIVATE_VERSION', line: 3 });
    book.state(1, 4);
    expect(book.of('audience').closedBy).to.deep.equal({ type: 'STATE', line: 4 });
    expect(book.of('audience').records).to.equal(0);
  });

  it('an ACTIVATE_VERSION before the records (the SDK\'s) is no evidence once a record follows', () => {
    const book = new EvidenceBook();
    book.schema(schema('audience', 1));
    book.activateVersion('audience', 2);
    book.record('audience', 3);
    expect(book.of('audience').closedBy).to.equal(undefined);
  });

  it('knows an incremental stream by its bookmark_properties, naming the line', () => {
    const book = new EvidenceBook();
    book.schema(schema('audience', 7, ['updated_at']));
    expect(book.of('audience').incremental).to.equal('its SCHEMA (line 7) has bookmark_properties ["updated_at"]');
    book.schema(schema('other', 8, []));
    expect(book.of('other').incremental).to.equal(undefined);
  });

  it("knows it by the state's replication_key_value, in the stream's bookmark or one of its partitions", () => {
    const cases: [unknown, boolean][] = [
      [{ bookmarks: { audience: { replication_key: 'u', replication_key_value: '2026-01-01' } } }, true],
      [{ bookmarks: { audience: { partitions: [{ context: {} }, { context: {}, replication_key_value: 3 }] } } }, true],
      [{ bookmarks: { audience: { replication_key_value: 0 } } }, true],
      [{ bookmarks: { audience: { replication_key_value: null } } }, false],
      [{ bookmarks: { audience: { partitions: [{ context: { _sdc_path: 'a.csv' } }] } } }, false],
      [{ bookmarks: { other: { replication_key_value: 1 } } }, false],
      [{ bookmarks: { audience: {} } }, false],
      [{ bookmarks: { audience: { partitions: 'x' } } }, false],
      [{ bookmarks: { audience: [1] } }, false],
      [{ bookmarks: [] }, false],
      [{ audience: { replication_key_value: 1 } }, false],
      [42, false],
      [null, false],
    ];
    for (const [state, incremental] of cases) {
      const book = new EvidenceBook();
      book.schema(schema('audience', 1));
      book.record('audience', 2);
      book.state(state, 3);
      expect(book.of('audience').incremental !== undefined, JSON.stringify(state)).to.equal(incremental);
      if (incremental) expect(book.of('audience').incremental).to.equal('its STATE (line 3) keeps a replication_key_value for it');
    }
  });

  it('keeps the first reason a stream is incremental', () => {
    const book = new EvidenceBook();
    book.schema(schema('audience', 1, ['u']));
    book.state({ bookmarks: { audience: { replication_key_value: 1 } } }, 5);
    expect(book.of('audience').incremental).to.match(/^its SCHEMA \(line 1\)/);
  });
});

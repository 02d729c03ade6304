/**
 * Several audiences in one run (`stream_lists`, the "separate files" campaign setting) and a treatment group kept on
 * the contact (`group_property` + `group_field`, the "single file" one), through the built binary against the
 * sandbox.
 */
import { expect } from 'chai';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { SandboxSeed } from '../../src/sandbox/model.js';
import { runCli, type CliResult } from '../support/cli.js';
import { AUDIENCE_SCHEMA, LIST, OTHER_LIST, SC, baseSeed, member, phone, row, type Row } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith, writeCalls } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const UNSUBSCRIBE = 'ContactListSubscription_DeleteUnsubscribeContactListSubscription';
const GROUP_FIELD = 41;

/** A stream as the SDK sends it: its SCHEMA, its records, and (unless cut) the STATE it writes after them. */
function stream(name: string, rows: Row[], opts: { cut?: boolean; schema?: object } = {}): string {
  const lines: object[] = [{ ...(opts.schema ?? AUDIENCE_SCHEMA), stream: name }, ...rows.map((record) => ({ type: 'RECORD', stream: name, record }))];
  if (!opts.cut) lines.push({ type: 'STATE', value: { bookmarks: { [name]: {} } } });
  return lines.map((l) => JSON.stringify(l) + '\n').join('');
}

describe('several lists in one run, and a group field (built binary, sandbox)', function () {
  this.timeout(30_000);
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  /** The temporary folder the last run had: each list's spool of planned writes holds phone numbers. */
  let tmp = '';

  async function run(s: Sandbox, input: string, extra: Record<string, unknown>): Promise<CliResult> {
    const dir = tempDir('lists');
    tmp = tempDir('tmpdir');
    const path = join(dir, 'config.json');
    const raw = rawConfigFor(s, { rejects_file: join(dir, 'rejects.jsonl'), max_unsubscribe_ratio: 1, ...extra });
    if (extra.stream_lists) delete raw.phone_list_id;
    writeFileSync(path, JSON.stringify(raw));
    return runCli('target.js', ['--config', path], input, { TMPDIR: tmp });
  }

  /** List 2002 holds 1, 2, 3; list 2003 holds 3, 4, 5: person 3 is on both. */
  const twoLists = (): SandboxSeed => baseSeed([member(1), member(2), member(3, { lists: [LIST, OTHER_LIST] }), member(4, { lists: [OTHER_LIST] }), member(5, { lists: [OTHER_LIST] })]);
  const mapping = { stream_lists: { offer: LIST, control: OTHER_LIST } };

  it('mirrors two streams into two lists in one run; unsubscribing from one list never touches the other', async () => {
    sandbox = await sandboxWith(twoLists());
    // offer: 1, 3 and new 6 (2 left); control: 3 (renamed), 4 (5 left).
    const input = stream('offer', [row(1), row(3), row(6)]) + stream('control', [row(3, { first_name: 'Renamed' }), row(4)]);
    const res = await run(sandbox, input, mapping);
    expect(res.code, res.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([1, 3, 6].map(phone));
    expect(sandbox.state.subscribedPhones(OTHER_LIST).sort()).to.deep.equal([3, 4].map(phone));
    expect(sandbox.state.contact(SC, phone(3))?.firstName).to.equal('Renamed');
    expect(writeCalls(sandbox)[UNSUBSCRIBE]).to.equal(2);
    expect(res.stderr).to.match(/2 lists match their audiences/);
    expect(res.stderr).to.match(/list 2002 \(stream "offer"\)\s+3 records, 3 members before: 1 created, 0 subscribed, 0 pending, 0 updated, 1 unsubscribed, 2 unchanged, 0 rejected; 2 write calls/);
    expect(res.stderr).to.match(/list 2003 \(stream "control"\)\s+2 records, 3 members before: 0 created, 0 subscribed, 0 pending, 1 updated, 1 unsubscribed, 1 unchanged, 0 rejected; 2 write calls/);
    const state = JSON.parse(res.stdout) as { listrak_sms: { lists: { list_id: number; stream: string; counts: { unsubscribed: number } }[] } };
    expect(state.listrak_sms.lists.map((l) => [l.list_id, l.stream, l.counts.unsubscribed])).to.deep.equal([[LIST, 'offer', 1], [OTHER_LIST, 'control', 1]]);
    expect(res.stdout.trim().split('\n'), 'the tap state, once, after both lists').to.have.length(1);
    expect(readdirSync(tmp), 'every list\'s spool removed').to.deep.equal([]);
    // A rerun writes nothing.
    const again = await run(sandbox, input, mapping);
    expect(again.code, again.stderr).to.equal(0);
    expect(writeCalls(sandbox)[UNSUBSCRIBE]).to.equal(2);
  });

  it('mirrors the stream a STATE closes and withholds removals from the one that was cut: exit 5', async () => {
    sandbox = await sandboxWith(twoLists());
    const input = stream('offer', [row(1), row(3)]) + stream('control', [row(3)], { cut: true });
    const res = await run(sandbox, input, mapping);
    expect(res.code, res.stderr).to.equal(5);
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([1, 3].map(phone));
    expect(sandbox.state.subscribedPhones(OTHER_LIST).sort(), 'nobody removed from the cut stream\'s list').to.deep.equal([3, 4, 5].map(phone));
    expect(res.stderr).to.match(/removals withheld from list 2003: 2 member\(s\) missing from the audience were not unsubscribed: no STATE or ACTIVATE_VERSION follows the last record of stream "control"/);
  });

  it('reads and counts a stream mapped to null, and writes nothing for it', async () => {
    sandbox = await sandboxWith(twoLists());
    const input = stream('offer', [row(1), row(2), row(3)]) + stream('holdout', [row(7), row(8)]);
    const res = await run(sandbox, input, { stream_lists: { offer: LIST, holdout: null } });
    expect(res.code, res.stderr).to.equal(0);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(res.stderr).to.match(/stream "holdout": 2 record\(s\) read and counted; stream_lists maps it to no list, so nothing is written for it/);
  });

  it('stops before any write, exit 2, on a stream the mapping does not name, naming it and the mapped ones', async () => {
    sandbox = await sandboxWith(twoLists());
    const input = stream('offer', [row(1), row(9)]) + stream('contorl', [row(3)]);
    const res = await run(sandbox, input, mapping);
    expect(res.code, res.stderr).to.equal(2);
    expect(res.stderr).to.match(/ERROR: ConfigError: invalid config: stream_lists: the input has stream "contorl" \(line 5\), which stream_lists does not map \("offer", "control"\)/);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('refuses stream_lists beside phone_list_id or audience_stream, naming the key', async () => {
    sandbox = await sandboxWith(twoLists());
    const res = await run(sandbox, stream('offer', [row(1)]), { ...mapping, audience_stream: 'offer' });
    expect(res.code).to.equal(2);
    expect(res.stderr).to.match(/audience_stream: not with stream_lists/);
  });

  describe('a group field', () => {
    const seed = (): SandboxSeed => {
      const s = baseSeed([member(1), member(2, { fields: { [GROUP_FIELD]: 'control' } })]);
      s.profileFields?.push({ segmentationFieldId: GROUP_FIELD, segmentationFieldName: 'Campaign Group', dataType: 'Text', maxLength: 40 });
      return s;
    };
    const schema = { ...AUDIENCE_SCHEMA, schema: { properties: { ...AUDIENCE_SCHEMA.schema.properties, treatment: { type: 'string' } } } };
    const group = { group_property: 'treatment', group_field: 'Campaign Group' };

    it('keeps each contact\'s group in a Text profile field, on create and on change; a rerun writes nothing', async () => {
      sandbox = await sandboxWith(seed());
      const input = stream('audience', [row(1, { treatment: 'offer_10' }), row(2, { treatment: 'control' }), row(3, { treatment: 'offer_10' })], { schema });
      const res = await run(sandbox, input, { ...group, phone_list_id: LIST });
      expect(res.code, res.stderr).to.equal(0);
      const fieldOf = (n: number) => sandbox?.state.contact(SC, phone(n))?.fields.get(GROUP_FIELD);
      expect([fieldOf(1), fieldOf(2), fieldOf(3)]).to.deep.equal(['offer_10', 'control', 'offer_10']);
      const writes = { ...writeCalls(sandbox) };
      const again = await run(sandbox, input, { ...group, phone_list_id: LIST });
      expect(again.code, again.stderr).to.equal(0);
      expect(writeCalls(sandbox), 'no write the second time').to.deep.equal(writes);
      const moved = await run(sandbox, stream('audience', [row(1, { treatment: 'control' }), row(2, { treatment: 'control' }), row(3, { treatment: 'offer_10' })], { schema }), { ...group, phone_list_id: LIST });
      expect(moved.code, moved.stderr).to.equal(0);
      expect(fieldOf(1)).to.equal('control');
    });

    it('refuses a group_field that is not a Text profile field, before any write', async () => {
      sandbox = await sandboxWith(seed());
      const res = await run(sandbox, stream('audience', [row(1, { treatment: 'x' })], { schema }), { group_property: 'treatment', group_field: 'Loyalty Points', phone_list_id: LIST });
      expect(res.code).to.equal(2);
      const error = res.stderr.split("\n").find((l) => l.startsWith("ERROR")) ?? "";
      expect(error, error).to.equal('ERROR: ConfigError: invalid config: group_field: "Loyalty Points" must be an enabled Text profile field (it is Number)');
      expect(writeCalls(sandbox)).to.deep.equal({});
    });
  });
});

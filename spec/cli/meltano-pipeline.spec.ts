/**
 * A Meltano-SDK-style stream set of our own making (sdk-tap.ts: several streams, SCHEMA sent again, ACTIVATE_VERSION,
 * BATCH files, STATE between records) through both plugins' built binaries, as `meltano run tap target` pipes it:
 *  - stdout holds only the tap's own states (ours merged into them), never anything else;
 *  - each is safe when it is written: at that moment, every record it covers is applied (checked against the
 *    sandbox and the SFTP server as the line arrives);
 *  - a run killed (SIGKILL) right after a line, then run again from that state as Meltano would, loses nothing.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startCli, type CliResult } from '../support/cli.js';
import { AUDIENCE_SCHEMA, LIST, OTHER_LIST, SC, member, msg, phone, row, txSeed, type Row } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith } from '../support/harness.js';
import { sdkTap, tapPart, type TapState, type TapStream } from '../support/sdk-tap.js';
import { startSshdOrSkip, type Sshd } from '../support/sshd.js';
import { tempDir } from '../support/tmp.js';

interface PipedRun {
  res: CliResult;
  /** The stdout lines, parsed, each with what was found applied when it arrived. */
  lines: { value: unknown; check: string[] }[];
}

/**
 * Pipe a tap run into a plugin's binary. `applied(state)` lists what is missing for that state to be safe, at the
 * moment its line arrives; `killAfterLines` SIGKILLs the target as soon as that many lines have come.
 */
async function pipe(bin: string, args: string[], output: string, applied: (state: TapState) => string[], killAfterLines?: number): Promise<PipedRun> {
  const { child, done } = startCli(bin, args, output);
  const lines: PipedRun['lines'] = [];
  let partial = '';
  child.stdout?.on('data', (d: Buffer) => {
    partial += d.toString();
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      const value = JSON.parse(partial.slice(0, nl)) as unknown;
      partial = partial.slice(nl + 1);
      lines.push({ value, check: applied(value as TapState) });
      if (lines.length === killAfterLines) child.kill('SIGKILL');
    }
  });
  const res = await done;
  expect(partial, 'stdout ends with a whole line').to.equal('');
  return { res, lines };
}

/** Every line is one of the tap's states, as the tap sent it (apart from our key), and was safe when written. */
function expectSafeTapStates(run: PipedRun, states: TapState[], progressKey: string) {
  for (const { value, check } of run.lines) {
    expect(states, `stdout line ${JSON.stringify(value)} is a state the tap sent`).to.deep.include(tapPart(value, progressKey));
    expect(check, `state ${JSON.stringify(tapPart(value, progressKey))} was written before what it covers was applied`).to.deep.equal([]);
  }
}

describe('a Meltano SDK-style tap piped into both plugins', function () {
  this.timeout(120_000);

  describe('target-listrak-sms', () => {
    let sandbox: Sandbox;
    afterEach(async () => sandbox?.close());

    const textStream = (from: number, to: number): TapStream => ({
      name: 'transactional_messages',
      properties: { id: { type: 'integer' }, phone: { type: 'string' }, message: { type: 'string' }, transactional_message_id: { type: 'integer' }, message_key: { type: 'string' } },
      keyProperties: ['id'],
      replicationKey: 'id',
      records: Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i, ...msg(from + i) })),
      stateEvery: 2,
    });
    const sentTexts = () => sandbox.state.sent.map((s) => Number(s.phoneNumber.slice(-4)));
    /** Texts a state says are done that the sandbox has not been sent. */
    const textsMissing = (state: TapState) => {
      const upTo = state.bookmarks.transactional_messages?.replication_key_value ?? 0;
      const sent = new Set(sentTexts());
      return Array.from({ length: upTo }, (_, i) => i + 1)
        .filter((n) => n >= 1 && !sent.has(n))
        .map((n) => `text ${n}`);
    };

    it('an audience with texts: one state, at the end, once all is applied; killed after it and rerun, nothing is lost or redone', async () => {
      const members = Array.from({ length: 15 }, (_, i) => member(i + 1, { lists: [LIST, OTHER_LIST] }));
      sandbox = await sandboxWith(txSeed([...members, member(30), member(31)]));
      sandbox.options.latencyMs = 5;
      const wanted: Row[] = [...Array.from({ length: 15 }, (_, i) => row(i + 1, i % 4 === 0 ? { first_name: `Renamed${i + 1}` } : {})), ...Array.from({ length: 5 }, (_, i) => row(16 + i))];
      const audienceStream: TapStream = { name: 'audience', properties: AUDIENCE_SCHEMA.schema.properties, keyProperties: ['phone'], records: wanted, batchFrom: 12, stateEvery: 5 };
      const streams = [audienceStream, textStream(1, 8)];
      const configPath = join(tempDir('pipeline'), 'config.json');
      writeFileSync(configPath, JSON.stringify(rawConfigFor(sandbox, { transactional_phone_list_id: OTHER_LIST, journal_path: join(tempDir('journal'), 'j.jsonl'), max_unsubscribe_ratio: 0.5 })));
      const listMissing = () => {
        const on = new Set(sandbox.state.subscribedPhones(LIST));
        return [...wanted.filter((r) => !on.has(String(r.phone))).map((r) => `member ${String(r.phone)}`), ...(on.has(phone(30)) ? ['30 still on the list'] : [])];
      };
      const applied = (state: TapState) => [...listMissing(), ...textsMissing(state)];
      const batches = tempDir('batches');

      const first = sdkTap(streams, undefined, batches);
      const run1 = await pipe('target.js', ['--config', configPath], first.output, applied, 1);
      expect(run1.res.signal, run1.res.stderr).to.equal('SIGKILL');
      expect(run1.lines).to.have.length(1);
      expectSafeTapStates(run1, first.states, 'listrak_sms');
      expect(tapPart(run1.lines[0]?.value, 'listrak_sms'), 'the tap state after its last record').to.deep.equal(first.states.at(-1));

      // Meltano hands the stored line back to the tap: it resumes from it.
      const resumed = sdkTap(streams, tapPart(run1.lines[0]?.value, 'listrak_sms') as TapState, batches);
      expect(resumed.output).to.not.include('"stream":"transactional_messages","record"');
      sandbox.calls.clear();
      const run2 = await pipe('target.js', ['--config', configPath], resumed.output, applied);
      expect(run2.res.code, run2.res.stderr).to.equal(0);
      expectSafeTapStates(run2, resumed.states, 'listrak_sms');
      expect(listMissing()).to.deep.equal([]);
      expect(sandbox.state.contact(SC, phone(5))?.firstName).to.equal('Renamed5');
      expect(sentTexts().sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
      const writes = ['Contact_PutContactResource', 'Contact_PostContactListResource', 'TransactionalMessage_PostTransactionalMessageSend'].map((op) => sandbox.calls.get(op) ?? 0);
      expect(writes, 'the rerun had nothing left to write').to.deep.equal([0, 0, 0]);
    });

    it('texts streamed alone: states come as texts are sent; killed after each first line and resumed, every text goes out once', async () => {
      sandbox = await sandboxWith(txSeed(Array.from({ length: 12 }, (_, i) => member(i + 1, { lists: [OTHER_LIST] }))));
      sandbox.options.latencyMs = 15;
      const journal = join(tempDir('journal'), 'j.jsonl');
      const configPath = join(tempDir('pipeline'), 'config.json');
      writeFileSync(configPath, JSON.stringify(rawConfigFor(sandbox, { phone_list_id: undefined, transactional_phone_list_id: OTHER_LIST, journal_path: journal, max_concurrency: 2 })));
      const streams = [{ ...textStream(1, 12), batchFrom: 8 }];
      const batches = tempDir('batches');
      /** Each message key's last journal state. */
      const journalStates = () =>
        (existsSync(journal) ? readFileSync(journal, 'utf8') : '')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { k: string; s: string })
          .reduce((m, e) => m.set(e.k, e.s), new Map<string, string>());

      let state: TapState | undefined;
      const runs: PipedRun[] = [];
      for (let i = 0; i < 3; i++) {
        const tap = sdkTap(streams, state, batches);
        // The first two runs are killed as soon as they have written a line; the last runs to its end.
        // Applied means sent or journaled: a text killed mid-call stays "sending" in the journal (unknown, never re-sent).
        const notJournaled = (st: TapState) => textsMissing(st).filter((t) => journalStates().get(`order-${t.slice(5)}`) !== 'sending');
        const run = await pipe('target.js', ['--config', configPath], tap.output, notJournaled, i < 2 ? 1 : undefined);
        expectSafeTapStates(run, tap.states, 'listrak_sms');
        runs.push(run);
        if (i < 2) expect(run.res.signal, run.res.stderr).to.equal('SIGKILL');
        else expect(run.res.code, run.res.stderr).to.equal(0);
        const last = run.lines.at(-1);
        if (last) state = tapPart(last.value, 'listrak_sms') as TapState;
      }
      expect(runs[0]?.lines.length).to.equal(1);
      expect(runs[2]?.lines.length, 'the last run passed states on as it went').to.be.at.least(2);
      // A text killed in the middle of its call may have an unknown outcome (never re-sent unless asked); none is lost.
      const sent = sentTexts();
      expect(new Set(sent).size, 'no text sent twice').to.equal(sent.length);
      const unknown = journalStates();
      const accounted = Array.from({ length: 12 }, (_, i) => i + 1).filter((n) => sent.includes(n) || unknown.get(`order-${n}`) === 'sending');
      expect(accounted).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 1));
    });
  });

  describe('listrak-sftp-export', () => {
    let sshd: Sshd;
    before(async function () {
      sshd = await startSshdOrSkip(this);
    });
    after(async () => sshd?.stop());

    it('passes each state on once every file is in place; killed after it and resumed, every order reaches the server', async () => {
      const dir = tempDir('pipeline-export');
      const configPath = join(dir, 'config.json');
      writeFileSync(
        configPath,
        JSON.stringify({
          host: '127.0.0.1',
          port: sshd.port,
          username: sshd.user,
          password: sshd.password,
          host_key_sha256: sshd.fingerprint,
          remote_dir: sshd.remoteDir,
          staging_dir: join(dir, 'staging'),
          rejects_file: join(dir, 'rejects.jsonl'),
          date_pattern: 'YYYYMMDD-pipeline',
          retry_base_delay_ms: 50,
        }),
      );
      const order = (n: number) => ({ id: n, order_number: `SO-${n}`, date_entered: '2026-11-23T14:05:09Z', order_total: n * 10, status: 'shipped' });
      const item = (n: number) => ({ id: n, order_number: `SO-${n}`, sku: 'TEE', quantity: 1, price: 10 });
      const streamsUpTo = (orders: number): TapStream[] => [
        { name: 'customers', properties: { email: { type: 'string' }, first_name: { type: 'string' } }, keyProperties: ['email'], records: [1, 2, 3].map((n) => ({ email: `c${n}@example.com`, first_name: `C${n}` })) },
        { name: 'orders', properties: { id: { type: 'integer' }, order_number: { type: 'string' } }, keyProperties: ['id'], replicationKey: 'id', records: Array.from({ length: orders }, (_, i) => order(i + 1)), batchFrom: 3, stateEvery: 2 },
        { name: 'order_items', properties: { id: { type: 'integer' } }, keyProperties: ['id'], replicationKey: 'id', records: Array.from({ length: orders }, (_, i) => item(i + 1)), stateEvery: 2 },
        { name: 'products', properties: { sku: { type: 'string' } }, keyProperties: ['sku'], records: [{ sku: 'TEE', title: 'Tee', price: 10 }] },
        { name: 'reviews', properties: { id: { type: 'integer' } }, keyProperties: ['id'], records: [{ id: 1, text: 'not exported' }] },
      ];
      /** Order numbers in the orders file in place on the server (not a .part). */
      const remoteOrders = () => {
        const file = readdirSync(sshd.remoteDir).find((f) => /^Listrak_Order_Feed_\d{8}-pipeline\.csv$/.test(f));
        return file ? readFileSync(join(sshd.remoteDir, file), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0] as string) : [];
      };
      /** Orders Listrak has picked up from earlier runs' files (a same-day file name is used again). */
      const delivered = new Set<string>();
      const applied = (state: TapState) => {
        const upTo = state.bookmarks.orders?.replication_key_value ?? 0;
        const there = new Set([...delivered, ...remoteOrders()]);
        return Array.from({ length: upTo }, (_, i) => `SO-${i + 1}`).filter((o) => !there.has(o));
      };
      const batches = tempDir('batches');

      const first = sdkTap(streamsUpTo(6), undefined, batches);
      const run1 = await pipe('export.js', ['--config', configPath], first.output, applied, 1);
      expect(run1.lines, run1.res.stderr).to.have.length(1);
      expectSafeTapStates(run1, first.states, 'listrak_sftp_export');
      for (const o of remoteOrders()) delivered.add(o); // Listrak picks the file up

      // The source has two more orders by the next run, which resumes from the state stored.
      const resumed = sdkTap(streamsUpTo(8), tapPart(run1.lines[0]?.value, 'listrak_sftp_export') as TapState, batches);
      const run2 = await pipe('export.js', ['--config', configPath], resumed.output, applied);
      expect(run2.res.code, run2.res.stderr).to.equal(0);
      expect(run2.res.stderr).to.match(/stream "reviews" is not in streams \(config\); 1 record\(s\) ignored/);
      expectSafeTapStates(run2, resumed.states, 'listrak_sftp_export');
      expect(remoteOrders(), 'only what the state had not covered').to.deep.equal(['SO-7', 'SO-8']);
      for (const o of remoteOrders()) delivered.add(o);
      expect([...delivered].sort()).to.deep.equal(Array.from({ length: 8 }, (_, i) => `SO-${i + 1}`).sort());
      expect(readdirSync(sshd.remoteDir).filter((f) => f.endsWith('.part'))).to.deep.equal([]);
      expect(existsSync(join(dir, 'rejects.jsonl')) ? readFileSync(join(dir, 'rejects.jsonl'), 'utf8') : '').to.equal('');
    });
  });
});

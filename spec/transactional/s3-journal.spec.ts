import { expect } from 'chai';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseTargetConfig } from '../../src/config/target.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { checkJournalWritable } from '../../src/transactional/journal.js';
import { ObjectStore } from '../../src/transactional/s3-store.js';
import { startCli } from '../support/cli.js';
import { LIST, OTHER_LIST, SC, audience, baseSeed, member, msg, phone, row, texts } from '../support/fixtures.js';
import { rawConfigFor, runTarget, sandboxWith } from '../support/harness.js';
import { killAfterSends, unknownIn } from '../support/kill.js';
import { s3Unavailable, startS3, type S3Server } from '../support/s3.js';
import { tempDir } from '../support/tmp.js';

describe('S3 stores (a real S3-compatible server): the transactional journal and the audit trail', function () {
  let s3: S3Server;
  let sandbox: Sandbox;
  let journalPath: string;
  const savedEnv: Record<string, string | undefined> = {};

  before(async function () {
    this.timeout(120_000);
    const why = s3Unavailable();
    if (why) {
      if (process.env.CI) throw new Error(`CI must run the S3 journal specs: ${why}`);
      this.skip();
    }
    const started = performance.now();
    s3 = await startS3();
    console.log(`      (S3 server up in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    // The journal finds its credentials where a deployment puts them: the standard AWS chain, here the environment.
    for (const [k, v] of Object.entries(s3.env)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
  });

  after(async () => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await s3?.stop();
  });

  beforeEach(async () => {
    const seed = baseSeed(Array.from({ length: 40 }, (_, i) => member(i + 1, { lists: [OTHER_LIST] })));
    seed.transactionalMessages = [{ senderCodeId: SC, phoneListId: OTHER_LIST, transactionalMessageId: 77 }];
    sandbox = await sandboxWith(seed);
    journalPath = `s3://${await s3.bucket()}/texts/journal`;
  });
  afterEach(async () => sandbox?.close());

  const settings = (extra: Record<string, unknown> = {}) => ({ transactional_phone_list_id: OTHER_LIST, journal_path: journalPath, journal_endpoint: s3.endpoint, ...extra });
  const run = (input: string, extra: Record<string, unknown> = {}) => runTarget(sandbox, input, settings(extra));
  const sentTo = () => sandbox.state.sent.map((s) => s.phoneNumber);

  /** A fresh working folder, as a new container or CI job has, with only the config in it. */
  function freshFolder(extra: Record<string, unknown> = {}): string {
    const dir = tempDir('fresh');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(rawConfigFor(sandbox, { ...settings(extra), rejects_file: 'rejects.jsonl' })));
    return dir;
  }
  const runIn = (dir: string, input: string) => startCli('target.js', ['--config', 'config.json'], input, s3.env, dir);

  it('two runs at the same moment over the same texts send each text once', async function () {
    this.timeout(30_000);
    sandbox.options.latencyMs = 100; // each claim stays live a while: the other run meets it
    const input = texts(Array.from({ length: 30 }, (_, i) => msg(i + 1)));
    const [a, b] = await Promise.all([run(input), run(input)]);
    expect(a.error).to.equal(undefined);
    expect(b.error).to.equal(undefined);
    const sent = sentTo();
    expect(new Set(sent).size, 'no phone texted twice').to.equal(sent.length);
    expect(sent).to.have.length(30);
    const [ta, tb] = [a.result?.counts.transactional, b.result?.counts.transactional];
    expect((ta?.sent ?? 0) + (tb?.sent ?? 0)).to.equal(30);
    expect(ta?.sent, 'both runs sent some').to.be.above(0);
    expect(tb?.sent, 'both runs sent some').to.be.above(0);
    expect((ta?.unknown ?? 0) + (tb?.unknown ?? 0), "each met the other's live claims").to.be.above(0);
    console.log(`      (run A: ${ta?.sent} sent, ${ta?.already_sent} already sent, ${ta?.unknown} claimed by B; run B: ${tb?.sent} sent, ${tb?.already_sent} already sent, ${tb?.unknown} claimed by A)`);

    const again = await run(input);
    expect(again.result?.counts.transactional).to.include({ sent: 0, already_sent: 30 });
  });

  it('with resend_unknown, two runs at the same moment re-send each text of unknown outcome once, not twice', async function () {
    this.timeout(30_000);
    sandbox.options.latencyMs = 150; // each claim stays live a while: the other run meets it
    const records = Array.from({ length: 20 }, (_, i) => msg(i + 1));
    // A run that died mid-call an hour ago left every text claimed, with no outcome.
    const bucket = journalPath.split('/')[2] as string;
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    for (const { message_key: key } of records) {
      const name = `texts/journal/${createHash('sha256').update(key).digest('hex')}.json`;
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: name, Body: JSON.stringify({ state: 'sending', run: 'a-run-that-died', time: anHourAgo, key }) }));
    }
    const cautious = await run(texts(records));
    expect(cautious.result?.counts.transactional).to.include({ sent: 0, unknown: 20 });

    // Both in the same order: they reach each text at about the same moment.
    const [a, b] = await Promise.all([run(texts(records), { resend_unknown: true }), run(texts(records), { resend_unknown: true })]);
    expect([a.error, b.error]).to.deep.equal([undefined, undefined]);
    const sent = sentTo();
    expect(new Set(sent).size, 'no phone texted twice').to.equal(sent.length);
    expect(sent).to.have.length(20);
    const [ta, tb] = [a.result?.counts.transactional, b.result?.counts.transactional];
    console.log(`      (run A: ${ta?.sent} re-sent, ${ta?.unknown} claimed by B, ${ta?.already_sent} already sent; run B: ${tb?.sent} re-sent, ${tb?.unknown} claimed by A, ${tb?.already_sent} already sent)`);
  });

  it('learns what the store honours: here a second create is refused, and If-Match is compared letter for letter', async () => {
    const config = parseTargetConfig({ ...rawConfigFor(sandbox), ...settings() });
    const store = new ObjectStore(config, { bucket: journalPath.split('/')[2] as string, prefix: 'texts/' });
    try {
      expect(await store.probe('texts/.probe-spec')).to.deep.equal({ createIfAbsent: true, ifMatch: 'bare' });
    } finally {
      store.close();
    }
  });

  it('a run killed mid-send, then run again on a fresh working folder, sends nothing twice', async function () {
    this.timeout(60_000);
    sandbox.options.latencyMs = 100;
    const input = texts(Array.from({ length: 20 }, (_, i) => msg(i + 1)));
    const folders = [freshFolder({ max_concurrency: 2 }), freshFolder({ max_concurrency: 2 })];
    const killed = await killAfterSends(sandbox, () => runIn(folders[0] as string, input), 4);
    expect(killed.signal).to.equal('SIGKILL');
    const rerun = await runIn(folders[1] as string, input).done;
    expect(rerun.code, rerun.stderr).to.equal(0);
    const sent = sentTo();
    expect(new Set(sent).size, 'no phone texted twice').to.equal(sent.length);
    // The send the sandbox was holding when the run was killed (and any text claimed but not yet sent) is unknown.
    const unknown = unknownIn(rerun.stderr);
    expect(unknown).to.be.within(1, 2);
    expect(sent.length + unknown).to.be.at.least(20);
    for (const dir of folders) expect(readdirSync(dir).filter((f) => f !== 'config.json' && f !== 'rejects.jsonl'), 'nothing kept on local disk').to.deep.equal([]);
  });

  it('the same text at the boundary of two runs (a tap bookmark is inclusive) is sent once, with nothing on local disk', async function () {
    this.timeout(30_000);
    const first = await runIn(freshFolder(), texts([msg(1), msg(2)])).done;
    const second = await runIn(freshFolder(), texts([msg(2), msg(3)])).done;
    expect(first.code, first.stderr).to.equal(0);
    expect(second.code, second.stderr).to.equal(0);
    expect(sentTo().sort()).to.deep.equal([phone(1), phone(2), phone(3)]);
    expect(second.stderr).to.match(/texts already sent \(journal\)\s+1\b/);
    expect(second.stderr).not.to.match(/new local file/);
  });

  it('rejects a stale text (never sent, never journaled) and sends fresh texts and texts without event_time', async () => {
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    const r = await run(texts([msg(1, { event_time: hoursAgo(72) }), msg(2, { event_time: hoursAgo(1) }), msg(3)]));
    expect(r.error).to.equal(undefined);
    expect(sentTo().sort()).to.deep.equal([phone(2), phone(3)]);
    expect(r.rejects.map((x) => [x.reason, x.field])).to.deep.equal([['stale', 'event_time']]);
    expect(r.rejects[0]?.detail).to.match(/3 d old, older than max_text_age 24h/);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: journalPath.split('/')[2], Prefix: 'texts/journal/' }));
    expect(listed.Contents?.map((o) => o.Key), 'one object per text sent, none for the stale one').to.have.length(2);

    const tighter = await run(texts([msg(4, { event_time: hoursAgo(1) })]), { max_text_age: '30m' });
    expect(tighter.rejects.map((x) => x.reason)).to.deep.equal(['stale']);
  });

  it('stops with one line naming journal_path, and sends nothing, when the store refuses', async function () {
    this.timeout(30_000);
    const dir = freshFolder({ journal_path: 's3://no-such-bucket-here/journal' });
    const r = await runIn(dir, texts([msg(1)])).done;
    expect(r.code).to.equal(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('ERROR'));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/^ERROR: JournalError: journal_path s3:\/\/no-such-bucket-here\/journal: cannot write .*: the bucket does not exist/);
    expect(r.stderr).not.to.match(/\n\s+at /); // no stack

    const denied = await startCli('target.js', ['--config', 'config.json'], texts([msg(1)]), { ...s3.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, freshFolder()).done;
    expect(denied.code).to.equal(1);
    expect(denied.stderr).to.match(/^ERROR: JournalError: journal_path s3:\/\/\S+: cannot write .*: access denied \(SignatureDoesNotMatch\)/m);
    const unreachable = await runIn(freshFolder({ journal_endpoint: 'http://127.0.0.1:9', max_retries: 0 }), texts([msg(1)])).done;
    expect(unreachable.code).to.equal(1);
    expect(unreachable.stderr).to.match(/^ERROR: JournalError: journal_path s3:\/\/\S+: cannot write .*: cannot reach the store \(ECONNREFUSED\); check journal_endpoint/m);
    expect(sandbox.state.sent).to.deep.equal([]);
  });

  it('checkJournalWritable says ok for a usable store, and what to fix otherwise', async () => {
    const config = (extra: Record<string, unknown>) => parseTargetConfig({ ...rawConfigFor(sandbox), ...settings(extra) });
    expect(await checkJournalWritable(config({}))).to.deep.equal({ ok: true, detail: `journal_path ${journalPath} is writable`, warnings: [] });
    const missing = await checkJournalWritable(config({ journal_path: 's3://no-such-bucket-here' }));
    expect(missing).to.deep.include({ ok: false, exitCode: 1 });
    expect(missing.ok === false && missing.fix).to.match(/^journal_path s3:\/\/no-such-bucket-here: cannot write .*the bucket does not exist/);
  });

  it('the audit trail in S3: one new object per batch of writes, each line a write with its reason; a run that writes nothing adds none', async function () {
    this.timeout(60_000);
    const lists = await sandboxWith(baseSeed([1, 2, 3, 4, 5].map((n) => member(n))));
    try {
      const bucket = await s3.bucket();
      const audit = { audit_path: `s3://${bucket}/audit`, journal_endpoint: s3.endpoint, batch_size: 2, max_unsubscribe_ratio: 0.5 };
      const rows = [row(1), row(2, { first_name: 'Changed' }), row(3, { first_name: 'Changed' }), row(4), row(6), row(7), row(8)];
      const first = await runTarget(lists, audience(rows), audit);
      expect(first.error).to.equal(undefined);
      const objects = async () => (await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'audit/' }))).Contents?.map((o) => o.Key as string) ?? [];
      const names = await objects();
      // Two updates (one batch), three creates (two batches), one unsubscribe: four objects, named by day, time, run and sequence.
      expect(names).to.have.length(4);
      for (const name of names) expect(name).to.match(/^audit\/\d{4}-\d{2}-\d{2}\/\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}-\d{6}\.jsonl$/);
      const lines = [];
      for (const name of names) {
        const body = await (await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: name }))).Body?.transformToString('utf8');
        lines.push(...(body ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
      }
      expect(lines.map((l) => `${l.action} ${l.phone} ${l.reason} ${l.outcome}`).sort()).to.deep.equal(
        [
          `update ${phone(2)} fields_changed done`,
          `update ${phone(3)} fields_changed done`,
          `create ${phone(6)} new_in_audience done`,
          `create ${phone(7)} new_in_audience done`,
          `create ${phone(8)} new_in_audience done`,
          `unsubscribe ${phone(5)} absent_from_complete_audience done`,
        ].sort(),
      );
      for (const l of lines) expect(l).to.include({ list: LIST });
      const again = await runTarget(lists, audience(rows), audit);
      expect(again.error).to.equal(undefined);
      expect(await objects()).to.deep.equal(names);
      // A store that refuses stops the run before any write, naming audit_path.
      const refused = await runTarget(lists, audience([...rows, row(9)]), { ...audit, audit_path: 's3://no-such-bucket-here/audit' });
      expect(refused.error?.message).to.match(/^audit_path s3:\/\/no-such-bucket-here\/audit: cannot write .*: the bucket does not exist/);
      expect(lists.state.subscribedPhones(LIST)).to.not.include(phone(9));
      // --check says so before any run.
      const dir = tempDir('audit-check');
      const check = async (auditPath: string) => {
        writeFileSync(join(dir, 'config.json'), JSON.stringify(rawConfigFor(lists, { ...audit, audit_path: auditPath })));
        return startCli('target.js', ['--config', 'config.json', '--check'], '', s3.env, dir).done;
      };
      expect((await check(`s3://${bucket}/audit`)).stdout).to.match(/^ok\s+audit_path: audit_path s3:\/\/\S+\/audit is writable$/m);
      const failed = await check('s3://no-such-bucket-here/audit');
      expect(failed.code).to.equal(1);
      expect(failed.stdout).to.match(/^FAIL\s+audit_path: audit_path s3:\/\/no-such-bucket-here\/audit: cannot write .*the bucket does not exist/m);
    } finally {
      await lists.close();
    }
  });
});

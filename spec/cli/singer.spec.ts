/**
 * target-listrak-sms speaks Singer as the Meltano SDK's targets do, checked on the built binary in real pipes:
 * bare tap states on stdout, each once and only when safe; --config sources and --input; --about in the SDK's
 * shape; BATCH files; METRIC lines on stderr.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runCli, startCli } from '../support/cli.js';
import { AUDIENCE_SCHEMA, LIST, OTHER_LIST, TX_SCHEMA, audience, baseSeed, member, msg, phone, row, texts, txSeed, type Row } from '../support/fixtures.js';
import { metricLines, rawConfigFor, runTarget, sandboxWith, writeCalls } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const lines = (...messages: object[]) => messages.map((m) => JSON.stringify(m) + '\n').join('');
const stdoutValues = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);

function writeConfig(sandbox: Sandbox, extra: Record<string, unknown> = {}): string {
  const path = join(tempDir('singer'), 'config.json');
  writeFileSync(path, JSON.stringify(rawConfigFor(sandbox, extra)));
  return path;
}

/** A gzipped JSONL batch file of records, as the SDK writes one, and the BATCH message naming it. */
function batchOf(stream: string, records: Row[], gzip = true): { message: object; path: string } {
  const path = join(tempDir('batch'), `${stream}-${records.length}.jsonl${gzip ? '.gz' : ''}`);
  const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return { path, message: { type: 'BATCH', stream, encoding: { format: 'jsonl', compression: gzip ? 'gzip' : 'none' }, manifest: [pathToFileURL(path).href] } };
}

describe('target-listrak-sms speaks Singer', function () {
  this.timeout(30_000);
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  describe('stdout: bare tap states, each once it is safe', () => {
    it('passes a non-object state on unchanged, merges progress into an object state, and writes no progress-only line', async () => {
      sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
      const config = writeConfig(sandbox);
      const number = await runCli('target.js', ['--config', config], audience([row(1), row(2)], { state: 42 }));
      expect(number.code, number.stderr).to.equal(0);
      expect(number.stdout).to.equal('42\n');

      const none = await runCli('target.js', ['--config', config], audience([row(1), row(2)], { cut: true }));
      expect(none.code, none.stderr).to.equal(0);
      expect(none.stdout, 'no tap state, no line: a progress-only line would erase the bookmarks Meltano keeps').to.equal('');

      const state = { bookmarks: { audience: { version: 3 } } };
      const twice = await runCli('target.js', ['--config', config], audience([row(1), row(2)], { state }) + lines({ type: 'STATE', value: state }));
      const values = stdoutValues(twice.stdout) as Record<string, unknown>[];
      expect(values, 'the same state is passed on once').to.have.length(1);
      expect(values[0]).to.deep.include(state);
      expect(values[0]?.listrak_sms).to.include({ phase: 'done', list_id: LIST });
      expect(values[0]).to.not.have.property('type');

      const dry = await runCli('target.js', ['--config', config, '--dry-run'], audience([row(1), row(2)], { state }));
      expect(dry.code, dry.stderr).to.equal(0);
      expect(dry.stdout, 'a dry run applies nothing, so no state is safe').to.equal('');
    });

    it('passes the state of an audience only once the whole sync is applied', async () => {
      sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3)]));
      const input = lines(AUDIENCE_SCHEMA, { type: 'RECORD', stream: 'audience', record: row(1) }, { type: 'STATE', value: { at: 1 } }, { type: 'RECORD', stream: 'audience', record: row(2) }, { type: 'STATE', value: { at: 2 } }, { type: 'RECORD', stream: 'audience', record: row(3, { first_name: 'New' }) }, { type: 'STATE', value: { at: 3 } });
      const { child, done } = startCli('target.js', ['--config', writeConfig(sandbox)], input);
      const seen: { value: unknown; applied: boolean }[] = [];
      child.stdout?.on('data', (d: Buffer) => {
        for (const l of d.toString().split('\n').filter(Boolean)) seen.push({ value: JSON.parse(l), applied: sandbox?.state.contact(1001, phone(3))?.firstName === 'New' });
      });
      const res = await done;
      expect(res.code, res.stderr).to.equal(0);
      expect(seen.map((s) => (s.value as { at: number }).at)).to.deep.equal([3]);
      expect(seen[0]?.applied, 'written after the update it covers').to.equal(true);
    });

    it('passes on the states of streamed texts progressively, each once the texts before it are sent', async () => {
      sandbox = await sandboxWith(txSeed(Array.from({ length: 6 }, (_, i) => member(i + 1, { lists: [OTHER_LIST] }))));
      sandbox.options.latencyMs = 20;
      const journal = join(tempDir('journal'), 'journal.jsonl');
      const config = writeConfig(sandbox, { phone_list_id: undefined, transactional_phone_list_id: OTHER_LIST, journal_path: journal });
      async function* tap() {
        yield lines(TX_SCHEMA);
        for (let n = 1; n <= 6; n++) {
          yield lines({ type: 'RECORD', stream: 'transactional_messages', record: msg(n) });
          if (n % 2 === 0) {
            yield lines({ type: 'STATE', value: { bookmarks: { transactional_messages: { replication_key_value: n } } } });
            await new Promise((r) => setTimeout(r, 150)); // a tap that sends the rest later
          }
        }
      }
      const { child, done } = startCli('target.js', ['--config', config], tap());
      const seen: { upTo: number; sent: string[] }[] = [];
      child.stdout?.on('data', (d: Buffer) => {
        for (const l of d.toString().split('\n').filter(Boolean)) {
          const v = JSON.parse(l) as { bookmarks: { transactional_messages: { replication_key_value: number } } };
          seen.push({ upTo: v.bookmarks.transactional_messages.replication_key_value, sent: sandbox?.state.sent.map((s) => s.phoneNumber) ?? [] });
        }
      });
      const res = await done;
      expect(res.code, res.stderr).to.equal(0);
      expect(seen.map((s) => s.upTo)).to.deep.equal([2, 4, 6]);
      for (const s of seen) for (let n = 1; n <= s.upTo; n++) expect(s.sent, `state ${s.upTo} written after text ${n} was sent`).to.include(phone(n));
    });
  });

  describe('config and input', () => {
    it('merges repeated --config sources left to right, and reads ENV as TARGET_LISTRAK_SMS_* variables', async () => {
      sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
      const good = rawConfigFor(sandbox);
      const dir = tempDir('configs');
      const base = join(dir, 'base.json');
      const wrong = join(dir, 'wrong.json');
      const right = join(dir, 'right.json');
      writeFileSync(base, JSON.stringify({ ...good, client_secret: 'not-the-secret' }));
      writeFileSync(wrong, JSON.stringify({ client_secret: 'not-the-secret' }));
      writeFileSync(right, JSON.stringify({ client_secret: good.client_secret }));
      const input = audience([row(1), row(2)]);
      expect((await runCli('target.js', ['--config', base, '--config', right], input)).code).to.equal(0);
      const later = await runCli('target.js', ['--config', base, '--config', right, '--config', wrong], input);
      expect(later.code, 'the last source wins').to.equal(1);
      expect(later.stderr).to.match(/ERROR_INVALID_CREDENTIALS/);

      // Every setting from the environment, numbers and booleans read as JSON; a digits-only value of a string
      // setting stays a string.
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries({ ...good, client_id: '12345', max_requests_per_second: 1000, include_custom_fields: true })) {
        env[`TARGET_LISTRAK_SMS_${key.toUpperCase()}`] = typeof value === 'string' ? value : JSON.stringify(value);
      }
      sandbox.state.clients.set('12345', String(good.client_secret));
      const fromEnv = await runCli('target.js', ['--config', 'ENV'], input, env);
      expect(fromEnv.code, fromEnv.stderr).to.equal(0);
      // ENV merged with a file, the file last: its client_secret wins.
      const mixed = await runCli('target.js', ['--config', 'ENV', '--config', wrong], input, env);
      expect(mixed.code).to.equal(1);
      const bad = await runCli('target.js', ['--config', 'ENV'], input, { ...env, TARGET_LISTRAK_SMS_MAX_UNSUBSCRIBE_RATIO: '"lots"' });
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/invalid config: max_unsubscribe_ratio:/);
    });

    it('reads the messages from --input FILE, and exits 2 when it cannot', async () => {
      sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
      const file = join(tempDir('input'), 'audience.jsonl');
      writeFileSync(file, audience([row(1), row(2), row(3)], { state: { s: 1 } }));
      const res = await runCli('target.js', ['--config', writeConfig(sandbox), '--input', file], 'not Singer at all\n');
      expect(res.code, res.stderr).to.equal(0);
      expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3].map(phone));
      expect((stdoutValues(res.stdout)[0] as { s: number }).s).to.equal(1);
      const missing = await runCli('target.js', ['--config', writeConfig(sandbox), '--input', join(tempDir('input'), 'none.jsonl')]);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.match(/cannot read --input .*none\.jsonl: ENOENT/);
    });

    it('prints --about in the SDK shape, settings as JSON Schema from the config schema, any --format case', async () => {
      const about = JSON.parse((await runCli('target.js', ['--about', '--format', 'JSON'])).stdout) as {
        name: string;
        description: string;
        version: string;
        capabilities: string[];
        settings: { type: string; properties: Record<string, { type?: string; description?: string; default?: unknown; secret?: boolean; writeOnly?: boolean }>; required: string[] };
      };
      expect(Object.keys(about)).to.deep.equal(['name', 'description', 'version', 'capabilities', 'settings']);
      expect(about.name).to.equal('target-listrak-sms');
      expect(about.capabilities).to.deep.equal(['about', 'batch']);
      expect(about.settings.type).to.equal('object');
      expect(about.settings.required).to.deep.equal(['client_id', 'client_secret', 'sender_code_id']);
      for (const [key, p] of Object.entries(about.settings.properties)) expect(p.description, key).to.be.a('string').and.not.equal('');
      expect(about.settings.properties.client_secret).to.include({ secret: true, writeOnly: true });
      expect(about.settings.properties.max_unsubscribe_ratio).to.include({ type: 'number', default: 0.2 });
      expect(about.settings.properties.sender_code_id?.type).to.equal('integer');
      const md = await runCli('target.js', ['--about', '--format', 'Markdown']);
      expect(md.stdout).to.match(/^# `target-listrak-sms`/).and.match(/\* `batch`/).and.match(/\| client_secret \| string \(secret\) \| yes \| +\| Client secret/);
      const bad = await runCli('target.js', ['--about', '--format', 'yaml']);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/--format must be json or markdown, not yaml/);
    });
  });

  describe('BATCH messages', () => {
    it('handles the records of gzip and plain batch files exactly as inline ones, rejects naming file and line', async () => {
      sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3), member(4)]));
      const first = batchOf('audience', [row(2), row(3, { first_name: 'Batched' }), { phone: 'bogus' }]);
      const second = batchOf('audience', [row(5), row(1)], false);
      const input = lines(AUDIENCE_SCHEMA, { type: 'RECORD', stream: 'audience', record: row(1) }, first.message, { type: 'RECORD', stream: 'audience', record: row(4) }, second.message, { type: 'STATE', value: { b: 1 } });
      const rejectsFile = join(tempDir('rejects'), 'rejects.jsonl');
      const res = await runCli('target.js', ['--config', writeConfig(sandbox, { rejects_file: rejectsFile })], input);
      expect(res.code, res.stderr).to.equal(0);
      expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 4, 5].map(phone));
      expect(sandbox.state.contact(1001, phone(3))?.firstName).to.equal('Batched');
      const rejects = readFileSync(rejectsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rejects.map((r) => [r.reason, r.file, r.line])).to.deep.equal([
        ['invalid_phone', first.path, 3],
        ['duplicate', second.path, 2],
      ]);
      expect(metricLines(res.stderr).filter((m) => m.metric === 'record_count' && m.tags.stream === 'audience').reduce((n, m) => n + m.value, 0)).to.equal(7);
    });

    it('refuses a manifest entry that is not a readable local file, naming the BATCH line, before any write', async () => {
      sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
      const config = writeConfig(sandbox);
      const good = batchOf('audience', [row(1), row(2), row(9)]).message as { manifest: string[] };
      for (const entry of ['https://files.example.com/audience.jsonl.gz', pathToFileURL(join(tempDir('batch'), 'gone.jsonl.gz')).href]) {
        const message = { ...good, manifest: [...good.manifest, entry] };
        const res = await runCli('target.js', ['--config', config], lines(AUDIENCE_SCHEMA, { type: 'RECORD', stream: 'audience', record: row(1) }, message));
        expect(res.code, res.stderr).to.equal(3);
        expect(res.stderr).to.match(/ERROR: InputError: input line 3: BATCH for stream "audience": manifest entry .* (is not a local file|cannot be read \(ENOENT\))/);
        expect(writeCalls(sandbox)).to.deep.equal({});
      }
    });
  });

  it('writes METRIC lines: records per stream, a timer per API route called, writes by kind', async () => {
    sandbox = await sandboxWith(txSeed([member(1), member(2), member(3), member(4, { lists: [OTHER_LIST] })]));
    const input = audience([row(1), row(2, { first_name: 'Changed' }), row(5), row(6)]) + texts([msg(4)]);
    const res = await runCli('target.js', ['--config', writeConfig(sandbox, { max_unsubscribe_ratio: 1, transactional_phone_list_id: OTHER_LIST, journal_path: join(tempDir('j'), 'j.jsonl') })], input);
    expect(res.code, res.stderr).to.equal(0);
    const metrics = metricLines(res.stderr);
    const total = (metric: string, tag: string, value: string) => metrics.filter((m) => m.metric === metric && m.tags[tag] === value).reduce((n, m) => n + m.value, 0);
    expect(total('record_count', 'stream', 'audience')).to.equal(4);
    expect(total('record_count', 'stream', 'transactional_messages')).to.equal(1);
    expect({ created: total('write_count', 'kind', 'created'), updated: total('write_count', 'kind', 'updated'), unsubscribed: total('write_count', 'kind', 'unsubscribed'), sent: total('write_count', 'kind', 'sent') }).to.deep.equal({
      created: 2,
      updated: 1,
      unsubscribed: 1,
      sent: 1,
    });
    // One timer per API call, route by route, as the report counts them.
    const timers = metrics.filter((m) => m.type === 'timer' && m.metric === 'http_request_duration');
    const reported = [...res.stderr.matchAll(/^\s+calls (\w+)\s{2,}([\d,]+)/gm)].filter(([, route]) => route !== 'total');
    expect(reported.length).to.be.at.least(8);
    for (const [, route, n] of reported) expect(timers.filter((t) => t.tags.endpoint === route).length, route).to.equal(Number(n?.replace(/,/g, '')));
    expect(timers.length).to.equal(reported.reduce((sum, [, , n]) => sum + Number(n?.replace(/,/g, '')), 0));
    for (const t of timers) {
      expect(t.tags.status, JSON.stringify(t)).to.equal(Number(t.tags.http_status_code) < 300 ? 'succeeded' : 'failed');
      expect(t.value).to.be.a('number').and.at.least(0);
    }
    // The lookups of the two new numbers answer 404: timed, and told apart.
    expect(timers.filter((t) => t.tags.endpoint === 'getContact').map((t) => [t.tags.status, t.tags.http_status_code])).to.deep.equal([
      ['failed', 404],
      ['failed', 404],
    ]);
    expect(metrics.every((m) => ['counter', 'timer'].includes(m.type))).to.equal(true);
  });

  it('listrak-sftp-export: the same options (ENV, --input, --about) and BATCH records, rejects naming their file', async () => {
    const dir = tempDir('export-cli');
    const batch = batchOf('order_items', [{ order_number: 'SO-1', sku: 'TEE', quantity: 1 }, { order_number: 'SO-1', quantity: 2 }]);
    const input = join(dir, 'input.jsonl');
    writeFileSync(input, lines({ type: 'SCHEMA', stream: 'order_items', schema: {}, key_properties: [] }, batch.message, { type: 'STATE', value: 7 }));
    const env = {
      LISTRAK_SFTP_EXPORT_USERNAME: 'u',
      LISTRAK_SFTP_EXPORT_STAGING_DIR: join(dir, 'staging'),
      LISTRAK_SFTP_EXPORT_REJECTS_FILE: join(dir, 'rejects.jsonl'),
      LISTRAK_SFTP_EXPORT_STREAMS: '{"order_items":"order_items"}',
      LISTRAK_SFTP_EXPORT_DATE_PATTERN: '20261124',
    };
    const res = await runCli('export.js', ['--config', 'ENV', '--local-only', '--input', input], '', env);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.equal('7\n');
    expect(readFileSync(join(dir, 'staging', 'Listrak_OrderItem_Feed_20261124.csv'), 'utf8').split('\n')[1]).to.match(/^SO-1,[^,]*,TEE,/);
    const reject = JSON.parse(readFileSync(join(dir, 'rejects.jsonl'), 'utf8')) as Record<string, unknown>;
    expect([reject.reason, reject.field, reject.file, reject.line]).to.deep.equal(['missing_key', 'sku', batch.path, 2]);
    expect(metricLines(res.stderr).filter((m) => m.metric === 'record_count').map((m) => [m.tags.stream, m.value])).to.deep.equal([['order_items', 2]]);
    const about = JSON.parse((await runCli('export.js', ['--about'])).stdout) as { name: string; capabilities: string[]; settings: { properties: Record<string, { secret?: boolean }> } };
    expect(about.name).to.equal('listrak-sftp-export');
    expect(about.capabilities).to.deep.equal(['about', 'batch']);
    expect(Object.entries(about.settings.properties).filter(([, p]) => p.secret).map(([k]) => k)).to.deep.equal(['password', 'passphrase']);
  });

  it('runs the in-process sync with the same rule: states only when safe (dry run: none)', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
    const run = await runTarget(sandbox, audience([row(1), row(2)], { state: [1, 2] }));
    expect(run.states).to.deep.equal([[1, 2]]);
    const dry = await runTarget(sandbox, audience([row(1), row(2)], { state: [1, 2] }), {}, { dryRun: true });
    expect(dry.states).to.deep.equal([]);
  });
});

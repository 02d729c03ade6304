import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runCli, startCli, type CliResult } from '../support/cli.js';
import { OTHER_LIST, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

/** What every failure must look like: one ERROR line, no stack trace, no Node internals. */
function oneErrorLine(res: CliResult): string {
  const errors = res.stderr.split('\n').filter((l) => l.startsWith('ERROR: '));
  expect(errors, res.stderr).to.have.length(1);
  expect(res.stderr, 'no stack trace').to.not.match(/^\s+at /m);
  expect(res.stderr).to.not.match(/Unhandled|node:internal|\n\s*\^\n/);
  return errors[0] as string;
}

describe('failures from the built binaries: one line that says what to fix, and the documented exit code', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
  });
  afterEach(async () => sandbox.close());

  const input = audience([row(1), row(2)]);
  function configFile(extra: Record<string, unknown> = {}): string {
    const path = join(tempDir('fail'), 'config.json');
    writeFileSync(path, JSON.stringify(rawConfigFor(sandbox, { max_retries: 1, ...extra })));
    return path;
  }
  const target = (extra: Record<string, unknown> = {}, stdin = input, args: string[] = []) => runCli('target.js', ['--config', configFile(extra), ...args], stdin);

  it('a mistyped auth_url or api_url names that key and the URL tried, never an id', async () => {
    const auth = await target({ auth_url: `${sandbox.url}/OAuth2/Tokn` });
    expect(auth.code).to.equal(1);
    expect(oneErrorLine(auth)).to.match(/no token endpoint at http:\/\/127\.0\.0\.1:\d+\/OAuth2\/Tokn \(HTTP 404\): check auth_url$/);

    const api = await target({ api_url: `${sandbox.url}/v1/sms` });
    expect(api.code).to.equal(1);
    const line = oneErrorLine(api);
    expect(line).to.match(/getSenderCode: no such route at http:\/\/127\.0\.0\.1:\d+\/v1\/sms\/v1\/ShortCode\/1001 \(HTTP 404\): check api_url/);
    expect(line).to.not.match(/sender code 1001 was not found|sender_code_id/);
  });

  it('a 404 from a server that is not Listrak (no error envelope) points at api_url, without credentials or query string', async () => {
    const base = sandbox.url.replace('http://', 'http://someone:pw-in-url@');
    const res = await target({ api_url: `${base}/_sandbox/elsewhere?key=secret-in-query` });
    expect(res.code).to.equal(1);
    const line = oneErrorLine(res);
    expect(line).to.match(/no such route at http:\/\/127\.0\.0\.1:\d+\/_sandbox\/elsewhere.* \(HTTP 404\): check api_url/);
    expect(res.stderr).to.not.include('pw-in-url').and.not.include('secret-in-query');
  });

  it('a missing list or sender code is named in full: ids are not masked as if they were phones', async () => {
    const list = await target({ phone_list_id: 20000000 });
    expect(list.code).to.equal(1);
    expect(oneErrorLine(list)).to.match(/list 20000000 does not exist under sender code 1001: check phone_list_id and sender_code_id$/);
    const sc = await target({ sender_code_id: 10000000 });
    expect(sc.code).to.equal(1);
    expect(oneErrorLine(sc)).to.match(/sender code 10000000 was not found: check sender_code_id$/);
  });

  it('wrong credentials: the hint is given once and the secret never shown', async () => {
    const res = await target({ client_secret: 'not-the-secret' });
    expect(res.code).to.equal(1);
    const line = oneErrorLine(res);
    expect(line.match(/check client_id/g)).to.have.length(1);
    expect(res.stderr).to.not.include('not-the-secret');
  });

  it('a config path that cannot be used fails before any call, exit 2, naming its key', async () => {
    const dir = tempDir('paths');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ rejects_file: join(dir, 'missing', 'rejects.jsonl') }, /^ERROR: ConfigError: invalid config: rejects_file: folder .*missing does not exist$/],
      [{ rejects_file: dir }, /^ERROR: ConfigError: invalid config: rejects_file: .* is a folder, not a file$/],
      [{ transactional_phone_list_id: OTHER_LIST, journal_path: join(dir, 'missing', 'journal.jsonl') }, /^ERROR: ConfigError: invalid config: journal_path: folder .*missing does not exist$/],
    ];
    for (const [extra, message] of cases) {
      const res = await target(extra);
      expect(res.code, res.stderr).to.equal(2);
      expect(oneErrorLine(res)).to.match(message);
    }
    expect(sandbox.calls.size, 'no API call').to.equal(0);
  });

  it('listrak-sftp-export: a staging or rejects path that cannot be used fails before reading, exit 2, naming its key', async () => {
    const dir = tempDir('export-paths');
    writeFileSync(join(dir, 'a-file'), '');
    for (const [extra, message] of [
      [{ staging_dir: join(dir, 'a-file', 'staging') }, /^ERROR: ConfigError: invalid config: staging_dir: .*a-file is a file, not a folder$/],
      [{ rejects_file: join(dir, 'missing', 'rejects.jsonl') }, /^ERROR: ConfigError: invalid config: rejects_file: folder .*missing does not exist$/],
    ] as const) {
      const path = join(dir, 'export.json');
      writeFileSync(path, JSON.stringify({ username: 'u', staging_dir: join(dir, 'staging'), rejects_file: join(dir, 'rejects.jsonl'), ...extra }));
      const res = await runCli('export.js', ['--config', path, '--local-only'], '{"type":"SCHEMA","stream":"customers","schema":{},"key_properties":[]}\n');
      expect(res.code, res.stderr).to.equal(2);
      expect(oneErrorLine(res)).to.match(message);
    }
  });

  it('--debug adds the stack trace, and only then', async () => {
    const bad = { rejects_file: join(tempDir('debug'), 'missing', 'r.jsonl') };
    const res = await target(bad, input, ['--debug']);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.match(/^ERROR: ConfigError: invalid config: rejects_file/).and.match(/^\s+at /m);
  });

  it('input: a leading UTF-8 BOM is skipped; control and binary bytes echoed in an error are escaped, never written raw', async () => {
    const bom = await target({}, '\ufeff' + input);
    expect(bom.code, bom.stderr).to.equal(0);

    const bytes = Buffer.concat([Buffer.from('ab\x1b[2J\x07'), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('x'.repeat(500) + '\n')]);
    const res = await runCli('target.js', ['--config', configFile()], bytes);
    expect(res.code).to.equal(3);
    const line = oneErrorLine(res);
    expect(line).to.match(/^ERROR: InputError: input line 1: malformed JSON \(.*"ab\\x1b\[2J\\x07\\uFFFD\\uFFFD\\x00"\.\.\. is not valid JSON\)$/);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(res.stderr).to.not.match(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(line.length).to.be.below(300);
  });

  it('a port in use for listrak-sandbox is one line, exit 2', async () => {
    const port = Number(new URL(sandbox.url).port);
    const res = await runCli('sandbox.js', ['--port', String(port)]);
    expect(res.code).to.equal(2);
    expect(oneErrorLine(res)).to.match(new RegExp(`^ERROR: ConfigError: --port ${port}: 127\\.0\\.0\\.1:${port} is already in use`));
    const nonsense = await runCli('sandbox.js', ['--port', 'eighty']);
    expect(nonsense.code).to.equal(2);
    expect(oneErrorLine(nonsense)).to.match(/--port must be a whole number/);
  });

  it('logs each retry of the token endpoint with its route, status and wait', async () => {
    sandbox.faults.add({ operationId: 'token', status: 503 });
    const res = await target({ max_retries: 2, max_unsubscribe_ratio: 1 });
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stderr.match(/^WARN: token: retry 1 of 2 after HTTP 503; waiting \d+\.\d s$/gm)).to.have.length(1);
  });

  describe('against a server that accepts connections but never answers', () => {
    let silent: Server;
    const sockets: Socket[] = [];
    before(async () => {
      silent = createServer((s) => sockets.push(s));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('is never silent: retries and progress lines until the one error line', async () => {
      const port = (silent.address() as { port: number }).port;
      const dir = tempDir('silent');
      mkdirSync(dir, { recursive: true });
      const path = join(dir, 'config.json');
      writeFileSync(path, JSON.stringify(rawConfigFor(sandbox, { auth_url: `http://127.0.0.1:${port}/OAuth2/Token`, request_timeout_ms: 800, max_retries: 1 })));
      const { child, done } = startCli('target.js', ['--config', path], input, { LISTRAK_PROGRESS_INTERVAL_S: '0.3' });
      const stamps: number[] = [];
      child.stderr?.on('data', () => stamps.push(performance.now()));
      const started = performance.now();
      const res = await done;
      expect(res.code).to.equal(1);
      expect(res.stderr).to.match(/^WARN: token: retry 1 of 1 after no answer within 0\.8 s; waiting \d+\.\d s$/m);
      expect(res.stderr).to.match(/^prepare: 0 calls, .*so far$/m);
      expect(oneErrorLine(res)).to.match(/cannot reach the Listrak token endpoint http:\/\/127\.0\.0\.1:\d+\/OAuth2\/Token \(no answer within 0\.8 s\): check auth_url/);
      // Lines every 0.3 s: gaps far below the 10 s promise, with room for a loaded machine (and Node's start-up).
      let last = started;
      for (const at of stamps) {
        expect(at - last).to.be.below(2500);
        last = at;
      }
      for (let n = 1; n <= 2; n++) expect(res.stderr).to.not.include(phone(n));
    });
  });
});

import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runCli, repoRoot } from '../support/cli.js';
import { LIST, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { metricLines, phasesIn, rawConfigFor, sandboxWith, writeCalls } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const tmp = () => tempDir('cli');

function writeConfig(sandbox: Sandbox, extra: Record<string, unknown> = {}): string {
  const path = join(tmp(), 'config.json');
  writeFileSync(path, JSON.stringify(rawConfigFor(sandbox, extra)));
  return path;
}

/** Every stdout line is a bare state value (never an envelope): that is all a target may print there. */
function stateLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = JSON.parse(l) as Record<string, unknown>;
      expect(m).to.not.have.property('type');
      return m;
    });
}

describe('target-listrak-sms CLI', function () {
  this.timeout(30_000);
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('--version, --help and --about', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect((await runCli('target.js', ['--version'])).stdout.trim()).to.equal(`target-listrak-sms ${pkg.version}`);
    const help = await runCli('target.js', ['--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/--config FILE/).and.match(/--dry-run/);
    const md = await runCli('target.js', ['--about', '--format', 'markdown']);
    expect(md.stdout).to.match(/\| sender_code_id \| integer \| yes \|/).and.match(/\| transactional_stream \| string \| no \| "transactional_messages" \|/);
  });

  it('exits 2 naming the key for a bad config, before any API call', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const path = writeConfig(sandbox, { max_unsubscribe_ratio: 'lots' });
    const res = await runCli('target.js', ['--config', path], audience([row(1)]));
    expect(res.code).to.equal(2);
    expect(res.stderr).to.match(/ERROR: ConfigError: invalid config: max_unsubscribe_ratio:/);
    expect(res.stdout).to.equal('');
    expect(sandbox.calls.size).to.equal(0);
  });

  it('exits 2 for a missing config file or unknown flag', async () => {
    expect((await runCli('target.js', ['--config', '/nonexistent/config.json'])).stderr).to.match(/cannot read config file \/nonexistent\/config.json: ENOENT/);
    const res = await runCli('target.js', ['--conifg', 'x']);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.match(/Unknown option '--conifg'/);
  });

  it('exits 1 with a clear message for bad credentials, without printing the secret', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const res = await runCli('target.js', ['--config', writeConfig(sandbox, { client_secret: 'very-wrong-secret' })], audience([row(1)]));
    expect(res.code).to.equal(1);
    expect(res.stderr).to.match(/ERROR_INVALID_CREDENTIALS/);
    expect(res.stderr).to.not.include('very-wrong-secret');
  });

  it('syncs, printing only the tap state on stdout and no full phone or secret on stderr; a rerun writes nothing', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3), member(4), member(5)]));
    const input = audience([row(1), row(2), row(3, { first_name: 'Changed' }), row(4), row(5), row(6), { phone: 'bogus' }], { state: { bookmarks: { a: 1 } } });
    const res = await runCli('target.js', ['--config', writeConfig(sandbox)], input);
    expect(res.code, res.stderr).to.equal(0);
    expect(phasesIn(metricLines(res.stderr))).to.deep.equal(['prepare', 'members', 'audience', 'updates', 'unsubscribe', 'done']);
    const states = stateLines(res.stdout);
    expect(states).to.have.length(1);
    expect(states[0]?.bookmarks).to.deep.equal({ a: 1 });
    expect(res.stderr).to.match(/report:/).and.match(/created\s+1/).and.match(/updated\s+1/).and.match(/invalid_phone\s+1/);
    for (let n = 1; n <= 6; n++) expect(res.stderr).to.not.include(phone(n));
    expect(res.stderr).to.not.include('test-secret-value');
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 4, 5, 6].map(phone));

    sandbox.calls.clear();
    const again = await runCli('target.js', ['--config', writeConfig(sandbox)], input);
    expect(again.code).to.equal(0);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('exits 3 naming the line for bad input, and 4 when the removal guard refuses', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
    const bad = await runCli('target.js', ['--config', writeConfig(sandbox)], audience([row(1)], { cut: true }) + '{"type":"RECORD"\n');
    expect(bad.code).to.equal(3);
    expect(bad.stderr).to.match(/ERROR: InputError: input line 3: malformed JSON/);
    const guard = await runCli('target.js', ['--config', writeConfig(sandbox)], audience([row(1)]));
    expect(guard.code).to.equal(4);
    expect(guard.stderr).to.match(/refusing to unsubscribe 1 of 2 members \(50\.0%\)/);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3), member(4), member(5)]));
    const res = await runCli('target.js', ['--config', writeConfig(sandbox), '--dry-run'], audience([row(1), row(2), row(3), row(4), row(9)]));
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stderr).to.match(/plan: 1 to create or subscribe, 0 to update, 4 unchanged, 1 to unsubscribe/);
    expect(res.stderr).to.match(/samples: create \*{7}0009 \(new_in_audience\), unsubscribe \*{7}0005 \(absent_from_complete_audience\)/);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('runs the demo against the embedded sandbox, as `make sync` does with no config', async () => {
    const overrides = join(tmp(), 'overrides.json');
    writeFileSync(overrides, JSON.stringify({ rejects_file: join(tmp(), 'rejects.jsonl') }));
    const input = readFileSync(join(repoRoot, 'samples/audience.jsonl'), 'utf8');
    const res = await runCli('target.js', ['--sandbox', 'samples/sandbox-seed.json', '--config', overrides], input);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stderr).to.match(/done: list 2002 matches the audience/);
    stateLines(res.stdout);
  });
});

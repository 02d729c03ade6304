/**
 * Ways a run is stopped before its end, on the built binaries with real signals and pipes: SIGTERM and SIGINT
 * stop it at a safe point with one line and 143 / 130; a reader that closes stdout (`| head -1`) gets one line,
 * no stack trace; SIGKILL cannot be caught, but leaves no personal data in the temporary folder. A rerun finishes
 * the job each time.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startCli, type CliResult } from '../support/cli.js';
import { LIST, OTHER_LIST, TX_SCHEMA, AUDIENCE_SCHEMA, audience, baseSeed, member, msg, phone, row, txSeed } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith, writeCalls } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const line = (m: object) => JSON.stringify(m) + '\n';

/** Every file under `dir`, with its path relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(join(dir, p)).isFile());
}

function until(test: () => boolean, what: string, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (test()) {
        clearInterval(tick);
        resolve();
      } else if (Date.now() - started > ms) {
        clearInterval(tick);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 5);
  });
}

/** A tap that sends `head`, then waits until released before it sends `tail` and ends. */
function slowTap(head: string, tail = '') {
  let release = () => {};
  const released = new Promise<void>((r) => (release = r));
  async function* pieces() {
    yield head;
    await released;
    yield tail;
  }
  return { pieces: pieces(), release: () => release() };
}

/** The run's one stop line, and no stack trace anywhere. */
function stopLine(res: CliResult): string {
  const stops = res.stderr.split('\n').filter((l) => l.startsWith('STOPPED: '));
  expect(stops, res.stderr).to.have.length(1);
  expect(res.stderr, 'no stack trace').to.not.match(/^\s+at /m);
  return stops[0] as string;
}

describe('stopping a run', function () {
  this.timeout(60_000);
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  const configFile = (s: Sandbox, extra: Record<string, unknown> = {}) => {
    const path = join(tempDir('stop'), 'config.json');
    writeFileSync(path, JSON.stringify(rawConfigFor(s, extra)));
    return path;
  };

  it('SIGTERM mid-writes: the calls in flight finish, one line names the phase, exit 143, no temporary folder; a rerun finishes', async () => {
    const members = Array.from({ length: 20 }, (_, i) => member(i + 1));
    sandbox = await sandboxWith(baseSeed(members));
    sandbox.options.latencyMs = 25;
    const rows = [...members.map((_, i) => row(i + 1)), ...Array.from({ length: 60 }, (_, i) => row(100 + i))];
    const tmp = tempDir('tmpdir');
    const config = configFile(sandbox, { max_concurrency: 2 });
    const { child, done } = startCli('target.js', ['--config', config], audience(rows, { state: { s: 1 } }), { TMPDIR: tmp });
    await until(() => (sandbox?.state.writes.length ?? 0) >= 3, 'the first writes');
    child.kill('SIGTERM');
    const res = await done;
    const writesAtExit = sandbox.state.writes.length;
    expect(res.code, res.stderr).to.equal(143);
    expect(stopLine(res)).to.equal('STOPPED: SIGTERM received during the audience phase: stopped at a safe point; run again to finish the job');
    expect(res.stdout, 'no state: the sync is not whole').to.equal('');
    expect(writesAtExit).to.be.below(60);
    expect(readdirSync(tmp)).to.deep.equal([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(sandbox.state.writes.length, 'nothing was left in flight').to.equal(writesAtExit);

    const rerun = startCli('target.js', ['--config', config], audience(rows, { state: { s: 1 } }), { TMPDIR: tmp });
    const again = await rerun.done;
    expect(again.code, again.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal(rows.map((r) => String(r.phone)).sort());
    const creates = sandbox.state.writes.filter((w) => w.op === 'create').map((w) => w.phone);
    expect(new Set(creates).size, 'no contact created twice').to.equal(creates.length);
    expect(JSON.parse(again.stdout)).to.deep.include({ s: 1 });
  });

  it('SIGTERM during --apply: exit 143, no state, a line in the audit trail for every write made; applying again finishes the plan, nothing twice', async () => {
    const members = Array.from({ length: 20 }, (_, i) => member(i + 1));
    sandbox = await sandboxWith(baseSeed(members));
    const dir = tempDir('stop-apply');
    const planPath = join(dir, 'plan.jsonl');
    const auditPath = join(dir, 'audit.jsonl');
    // Member 1 leaves; 60 people join.
    const rows = [...members.slice(1).map((_, i) => row(i + 2)), ...Array.from({ length: 60 }, (_, i) => row(100 + i))];
    const config = configFile(sandbox, { max_concurrency: 2, audit_path: auditPath });
    const planned = await startCli('target.js', ['--config', config, '--plan', planPath], audience(rows, { state: { s: 1 } })).done;
    expect(planned.code, planned.stderr).to.equal(0);
    sandbox.options.latencyMs = 25;
    const { child, done } = startCli('target.js', ['--config', config, '--apply', planPath]);
    await until(() => (sandbox?.state.writes.length ?? 0) >= 3, 'the first writes');
    child.kill('SIGTERM');
    const res = await done;
    expect(res.code, res.stderr).to.equal(143);
    expect(res.stdout, 'no state: the plan is not applied whole').to.equal('');
    const madeAtStop = sandbox.state.writes.length;
    expect(madeAtStop).to.be.below(61);
    const auditLines = () => readFileSync(auditPath, 'utf8').split('\n').filter(Boolean);
    expect(auditLines(), 'every write made before the stop is in the audit trail').to.have.length(madeAtStop);

    const again = await startCli('target.js', ['--config', config, '--apply', planPath]).done;
    expect(again.code, again.stderr).to.equal(0);
    expect(JSON.parse(again.stdout)).to.deep.include({ s: 1 });
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal(rows.map((r) => String(r.phone)).sort());
    const creates = sandbox.state.writes.filter((w) => w.op === 'create').map((w) => w.phone);
    expect(new Set(creates).size, 'no contact created twice').to.equal(creates.length);
    expect(sandbox.state.writes).to.have.length(61);
    expect(auditLines()).to.have.length(61);
  });

  it('SIGINT while the tap is still sending: stops reading at once, writes nothing, exit 130', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
    const tmp = tempDir('tmpdir');
    const tap = slowTap(line(AUDIENCE_SCHEMA) + line({ type: 'RECORD', stream: 'audience', record: row(1) }), line({ type: 'RECORD', stream: 'audience', record: row(2) }));
    const { child, done } = startCli('target.js', ['--config', configFile(sandbox)], tap.pieces, { TMPDIR: tmp });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await until(() => /^members: /m.test(stderr), 'the members phase to end');
    const signalled = Date.now();
    child.kill('SIGINT');
    const res = await done;
    tap.release();
    expect(Date.now() - signalled, 'stopped without waiting for the tap').to.be.below(3000);
    expect(res.code, res.stderr).to.equal(130);
    expect(stopLine(res)).to.equal('STOPPED: SIGINT received during the audience phase: stopped at a safe point; run again to finish the job');
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(readdirSync(tmp)).to.deep.equal([]);
  });

  it('stdout closed by its reader (| head -1): one line, no stack trace, exit 141, no temporary folder', async () => {
    sandbox = await sandboxWith(txSeed([member(1, { lists: [OTHER_LIST] }), member(2, { lists: [OTHER_LIST] })]));
    const tmp = tempDir('tmpdir');
    const journal = join(tempDir('journal'), 'journal.jsonl');
    const config = configFile(sandbox, { phone_list_id: undefined, transactional_phone_list_id: OTHER_LIST, journal_path: journal });
    const tap = slowTap(
      line(TX_SCHEMA) + line({ type: 'RECORD', stream: 'transactional_messages', record: msg(1) }) + line({ type: 'STATE', value: { upTo: 1 } }),
      line({ type: 'RECORD', stream: 'transactional_messages', record: msg(2) }) + line({ type: 'STATE', value: { upTo: 2 } }),
    );
    const { child, done } = startCli('target.js', ['--config', config], tap.pieces, { TMPDIR: tmp });
    let first = '';
    child.stdout?.once('data', (d: Buffer) => {
      first = d.toString();
      child.stdout?.destroy(); // what `head -1` does once it has its line
      tap.release();
    });
    const res = await done;
    expect(JSON.parse(first)).to.deep.include({ upTo: 1 });
    expect(res.code, res.stderr).to.equal(141);
    // The write that fails may be the run's last (the phase is then over, and not named).
    expect(stopLine(res)).to.match(/^STOPPED: stdout was closed \(EPIPE\)( during the (transactional|done) phase)?: stopped at a safe point; run again to finish the job$/);
    expect(readdirSync(tmp)).to.deep.equal([]);
    // The text the lost state covered was sent and journaled: a rerun from the state written sends nothing twice.
    expect(sandbox.state.sent.map((s) => s.phoneNumber)).to.deep.equal([phone(1), phone(2)]);
  });

  it('SIGKILL cannot be caught, but leaves no personal data in the temporary folder; the next run removes it', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
    const tmp = tempDir('tmpdir');
    const tap = slowTap(audience([row(1), row(2), row(3, { email: 'secret-person@example.com' })]).replace(/\n$/, '\n'), '');
    const config = configFile(sandbox);
    const { child, done } = startCli('target.js', ['--config', config], tap.pieces, { TMPDIR: tmp });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await until(() => /^members: /m.test(stderr), 'the members phase to end');
    child.kill('SIGKILL');
    await done;
    tap.release();
    const left = filesUnder(tmp);
    expect(left, 'only the owner marker, no copy of the input, no spool').to.have.length(1);
    expect(left[0]).to.match(/^listrak-sync-\w+\/owner\.pid$/);
    for (const f of left) expect(readFileSync(join(tmp, f), 'utf8')).to.not.include(phone(3).slice(-7)).and.not.include('secret-person');

    const rerun = await startCli('target.js', ['--config', config], audience([row(1), row(2), row(3)]), { TMPDIR: tmp }).done;
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(rerun.stderr).to.match(/removed 1 temporary folder\(s\) left by runs that were killed/);
    expect(readdirSync(tmp)).to.deep.equal([]);
  });

  it('listrak-sftp-export: SIGTERM while the tap is still sending leaves no half-written file, exit 143', async () => {
    const dir = tempDir('export-stop');
    const staging = join(dir, 'staging');
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ username: 'u', staging_dir: staging, rejects_file: join(dir, 'rejects.jsonl') }));
    const head = line({ type: 'SCHEMA', stream: 'customers', schema: {}, key_properties: ['email'] }) + line({ type: 'RECORD', stream: 'customers', record: { email: 'a@example.com' } });
    const tap = slowTap(head, line({ type: 'STATE', value: { s: 1 } }));
    const { child, done } = startCli('export.js', ['--config', config, '--local-only'], tap.pieces);
    await until(() => {
      try {
        return readdirSync(staging).length > 0;
      } catch {
        return false;
      }
    }, 'the first staged file');
    child.kill('SIGTERM');
    const res = await done;
    tap.release();
    expect(res.code, res.stderr).to.equal(143);
    expect(stopLine(res)).to.equal('STOPPED: SIGTERM received during the read phase: stopped at a safe point; run again to finish the job');
    expect(res.stdout).to.equal('');
    expect(readdirSync(staging)).to.deep.equal([]);
  });
});

import { expect } from 'chai';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli, type CliResult } from '../support/cli.js';
import { sshdForSuite, type Sshd } from '../support/sshd.js';
import { tempDir } from '../support/tmp.js';

function lines(res: CliResult): string[] {
  return res.stdout.trim().split('\n');
}

describe('listrak-sftp-export --check, against a real OpenSSH sshd', function () {
  this.timeout(60_000);
  const server = sshdForSuite();
  let sshd: Sshd;
  beforeEach(() => (sshd = server()));

  async function check(extra: Record<string, unknown> = {}): Promise<CliResult> {
    const dir = tempDir('export-check');
    const path = join(dir, 'config.json');
    const config = { host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password, host_key_sha256: sshd.fingerprint, remote_dir: sshd.remoteDir, staging_dir: join(dir, 'staging'), rejects_file: join(dir, 'rejects.jsonl'), timeout_ms: 5000, ...extra };
    writeFileSync(path, JSON.stringify(config));
    return runCli('export.js', ['--config', path, '--check']);
  }

  it('passes: connection, pinned host key, login, and a probe file written to remote_dir and removed', async () => {
    const before = readdirSync(sshd.remoteDir);
    const res = await check();
    expect(res.code, res.stdout + res.stderr).to.equal(0);
    expect(res.stderr).to.equal('');
    const out = lines(res);
    expect(out.map((l) => l.split(':')[0])).to.deep.equal(['ok    rejects_file', 'ok    staging_dir', 'ok    connection', 'ok    host key', 'ok    login', 'ok    remote_dir']);
    expect(out[3]).to.equal(`ok    host key: ${sshd.fingerprint} matches host_key_sha256`);
    expect(out[4]).to.equal(`ok    login: ${sshd.user} logged in`);
    expect(out[5]).to.equal(`ok    remote_dir: ${sshd.remoteDir}: a probe file was written and removed`);
    expect(readdirSync(sshd.remoteDir), 'nothing left behind').to.deep.equal(before);
    expect(res.stdout).to.not.include(sshd.password);
  });

  it('fails at the step that is wrong, with what to fix and the exit code an upload would have', async () => {
    const wrongKey = await check({ host_key_sha256: 'SHA256:' + 'A'.repeat(43) });
    expect(wrongKey.code).to.equal(2);
    expect(lines(wrongKey).slice(2)).to.deep.equal([
      `ok    connection: 127.0.0.1:${sshd.port} answered`,
      `FAIL  host key: 127.0.0.1:${sshd.port} presented ${sshd.fingerprint}, but host_key_sha256 is SHA256:${'A'.repeat(43)}: an impostor, or the key changed (check with Listrak)`,
      'skip  login: needs the connection and host key',
      'skip  remote_dir: needs a login',
    ]);
    expect(wrongKey.stderr).to.equal('ERROR: ChecksFailed: 1 of 4 checks failed: host key\n');

    const wrongPassword = await check({ password: 'not-the-password' });
    expect(wrongPassword.code).to.equal(2);
    expect(lines(wrongPassword)[4]).to.match(/^FAIL {2}login: SFTP login as listrak-sftp-test to 127\.0\.0\.1:\d+ was refused: check username, password or private_key_path\/passphrase$/);
    expect(wrongPassword.stdout + wrongPassword.stderr).to.not.include('not-the-password');

    const locked = await check({ remote_dir: dirname(sshd.remoteDir) });
    expect(locked.code).to.equal(1);
    expect(lines(locked)[5]).to.match(/^FAIL {2}remote_dir: cannot write to .*: .*; check remote_dir and the account's rights$/);

    const closed = await check({ port: 1 });
    expect(closed.code).to.equal(1);
    expect(lines(closed)[2]).to.match(/^FAIL {2}connection: cannot reach 127\.0\.0\.1:1 \(.*ECONNREFUSED.*\): check host and port/);

    const noKey = await check({ password: undefined, private_key_path: '/nonexistent/id_ed25519' });
    expect(noKey.code).to.equal(2);
    expect(lines(noKey).slice(2)).to.deep.equal([
      'FAIL  private_key_path: /nonexistent/id_ed25519 does not exist',
      'skip  connection: needs private_key_path',
      'skip  host key: needs private_key_path',
      'skip  login: needs private_key_path',
      'skip  remote_dir: needs private_key_path',
    ]);
  });
});

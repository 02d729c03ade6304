/**
 * A real OpenSSH sshd for the SFTP specs: started on a free loopback port with generated host and client keys,
 * a test user with a password, and an internal-sftp subsystem. Under CI a missing sshd is a failure, never a skip
 * (.ci/run installs openssh-server).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './ports.js';
import { stopWithThisProcess, tempDir } from './tmp.js';

const SSHD = '/usr/sbin/sshd';
export const TEST_USER = 'listrak-sftp-test';

export interface Sshd {
  port: number;
  fingerprint: string;
  /** The folder uploads land in, as a local path (the server's filesystem is this machine's). */
  remoteDir: string;
  user: string;
  password: string;
  keyPath: string;
  passphrase: string;
  /** Kill every live SFTP session (the listener keeps listening): a connection dropped mid-transfer. */
  dropSessions(): void;
  stop(): Promise<void>;
}

export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install openssh-server)`;
  if (process.getuid?.() !== 0) return 'the SFTP specs start sshd with a password user, which needs root';
  return undefined;
}

/** Start sshd for a suite's `before` hook; where it cannot run, skip the suite, except under CI, which must run it. */
export async function startSshdOrSkip(ctx: Mocha.Context): Promise<Sshd> {
  const why = sshdUnavailable();
  if (why) {
    if (process.env.CI) throw new Error(`CI must run the SFTP specs: ${why}`);
    ctx.skip();
  }
  return startSshd();
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Processes whose parent is `parent`, read from /proc (sshd forks one per connection). */
function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces, inside parentheses): state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) out.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

export async function startSshd(): Promise<Sshd> {
  const why = sshdUnavailable();
  if (why) throw new Error(why);
  const dir = tempDir('sshd');
  // mkdtemp makes private folders; the test user must reach its upload folder through them.
  for (let d = dir; d.length > 1 && d.startsWith('/tmp') && d !== '/tmp'; d = d.slice(0, d.lastIndexOf('/'))) chmodSync(d, 0o755);
  const password = randomBytes(12).toString('base64url');
  const passphrase = 'correct horse battery';
  try {
    execFileSync('id', [TEST_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--no-create-home', '--shell', '/bin/sh', TEST_USER]);
  }
  execFileSync('chpasswd', { input: `${TEST_USER}:${password}\n` });
  const uid = Number(execFileSync('id', ['-u', TEST_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', TEST_USER]).toString().trim());

  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', join(dir, 'client_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  chmodSync(join(dir, 'authorized_keys'), 0o644);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')]).toString().split(' ')[1] as string;
  const remoteDir = join(dir, 'remote');
  mkdirSync(remoteDir);
  chownSync(remoteDir, uid, gid);
  mkdirSync('/run/sshd', { recursive: true });

  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `AllowUsers ${TEST_USER}`,
      'Subsystem sftp internal-sftp',
      'ForceCommand internal-sftp',
      'MaxStartups 50',
      'LogLevel ERROR',
    ].join('\n') + '\n',
  );
  let output = '';
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  stopWithThisProcess(child.pid as number);
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitForPort(port, child, () => output);
  return {
    port,
    fingerprint,
    remoteDir,
    user: TEST_USER,
    password,
    keyPath: join(dir, 'client_key'),
    passphrase,
    dropSessions() {
      // The per-connection [priv] monitor's own child holds the socket: kill the whole tree under the listener.
      const tree: number[] = [];
      for (let frontier = childrenOf(child.pid as number); frontier.length; frontier = frontier.flatMap(childrenOf)) tree.push(...frontier);
      for (const pid of tree) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * An sshd for the suite this is called in (started before its tests, stopped after them); without one the suite
 * is skipped, or fails under CI. The returned function gives the running server.
 */
export function sshdForSuite(): () => Sshd {
  let sshd: Sshd | undefined;
  before(async function () {
    const why = sshdUnavailable();
    if (why) {
      if (process.env.CI) throw new Error(`CI must run the SFTP specs: ${why}`);
      this.skip();
    }
    sshd = await startSshd();
  });
  after(async () => sshd?.stop());
  return () => sshd as Sshd;
}

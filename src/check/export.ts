/**
 * `listrak-sftp-export --check`: the local files and folders, then one connection to the SFTP server: reached, the
 * host key it presents against the pinned one, the login, and a probe file written to remote_dir and removed.
 * No export file is written or uploaded.
 */
import { randomBytes } from 'node:crypto';
import { posix, resolve } from 'node:path';
import type SftpClient from 'ssh2-sftp-client';
import type { ExportConfig } from '../config/export.js';
import { exportPaths, pathProblem } from '../config/paths.js';
import { EXIT } from '../errors.js';
import { AuthFailure, connectSftp, HostKeyMismatch } from '../sftp/upload.js';
import { CheckList, CheckProblem } from './checks.js';

export async function checkExport(config: ExportConfig, print: (line: string) => void): Promise<number> {
  const checks = new CheckList(print);
  let keyReadable = true;
  for (const p of exportPaths(config, { staging: true })) {
    const ok = await checks.run(p.key, () => {
      const problem = pathProblem(p.path, p.use);
      if (problem) throw new CheckProblem(problem, EXIT.config);
      return `${resolve(p.path)} can be ${p.use === 'read' ? 'read' : 'written'}`;
    });
    if (p.key === 'private_key_path') keyReadable = ok;
  }
  if (!keyReadable) {
    for (const name of ['connection', 'host key', 'login', 'remote_dir']) checks.skip(name, 'needs private_key_path');
    return checks.finish();
  }

  const server = `${config.host}:${config.port}`;
  let presented: string | undefined;
  let sftp: SftpClient | undefined;
  let failure: unknown;
  try {
    sftp = await connectSftp(config, (key) => (presented = key));
  } catch (e) {
    failure = e;
  }
  try {
    // One connection answers three questions; a failure is reported at the step it stopped on.
    const reached = await checks.run('connection', () => {
      if (presented === undefined) throw new CheckProblem(`cannot reach ${server} (${(failure as Error).message}): check host and port, and that this machine may connect`, EXIT.failed);
      return `${server} answered`;
    });
    const keyOk =
      reached &&
      (await checks.run('host key', () => {
        if (failure instanceof HostKeyMismatch) throw new CheckProblem(`${server} presented ${presented}, but host_key_sha256 is ${config.host_key_sha256}: an impostor, or the key changed (check with Listrak)`, EXIT.config);
        if (config.allow_unknown_host_key) return `not checked (allow_unknown_host_key); ${server} presented ${presented}`;
        return `${presented} matches host_key_sha256`;
      }));
    const loggedIn =
      keyOk &&
      (await checks.run('login', () => {
        if (failure instanceof AuthFailure || !sftp) throw failure;
        return `${config.username} logged in`;
      }));
    if (!reached || !keyOk) checks.skip('login', 'needs the connection and host key');
    if (loggedIn && sftp) {
      const client = sftp;
      await checks.run('remote_dir', () => probe(client, config.remote_dir));
    } else checks.skip('remote_dir', 'needs a login');
  } finally {
    await sftp?.end().catch(() => {});
  }
  return checks.finish();
}

/** Write a small file to `dir` and remove it: the rights an upload needs, without leaving anything behind. */
async function probe(sftp: SftpClient, dir: string): Promise<string> {
  const name = posix.join(dir, `.listrak-sftp-export-check-${randomBytes(4).toString('hex')}.part`);
  try {
    await sftp.put(Buffer.from('listrak-sftp-export --check\n'), name);
  } catch (e) {
    throw new CheckProblem(`cannot write to ${dir}: ${(e as Error).message}; check remote_dir and the account's rights`, EXIT.failed);
  }
  try {
    await sftp.delete(name);
  } catch (e) {
    throw new CheckProblem(`wrote ${name} but cannot remove it: ${(e as Error).message}; remove it by hand`, EXIT.failed);
  }
  return `${dir}: a probe file was written and removed`;
}

/**
 * Upload of staged files to Listrak's SFTP server, so Listrak never picks up a half file or talks to an impostor:
 *  - the server's host key must match the pinned SHA256 fingerprint (unless the config explicitly opts out);
 *  - each file goes up under a temporary name, its size is checked, and only then is it renamed into place;
 *  - a dropped connection is retried, with backoff, from a fresh connection; bad credentials and a wrong host key
 *    are not retried.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import type { ExportConfig } from '../config/export.js';
import { ConfigError } from '../errors.js';
import { sleep } from '../listrak/limiter.js';
import type { Logger } from '../log.js';

export interface UploadItem {
  localPath: string;
  name: string;
  size: number;
}

/** The host key's fingerprint as `ssh-keygen -l` prints it. */
export function sha256Fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The server's host key is not the pinned one. */
export class HostKeyMismatch extends ConfigError {}
/** The server refused the login. */
export class AuthFailure extends ConfigError {}

/**
 * Upload every item; `onPlaced` hears each file once it is in place under its final name. A stop request
 * (`signal`) ends the connection at once and throws its reason: a file cut off is only ever a `.part`, never
 * renamed into place, and the next run uploads it again.
 */
export async function uploadFiles(items: UploadItem[], config: ExportConfig, logger: Logger, opts: { signal?: AbortSignal; onPlaced?: () => void } = {}): Promise<void> {
  const { signal } = opts;
  const pending = [...items];
  for (let attempt = 0; pending.length > 0; attempt++) {
    try {
      await uploadOnce(pending, config, logger, opts);
    } catch (e) {
      signal?.throwIfAborted();
      if (e instanceof ConfigError || attempt >= config.max_retries) throw e;
      const wait = config.retry_base_delay_ms * 2 ** attempt * (0.8 + Math.random() * 0.4);
      logger.warn(`upload: ${(e as Error).message}; retrying ${pending.length} file(s) in ${(wait / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${config.max_retries + 1})`);
      await sleep(wait);
      signal?.throwIfAborted();
    }
  }
}

/**
 * A connection whose host key matched the pinned one (or was knowingly not checked) and whose login was accepted.
 * `onHostKey` hears the key the server presented, before it is judged.
 */
export async function connectSftp(config: ExportConfig, onHostKey?: (fingerprint: string) => void): Promise<SftpClient> {
  const sftp = new SftpClient('listrak-sftp-export');
  let presented: string | undefined;
  try {
    await sftp
      .connect({
        host: config.host,
        port: config.port,
        username: config.username,
        password: config.password,
        privateKey: config.private_key_path ? readFileSync(config.private_key_path) : undefined,
        passphrase: config.passphrase,
        readyTimeout: config.timeout_ms,
        retries: 0,
        hostVerifier: (key: Buffer) => {
          presented = sha256Fingerprint(key);
          onHostKey?.(presented);
          return config.allow_unknown_host_key || presented === config.host_key_sha256;
        },
      })
      .catch((e: Error) => {
        if (presented && !config.allow_unknown_host_key && presented !== config.host_key_sha256) {
          throw new HostKeyMismatch(`refusing to upload: ${config.host} presented host key ${presented}, but host_key_sha256 is ${config.host_key_sha256}`);
        }
        if (/authentication methods failed|authentication failed/i.test(e.message)) {
          throw new AuthFailure(`SFTP login as ${config.username} to ${config.host}:${config.port} was refused: check username, password or private_key_path/passphrase`);
        }
        if (/passphrase|Encrypted private/i.test(e.message)) throw new ConfigError(`invalid config: private_key_path: cannot read ${config.private_key_path}: ${e.message}`);
        throw e;
      });
    return sftp;
  } catch (e) {
    await sftp.end().catch(() => {});
    throw e;
  }
}

/** One connection: uploads files from the front of `pending`, removing each once it is in place. */
async function uploadOnce(pending: UploadItem[], config: ExportConfig, logger: Logger, opts: { signal?: AbortSignal; onPlaced?: () => void }): Promise<void> {
  const { signal, onPlaced } = opts;
  signal?.throwIfAborted();
  let presented: string | undefined;
  const sftp = await connectSftp(config, (key) => (presented = key));
  const hangUp = () => void sftp.end().catch(() => {});
  signal?.addEventListener('abort', hangUp);
  try {
    signal?.throwIfAborted();
    if (config.allow_unknown_host_key) logger.warn(`upload: host key not checked (allow_unknown_host_key); ${config.host} presented ${presented}`);
    while (pending.length > 0) {
      const item = pending[0] as UploadItem;
      const final = posix.join(config.remote_dir, item.name);
      const temporary = posix.join(config.remote_dir, `${item.name}.part`);
      await sftp.put(item.localPath, temporary);
      const stat = await sftp.stat(temporary);
      if (stat.size !== item.size) throw new Error(`${temporary} has ${stat.size} bytes after upload, expected ${item.size}`);
      signal?.throwIfAborted();
      // posix-rename replaces an earlier file of the same name in one step (an OpenSSH extension).
      await sftp.posixRename(temporary, final);
      logger.info(`upload: ${final} in place (${item.size.toLocaleString('en-US')} bytes)`);
      pending.shift();
      onPlaced?.();
    }
  } finally {
    signal?.removeEventListener('abort', hangUp);
    await sftp.end().catch(() => {});
  }
}

/**
 * A real S3-compatible server for the S3 journal specs: Ceph's RADOS Gateway (Debian's `radosgw`), on a one-node
 * cluster started in a temporary folder (one monitor, one in-memory OSD, no cephx), listening on loopback only.
 * It honours `If-None-Match: *` and `If-Match` on PUT, which is what the journal's claims rest on; `startS3` checks
 * that before any spec relies on it. Under CI a missing radosgw is a failure, never a skip (.ci/run installs it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './ports.js';
import { stopWithThisProcess, tempDir } from './tmp.js';

const DAEMONS = ['/usr/bin/ceph-mon', '/usr/bin/ceph-osd', '/usr/bin/radosgw'];

export interface S3Server {
  endpoint: string;
  /** Credentials as the AWS chain reads them from the environment. */
  env: Record<string, string>;
  /** A new, empty bucket. */
  bucket(): Promise<string>;
  client: S3Client;
  stop(): Promise<void>;
}

export function s3Unavailable(): string | undefined {
  const missing = DAEMONS.filter((d) => !existsSync(d));
  if (missing.length) return `${missing.join(', ')} not installed (apt-get install ceph-mon ceph-osd radosgw)`;
  return undefined;
}

async function until(what: string, ready: () => Promise<boolean> | boolean, children: ChildProcess[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) throw new Error(`${dead.spawnfile} exited while waiting for ${what}`);
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function cephConfig(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
osd objectstore = memstore
memstore device bytes = 268435456
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
paxos propose interval = 0.01
paxos min wait = 0.01
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/$name.log
mon data = ${dir}/mon
osd data = ${dir}/osd
keyring = ${dir}/keyring
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
`;
}

/** Start the cluster and its gateway (about 10 s), with one S3 user; throws if conditional writes are not honoured. */
export async function startS3(): Promise<S3Server> {
  const why = s3Unavailable();
  if (why) throw new Error(why);
  // The SDK's notice that its future versions will need a newer Node: not what these specs are about.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = tempDir('ceph');
  for (const sub of ['run', 'mon', 'osd', 'rgw']) mkdirSync(join(dir, sub));
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'ceph.conf');
  const fsid = randomUUID();
  writeFileSync(conf, cephConfig(dir, fsid, monPort, rgwPort));
  const ceph = (bin: string, args: string[]) => execFileSync(bin, ['-c', conf, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const children: ChildProcess[] = [];
  const daemon = (bin: string, args: string[]) => {
    const child = spawn(bin, ['-c', conf, '-f', ...args], { stdio: 'ignore' });
    children.push(child);
    // Killed outright, the test process leaves no exit hook to run: a watchdog stops the daemon and removes its data.
    stopWithThisProcess(child.pid as number, dir);
  };
  const stopAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  // A test process that dies without its after-hook must not leave the daemons behind.
  process.once('exit', stopAll);
  try {
    ceph('ceph-authtool', ['--create-keyring', join(dir, 'keyring'), '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    execFileSync('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, '--fsid', fsid, join(dir, 'monmap')], { stdio: 'ignore' });
    ceph('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '--keyring', join(dir, 'keyring')]);
    daemon('ceph-mon', ['-i', 'a']);
    const osd = ceph('ceph', ['--connect-timeout', '30', 'osd', 'create']).trim();
    ceph('ceph-osd', ['-i', osd, '--mkfs']);
    daemon('ceph-osd', ['-i', osd]);
    await until('the OSD', () => /1 up/.test(ceph('ceph', ['osd', 'stat'])), children);
    const accessKeyId = 'journal-spec';
    const secretAccessKey = randomUUID();
    ceph('radosgw-admin', ['user', 'create', '--uid', accessKeyId, '--display-name', 'journal specs', '--access-key', accessKeyId, '--secret-key', secretAccessKey]);
    daemon('radosgw', ['-n', 'client.rgw']);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await until('the RADOS gateway', () => fetch(endpoint).then((r) => r.ok, () => false), children);

    const env = { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
    const client = new S3Client({ endpoint, forcePathStyle: true, region: env.AWS_REGION, credentials: { accessKeyId, secretAccessKey } });
    let buckets = 0;
    const bucket = async () => {
      const name = `journal-spec-${++buckets}`;
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    };
    await confirmConditionalWrites(client, await bucket());
    return {
      endpoint,
      env,
      bucket,
      client,
      stop: async () => {
        client.destroy();
        stopAll();
        process.removeListener('exit', stopAll);
      },
    };
  } catch (e) {
    stopAll();
    throw e;
  }
}

/** The specs mean nothing against a server that ignores the conditions: check that a second create is refused. */
async function confirmConditionalWrites(client: S3Client, bucket: string) {
  const put = () => client.send(new PutObjectCommand({ Bucket: bucket, Key: 'probe', Body: 'x', IfNoneMatch: '*' }));
  await put();
  const status = await put().then(
    () => 200,
    (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
  );
  if (status !== 412) throw new Error(`the S3 server answered ${status} to a second If-None-Match: * write; it must answer 412`);
}

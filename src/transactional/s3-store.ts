/**
 * The few object operations the S3 journal and the S3 audit trail need, over the AWS SDK: create-if-absent,
 * replace-if-unchanged, read, remove. A store's "no" to a condition comes back as a plain `undefined`; every other
 * failure (after the SDK's own retries) becomes one error naming the setting (journal_path: no text may be sent
 * without its journal; audit_path: no write may go unrecorded), and the run stops.
 *
 * S3-compatible stores differ in what they honour, so the store is probed once when opened (see `probe`), and the
 * journal is told what it can rely on.
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import type { TargetConfig } from '../config/target.js';
import type { S3Location } from '../config/s3-url.js';
import { AuditError, JournalError } from '../errors.js';

export interface StoreFeatures {
  /** A PUT with `If-None-Match: *` fails when the object exists: two runners cannot both create it. */
  createIfAbsent: boolean;
  /**
   * How `If-Match` must be written for the store to honour it: the ETag as the store returned it (quoted, as
   * HTTP has it), bare (some stores compare the header with their stored ETag letter for letter), or not at all.
   */
  ifMatch: 'quoted' | 'bare' | undefined;
}

export interface StoredObject {
  body: string;
  etag: string;
}

type Condition = Pick<PutObjectCommandInput, 'IfMatch' | 'IfNoneMatch'>;

// An ETag no object has: the probe's If-Match that must fail.
const NO_SUCH_ETAG = '0'.repeat(32);

export class ObjectStore {
  features: StoreFeatures = { createIfAbsent: true, ifMatch: 'quoted' };
  /** The setting and its value, as messages name them: `journal_path s3://…`. */
  readonly where: string;
  private readonly setting: 'journal_path' | 'audit_path';
  private readonly client: S3Client;

  constructor(
    config: TargetConfig,
    private readonly location: S3Location,
    setting: 'journal_path' | 'audit_path' = 'journal_path',
  ) {
    this.setting = setting;
    this.where = `${setting} ${config[setting] ?? ''}`;
    const endpoint = config.journal_endpoint;
    this.client = new S3Client({
      // Credentials come from the standard AWS chain (environment, profile, web identity, instance role).
      region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
      followRegionRedirects: true,
      maxAttempts: config.max_retries + 1,
      requestHandler: { requestTimeout: config.request_timeout_ms, connectionTimeout: config.request_timeout_ms },
      // Other stores want path-style addressing, and many refuse the SDK's newer default checksum headers.
      ...(endpoint ? { endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    });
  }

  /**
   * A store for `setting`'s location that has been probed (see `probe`, on a throw-away object under the prefix):
   * what it honours is known, and the credentials have proved they can write. Closed again when the probe fails.
   */
  static async probed(config: TargetConfig, location: S3Location, setting: 'journal_path' | 'audit_path'): Promise<{ store: ObjectStore; features: StoreFeatures }> {
    const store = new ObjectStore(config, location, setting);
    try {
      return { store, features: await store.probe(`${location.prefix}.probe-${randomUUID()}`) };
    } catch (e) {
      store.close();
      throw e;
    }
  }

  /** Write `body` as `name` unless an object is there: its ETag, or undefined when one is. */
  async create(name: string, body: string): Promise<string | undefined> {
    if (this.features.createIfAbsent) return this.conditionalPut(name, body, { IfNoneMatch: '*' });
    // Without conditional writes, a read then a write: two runners at the same moment could both create it.
    if (await this.read(name)) return undefined;
    return this.put(name, body);
  }

  /** Write `body` over `name` if it still has `etag`: the new ETag, or undefined when it changed meanwhile. */
  async replace(name: string, body: string, etag: string): Promise<string | undefined> {
    const form = this.features.ifMatch;
    if (!form) return this.put(name, body);
    return this.conditionalPut(name, body, { IfMatch: ifMatchHeader(form, etag) });
  }

  async read(name: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: name }));
      return { body: (await out.Body?.transformToString('utf8')) ?? '', etag: out.ETag ?? '' };
    } catch (e) {
      if (statusOf(e) === 404 && nameOf(e) !== 'NoSuchBucket') return undefined;
      throw this.failure('read', name, e);
    }
  }

  /**
   * Learn what this store honours, on a throw-away object `name`: a second create must be refused, an If-Match
   * with a wrong ETag refused and one with the right ETag accepted. This also proves the credentials can write.
   */
  async probe(name: string): Promise<StoreFeatures> {
    const first = await this.attempt(name, 'probe', { IfNoneMatch: '*' });
    let etag = typeof first === 'object' ? first.etag : await this.put(name, 'probe');
    const second = typeof first === 'object' ? await this.attempt(name, 'probe again', { IfNoneMatch: '*' }) : 'unsupported';
    if (typeof second === 'object') etag = second.etag;
    let ifMatch: StoreFeatures['ifMatch'];
    if ((await this.attempt(name, 'probe wrong', { IfMatch: `"${NO_SUCH_ETAG}"` })) === 'refused') {
      for (const form of ['quoted', 'bare'] as const) {
        if (typeof (await this.attempt(name, `probe ${form}`, { IfMatch: ifMatchHeader(form, etag) })) !== 'object') continue;
        ifMatch = form;
        break;
      }
    }
    await this.remove(name);
    this.features = { createIfAbsent: second === 'refused', ifMatch };
    return this.features;
  }

  /** Remove `name`; a store that lets the journal write but not delete keeps it (a lifecycle rule clears it). */
  private async remove(name: string) {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: name }));
    } catch (e) {
      if (statusOf(e) !== 403) throw this.failure('remove', name, e);
    }
  }

  private async put(name: string, body: string): Promise<string> {
    const out = await this.attempt(name, body);
    if (typeof out !== 'object') throw this.error(`${this.where}: the store refused an unconditional write of ${name}`);
    return out.etag;
  }

  /** A conditional PUT: the new ETag, or undefined when the store refused it because of its condition. */
  private async conditionalPut(name: string, body: string, condition: Condition): Promise<string | undefined> {
    const out = await this.attempt(name, body, condition);
    if (out === 'unsupported') throw this.error(`${this.where}: the store no longer accepts the conditional write it accepted when the run began`);
    return out === 'refused' ? undefined : out.etag;
  }

  /**
   * A PUT and the store's answer: written (with the ETag), `refused` (412; or 409, a conditional write racing
   * another), or `unsupported` (501, or a 400 about the condition header, from a store that does not implement it).
   */
  private async attempt(name: string, body: string, condition: Condition = {}): Promise<{ etag: string } | 'refused' | 'unsupported'> {
    try {
      const out = await this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: name, Body: body, ContentType: 'application/json', ...condition }));
      return { etag: out.ETag ?? '' };
    } catch (e) {
      const status = statusOf(e);
      const conditional = condition.IfMatch !== undefined || condition.IfNoneMatch !== undefined;
      if (conditional && (status === 412 || status === 409)) return 'refused';
      if (conditional && (status === 501 || (status === 400 && /condition|match|header/i.test(`${nameOf(e)} ${(e as Error).message}`)))) return 'unsupported';
      throw this.failure('write', name, e);
    }
  }

  private failure(action: string, name: string, e: unknown): Error {
    return this.error(`${this.where}: cannot ${action} ${name}: ${explain(e)}`, e);
  }

  private error(message: string, cause?: unknown): Error {
    return this.setting === 'audit_path' ? new AuditError(message, { cause }) : new JournalError(message, { cause });
  }

  close() {
    this.client.destroy();
  }
}

function ifMatchHeader(form: 'quoted' | 'bare', etag: string): string {
  return form === 'bare' ? bareEtag(etag) : `"${bareEtag(etag)}"`;
}

function bareEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/"/g, '');
}

function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(e: unknown): string {
  return (e as { name?: string } | undefined)?.name ?? 'Error';
}

/** One line that says what went wrong and, for the usual causes, what to check. */
function explain(e: unknown): string {
  const name = nameOf(e);
  const message = String((e as Error | undefined)?.message ?? e);
  const network = (e as { code?: string } | undefined)?.code;
  if (name === 'NoSuchBucket') return 'the bucket does not exist (NoSuchBucket)';
  if (name === 'CredentialsProviderError') return 'no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or give the runner a role)';
  if (['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden'].includes(name) || statusOf(e) === 403) {
    return `access denied (${name}): the credentials need s3:GetObject and s3:PutObject on the prefix`;
  }
  if (network) return `cannot reach the store (${network}); check journal_endpoint`;
  return `${name}: ${message}`;
}

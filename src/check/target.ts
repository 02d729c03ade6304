/**
 * `target-listrak-sms --check`: everything a sync relies on, verified without writing anything to Listrak.
 * Files first (no call needed), then the token, the sender code, the list, the profile fields the catalog's
 * audience schema would mirror, and the transactional list with its message shells when configured.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { readJsonFile, type TargetConfig } from '../config/target.js';
import { pathProblem, targetPaths } from '../config/paths.js';
import { buildFieldPlan, planInputOf } from '../contact/fields.js';
import { ConfigError, EXIT } from '../errors.js';
import { isS3Url, parseS3Url } from '../config/s3-url.js';
import { checkJournalWritable } from '../transactional/journal.js';
import { currentHolder, inUseWarning } from '../transactional/journal-lock.js';
import { activeList, findManagedField, prepareSenderCode, profileFields } from '../listrak/account.js';
import type { ListrakClient } from '../listrak/client.js';
import { shownUrl } from '../listrak/http.js';
import type { PhoneList, ProfileField } from '../listrak/sms.js';
import { CheckList, CheckProblem } from './checks.js';

/** The catalog shipped with the target: its audience stream declares the mirrored fields. */
export const PACKAGED_CATALOG = new URL('../../../catalog.json', import.meta.url);

const catalogSchema = z
  .object({
    streams: z.array(
      z
        .object({
          stream: z.string().optional(),
          tap_stream_id: z.string().optional(),
          schema: z.object({ properties: z.record(z.string(), z.unknown()).optional() }).loose(),
        })
        .loose(),
    ),
  })
  .loose();

export interface AudienceSchema {
  stream: string;
  properties: Record<string, unknown>;
  /** How the catalog says the tap replicates the stream: its replication method and key, where it says. */
  replication: { method?: string; key?: string };
}

/** The stream's replication method and key: its top-level metadata entry, or the older stream-level keys. */
function replicationOf(s: Record<string, unknown>): AudienceSchema['replication'] {
  const metadata = Array.isArray(s.metadata) ? (s.metadata as { breadcrumb?: unknown[]; metadata?: Record<string, unknown> }[]) : [];
  const top = metadata.find((m) => Array.isArray(m.breadcrumb) && m.breadcrumb.length === 0)?.metadata ?? {};
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    method: text(top['replication-method']) ?? text(top['forced-replication-method']) ?? text(s.replication_method),
    key: text(top['replication-key']) ?? text(s.replication_key),
  };
}

/** The catalog's audience stream: `audience_stream`, else the first stream that is not the transactional one. */
export function catalogAudience(path: string, config: TargetConfig): AudienceSchema | undefined {
  const parsed = catalogSchema.safeParse(readJsonFile(path, '--catalog file'));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`--catalog ${path}: not a Singer catalog (${issue ? `${issue.path.join('.') || '(catalog)'}: ${issue.message}` : 'invalid'})`);
  }
  const streams = parsed.data.streams.map((s) => ({ stream: s.stream ?? s.tap_stream_id ?? '', properties: s.schema.properties ?? {}, replication: replicationOf(s) }));
  const lists = config.stream_lists;
  return streams.find((s) => (lists ? Object.hasOwn(lists, s.stream) : config.audience_stream ? s.stream === config.audience_stream : s.stream !== config.transactional_stream));
}

export async function checkTarget(config: TargetConfig, client: ListrakClient, catalog: { path: string; audience: AudienceSchema | undefined }, print: (line: string) => void): Promise<number> {
  const checks = new CheckList(print);
  const { api, tokens } = client;

  for (const p of targetPaths(config)) {
    await checks.run(p.key, () => {
      const problem = pathProblem(p.path, p.use);
      if (problem) throw new CheckProblem(problem, EXIT.config);
      return `${resolve(p.path)} can be written`;
    });
  }
  if (config.transactional_phone_list_id === undefined) checks.skip('journal_path', 'not used: transactional_phone_list_id is not set');
  else if (!isS3Url(config.journal_path)) {
    const holder = currentHolder(config.journal_path);
    if (holder) checks.warn('journal_path', inUseWarning(config.journal_path, holder));
  } else {
    await checks.run('journal_path', async () => {
      const journal = await checkJournalWritable(config);
      if (!journal.ok) throw new CheckProblem(journal.fix, journal.exitCode);
      for (const w of journal.warnings) checks.warn('journal_path', w);
      return journal.detail;
    });
  }

  const auditAt = config.audit_path !== undefined ? parseS3Url(config.audit_path) : undefined;
  if (auditAt) {
    // As a run does before its first write: the trail's store proves it can be written.
    await checks.run('audit_path', async () => {
      const { ObjectStore } = await import('../transactional/s3-store.js');
      try {
        (await ObjectStore.probed(config, auditAt, 'audit_path')).store.close();
      } catch (e) {
        throw new CheckProblem((e as Error).message, EXIT.failed);
      }
      return `audit_path ${config.audit_path} is writable`;
    });
  }

  await checkReplication(checks, catalog);
  await checkConsent(checks, config, catalog);

  const listrak = ['sender code', 'list', 'profile fields', 'removal scope', 'transactional list'];
  const skipRest = (names: string[], why: string) => {
    for (const name of names) checks.skip(name, why);
    return checks.finish();
  };
  const credentials = await checks.run('credentials', async () => {
    await tokens.token();
    return `token received from ${shownUrl(config.auth_url)}`;
  });
  if (!credentials) return skipRest(listrak, 'needs a token');

  let fields: ProfileField[] = [];
  const senderCode = await checks.run('sender code', async () => {
    const info = await prepareSenderCode(api, config);
    fields = await profileFields(api, config);
    const country = info.senderCode.country ? `country ${info.senderCode.country}` : 'no country given';
    return `${config.sender_code_id} is enabled, ${country}; phones without a country code are read as ${info.region}`;
  });
  if (!senderCode) return skipRest(listrak.slice(1), 'needs the sender code');

  if (config.stream_lists) {
    // Several lists: one line for each mapped stream.
    for (const [stream, listId] of Object.entries(config.stream_lists)) {
      await checks.run('list', async () =>
        listId === null ? `stream "${stream}" -> no list: read and counted, never written` : `stream "${stream}" -> ${describeList(await activeList(api, config, listId, `stream_lists.${stream}`))}`,
      );
    }
  } else if (config.phone_list_id === undefined) checks.skip('list', 'phone_list_id is not set (an audience sync needs it)');
  else await checks.run('list', async () => describeList(await activeList(api, config, config.phone_list_id as number, 'phone_list_id')));

  await checkProfileFields(checks, config, fields, catalog);
  await checks.run('removal scope', () => {
    if (config.removal_scope === 'list') return 'list: the list mirrors the audience (members missing from it are unsubscribed)';
    const field = findManagedField(fields, config.managed_field ?? '');
    return `managed: only members whose "${field.segmentationFieldName}" is checked may be unsubscribed`;
  });

  const txList = config.transactional_phone_list_id;
  if (txList === undefined) checks.skip('transactional list', 'transactional_phone_list_id is not set (transactional texts need it)');
  else {
    await checks.run('transactional list', async () => {
      const list = await activeList(api, config, txList, 'transactional_phone_list_id');
      const shells = await api.getTransactionalMessages(list.phoneListId);
      if (shells.length === 0) throw new CheckProblem(`list ${list.phoneListId} has no transactional message shells: create one in Listrak for the texts to use`, EXIT.failed);
      const named = shells.map((m) => `${m.transactionalMessageId}${m.transactionalMessageName ? ` "${m.transactionalMessageName}"` : ''}${m.transactionalMessageStatus && !/^active$/i.test(m.transactionalMessageStatus) ? ` (${m.transactionalMessageStatus})` : ''}`);
      return `${describeList(list)}; message shells: ${named.join(', ')}`;
    });
  }
  return checks.finish();
}

function describeList(list: PhoneList): string {
  return `${list.phoneListId}${list.phoneListName ? ` "${list.phoneListName}"` : ''} is active, ${list.requireDoubleOptIn ? 'double opt-in (new people confirm by text before they count as subscribed)' : 'single opt-in'}`;
}

/** JSON Schema types a value of each Listrak field type can come from (contact/coerce.ts reads them). */
const ACCEPTS: Record<string, string[]> = {
  Text: ['string', 'number', 'integer', 'boolean'],
  Number: ['number', 'integer', 'string'],
  Checkbox: ['boolean', 'string', 'integer', 'number'],
  Date: ['string'],
};

/** A mirror needs the whole audience every run: an incremental audience stream never removes anyone. */
async function checkReplication(checks: CheckList, catalog: { path: string; audience: AudienceSchema | undefined }) {
  if (!catalog.audience) return;
  const { stream, replication } = catalog.audience;
  const fix = `removals are withheld on every run of a delta; sync it FULL_TABLE (in Meltano: metadata: {${stream}: {replication-method: FULL_TABLE}} on the tap)`;
  if (replication.method?.toUpperCase() === 'INCREMENTAL' || (replication.method === undefined && replication.key)) {
    checks.warn('replication', `stream "${stream}" is INCREMENTAL${replication.key ? ` on ${replication.key}` : ''} in ${catalog.path}: ${fix}`);
  } else if (replication.method === undefined) {
    checks.warn('replication', `${catalog.path} does not say how stream "${stream}" is replicated: a mirror needs it FULL_TABLE (an incremental delta unsubscribes nobody)`);
  } else if (replication.method.toUpperCase() === 'FULL_TABLE') {
    await checks.run('replication', () => `stream "${stream}" is FULL_TABLE: the whole audience every run`);
  } else checks.warn('replication', `stream "${stream}" is replicated ${replication.method}: a mirror needs FULL_TABLE`);
}

/** Whether the audience carries consent, and what the consent settings will make of it (README "Consent"). */
async function checkConsent(checks: CheckList, config: TargetConfig, catalog: { audience: AudienceSchema | undefined }) {
  if (!catalog.audience) return;
  const { stream, properties } = catalog.audience;
  const { consent_property: consent, consent_time_property: time } = config;
  if (!Object.hasOwn(properties, consent)) {
    if (config.require_consent) {
      checks.warn('consent', `require_consent is true, but stream "${stream}" has no "${consent}" property: every new number would be rejected no_consent (set consent_property, or add the column)`);
    } else checks.skip('consent', `stream "${stream}" has no "${consent}" property: consent is not read (README "Consent")`);
    return;
  }
  await checks.run('consent', () => {
    const timed = Object.hasOwn(properties, time) ? `the latest "${time}" stands for a phone of several rows` : `no "${time}" property: of several rows of a phone, a revocation stands`;
    const revoked = config.on_revoked === 'opt_out' ? 'opted out of the sender code' : 'unsubscribed from its list';
    return `stream "${stream}" carries "${consent}" (${timed}); a revoked number is ${revoked}${config.require_consent ? ', and a new number needs granted consent' : ''}`;
  });
}

async function checkProfileFields(checks: CheckList, config: TargetConfig, fields: ProfileField[], catalog: { path: string; audience: AudienceSchema | undefined }) {
  const name = 'profile fields';
  if (!catalog.audience) {
    await checks.run(name, () => {
      throw new CheckProblem(`${catalog.path} has no audience stream${config.audience_stream ? ` named "${config.audience_stream}"` : ''}: pass the tap's catalog with --catalog`, EXIT.config);
    });
    return;
  }
  const { stream, properties } = catalog.audience;
  let plan: ReturnType<typeof buildFieldPlan> | undefined;
  const ok = await checks.run(name, () => {
    // As the run matches them: the group field renamed, the consent columns read as consent, never as fields.
    plan = buildFieldPlan(planInputOf(config, Object.keys(properties), { profileFields: fields }));
    if ('error' in plan) throw new CheckProblem(plan.setting ? `${plan.setting}: ${plan.error}` : `stream "${stream}" in ${catalog.path}: ${plan.error}`, EXIT.config);
    if (!config.include_custom_fields) return `not managed (include_custom_fields is false); stream "${stream}"`;
    if (plan.custom.length === 0) return `stream "${stream}" declares no property matching a profile field: only system fields are managed`;
    const managed = plan.custom.map(({ property, field }) => `${field.segmentationFieldName} (${field.dataType}${field.maxLength ? `, max ${field.maxLength}` : ''}) <- ${property}`);
    return `stream "${stream}" mirrors ${managed.join('; ')}`;
  });
  if (!ok || !plan || 'error' in plan) return;
  const one = (list: string[]) => list.length === 1;
  if (plan.unmatched.length) {
    const u = plan.unmatched;
    checks.warn(name, `${u.join(', ')} ${one(u) ? 'matches' : 'match'} no profile field; the sync ignores ${one(u) ? 'it (add the field in Listrak, or drop the property)' : 'them (add the fields in Listrak, or drop the properties)'}`);
  }
  if (plan.disabled.length) {
    const d = plan.disabled;
    checks.warn(name, `${d.join(', ')} ${one(d) ? 'matches a disabled profile field; the sync ignores it (enable the field' : 'match disabled profile fields; the sync ignores them (enable the fields'} in Listrak)`);
  }
  for (const { property, field } of plan.custom) {
    const accepts = ACCEPTS[field.dataType];
    if (!accepts) {
      checks.warn(name, `${field.segmentationFieldName} has type ${field.dataType}, which this target does not know; its values are sent as text`);
      continue;
    }
    const declared = schemaTypes(properties[property]).filter((t) => t !== 'null');
    if (declared.length && !declared.some((t) => accepts.includes(t))) {
      checks.warn(name, `${property} is declared ${declared.join('/')}, but ${field.segmentationFieldName} is a ${field.dataType} field: its values will be rejected`);
    }
  }
}

function schemaTypes(schema: unknown): string[] {
  const type = schema && typeof schema === 'object' ? (schema as { type?: unknown }).type : undefined;
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
}

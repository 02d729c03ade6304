/**
 * The audience sync, phase by phase (see README "Phases"). Each phase is a function; this module only runs them
 * in order, emits a Singer STATE after each, and logs one line per phase.
 *
 * Re-running is the resume mechanism: the diff is always taken against the live list, so a run stopped anywhere
 * converges on the next run without repeating finished work.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { TargetConfig } from '../config/target.js';
import { GuardError, InputError, ListrakError } from '../errors.js';
import { explainFatal } from '../listrak/codes.js';
import type { ListrakHttp } from '../listrak/http.js';
import type { SmsApi } from '../listrak/sms.js';
import type { Logger } from '../log.js';
import { maskPhone } from '../redact.js';
import { readSinger } from '../singer/reader.js';
import type { SingerWriter } from '../singer/writer.js';
import { applyWrites, unsubscribeUnseen, type ApplyContext } from './apply.js';
import { buildFieldPlan } from './fields.js';
import { ContactImporter } from './imports.js';
import { readInputHead } from './input-head.js';
import { planAudience } from './plan.js';
import { prepare } from './prepare.js';
import { readMembers } from './read-members.js';
import { RejectSink } from './rejects.js';
import { fmt, formatReport, SyncCounts } from './report.js';
import { WriteSpool } from './spool.js';

export interface SyncDeps {
  config: TargetConfig;
  api: SmsApi;
  http: ListrakHttp;
  input: Readable;
  writer: SingerWriter;
  logger: Logger;
  dryRun?: boolean;
}

export type Phase = 'prepare' | 'members' | 'audience' | 'updates' | 'unsubscribe' | 'done';

export interface SyncResult {
  counts: SyncCounts;
  report: string;
  dryRun: boolean;
}

export async function runSync(deps: SyncDeps): Promise<SyncResult> {
  try {
    return await syncPhases(deps);
  } catch (e) {
    // List, sender-code and credential errors get a message that says what to check.
    if (e instanceof ListrakError) {
      const message = explainFatal(e, { senderCodeId: deps.config.sender_code_id, listId: deps.config.phone_list_id });
      if (message !== e.message) throw new ListrakError(e.code, e.status, message, e.route);
    }
    throw e;
  }
}

async function syncPhases(deps: SyncDeps): Promise<SyncResult> {
  const { config, api, http, writer, logger } = deps;
  const dryRun = deps.dryRun ?? false;
  const started = performance.now();
  const runId = randomUUID().slice(0, 8);
  const counts = new SyncCounts();
  let phaseStart = performance.now();
  const secs = () => `${((performance.now() - phaseStart) / 1000).toFixed(1)} s`;
  const progress = (phase: Phase, extra: Record<string, unknown> = {}) => ({
    listrak_sms: { run_id: runId, phase, dry_run: dryRun || undefined, list_id: config.phone_list_id, counts: counts.toJSON(), ...extra },
  });
  const phaseDone = (phase: Phase, line: string) => {
    counts.phaseSeconds[phase] = Number(((performance.now() - phaseStart) / 1000).toFixed(3));
    logger.info(`${phase}: ${line} (${secs()})`);
    if (phase !== 'done') writer.state(progress(phase));
    phaseStart = performance.now();
  };

  // 1. prepare
  const prepared = await prepare(api, config);
  const source = readSinger(deps.input)[Symbol.asyncIterator]();
  const head = await readInputHead(source, config.audience_stream);
  const plan = buildFieldPlan({ properties: head.properties, profileFields: prepared.profileFields, includeCustomFields: config.include_custom_fields });
  if ('error' in plan) throw new InputError(head.schema.line, plan.error);
  if (plan.unmatched.length) logger.warn(`audience properties with no matching Listrak profile field (ignored): ${plan.unmatched.join(', ')}`);
  if (plan.disabled.length) logger.warn(`audience properties matching a disabled profile field (ignored): ${plan.disabled.join(', ')}`);
  const { list } = prepared;
  phaseDone(
    'prepare',
    `sender code ${config.sender_code_id} (${prepared.region}), list ${list.phoneListId} "${list.phoneListName ?? ''}"${list.requireDoubleOptIn ? ' (double opt-in)' : ''}, ` +
      `stream "${head.audienceStream}", fields: ${[...plan.system.map((f) => f.field), ...plan.custom.map((f) => f.field.segmentationFieldName)].join(', ') || 'none'}, ` +
      `${fmt(prepared.optOuts.size)} sender-code opt-outs`,
  );

  // 2. members
  const index = await readMembers(api, list.phoneListId, config.page_size, plan, prepared.region, (n) => {
    if (n % 100_000 < config.page_size) logger.debug(`members: ${fmt(n)} read`);
  });
  counts.members = index.size + index.unmatchable.length;
  phaseDone('members', `${fmt(counts.members)} current members indexed (${(index.bytes() / 1048576).toFixed(1)} MiB)`);

  // 3. audience: read and diff everything first, then write
  const spool = new WriteSpool();
  const rejects = new RejectSink(config.rejects_file, counts);
  try {
    const planned = await planAudience({
      messages: head.messages,
      audienceStream: head.audienceStream,
      plan,
      index,
      optOuts: prepared.optOuts,
      region: prepared.region,
      callingCode: prepared.callingCode,
      spool,
      rejects,
      counts,
      onProgress: (n) => logger.debug(`audience: ${fmt(n)} records read`),
    });
    await spool.finish();
    counts.planned.unsubscribe = index.unseenCount();

    // The removal guard, before any write: an audience that would empty much of the list is more often a broken
    // query or phone format than a real change.
    const ratio = counts.members > 0 ? counts.planned.unsubscribe / counts.members : 0;
    const guardMessage =
      ratio > config.max_unsubscribe_ratio
        ? `refusing to unsubscribe ${fmt(counts.planned.unsubscribe)} of ${fmt(counts.members)} members (${(ratio * 100).toFixed(1)}%), ` +
          `more than max_unsubscribe_ratio ${config.max_unsubscribe_ratio}; if the audience really shrank, raise max_unsubscribe_ratio for this run`
        : undefined;

    if (dryRun) {
      phaseDone(
        'audience',
        `plan: ${fmt(counts.planned.new)} to create or subscribe, ${fmt(counts.planned.changedSystem + counts.planned.changedCustomOnly)} to update, ` +
          `${fmt(counts.actions.unchanged)} unchanged, ${fmt(counts.planned.unsubscribe)} to unsubscribe, ${fmt(counts.actions.opted_out)} opted out, ${fmt(counts.rejectedTotal())} rejected`,
      );
      const samples = [
        ...planned.samples.new.map((p) => `add ${maskPhone(p)}`),
        ...planned.samples.update.map((p) => `update ${maskPhone(p)}`),
        ...take(index.unseen(), 3).map((p) => `unsubscribe ${maskPhone(p)}`),
      ];
      if (samples.length) logger.info(`samples: ${samples.join(', ')}`);
      if (guardMessage) logger.warn(`the removal guard would stop this sync: ${guardMessage}`);
      const report = formatReport(counts, http.counter.calls, http.counter.retries, performance.now() - started, true);
      if (guardMessage) throw new GuardError(guardMessage);
      return { counts, report, dryRun };
    }
    if (guardMessage) throw new GuardError(guardMessage);

    const importer = new ContactImporter(api, plan, {
      maxBytes: 195_000_000,
      pollIntervalMs: config.import_poll_interval_s * 1000,
      timeoutMs: config.import_timeout_s * 1000,
      runId,
    }, () => counts.writes.import++);
    const ctx: ApplyContext = { api, list, plan, counts, rejects, importer, concurrency: config.max_concurrency * 2, batchSize: config.batch_size };
    const writesStart = performance.now();
    await applyWrites(ctx, spool);
    counts.phaseSeconds.writes = Number(((performance.now() - writesStart) / 1000).toFixed(3));
    const a = counts.actions;
    phaseDone(
      'audience',
      `${fmt(counts.records)} records: ${fmt(a.created)} created, ${fmt(a.subscribed)} subscribed, ${fmt(a.pending)} pending, ${fmt(a.updated)} updated, ` +
        `${fmt(a.unchanged)} unchanged, ${fmt(a.opted_out)} opted out, ${fmt(counts.rejectedTotal())} rejected`,
    );

    // 4. updates (bulk custom fields)
    const imports = await importer.finish((id, status) => logger.info(`updates: import ${id} ended: ${status}`));
    counts.imports = imports;
    phaseDone('updates', imports.length ? `${fmt(a.import_rows)} contacts updated by ${imports.length} import(s)` : 'no custom-field import needed');

    // 5. unsubscribe
    await unsubscribeUnseen(ctx, index.unseen());
    phaseDone('unsubscribe', `${fmt(a.unsubscribed)} members no longer in the audience unsubscribed`);

    // 6. done: only now is the tap's own state safe to pass on.
    const tapState = planned.tapState;
    const doneState = { ...(isObject(tapState) ? tapState : tapState === undefined ? {} : { tap_state: tapState }), ...progress('done') };
    writer.state(doneState);
    const report = formatReport(counts, http.counter.calls, http.counter.retries, performance.now() - started, false);
    phaseDone('done', `list ${list.phoneListId} matches the audience`);
    return { counts, report, dryRun };
  } finally {
    await rejects.close();
    spool.dispose();
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function take<T>(it: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const v of it) {
    if (out.length >= n) break;
    out.push(v);
  }
  return out;
}

/**
 * The plan file of `--plan FILE`, read back by `--apply FILE`: a header line (what the plan is for, the settings it
 * was decided with, its counts, the removal decision and its evidence, the tap's state) and one change a line
 * (change.ts). It names people in full, so it is private (mode 0600), and it is written under a temporary name in
 * the same folder and renamed into place: a reader never meets half a plan.
 */
import { randomUUID } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { TargetConfig } from '../config/target.js';
import { durationMs } from '../config/duration.js';
import { ConfigError } from '../errors.js';
import type { FieldPlan } from '../contact/fields.js';
import type { Change, ChangeAction } from './change.js';
import type { SyncPlan } from './plan.js';
import { evidenceMode } from './removal.js';

/** Bumped whenever a line's meaning changes: an apply refuses a plan of another format. */
export const PLAN_FORMAT = 1;

const ACTIONS = ['create', 'subscribe', 'update', 'import', 'unsubscribe', 'opt_out', 'mark'] as const satisfies readonly ChangeAction[];

const countsSchema = z.record(z.enum(ACTIONS), z.number());

/** One list of the plan: what it mirrors, what was seen, and what was decided about removals and revocations. */
const listSchema = z.object({
  stream: z.string(),
  phone_list_id: z.number(),
  /** The audience SCHEMA's properties, and the fields they were matched to: an apply matches them again and compares. */
  properties: z.array(z.string()),
  fields: z.object({ system: z.array(z.string()), custom: z.array(z.object({ id: z.number(), name: z.string() })) }),
  records: z.number(),
  members: z.number(),
  counts: countsSchema,
  removals: z.object({
    allowed: z.boolean(),
    /** Why removals are allowed, or what evidence was missing. */
    evidence: z.string(),
    /** How to give the missing evidence. */
    fix: z.string().optional(),
    withheld: z.string().optional(),
    refused: z.string().optional(),
  }),
  revocations: z.object({ action: z.enum(['opt_out', 'unsubscribe']), refused: z.string().optional() }),
});

const headerSchema = z.object({
  plan_format: z.number(),
  created: z.string(),
  sender_code_id: z.number(),
  /** The config's decision settings the plan was made with. */
  settings: z.object({
    removal_scope: z.enum(['list', 'managed']),
    managed_field: z.string().optional(),
    removal_evidence: z.enum(['final_message', 'end_of_input']),
    max_unsubscribe_ratio: z.number(),
    max_opt_out_ratio: z.number(),
    on_revoked: z.enum(['opt_out', 'unsubscribe']),
    require_consent: z.boolean(),
    include_custom_fields: z.boolean(),
    default_region: z.string().optional(),
    allowed_countries: z.array(z.string()),
  }),
  lists: z.array(listSchema).min(1),
  /** Every list's counts together. */
  counts: countsSchema,
  /** The tap's latest state, passed on by the apply once it is done. */
  tap_state: z.object({ value: z.unknown() }).nullable(),
});

export type PlanHeader = z.output<typeof headerSchema>;
export type PlannedList = z.output<typeof listSchema>;
/** A header before its changes are counted. */
export type UncountedHeader = Omit<PlanHeader, 'counts' | 'lists'> & { lists: Omit<PlannedList, 'counts'>[] };

const changeSchema = z.object({
  action: z.enum(ACTIONS),
  phone: z.string().min(1),
  list: z.number(),
  reason: z.enum(['new_in_audience', 'fields_changed', 'absent_from_complete_audience', 'consent_revoked', 'managed_mark', 'plan']),
  fields: z.array(z.string()).optional(),
  values: z.object({ system: z.record(z.string(), z.string().nullable()), custom: z.record(z.string(), z.string().nullable()) }).optional(),
  line: z.number().optional(),
  file: z.string().optional(),
});

/** A count per action, every action named, all 0. */
function noActions(): Record<ChangeAction, number> {
  return Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<ChangeAction, number>;
}

/**
 * Write the plan: `changes` is asked twice, once to count (the header, first, holds the counts) and once to write,
 * so a plan of millions of changes is never held in memory.
 */
export async function writePlanFile(path: string, uncounted: UncountedHeader, changes: () => AsyncIterable<Change>): Promise<PlanHeader> {
  const perList = new Map(uncounted.lists.map((l) => [l.phone_list_id, noActions()]));
  const counts = noActions();
  for await (const c of changes()) {
    counts[c.action]++;
    const own = perList.get(c.list);
    if (own) own[c.action]++;
  }
  const header: PlanHeader = { ...uncounted, lists: uncounted.lists.map((l) => ({ ...l, counts: perList.get(l.phone_list_id) ?? noActions() })), counts };
  const temp = join(dirname(path), `.${basename(path)}.${randomUUID().slice(0, 8)}.tmp`);
  const file = await open(temp, 'wx', 0o600);
  try {
    let chunk = JSON.stringify(header) + '\n';
    for await (const c of changes()) {
      chunk += JSON.stringify(c) + '\n';
      if (chunk.length >= 1 << 20) {
        await file.write(chunk);
        chunk = '';
      }
    }
    await file.write(chunk);
    await file.sync();
    await file.close();
    await rename(temp, path);
  } catch (e) {
    await file.close().catch(() => {});
    await rm(temp, { force: true });
    throw e;
  }
  return header;
}

export interface SavedPlan {
  path: string;
  header: PlanHeader;
  /** How many changes the plan holds. */
  size: number;
  /**
   * The plan's changes in order, read again from the file opened when the plan was read and checked (a plan of
   * millions of changes is never held in memory; a file renamed over it meanwhile changes nothing).
   */
  changes(): AsyncGenerator<Change>;
  close(): Promise<void>;
}

/** The file's lines as JSON, numbered from 1; blank lines skipped. */
async function* planLines(file: FileHandle, path: string): AsyncGenerator<{ n: number; json: unknown }> {
  let n = 0;
  for await (const text of createInterface({ input: file.createReadStream({ encoding: 'utf8', start: 0, autoClose: false }), crlfDelay: Infinity })) {
    n++;
    if (text.trim() === '') continue;
    try {
      yield { n, json: JSON.parse(text) as unknown };
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      throw new ConfigError(`--apply ${path}: line ${n} is not JSON; is this a plan written by --plan?`);
    }
  }
}

function headerOf(json: unknown, path: string): PlanHeader {
  // The version first: a plan of another format is refused for that, whatever else its header holds.
  const format = (json as { plan_format?: unknown } | null)?.plan_format;
  if (format !== PLAN_FORMAT) throw new ConfigError(`--apply ${path}: the plan is of format ${JSON.stringify(format ?? null)}; this version applies format ${PLAN_FORMAT} (make a new plan)`);
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`--apply ${path}: line 1 is not a plan header (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

function changeOf(json: unknown, n: number, path: string): Change {
  const parsed = changeSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`--apply ${path}: line ${n} is not a change (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data as Change;
}

/**
 * Read a plan file and check every line of it; anything that is not a plan is refused (exit 2), naming the file
 * and the line, as is a change for a list the plan is not about.
 */
export async function readPlanFile(path: string): Promise<SavedPlan> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw new ConfigError(`--apply ${path}: cannot read it: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let header: PlanHeader | undefined;
  let size = 0;
  try {
    let lists = new Set<number>();
    for await (const { n, json } of planLines(file, path)) {
      if (!header) {
        header = headerOf(json, path);
        lists = new Set(header.lists.map((l) => l.phone_list_id));
        continue;
      }
      const change = changeOf(json, n, path);
      if (!lists.has(change.list)) throw new ConfigError(`--apply ${path}: line ${n} names list ${change.list}, which is not one of the plan's lists`);
      size++;
    }
    if (!header) throw new ConfigError(`--apply ${path}: the file is empty; is this a plan written by --plan?`);
  } catch (e) {
    await file.close();
    throw e;
  }
  return {
    path,
    header,
    size,
    async *changes() {
      let first = true;
      for await (const { n, json } of planLines(file, path)) {
        if (first) first = false;
        else yield changeOf(json, n, path);
      }
    },
    close: () => file.close(),
  };
}

/**
 * Refuse (exit 2, saying why) a plan this run must not apply: made for another sender code or other lists, under
 * other scope settings, or longer ago than max_plan_age (the lists it was decided against have moved on).
 */
export function checkPlan(saved: SavedPlan, config: TargetConfig, now = Date.now()): void {
  const { header, path } = saved;
  if (header.sender_code_id !== config.sender_code_id) {
    throw new ConfigError(`--apply ${path}: the plan is for sender code ${header.sender_code_id}, but sender_code_id is ${config.sender_code_id}`);
  }
  for (const l of header.lists) {
    if (config.stream_lists !== undefined) {
      const mapped = config.stream_lists[l.stream];
      if (mapped !== l.phone_list_id) throw new ConfigError(`--apply ${path}: the plan is for list ${l.phone_list_id} (stream "${l.stream}"), but stream_lists maps "${l.stream}" to ${mapped === undefined ? 'nothing' : mapped}`);
    } else if (l.phone_list_id !== config.phone_list_id || header.lists.length > 1) {
      throw new ConfigError(`--apply ${path}: the plan is for list ${header.lists.map((x) => x.phone_list_id).join(', ')}, but phone_list_id is ${config.phone_list_id ?? 'not set'}`);
    }
  }
  // The plan's decisions rest on these settings; an apply under others would write what no plan decided.
  for (const key of ['removal_scope', 'managed_field'] as const) {
    if (header.settings[key] !== config[key]) {
      throw new ConfigError(`--apply ${path}: the plan was made with ${key} ${JSON.stringify(header.settings[key] ?? null)}, but the config has ${JSON.stringify(config[key] ?? null)}`);
    }
  }
  const created = Date.parse(header.created);
  if (Number.isNaN(created)) throw new ConfigError(`--apply ${path}: the plan's created time "${header.created}" is not a date-time`);
  const maxAge = durationMs(config.max_plan_age) as number;
  const age = now - created;
  if (age > maxAge) {
    throw new ConfigError(`--apply ${path}: the plan was made ${hours(age)} ago (${header.created}), longer ago than max_plan_age ${config.max_plan_age}; make a new plan`);
  }
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 1 ? `${h.toFixed(1)} h` : `${Math.round(ms / 60_000)} min`;
}

/** The settings a plan's decisions rest on, as its header records them. */
function decisionSettings(config: TargetConfig): PlanHeader['settings'] {
  return {
    removal_scope: config.removal_scope,
    ...(config.managed_field !== undefined ? { managed_field: config.managed_field } : {}),
    removal_evidence: evidenceMode(config),
    max_unsubscribe_ratio: config.max_unsubscribe_ratio,
    max_opt_out_ratio: config.max_opt_out_ratio,
    on_revoked: config.on_revoked,
    require_consent: config.require_consent,
    include_custom_fields: config.include_custom_fields,
    ...(config.default_region !== undefined ? { default_region: config.default_region } : {}),
    allowed_countries: config.allowed_countries,
  };
}

/** The header of a plan made from the lists' plans (their counts are added as it is written). */
export function planHeader(plans: readonly { plan: SyncPlan; properties: string[]; records: number; members: number }[], config: TargetConfig, tapState: { value: unknown } | undefined, now = new Date()): UncountedHeader {
  return {
    plan_format: PLAN_FORMAT,
    created: now.toISOString(),
    sender_code_id: config.sender_code_id,
    settings: decisionSettings(config),
    lists: plans.map(({ plan, properties, records, members }) => {
      const { evidence, removals, revocations } = plan;
      return {
        stream: plan.stream,
        phone_list_id: plan.list.phoneListId,
        properties,
        fields: fieldsOf(plan.fields),
        records,
        members,
        removals: {
          allowed: evidence.complete && !removals.refused,
          evidence: evidence.complete ? evidence.because : evidence.missing,
          ...(evidence.complete ? {} : { fix: evidence.fix }),
          ...(removals.withheld !== undefined ? { withheld: removals.withheld } : {}),
          ...(removals.refused !== undefined ? { refused: removals.refused } : {}),
        },
        revocations: { action: revocations.action, ...(revocations.refused !== undefined ? { refused: revocations.refused } : {}) },
      };
    }),
    tap_state: tapState ? { value: tapState.value } : null,
  };
}

/** The fields a field plan writes, as a plan header records them (and an apply compares). */
export function fieldsOf(fields: FieldPlan): PlanHeader['lists'][number]['fields'] {
  return { system: fields.system.map((f) => f.field), custom: fields.custom.map((f) => ({ id: f.field.segmentationFieldId, name: f.field.segmentationFieldName })) };
}

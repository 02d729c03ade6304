/**
 * --apply: a saved plan turned back into a plan value (plan.ts) for each of its lists, holding only the changes
 * still needed on the list as it is now (apply-decision.ts), then carried out by the same phases as a run's own plan
 * (apply-plan.ts). No second writer: the changes are spooled as planned writes, each keeping the plan's reason.
 */
import type { TargetConfig } from '../config/target.js';
import { ConfigError } from '../errors.js';
import { activeList } from '../listrak/account.js';
import type { SmsApi } from '../listrak/sms.js';
import { buildFieldPlan, planInputOf, type FieldPlan } from '../contact/fields.js';
import { MembersThread } from '../fast/members-thread.js';
import { fmt, type SyncCounts } from '../report/counts.js';
import { SortedKeys } from '../tables/keys.js';
import { LiveList, stillNeeded } from './apply-decision.js';
import { positionalValues, type Change, type ChangeAction } from './change.js';
import { readMembers } from './members.js';
import { fieldsOf, type PlannedList, type SavedPlan } from './plan-file.js';
import { frozenPlan, type SyncPlan } from './plan.js';
import type { PreparedSender } from './prepare.js';
import type { WriteSpool } from './spool.js';

export interface StillToDo {
  /** Members still to unsubscribe for their absence, as the plan names them. */
  unsubscribes: string[];
  /** Revocations still to honour: members of the list, and other numbers (opted out where the sender code holds them). */
  revoke: { members: string[]; others: string[] };
  /** Keys of the phones still to add. */
  newKeys: number[];
  /** Planned changes settled without a write: already done, or about someone no longer on the list. */
  settled: { already_done: number; not_on_list: number };
  /** Changes still to write, per planned action. */
  needed: Partial<Record<ChangeAction, number>>;
  /** The keys of every number the plan revokes: never added, whatever else the plan says. */
  revokedKeys: Set<number>;
}

/** Spool the changes still needed on `live`, count the rest as settled. */
export async function spoolStillNeeded(changes: AsyncIterable<Change>, fields: FieldPlan, live: LiveList, spool: WriteSpool, counts: SyncCounts): Promise<StillToDo> {
  const todo: StillToDo = { unsubscribes: [], revoke: { members: [], others: [] }, newKeys: [], settled: { already_done: 0, not_on_list: 0 }, needed: {}, revokedKeys: new Set() };
  for await (const c of changes) {
    if (c.reason === 'consent_revoked') {
      const key = live.keyOf(c.phone);
      if (key !== undefined) todo.revokedKeys.add(key);
    }
    // A change that names no values is decided as such; written, its fields are empty.
    const values = c.values && positionalValues(fields, c.values);
    const d = stillNeeded({ action: c.action, phone: c.phone, values }, live);
    const written = values ?? positionalValues(fields, undefined);
    if (d.write === 'none') {
      todo.settled[d.why]++;
      continue;
    }
    todo.needed[c.action] = (todo.needed[c.action] ?? 0) + 1;
    const where = { line: c.line ?? 0, ...(c.file !== undefined ? { file: c.file } : {}) };
    if (d.write === 'opt_out') todo.revoke[d.member ? 'members' : 'others'].push(c.phone);
    else if (d.write === 'unsubscribe') {
      if (c.reason === 'consent_revoked') todo.revoke.members.push(c.phone);
      else {
        todo.unsubscribes.push(c.phone);
        counts.planned.unsubscribe++;
      }
    } else if (d.write === 'mark') await spool.add({ kind: 'mark', phone: c.phone, line: where.line });
    else if (d.write === 'new') {
      counts.planned.new++;
      todo.newKeys.push(Number(c.phone));
      await spool.add({ kind: 'new', phone: c.phone, ...where, values: written, reason: c.reason });
    } else {
      if (d.system) counts.planned.changedSystem++;
      else counts.planned.changedCustomOnly++;
      const reason = d.asPlanned ? c.reason : 'plan';
      await spool.add({ kind: 'update', phone: c.phone, ...where, values: written, system: d.system, custom: d.custom, reason });
    }
  }
  await spool.finish();
  return todo;
}

export interface SavedListDeps {
  config: TargetConfig;
  api: SmsApi;
  fastPath: boolean;
  signal: AbortSignal;
}

/**
 * One list of a saved plan, against the list as it is now: its fields matched again (a plan is refused when they
 * are no longer the ones it writes), its members read, and the plan value of what is still to do.
 */
export async function savedListPlan(deps: SavedListDeps, saved: SavedPlan, entry: PlannedList, sender: PreparedSender, spool: WriteSpool, counts: SyncCounts): Promise<{ plan: SyncPlan; todo: StillToDo }> {
  const { config, api } = deps;
  const list = await activeList(api, config, entry.phone_list_id, `the plan's list for stream "${entry.stream}"`);
  const planInput = planInputOf(config, entry.properties, sender);
  const fields = buildFieldPlan(planInput);
  if ('error' in fields || JSON.stringify(fieldsOf(fields)) !== JSON.stringify(entry.fields)) {
    throw new ConfigError(`--apply ${saved.path}: the profile fields the plan writes to list ${entry.phone_list_id} are not the ones the config and the sender code give now (renamed, removed or disabled since ${saved.header.created}); make a new plan`);
  }
  const index = await readMembers(new MembersThread(), api, list.phoneListId, config.page_size, { planInput, region: sender.region, fastPath: deps.fastPath }, deps.signal);
  counts.members = index.size + index.unmatchable.length;
  counts.records = entry.records;
  async function* listChanges() {
    for await (const c of saved.changes()) if (c.list === entry.phone_list_id) yield c;
  }
  const todo = await spoolStillNeeded(listChanges(), fields, new LiveList(index, sender.region, sender.optOuts), spool, counts);
  const { revokedKeys } = todo;
  const { removals, revocations } = entry;
  const withheld = [removals.refused ?? removals.withheld, revocations.refused].filter((w) => w !== undefined).join('; ') || undefined;
  counts.removalsWithheld = withheld;
  const plan = frozenPlan({
    stream: entry.stream,
    list,
    fields,
    spool,
    newKeys: SortedKeys.from(todo.newKeys),
    evidence: removals.allowed ? { complete: true, because: removals.evidence } : { complete: false, missing: removals.evidence, fix: removals.fix ?? '' },
    removals: { count: todo.unsubscribes.length, phones: () => todo.unsubscribes, ...(withheld !== undefined ? { withheld } : {}) },
    revocations: { action: revocations.action, members: todo.revoke.members, others: todo.revoke.others, revoked: (key) => revokedKeys.has(key) },
    tapState: saved.header.tap_state ?? undefined,
  });
  return { plan, todo };
}

/** One line comparing what the plan holds for a list with what is still to do. */
export function plannedVersusNeeded(entry: PlannedList, todo: StillToDo): string {
  const planned = Object.entries(entry.counts).filter(([, n]) => n > 0);
  const needed = Object.entries(todo.needed);
  const { already_done, not_on_list } = todo.settled;
  return (
    `planned: ${planned.map(([a, n]) => `${fmt(n)} ${a}`).join(', ') || 'no change'}; ` +
    `still needed: ${needed.map(([a, n]) => `${fmt(n)} ${a}`).join(', ') || 'nothing'}; ` +
    `settled without a write: ${fmt(already_done)} already done, ${fmt(not_on_list)} no longer on the list`
  );
}

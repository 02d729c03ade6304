/**
 * Crash safety: the target is killed (SIGKILL) at seeded-random points of its writes several times, then run to the end.
 * The list must end exactly as the audience says, with no contact created twice and no audience member ever
 * unsubscribed. Random delays come from a seeded generator, so a failure replays.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { SeedContact } from '../../src/sandbox/model.js';
import { startCli, runCli } from '../support/cli.js';
import { FIELDS, LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, row, type Row } from '../support/fixtures.js';
import { metricLines, phasesIn, rawConfigFor, sandboxWith, writeCalls } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MEMBERS = 2000; // 1..2000 on the list
const KEPT = 1800; // 1801..2000 leave the audience (10%)
const NEW_KNOWN = { from: 2001, to: 2200 }; // on the sender code, on another list: subscribe
const NEW_UNKNOWN = { from: 2201, to: 2400 }; // unknown to the sender code: create

function expected(n: number): { firstName: string; store: string | undefined } {
  return { firstName: n % 12 === 0 ? `Renamed${n}` : `First${n}`, store: n % 12 === 6 || n > MEMBERS ? `Store${n % 7}` : undefined };
}

describe('crash safety: SIGKILL at random points, then rerun', function () {
  this.timeout(120_000);
  let sandbox: Sandbox;
  after(async () => sandbox?.close());

  it('converges to the audience with no duplicate create and no wrong unsubscribe', async () => {
    const contacts: SeedContact[] = [];
    for (let n = 1; n <= MEMBERS; n++) contacts.push(member(n));
    for (let n = NEW_KNOWN.from; n <= NEW_KNOWN.to; n++) contacts.push(member(n, { lists: [OTHER_LIST] }));
    sandbox = await sandboxWith(baseSeed(contacts));

    const rows: Row[] = [];
    const audiencePhones: string[] = [];
    for (let n = 1; n <= NEW_UNKNOWN.to; n++) {
      if (n > KEPT && n <= MEMBERS) continue;
      const e = expected(n);
      rows.push(row(n, { first_name: e.firstName, favorite_store: e.store ?? null }));
      audiencePhones.push(phone(n));
    }
    const input = audience(rows);
    const configPath = join(tempDir('crash'), 'config.json');
    writeFileSync(configPath, JSON.stringify(rawConfigFor(sandbox, { max_requests_per_second: 150, import_poll_interval_s: 0.05 })));

    const random = mulberry32(20261124);
    const killedIn: string[] = [];
    let runs = 0;
    for (let round = 0; round < 10; round++) {
      const { child, done } = startCli('target.js', ['--config', configPath], input);
      runs++;
      // Each kill lands after a random number (from 1 to 40, up to 265 in the last round) of the sandbox's write calls in this run, so every round is
      // cut short mid-write, in successive phases as the remaining work shrinks (about 750 writes in all); the
      // first round is killed while still reading, before any write.
      const base = sandbox.state.writes.length;
      const after = 1 + Math.floor(random() * (40 + round * 25));
      const started = performance.now();
      const timer = setInterval(() => {
        const early = round === 0 && performance.now() - started > 150;
        if (early || sandbox.state.writes.length - base >= after) child.kill('SIGKILL');
      }, 2);
      const res = await done;
      clearInterval(timer);
      if (res.signal === 'SIGKILL') {
        const phasesDone = phasesIn(metricLines(res.stderr));
        killedIn.push(phasesDone.at(-1) ?? 'start');
      } else {
        expect(res.code, res.stderr).to.equal(0);
      }
    }
    const final = await runCli('target.js', ['--config', configPath], input);
    runs++;
    expect(final.code, final.stderr).to.equal(0);

    // The list is exactly the audience, with the audience's values.
    const subscribed = sandbox.state.subscribedPhones(LIST);
    const mismatches = subscribed.length !== audiencePhones.length ? Math.abs(subscribed.length - audiencePhones.length) : subscribed.filter((p, i) => p !== [...audiencePhones].sort()[i]).length;
    let valueMismatches = 0;
    for (const p of audiencePhones) {
      const n = Number(p.slice(-4));
      const c = sandbox.state.contact(SC, p);
      const e = expected(n);
      if (c?.firstName !== e.firstName || c?.fields.get(FIELDS.store) !== e.store) valueMismatches++;
    }
    const creates = sandbox.state.writes.filter((w) => w.op === 'create').map((w) => w.phone);
    const createdTwice = creates.length - new Set(creates).size;
    const audienceSet = new Set(audiencePhones);
    const wrongUnsubscribes = sandbox.state.writes.filter((w) => w.op === 'unsubscribe' && audienceSet.has(w.phone)).length;

    process.stderr.write(
      `      crash test: ${runs} runs, ${killedIn.length} killed (after phase: ${killedIn.join(', ')}), ` +
        `${creates.length} creates, list mismatches ${mismatches}, value mismatches ${valueMismatches}, duplicate creates ${createdTwice}, wrong unsubscribes ${wrongUnsubscribes}\n`,
    );
    expect(killedIn.length, 'kills that landed mid-run').to.be.at.least(4);
    expect(mismatches).to.equal(0);
    expect(valueMismatches).to.equal(0);
    expect(createdTwice).to.equal(0);
    expect(creates.sort()).to.deep.equal(Array.from({ length: 200 }, (_, i) => phone(NEW_UNKNOWN.from + i)));
    expect(wrongUnsubscribes).to.equal(0);
    expect(sandbox.state.violations).to.deep.equal([]);

    sandbox.calls.clear();
    const settled = await runCli('target.js', ['--config', configPath], input);
    expect(settled.code).to.equal(0);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });
});

/**
 * One runner at a time on a local journal: a second one would not see the first one's claims and could send a
 * text twice. The holder is a real other process; a lock whose runner is gone is taken over.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import sinon from 'sinon';
import { JournalError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { FileJournal } from '../../src/transactional/file-journal.js';
import { HEARTBEAT_MS, STALE_AFTER_MS, inspectLock, lockPath, newHolder, takeOver } from '../../src/transactional/journal-lock.js';
import { checkJournalWritable } from '../../src/transactional/journal.js';
import { parseTargetConfig } from '../../src/config/target.js';
import { repoRoot, runCli, startCli } from '../support/cli.js';
import { OTHER_LIST, SC, baseSeed, member, msg, texts } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

/**
 * Another process that opens the journal at `path` once it reads a line on stdin (at once, unless `waitForGo`),
 * prints `held` or the error's message, and holds the journal until its stdin closes: then it closes the journal
 * (`close`) or just exits (`exit`, leaving the lock to the exit handler).
 */
async function holder(path: string, opts: { waitForGo?: boolean; onEnd?: 'close' | 'exit' } = {}): Promise<{ child: ChildProcess; said: Promise<string> }> {
  const module = join(repoRoot, 'dist', 'src', 'transactional', 'file-journal.js');
  const open = `let j; try { j = new FileJournal(${JSON.stringify(path)}, 30); console.log('held'); } catch (e) { console.log(e.message); }`;
  const end = opts.onEnd === 'exit' ? 'process.exit(0)' : 'j?.close(); process.exit(0)';
  const code =
    `const { FileJournal } = await import(${JSON.stringify(module)});` +
    (opts.waitForGo ? `process.stdin.once('data', () => { ${open} });` : open) +
    `process.stdin.on('end', () => { ${end}; }); process.stdin.resume();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const said = once(child.stdout as NodeJS.ReadableStream, 'data').then(([b]) => String(b).trim());
  if (!opts.waitForGo) await said;
  return { child, said };
}

const here = () => ({ host: hostname(), pidns: readlinkSync('/proc/self/ns/pid') });
const lockOf = (fields: Record<string, unknown>) => JSON.stringify({ since: '2026-01-01T00:00:00.000Z', token: 'theirs', ...fields }) + '\n';

describe('one runner at a time on a local journal', () => {
  let path: string;
  const children: ChildProcess[] = [];
  beforeEach(() => (path = join(tempDir('lock'), 'journal.jsonl')));
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  const held = async (opts: Parameters<typeof holder>[1] = {}) => {
    const h = await holder(path, opts);
    children.push(h.child);
    return h.child;
  };
  const ended = async (c: ChildProcess) => {
    (c.stdin as NodeJS.WritableStream).end();
    await once(c, 'exit');
  };
  const lock = () => lockPath(path);

  it('refuses a second runner while the first holds the journal, naming it, and lets one in once it is done', async () => {
    const first = await held();
    expect(() => new FileJournal(path, 30)).to.throw(JournalError, new RegExp(`^journal_path ${path} is in use by process ${first.pid} on ${hostname()} \\(since .*\\): a second runner on one local journal could send the same text twice`));
    await ended(first);
    expect(existsSync(lock()), 'the lock goes with its runner').to.equal(false);
    const next = new FileJournal(path, 30);
    expect(statSync(lock()).mode & 0o777).to.equal(0o600);
    next.close();
    expect(existsSync(lock())).to.equal(false);
  });

  it('lets go of the lock when the process exits without closing the journal', async () => {
    const first = await held({ onEnd: 'exit' });
    expect(existsSync(lock())).to.equal(true);
    await ended(first);
    expect(existsSync(lock())).to.equal(false);
  });

  it('lets only the first of two runners that found the same stale lock take it over', async () => {
    writeFileSync(lock(), lockOf({ pid: 999_999_999, ...here() }));
    // B finds the lock stale; A, finding it stale too, takes it over first; then B goes on with what it found.
    const foundByB = inspectLock(lock());
    expect(foundByB?.stale).to.equal(true);
    const a = new FileJournal(path, 30);
    const aToken = (JSON.parse(readFileSync(lock(), 'utf8')) as { token: string }).token;
    expect(takeOver(lock(), foundByB, newHolder())).to.equal('not stale after all');
    expect((JSON.parse(readFileSync(lock(), 'utf8')) as { token: string }).token, "A's lock stands").to.equal(aToken);
    expect(await a.claim('k', false)).to.equal('claimed');
    a.close();
  });

  it('takes over one at a time: not while another live runner is taking over', async () => {
    writeFileSync(lock(), lockOf({ pid: 999_999_999, ...here() }));
    const other = await held({ waitForGo: true });
    writeFileSync(`${lock()}.takeover`, lockOf({ pid: other.pid, ...here() }));
    expect(takeOver(lock(), inspectLock(lock()), newHolder())).to.equal('another takeover');
    expect(() => new FileJournal(path, 30)).to.throw(JournalError, /^journal_path .*: another run is taking over its stale lock at this moment \(.*\.lock\.takeover\)\. .*if no run uses the journal, it is safe to remove it$/);
    // Once that runner is gone, its takeover is judged stale like a lock, and cleared.
    other.kill('SIGKILL');
    await once(other, 'exit');
    new FileJournal(path, 30).close();
    expect(existsSync(`${lock()}.takeover`)).to.equal(false);
  });

  it('takes over the lock of a runner that was killed', async () => {
    const first = await held();
    first.kill('SIGKILL');
    await once(first, 'exit');
    expect(existsSync(lock()), 'SIGKILL leaves it behind').to.equal(true);
    const next = new FileJournal(path, 30);
    expect(JSON.parse(readFileSync(lock(), 'utf8'))).to.include({ pid: process.pid, host: hostname() });
    next.close();
  });

  it("takes over a lock naming its own pid (a runner before it that had the same pid, as a container's process 1)", () => {
    writeFileSync(lock(), lockOf({ pid: process.pid, ...here() }));
    const next = new FileJournal(path, 30);
    expect(JSON.parse(readFileSync(lock(), 'utf8')).token).to.not.equal('theirs');
    next.close();
  });

  it('judges a lock of another host or pid namespace by its heartbeat alone: taken over only once it has gone untouched', () => {
    for (const elsewhere of [{ pid: 4242, host: 'another-host', pidns: here().pidns }, { pid: 999_999_999, host: hostname(), pidns: 'pid:[1]' }]) {
      writeFileSync(lock(), lockOf(elsewhere));
      expect(() => new FileJournal(path, 30), elsewhere.host).to.throw(JournalError, new RegExp(`in use by process ${elsewhere.pid} on ${elsewhere.host}`));
      const old = new Date(Date.now() - STALE_AFTER_MS - 5_000);
      utimesSync(lock(), old, old);
      const next = new FileJournal(path, 30);
      expect(JSON.parse(readFileSync(lock(), 'utf8'))).to.include({ pid: process.pid });
      next.close();
    }
  });

  it('takes over a lock whose pid now names another process, once it has gone without its heartbeat', async () => {
    // A pid reused after a reboot, or by a later process: alive, but not the runner that wrote the lock.
    const unrelated = spawn('sleep', ['30']);
    children.push(unrelated);
    writeFileSync(lock(), lockOf({ pid: unrelated.pid, ...here() }));
    expect(() => new FileJournal(path, 30)).to.throw(JournalError, new RegExp(`in use by process ${unrelated.pid} on .* it is safe to remove ${lock().replace(/[.]/g, '\\.')}$`));
    const old = new Date(Date.now() - STALE_AFTER_MS - 5_000);
    utimesSync(lock(), old, old);
    new FileJournal(path, 30).close();
  });

  it('shares one lock among every name of the journal: a link to it cannot open it a second time', async () => {
    writeFileSync(path, '');
    const alias = join(dirname(path), 'alias.jsonl');
    symlinkSync('journal.jsonl', alias);
    const first = await held();
    expect(() => new FileJournal(alias, 30)).to.throw(JournalError, new RegExp(`^journal_path ${alias} is in use by process ${first.pid} `));
    await ended(first);
    new FileJournal(alias, 30).close();
    expect(existsSync(`${alias}.lock`)).to.equal(false);
  });

  it('says what to do with a lock it cannot read, or a folder where the lock belongs', () => {
    writeFileSync(lock(), '');
    expect(() => new FileJournal(path, 30)).to.throw(JournalError, /^journal_path .*: its lock .*\.lock cannot be read \(a run is writing it at this moment, or it is damaged\)\. It is taken over once 2 minutes old; if no run uses the journal, it is safe to remove it$/);
    const old = new Date(Date.now() - STALE_AFTER_MS - 5_000);
    utimesSync(lock(), old, old);
    new FileJournal(path, 30).close();
    mkdirSync(lock());
    expect(() => new FileJournal(path, 30)).to.throw(JournalError, /^journal_path: .*\.lock is a folder where the journal's lock file belongs; remove it/);
  });

  it('keeps its lock fresh every HEARTBEAT_MS while it holds the journal, so it is never thought stale', () => {
    const clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const j = new FileJournal(path, 30);
      const long = new Date(Date.now() - STALE_AFTER_MS * 2);
      utimesSync(lock(), long, long);
      clock.tick(HEARTBEAT_MS - 1);
      expect(Date.now() - statSync(lock()).mtimeMs, 'not touched yet').to.be.greaterThan(STALE_AFTER_MS);
      clock.tick(1);
      expect(Date.now() - statSync(lock()).mtimeMs).to.be.lessThan(5_000);
      expect(JSON.parse(readFileSync(lock(), 'utf8'))).to.include({ pid: process.pid });
      j.close();
    } finally {
      clock.restore();
    }
  });

  it('stops before its next claim when its lock was taken over, journaling nothing more', async () => {
    const j = new FileJournal(path, 30);
    expect(await j.claim('first', false)).to.equal('claimed');
    writeFileSync(lock(), lockOf({ pid: 4242, host: 'another-host', pidns: 'x' }));
    const err = await j.claim('second', false).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(JournalError);
    expect((err as Error).message).to.equal(`journal_path ${path}: this run's lock was taken over by process 4242 on another-host, as if this run were gone (was it stopped for minutes?); stopping before sending more`);
    j.close();
    expect(readFileSync(path, 'utf8')).to.not.include('second');
    expect(existsSync(lock()), "the other runner's lock stays").to.equal(true);
  });

  it('lets go of the lock when the journal cannot be read', () => {
    writeFileSync(path, 'not json\n{"k":"a","s":"sent","t":"2026-01-01T00:00:00Z"}\n');
    expect(() => new FileJournal(path, 30)).to.throw(/damaged/);
    expect(existsSync(lock())).to.equal(false);
  });

  it('says in --check that a run holds the journal right now', async () => {
    const config = (journal_path: string) => parseTargetConfig({ client_id: 'id', client_secret: 'secret', sender_code_id: 1, journal_path });
    writeFileSync(path, '');
    const first = await held();
    const check = await checkJournalWritable(config(path));
    expect(check.ok && check.warnings).to.deep.equal([`journal_path ${path} is in use right now by process ${first.pid} on ${hostname()} (since ${(JSON.parse(readFileSync(lock(), 'utf8')) as { since: string }).since}); a run with texts would stop until it ends`]);
    await ended(first);
    expect(await checkJournalWritable(config(path))).to.deep.include({ ok: true, warnings: [] });
  });

  describe('run by the CLI', () => {
    let sandbox: Sandbox;
    afterEach(async () => sandbox?.close());

    it('stops a second run on the same journal before it sends anything', async () => {
      const seed = baseSeed([member(1, { lists: [OTHER_LIST] })]);
      seed.transactionalMessages = [{ senderCodeId: SC, phoneListId: OTHER_LIST, transactionalMessageId: 77 }];
      sandbox = await sandboxWith(seed);
      const configPath = join(tempDir('lockcli'), 'config.json');
      writeFileSync(configPath, JSON.stringify(rawConfigFor(sandbox, { transactional_phone_list_id: OTHER_LIST, journal_path: path })));
      writeFileSync(path, '');
      const first = await held();
      const r = await startCli('target.js', ['--config', configPath], texts([msg(1)])).done;
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.match(new RegExp(`^ERROR: JournalError: journal_path ${path} is in use by process ${first.pid} on `, 'm'));
      expect(sandbox.state.sent).to.deep.equal([]);
      const check = await runCli('target.js', ['--config', configPath, '--check']);
      expect(check.stdout + check.stderr).to.include(`journal_path ${path} is in use right now by process ${first.pid} on ${hostname()}`);
    });
  });
});

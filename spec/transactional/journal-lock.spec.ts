/**
 * One runner at a time on a local journal: a second one would not see the first one's claims and could send a
 * text twice. The holder is a real other process; a lock whose runner is gone is taken over.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import sinon from 'sinon';
import { JournalError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { FileJournal } from '../../src/transactional/file-journal.js';
import { HEARTBEAT_MS, STALE_AFTER_MS } from '../../src/transactional/journal-lock.js';
import { repoRoot, startCli } from '../support/cli.js';
import { OTHER_LIST, SC, baseSeed, member, msg, texts } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

/** Another process that opens the journal at `path` and holds it until its stdin closes (or it is killed). */
async function holder(path: string): Promise<ChildProcess> {
  const module = join(repoRoot, 'dist', 'src', 'transactional', 'file-journal.js');
  const code = `const { FileJournal } = await import(${JSON.stringify(module)}); const j = new FileJournal(${JSON.stringify(path)}, 30); console.log('held'); process.stdin.on('end', () => { j.close(); process.exit(0); }); process.stdin.resume();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [first] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  expect(first.toString()).to.equal('held\n');
  return child;
}

describe('one runner at a time on a local journal', () => {
  let path: string;
  const children: ChildProcess[] = [];
  beforeEach(() => (path = join(tempDir('lock'), 'journal.jsonl')));
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  const held = async () => {
    const c = await holder(path);
    children.push(c);
    return c;
  };

  it('refuses a second runner while the first holds the journal, naming it, and lets one in once it is done', async () => {
    const first = await held();
    expect(() => new FileJournal(path, 30)).to.throw(JournalError, new RegExp(`^journal_path ${path} is in use by process ${first.pid} on ${hostname()} \\(since .*\\): a second runner on one local journal could send the same text twice`));
    (first.stdin as NodeJS.WritableStream).end();
    await once(first, 'exit');
    expect(existsSync(`${path}.lock`), 'the lock goes with its runner').to.equal(false);
    const next = new FileJournal(path, 30);
    expect(statSync(`${path}.lock`).mode & 0o777).to.equal(0o600);
    next.close();
    expect(existsSync(`${path}.lock`)).to.equal(false);
  });

  it('takes over the lock of a runner that was killed', async () => {
    const first = await held();
    first.kill('SIGKILL');
    await once(first, 'exit');
    expect(existsSync(`${path}.lock`), 'SIGKILL leaves it behind').to.equal(true);
    const next = new FileJournal(path, 30);
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8'))).to.include({ pid: process.pid, host: hostname() });
    next.close();
  });

  it('takes over a lock of another host only once it has gone untouched for a while', () => {
    const lock = `${path}.lock`;
    writeFileSync(lock, JSON.stringify({ pid: 4242, host: 'another-host', since: '2026-01-01T00:00:00.000Z' }) + '\n');
    expect(() => new FileJournal(path, 30)).to.throw(JournalError, /in use by process 4242 on another-host/);
    const old = new Date(Date.now() - STALE_AFTER_MS - 5_000);
    utimesSync(lock, old, old);
    const next = new FileJournal(path, 30);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).to.include({ pid: process.pid });
    next.close();
  });

  it('keeps its lock fresh while it holds the journal, so it is never thought stale', () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const j = new FileJournal(path, 30);
      const lock = `${path}.lock`;
      const long = new Date(Date.now() - STALE_AFTER_MS * 2);
      utimesSync(lock, long, long);
      clock.tick(HEARTBEAT_MS);
      expect(Date.now() - statSync(lock).mtimeMs).to.be.lessThan(1_000);
      j.close();
    } finally {
      clock.restore();
    }
  });

  it('lets go of the lock when the journal cannot be read', () => {
    writeFileSync(path, 'not json\n{"k":"a","s":"sent","t":"2026-01-01T00:00:00Z"}\n');
    expect(() => new FileJournal(path, 30)).to.throw(/damaged/);
    expect(existsSync(`${path}.lock`)).to.equal(false);
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
    });
  });
});

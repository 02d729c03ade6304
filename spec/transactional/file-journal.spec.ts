import { expect } from 'chai';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTargetConfig } from '../../src/config/target.js';
import { ConfigError, InputError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { FileJournal } from '../../src/transactional/file-journal.js';
import { checkJournalWritable } from '../../src/transactional/journal.js';
import { startCli } from '../support/cli.js';
import { OTHER_LIST, SC, audience, baseSeed, member, msg, row, texts } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const DAY = 86_400_000;
const line = (k: string, s: string, daysAgo: number) => JSON.stringify({ k, s, t: new Date(Date.now() - daysAgo * DAY).toISOString() }) + '\n';
const linesOf = (path: string) => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean);

describe('the journal as a local file', () => {
  let path: string;
  beforeEach(() => (path = join(tempDir('fj'), 'journal.jsonl')));

  it('is created private (0600) and claims, settles and answers from what it holds', async () => {
    const j = new FileJournal(path, 30);
    expect(await j.claim('a', false)).to.equal('claimed');
    await j.settle('a', 'sent');
    expect(await j.claim('b', false)).to.equal('claimed');
    j.close();
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    const again = new FileJournal(path, 30);
    expect(await again.claim('a', false)).to.equal('sent');
    expect(await again.claim('b', false)).to.equal('unknown');
    expect(await again.claim('b', true)).to.equal('claimed');
    expect(await again.state('c')).to.equal(undefined);
    again.close();
  });

  it('drops keys older than the retention and compacts, atomically, once the dropped lines outnumber the kept', async () => {
    writeFileSync(path, line('old-sent', 'sending', 45) + line('old-sent', 'sent', 45) + line('old-unknown', 'sending', 31) + line('kept-sent', 'sending', 29) + line('kept-sent', 'sent', 29) + line('kept-unknown', 'sending', 1), { mode: 0o600 });
    const before = statSync(path).ino;
    const j = new FileJournal(path, 30);
    j.close();
    // 6 lines: 4 dropped (3 expired, 1 superseded), 2 kept: rewritten to the kept entries, in a new file.
    expect(linesOf(path).map((l) => (JSON.parse(l) as { k: string; s: string }).k + ':' + (JSON.parse(l) as { s: string }).s)).to.deep.equal(['kept-sent:sent', 'kept-unknown:sending']);
    expect(statSync(path).ino).not.to.equal(before);
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    expect(existsSync(`${path}.compacting`)).to.equal(false);
    const reopened = new FileJournal(path, 30);
    expect(await reopened.claim('kept-sent', false)).to.equal('sent');
    expect(await reopened.claim('kept-unknown', false)).to.equal('unknown');
    expect(await reopened.claim('old-sent', false)).to.equal('claimed');
    reopened.close();
  });

  it('leaves the file alone while the dropped lines are fewer than the kept ones', () => {
    writeFileSync(path, line('a', 'sending', 40) + line('b', 'sent', 1) + line('c', 'sent', 1));
    const before = readFileSync(path, 'utf8');
    new FileJournal(path, 30).close();
    expect(readFileSync(path, 'utf8')).to.equal(before);
  });

  it('tolerates a torn last line, and refuses a journal damaged elsewhere', async () => {
    writeFileSync(path, line('a', 'sent', 0) + '{"k":"b","s":"se');
    const j = new FileJournal(path, 30);
    expect(await j.state('a')).to.equal('sent');
    j.close();
    writeFileSync(path, line('a', 'sent', 0) + 'garbage\n' + line('b', 'sent', 0));
    expect(() => new FileJournal(path, 30)).to.throw(InputError, /input line 2: journal .* is damaged at this line/);
  });

  it('says so, naming journal_path, when the file cannot be opened', () => {
    expect(() => new FileJournal(join(path, 'no-such-folder', 'journal.jsonl'), 30)).to.throw(ConfigError, /invalid config: journal_path: cannot open .*: ENOENT/);
  });

  it('checkJournalWritable says whether the file can be kept there, what a run would warn about, and what to fix', async () => {
    const config = (journal_path: string) => parseTargetConfig({ client_id: 'id', client_secret: 'secret', sender_code_id: 1, journal_path });
    const fresh = await checkJournalWritable(config(path));
    expect(fresh).to.deep.include({ ok: true, detail: `journal_path ${path} will be created` });
    expect(fresh.ok && fresh.warnings.join()).to.match(/new local file: texts are sent exactly once only while it survives/);
    const missing = await checkJournalWritable(config(join(path, 'no-such-folder', 'journal.jsonl')));
    expect(missing).to.deep.include({ ok: false, exitCode: 2 });
    expect(missing.ok === false && missing.fix).to.match(/^journal_path .*: create the folder .*no-such-folder$/);
    appendFileSync(path, '');
    expect(await checkJournalWritable(config(path))).to.deep.equal({ ok: true, detail: `journal_path ${path} is writable`, warnings: [] });
  });

  describe('run by the CLI', () => {
    let sandbox: Sandbox;
    beforeEach(async () => {
      const seed = baseSeed([member(1, { lists: [OTHER_LIST] }), member(2)]);
      seed.transactionalMessages = [{ senderCodeId: SC, phoneListId: OTHER_LIST, transactionalMessageId: 77 }];
      sandbox = await sandboxWith(seed);
    });
    afterEach(async () => sandbox?.close());

    async function start(input: string, journal: string) {
      const configPath = join(tempDir('fjcli'), 'config.json');
      writeFileSync(configPath, JSON.stringify(rawConfigFor(sandbox, { transactional_phone_list_id: OTHER_LIST, journal_path: journal, max_unsubscribe_ratio: 1 })));
      return startCli('target.js', ['--config', configPath], input).done;
    }
    const warnings = (stderr: string) => stderr.split('\n').filter((l) => /new local file/.test(l));

    it('warns once that exactly-once needs the journal kept, when a run with texts starts a new local journal', async () => {
      const r = await start(texts([msg(1), msg(1, { message_key: 'other' })]), path);
      expect(r.code, r.stderr).to.equal(0);
      expect(warnings(r.stderr)).to.have.length(1);
      expect(warnings(r.stderr)[0]).to.match(/^WARN: journal_path .* is a new local file: texts are sent exactly once only while it survives between runs.*s3:\/\/bucket\/prefix.*event_time/);
      const again = await start(texts([msg(1)]), path);
      expect(warnings(again.stderr), 'not once the journal exists').to.deep.equal([]);
    });

    it('does not warn when the input carries no texts', async () => {
      const r = await start(audience([row(2)]), path);
      expect(r.code, r.stderr).to.equal(0);
      expect(warnings(r.stderr)).to.deep.equal([]);
      expect(existsSync(path)).to.equal(false);
    });
  });
});

import { expect } from 'chai';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, InputError } from '../../src/errors.js';
import { FileJournal } from '../../src/transactional/file-journal.js';
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
});

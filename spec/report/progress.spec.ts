import { expect } from 'chai';
import { createStatusOutput, describeStep, formatDuration, plainIntervalFromEnv, type StatusStream } from '../../src/report/progress.js';

/** A stand-in for stderr that keeps what was written, as a terminal or as a file. */
function stream(tty: boolean, columns = 80): StatusStream & { text: string } {
  return {
    text: '',
    isTTY: tty,
    columns,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('progress', () => {
  it('describes a step: counts done of planned, rate, time left, time so far', () => {
    const measure = { unit: 'contacts', done: () => 250, planned: () => 1000 };
    expect(describeStep('writes', measure, 25_000)).to.equal('writes: 250 of 1,000 contacts (25.0%), 10 contacts/s, about 1m 15s left, 25 s so far');
    expect(describeStep('members', { unit: 'pages', done: () => 1, detail: () => '5,000 members' }, 400)).to.equal('members: 1 page, 5,000 members, 0 s so far');
    expect(describeStep('members', { unit: 'pages', done: () => 6 }, 4000)).to.equal('members: 6 pages, 1.5 pages/s, 4 s so far');
    expect(describeStep('writes', { unit: 'contacts', done: () => 99, planned: () => 100 }, 9900)).to.match(/under a second left/);
    expect(describeStep('prepare', undefined, 3_600_000)).to.equal('prepare: 1h 00m so far');
    expect(formatDuration(61_000)).to.equal('1m 01s');
  });

  it('on a terminal: one line redrawn in place, log lines written above it, cleared at the end', async () => {
    const out = stream(true, 200);
    let done = 0;
    const status = createStatusOutput(out);
    status.progress.step('writes', { unit: 'contacts', done: () => done, planned: () => 10 });
    expect(out.text).to.equal('\rwrites: 0 of 10 contacts (0.0%), 0 s so far\x1b[K');
    done = 4;
    await sleep(300);
    expect(out.text).to.include('\rwrites: 4 of 10 contacts (40.0%), 0 s so far\x1b[K');
    out.text = '';
    status.line('audience: 10 records');
    expect(out.text).to.equal('\r\x1b[Kaudience: 10 records\n\rwrites: 4 of 10 contacts (40.0%), 0 s so far\x1b[K');
    out.text = '';
    status.stop();
    expect(out.text).to.equal('\r\x1b[K');
    await sleep(300);
    expect(out.text, 'nothing is drawn once stopped').to.equal('\r\x1b[K');
    status.line('report');
    expect(out.text).to.equal('\r\x1b[Kreport\n');
  });

  it('on a narrow terminal, cuts the line to fit one row (a wrapped line could not be redrawn)', () => {
    const out = stream(true, 30);
    const status = createStatusOutput(out);
    status.progress.step('writes', { unit: 'contacts', done: () => 1234, planned: () => 5000 });
    status.stop();
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    const drawn = /^\r(.*)\x1b\[K/.exec(out.text)?.[1] ?? '';
    expect(drawn).to.match(/^writes: 1,234 of 5,000 .*…$/);
    expect(drawn.length).to.be.at.most(29);
  });

  it('elsewhere: a plain line at each interval while a step runs, and nothing drawn in place', async () => {
    const out = stream(false);
    const status = createStatusOutput(out, { plainIntervalMs: 100 });
    status.line('prepare: done');
    await sleep(250);
    expect(out.text, 'no step yet, no progress line').to.equal('prepare: done\n');
    let done = 0;
    status.progress.step('unsubscribe', { unit: 'members', done: () => done, planned: () => 50 });
    done = 20;
    await sleep(350);
    status.stop();
    const lines = out.text.split('\n').filter(Boolean);
    expect(lines[0]).to.equal('prepare: done');
    expect(lines.length).to.be.at.least(3);
    for (const l of lines.slice(1)) expect(l).to.match(/^unsubscribe: 20 of 50 members \(40\.0%\), 0 s so far$/);
    expect(out.text).to.not.include('\r').and.not.include('\x1b');
    const after = out.text;
    await sleep(250);
    expect(out.text, 'no line once stopped').to.equal(after);
  });

  it('takes the plain cadence from LISTRAK_PROGRESS_INTERVAL_S, else 10 s', () => {
    expect(plainIntervalFromEnv({ LISTRAK_PROGRESS_INTERVAL_S: '0.5' })).to.equal(500);
    expect(plainIntervalFromEnv({})).to.equal(10_000);
    expect(plainIntervalFromEnv({ LISTRAK_PROGRESS_INTERVAL_S: 'soon' })).to.equal(10_000);
  });
});

import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { repoRoot, startCli } from '../support/cli.js';
import { audience, baseSeed, member, row } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const MEMBERS = 120;
const INTERVAL_S = 0.5;

/** `script` (util-linux) runs a command on a pseudo-terminal; .ci/run installs it where it is missing. */
function scriptUnavailable(): string | undefined {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'script (util-linux) is not installed (apt-get install bsdutils)';
  }
}

describe('progress on stderr, from the built target', function () {
  this.timeout(60_000);
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  /** A write phase of a few seconds: every member's name changed, paced at 40 calls/s against a 30 ms server. */
  async function slowWrites(): Promise<{ configPath: string; input: string }> {
    const n = Array.from({ length: MEMBERS }, (_, i) => i + 1);
    sandbox = await sandboxWith(baseSeed(n.map((i) => member(i))), { latencyMs: 30 });
    const dir = tempDir('progress');
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(rawConfigFor(sandbox, { max_requests_per_second: 40, rejects_file: join(dir, 'rejects.jsonl') })));
    return { configPath, input: audience(n.map((i) => row(i, { first_name: `Renamed${i}` })), { cut: true }) };
  }

  it('not on a terminal: a plain progress line at least every interval during a long write phase', async () => {
    const { configPath, input } = await slowWrites();
    const { child, done } = startCli('target.js', ['--config', configPath], input, { LISTRAK_PROGRESS_INTERVAL_S: String(INTERVAL_S) });
    const lines: { at: number; text: string }[] = [];
    let partial = '';
    child.stderr?.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) lines.push({ at: performance.now(), text });
    });
    const res = await done;
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stderr).to.not.include('\r').and.not.include('\x1b');

    const progress = lines.filter((l) => /^writes: \d+ of 120 contacts \(\d+\.\d%\), .*so far$/.test(l.text));
    expect(progress.length, res.stderr).to.be.at.least(3);
    expect(progress.some((l) => / contacts\/s, about \d+ s left, /.test(l.text)), 'rate and time left').to.equal(true);
    // From the first write line to the line that ends the phase, stderr is never silent for longer than the interval.
    const first = lines.indexOf(progress[0] as (typeof lines)[number]);
    const end = lines.findIndex((l) => l.text.startsWith('audience: 120 records'));
    expect(end).to.be.greaterThan(first);
    for (let i = first + 1; i <= end; i++) {
      const gap = (lines[i] as { at: number }).at - (lines[i - 1] as { at: number }).at;
      expect(gap, `silent for ${gap.toFixed(0)} ms before "${lines[i]?.text}"`).to.be.below(INTERVAL_S * 1000 + 1500);
    }
    const counts = progress.map((l) => Number(/^writes: (\d+)/.exec(l.text)?.[1]));
    expect([...counts].sort((a, b) => a - b), 'counts only grow').to.deep.equal(counts);
  });

  it('on a terminal (a pseudo-terminal): one status line redrawn in place, no plain progress lines', async function () {
    const why = scriptUnavailable();
    if (why) {
      if (process.env.CI) throw new Error(`CI must run the terminal spec: ${why}`);
      this.skip();
    }
    const { configPath, input } = await slowWrites();
    const dir = tempDir('tty');
    writeFileSync(join(dir, 'input.jsonl'), input);
    const command = `"${process.execPath}" "${join(repoRoot, 'dist/src/cli/target.js')}" --config "${configPath}" < "${join(dir, 'input.jsonl')}" > "${join(dir, 'stdout.jsonl')}"`;
    // script's own output is what the terminal showed: stderr, drawn on the pseudo-terminal.
    const child = spawn('script', ['-q', '-e', '-f', '-c', command, '/dev/null'], { env: { ...process.env, COLUMNS: '160', LISTRAK_PROGRESS_INTERVAL_S: String(INTERVAL_S) } });
    let shown = '';
    child.stdout.on('data', (d: Buffer) => (shown += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, shown).to.equal(0);

    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    const redraws = shown.match(/\rwrites: \d+ of 120 contacts \(\d+\.\d%\)[^\r\n]*\x1b\[K/g) ?? [];
    expect(redraws.length, shown).to.be.at.least(5);
    expect(shown, 'a status line ends in erase-to-end-of-line, never a line break').to.not.match(/so far\r?\n/);
    // Log lines go above the status line: it is cleared first.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(shown).to.match(/\r\x1b\[Kaudience: 120 records: 0 created, 0 subscribed, 0 pending, 120 updated/);
    expect(shown).to.match(/report:\r?\n/);
    // stdout carries only the tap's states, and this input has none: nothing of the status line reaches it.
    expect(readFileSync(join(dir, 'stdout.jsonl'), 'utf8')).to.equal('');
  });
});

/** What the suite leaves behind: nothing, even when a test process is killed outright. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning } from '../../src/processes.js';
import { removeStaleRoots, tempDir } from './tmp.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** A node process that makes a spec folder and starts a server tied to it, prints both, then waits to be killed. */
function victim(): Promise<{ pid: number; dir: string; server: number }> {
  const script = `
    import { spawn } from 'node:child_process';
    import { stopWithThisProcess, tempDir } from '${join(here, 'tmp.js')}';
    const dir = tempDir('victim');
    const server = spawn('sleep', ['600'], { stdio: 'ignore' });
    stopWithThisProcess(server.pid, dir);
    console.log(JSON.stringify({ pid: process.pid, dir, server: server.pid }));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { pid: number; dir: string; server: number })));
}

async function until(what: string, test: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('spec folders and servers, after a killed test process', function () {
  this.timeout(20_000);

  it('a SIGKILLed test process leaves a root the next one removes, and its server and folder go with it', async () => {
    const v = await victim();
    expect(existsSync(v.dir)).to.equal(true);
    process.kill(v.pid, 'SIGKILL');
    await until('the server is stopped', () => !isRunning(v.server));
    await until('the server folder is removed', () => !existsSync(v.dir));
    // Its root stays until a later test process removes it (another one running beside this may already have).
    const stale = join(tmpdir(), `listrak-spec-${v.pid}`);
    removeStaleRoots();
    expect(existsSync(stale)).to.equal(false);
  });

  it('removes only the roots of processes that are gone, never one of a live process', () => {
    const dir = tempDir('roots');
    for (const name of ['listrak-spec-101', 'listrak-spec-202', 'listrak-spec-AbC123', 'listrak-spec-Old999', 'other-folder']) mkdirSync(join(dir, name));
    // A root of the older layout names no owner: removed only once a day old, in case its run still goes on.
    const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
    utimesSync(join(dir, 'listrak-spec-Old999'), dayAgo, dayAgo);
    expect(removeStaleRoots(dir, (pid) => pid === 202)).to.equal(2);
    expect(readdirSync(dir).sort()).to.deep.equal(['listrak-spec-202', 'listrak-spec-AbC123', 'other-folder']);
  });
});

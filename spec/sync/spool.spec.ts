import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteSpool } from '../../src/sync/spool.js';

describe('write spool folders', () => {
  const made: string[] = [];
  const folder = (owner?: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'listrak-sync-spec-'));
    if (owner !== undefined) writeFileSync(join(dir, 'owner.pid'), String(owner));
    writeFileSync(join(dir, 'input.jsonl'), '{}\n');
    made.push(dir);
    return dir;
  };
  after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('removes the folders of runs that were killed, and only those', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number; // has exited: its pid names no process
    const killed = folder(gone);
    const running = folder(process.ppid); // a live process other than this one
    const unknown = folder();
    const spool = new WriteSpool();
    try {
      expect(WriteSpool.removeStale()).to.be.at.least(1);
      expect(existsSync(killed)).to.equal(false);
      expect(existsSync(running)).to.equal(true);
      expect(existsSync(unknown)).to.equal(true);
      expect(existsSync(spool.dir)).to.equal(true); // this run's own
    } finally {
      spool.dispose();
    }
  });
});

/**
 * The plugins run exactly as Meltano runs them: `meltano config test` (a record of `meltano_test_stream`), and a
 * run from a folder that is not the project, with the config file Meltano writes and MELTANO_PROJECT_ROOT set.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startCli, type CliResult } from '../support/cli.js';
import { LIST, OTHER_LIST, audience, member, msg, row, TX_SCHEMA, txSeed } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith, writeCalls } from '../support/harness.js';
import { freePort } from '../support/ports.js';
import { sshdForSuite } from '../support/sshd.js';
import { tempDir } from '../support/tmp.js';

/** What `meltano config test` pipes into a loader. */
const MELTANO_TEST = [
  { type: 'SCHEMA', stream: 'meltano_test_stream', schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } }, key_properties: ['id'] },
  { type: 'RECORD', stream: 'meltano_test_stream', record: { id: 1, name: 'test' } },
  { type: 'STATE', value: { bookmarks: { meltano_test_stream: { id: 1 } } } },
]
  .map((m) => JSON.stringify(m) + '\n')
  .join('');

function run(bin: string, config: Record<string, unknown>, input: string, opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const dir = tempDir('meltano');
  // Meltano writes the settings that have a value to a JSON file and passes it as --config.
  const path = join(dir, 'target.config.json');
  writeFileSync(path, JSON.stringify(config));
  return startCli(bin, ['--config', path], input, opts.env ?? {}, opts.cwd).done;
}

describe('as Meltano runs the plugins', function () {
  this.timeout(60_000);

  describe('meltano config test: the check, not a sync', () => {
    let sandbox: Sandbox | undefined;
    afterEach(async () => sandbox?.close());

    it('target-listrak-sms: exit 0 on working settings, with the check lines on stderr, and nothing written', async () => {
      sandbox = await sandboxWith(txSeed([member(1)]));
      const res = await run('target.js', rawConfigFor(sandbox), MELTANO_TEST);
      expect(res.code, res.stderr).to.equal(0);
      expect(res.stdout, 'no state line: nothing was synced').to.equal('');
      expect(res.stderr).to.match(/meltano_test_stream: Meltano's config test; checking the settings instead of syncing/);
      expect(res.stderr).to.match(/^ok {4}credentials: token received/m);
      expect(res.stderr).to.match(/^ok {4}list: 2002 "Main" is active/m);
      expect(writeCalls(sandbox)).to.deep.equal({});
    });

    it('target-listrak-sms: the exit code of the failed check on broken settings', async () => {
      sandbox = await sandboxWith(txSeed([member(1)]));
      const res = await run('target.js', rawConfigFor(sandbox, { client_secret: 'wrong-secret' }), MELTANO_TEST);
      expect(res.code).to.equal(1);
      expect(res.stderr).to.match(/^FAIL {2}credentials: /m);
      expect(res.stderr).to.not.include('wrong-secret');
    });

    describe('listrak-sftp-export', () => {
      const server = sshdForSuite();
      const exportConfig = (extra: Record<string, unknown> = {}) => {
        const sshd = server();
        const dir = tempDir('export');
        return { host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password, host_key_sha256: sshd.fingerprint, remote_dir: sshd.remoteDir, staging_dir: join(dir, 'staging'), rejects_file: join(dir, 'rejects.jsonl'), timeout_ms: 3000, ...extra };
      };

      it('connects, logs in and checks the remote folder, uploading nothing: exit 0', async () => {
        const before = readdirSync(server().remoteDir);
        const res = await run('export.js', exportConfig(), MELTANO_TEST);
        expect(res.code, res.stderr).to.equal(0);
        expect(res.stderr).to.match(/^ok {4}login: /m);
        expect(res.stderr).to.match(/^ok {4}remote_dir: /m);
        expect(readdirSync(server().remoteDir)).to.deep.equal(before);
      });

      it('fails on a host that cannot be reached', async () => {
        const res = await run('export.js', exportConfig({ port: await freePort() }), MELTANO_TEST);
        expect(res.code).to.not.equal(0);
        expect(res.stderr).to.match(/^FAIL {2}connection: /m);
      });
    });
  });

  describe('a run started from a folder that is not the project', () => {
    let sandbox: Sandbox | undefined;
    afterEach(async () => sandbox?.close());

    it('keeps its journal and rejects under MELTANO_PROJECT_ROOT, reads numbers Meltano passed as text, and a rerun sends nothing again', async () => {
      sandbox = await sandboxWith(txSeed([member(1, { lists: [LIST, OTHER_LIST] }), member(2)]));
      const project = tempDir('project');
      const subfolder = join(project, 'orchestrate', 'jobs');
      mkdirSync(subfolder, { recursive: true });
      const config = {
        ...rawConfigFor(sandbox, { transactional_phone_list_id: OTHER_LIST }),
        // As Meltano writes a string-kind fraction and a quoted number.
        max_unsubscribe_ratio: '0.6',
        sender_code_id: '1001',
        journal_path: 'state/texts.journal.jsonl',
        rejects_file: 'listrak-rejects.jsonl',
      };
      mkdirSync(join(project, 'state'));
      const input = audience([row(1)]) + [TX_SCHEMA, { type: 'RECORD', stream: TX_SCHEMA.stream, record: msg(1) }].map((m) => JSON.stringify(m) + '\n').join('');
      // Meltano also exports each setting as TARGET_LISTRAK_SMS_<SETTING>; the config file it passes is what is read.
      const env = { MELTANO_PROJECT_ROOT: project, TARGET_LISTRAK_SMS_CLIENT_SECRET: String((config as Record<string, unknown>).client_secret) };
      const first = await run('target.js', config, input, { cwd: subfolder, env });
      expect(first.code, first.stderr).to.equal(0);
      expect(sandbox.state.sent).to.have.length(1);
      expect(existsSync(join(project, 'state', 'texts.journal.jsonl')), 'the journal is in the project').to.equal(true);
      expect(existsSync(join(project, 'listrak-rejects.jsonl')), 'the rejects file too').to.equal(true);
      expect(readdirSync(subfolder), 'nothing in the folder meltano ran from').to.deep.equal([]);
      const again = await run('target.js', config, input, { cwd: subfolder, env });
      expect(again.code, again.stderr).to.equal(0);
      expect(sandbox.state.sent, 'the same journal: the text is not sent twice').to.have.length(1);
    });
  });
});

import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxSeed } from '../../src/sandbox/model.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runCli, type CliResult } from '../support/cli.js';
import { DOI_LIST, INACTIVE_LIST, LIST, OTHER_LIST, SC, baseSeed, member } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith, writeCalls } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

/** A tap's catalog whose audience stream declares custom properties (the packaged one declares none). */
const CATALOG = {
  streams: [
    {
      tap_stream_id: 'audience',
      stream: 'audience',
      schema: {
        type: 'object',
        properties: {
          phone: { type: 'string' },
          email: { type: ['string', 'null'] },
          favorite_store: { type: ['string', 'null'] },
          loyalty_points: { type: ['number', 'null'] },
          last_order_date: { type: ['boolean', 'null'] },
          old_field: { type: ['string', 'null'] },
          shoe_size: { type: ['number', 'null'] },
        },
      },
    },
    { tap_stream_id: 'transactional_messages', stream: 'transactional_messages', schema: { type: 'object', properties: { phone: { type: 'string' } } } },
  ],
};

/** The check lines, by name: `{ status, text }`. */
function checks(res: CliResult): Map<string, { status: string; text: string }[]> {
  const out = new Map<string, { status: string; text: string }[]>();
  for (const line of res.stdout.trim().split('\n')) {
    const m = /^(ok|warn|FAIL|skip) +([^:]+): (.*)$/.exec(line);
    expect(m, `a check line: ${line}`).to.not.equal(null);
    const [, status, name, text] = m as unknown as [string, string, string, string];
    out.set(name, [...(out.get(name) ?? []), { status, text }]);
  }
  return out;
}

const first = (res: CliResult, name: string) => checks(res).get(name)?.[0];

describe('target-listrak-sms --check', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  afterEach(async () => sandbox?.close());

  /** `extra` may depend on the sandbox started for the check (a mistyped variant of its URL). */
  type Extra = Record<string, unknown> | ((sandbox: Sandbox) => Record<string, unknown>);

  async function check(extra: Extra = {}, opts: { seed?: SandboxSeed; catalog?: object } = {}): Promise<CliResult> {
    sandbox = await sandboxWith(opts.seed ?? withShells(baseSeed([member(1)])));
    const dir = tempDir('check');
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify(rawConfigFor(sandbox, typeof extra === 'function' ? extra(sandbox) : extra)));
    const args = ['--config', config, '--check'];
    if (opts.catalog) {
      writeFileSync(join(dir, 'catalog.json'), JSON.stringify(opts.catalog));
      args.push('--catalog', join(dir, 'catalog.json'));
    }
    const res = await runCli('target.js', args);
    expect(writeCalls(sandbox), 'no write to Listrak').to.deep.equal({});
    return res;
  }

  function withShells(seed: SandboxSeed): SandboxSeed {
    seed.transactionalMessages = [{ senderCodeId: SC, phoneListId: OTHER_LIST, transactionalMessageId: 77, transactionalMessageName: 'Order confirmation' }];
    return seed;
  }

  it('passes on the sandbox: one ok line per check, exit 0', async () => {
    const res = await check({ transactional_phone_list_id: OTHER_LIST });
    expect(res.code, res.stdout + res.stderr).to.equal(0);
    expect(res.stderr).to.equal('');
    const c = checks(res);
    expect([...c.keys()]).to.deep.equal(['rejects_file', 'journal_path', 'replication', 'consent', 'credentials', 'sender code', 'list', 'profile fields', 'removal scope', 'transactional list']);
    for (const [, lines] of c) expect(lines.map((l) => l.status)).to.deep.equal(['ok']);
    expect(first(res, 'credentials')?.text).to.match(/^token received from http:\/\/127\.0\.0\.1:\d+\/OAuth2\/Token$/);
    expect(first(res, 'sender code')?.text).to.equal('1001 is enabled, country US; phones without a country code are read as US');
    expect(first(res, 'list')?.text).to.equal('2002 "Main" is active, single opt-in');
    expect(first(res, 'replication')?.text).to.equal('stream "audience" is FULL_TABLE: the whole audience every run');
    expect(first(res, 'consent')?.text).to.equal('stream "audience" carries "sms_consent" (the latest "sms_consent_at" stands for a phone of several rows); a revoked number is opted out of the sender code');
    expect(first(res, 'profile fields')?.text).to.equal('stream "audience" declares no property matching a profile field: only system fields are managed');
    expect(first(res, 'transactional list')?.text).to.equal('2003 "Other" is active, single opt-in; message shells: 77 "Order confirmation"');
  });

  it("reports the profile fields the catalog's audience schema would mirror: found, type, enabled", async () => {
    const res = await check({}, { catalog: CATALOG });
    expect(res.code, res.stdout).to.equal(0);
    const fields = checks(res).get('profile fields') ?? [];
    expect(fields[0]).to.deep.equal({ status: 'ok', text: 'stream "audience" mirrors Favorite Store (Text, max 20) <- favorite_store; Loyalty Points (Number) <- loyalty_points; Last Order Date (Date) <- last_order_date' });
    expect(fields.slice(1)).to.deep.equal([
      { status: 'warn', text: 'shoe_size matches no profile field; the sync ignores it (add the field in Listrak, or drop the property)' },
      { status: 'warn', text: 'old_field matches a disabled profile field; the sync ignores it (enable the field in Listrak)' },
      { status: 'warn', text: 'last_order_date is declared boolean, but Last Order Date is a Date field: its values will be rejected' },
    ]);
    expect(first(res, 'journal_path')).to.deep.equal({ status: 'skip', text: 'not used: transactional_phone_list_id is not set' });
  });

  it("warns, before the first run, when the catalog's audience stream is not FULL_TABLE: a delta never removes", async () => {
    const stream = (metadata: object, extra: object = {}) => ({ streams: [{ stream: 'audience', schema: { properties: { phone: {} } }, metadata: [{ breadcrumb: [], metadata }], ...extra }] });
    const incremental = await check({}, { catalog: stream({ 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' }) });
    expect(incremental.code, incremental.stdout).to.equal(0);
    expect(first(incremental, 'replication')?.status).to.equal('warn');
    expect(first(incremental, 'replication')?.text).to.match(/^stream "audience" is INCREMENTAL on updated_at in .*catalog\.json: removals are withheld on every run of a delta; sync it FULL_TABLE \(in Meltano: metadata: \{audience: \{replication-method: FULL_TABLE\}\} on the tap\)$/);
    await sandbox.close();
    const older = await check({}, { catalog: stream({}, { replication_key: 'updated_at' }) });
    expect(first(older, 'replication')?.text).to.match(/is INCREMENTAL on updated_at/);
    await sandbox.close();
    const unsaid = await check({}, { catalog: stream({ selected: true }) });
    expect(first(unsaid, 'replication')).to.deep.include({ status: 'warn' });
    expect(first(unsaid, 'replication')?.text).to.match(/does not say how stream "audience" is replicated: a mirror needs it FULL_TABLE/);
  });

  it('says what the consent settings make of the audience: read, not read, or a require_consent that would add nobody', async () => {
    const audienceWith = (properties: object) => ({ streams: [{ stream: 'audience', schema: { properties: { phone: {}, ...properties } } }] });
    const absent = await check({}, { catalog: audienceWith({}) });
    expect(first(absent, 'consent')).to.deep.equal({ status: 'skip', text: 'stream "audience" has no "sms_consent" property: consent is not read (README "Consent")' });
    await sandbox.close();
    const required = await check({ require_consent: true }, { catalog: audienceWith({}) });
    expect(required.code).to.equal(0);
    expect(first(required, 'consent')).to.deep.equal({ status: 'warn', text: 'require_consent is true, but stream "audience" has no "sms_consent" property: every new number would be rejected no_consent (set consent_property, or add the column)' });
    await sandbox.close();
    const renamed = await check({ consent_property: 'Opt Status', on_revoked: 'unsubscribe', require_consent: true }, { catalog: audienceWith({ 'Opt Status': {} }) });
    expect(first(renamed, 'consent')).to.deep.equal({
      status: 'ok',
      text: 'stream "audience" carries "Opt Status" (no "sms_consent_at" property: of several rows of a phone, a revocation stands); a revoked number is unsubscribed from its list, and a new number needs granted consent',
    });
    // Read as consent, never offered to the profile fields.
    expect(checks(renamed).get('profile fields')?.map((l) => l.status)).to.deep.equal(['ok']);
  });

  it('lists every stream of stream_lists with its list, and checks group_field is a Text profile field', async () => {
    const res = await check({ phone_list_id: undefined, stream_lists: { offer: LIST, control: DOI_LIST, holdout: null } }, { catalog: { streams: [{ stream: 'offer', schema: { properties: { phone: {} } } }] } });
    expect(res.code, res.stdout).to.equal(0);
    expect((checks(res).get('list') ?? []).map((l) => l.text)).to.deep.equal([
      'stream "offer" -> 2002 "Main" is active, single opt-in',
      'stream "control" -> 2004 "Double opt-in" is active, double opt-in (new people confirm by text before they count as subscribed)',
      'stream "holdout" -> no list: read and counted, never written',
    ]);
    await sandbox.close();
    const group = await check({ group_property: 'treatment', group_field: 'Loyalty Points' }, { catalog: { streams: [{ stream: 'audience', schema: { properties: { phone: {}, treatment: {} } } }] } });
    expect(group.code).to.equal(2);
    expect(first(group, 'profile fields')).to.deep.equal({ status: 'FAIL', text: 'group_field: "Loyalty Points" must be an enabled Text profile field (it is Number)' });
  });

  it('fails with what to fix for each broken setting, and the exit code a run would have', async () => {
    const disabledSeed = baseSeed();
    (disabledSeed.senderCodes ?? [])[0]!.disabled = true;
    const noShells = baseSeed();
    const cases: { name: string; extra?: Extra; seed?: SandboxSeed; catalog?: object; check: string; text: RegExp; code: number }[] = [
      { name: 'wrong secret', extra: { client_secret: 'nope-nope' }, check: 'credentials', text: /Listrak refused the credentials \(HTTP 400\): check client_id and client_secret/, code: 1 },
      { name: 'mistyped auth_url', extra: (sb) => ({ auth_url: `${sb.url}/OAuth2/Tokn` }), check: 'credentials', text: /no token endpoint at .*\/OAuth2\/Tokn \(HTTP 404\): check auth_url$/, code: 1 },
      { name: 'mistyped api_url', extra: (sb) => ({ api_url: `${sb.url}/v1/sms` }), check: 'sender code', text: /no such route at .*\/v1\/sms\/v1\/ShortCode\/1001 \(HTTP 404\): check api_url/, code: 1 },
      { name: 'unknown sender code', extra: { sender_code_id: 10000000 }, check: 'sender code', text: /^sender code 10000000 was not found: check sender_code_id$/, code: 1 },
      { name: 'disabled sender code', seed: disabledSeed, check: 'sender code', text: /^sender code 1001 is disabled in Listrak: enable it or fix sender_code_id$/, code: 1 },
      { name: 'missing list', extra: { phone_list_id: 20000000 }, check: 'list', text: /^list 20000000 does not exist under sender code 1001: check phone_list_id and sender_code_id$/, code: 1 },
      { name: 'inactive list', extra: { phone_list_id: INACTIVE_LIST }, check: 'list', text: /^list 2005 is inactive in Listrak: activate it or fix phone_list_id$/, code: 1 },
      { name: 'transactional list without shells', seed: noShells, extra: { transactional_phone_list_id: OTHER_LIST }, check: 'transactional list', text: /^list 2003 has no transactional message shells: create one/, code: 1 },
      { name: 'inactive transactional list', extra: { transactional_phone_list_id: INACTIVE_LIST }, check: 'transactional list', text: /^list 2005 is inactive in Listrak: activate it or fix transactional_phone_list_id$/, code: 1 },
      { name: 'rejects_file in a missing folder', extra: { rejects_file: '/nonexistent-folder/rejects.jsonl' }, check: 'rejects_file', text: /^folder \/nonexistent-folder does not exist$/, code: 2 },
      { name: 'journal_path in a missing folder', extra: { transactional_phone_list_id: OTHER_LIST, journal_path: '/nonexistent-folder/j.jsonl' }, check: 'journal_path', text: /^folder \/nonexistent-folder does not exist$/, code: 2 },
      { name: 'managed scope without its field', extra: { removal_scope: 'managed', managed_field: 'Managed' }, check: 'removal scope', text: /^invalid config: managed_field: no profile field "Managed" on the sender code/, code: 2 },
      { name: 'managed scope on a text field', extra: { removal_scope: 'managed', managed_field: 'Favorite Store' }, check: 'removal scope', text: /managed_field: profile field "Favorite Store" is a Text field, not a Checkbox/, code: 2 },
      { name: 'catalog without a phone', catalog: { streams: [{ stream: 'audience', schema: { properties: { email: { type: 'string' } } } }] }, check: 'profile fields', text: /the audience schema has no phone property/, code: 2 },
    ];
    for (const c of cases) {
      const res = await check(c.extra, { seed: c.seed ?? withShells(baseSeed([member(1)])), catalog: c.catalog });
      expect(res.code, `${c.name}: ${res.stdout}${res.stderr}`).to.equal(c.code);
      const line = first(res, c.check);
      expect(line?.status, `${c.name}: ${res.stdout}`).to.equal('FAIL');
      expect(line?.text, c.name).to.match(c.text);
      expect(res.stderr, c.name).to.match(new RegExp(`^ERROR: ChecksFailed: 1 of \\d+ checks failed: ${c.check}\\n$`));
      await sandbox.close();
    }
  });

  it('skips what needs a token once the credentials fail, and notes double opt-in', async () => {
    const bad = await check({ client_secret: 'nope-nope' });
    expect([...checks(bad)].map(([name, [l]]) => `${l?.status} ${name}`)).to.deep.equal([
      'ok rejects_file',
      'skip journal_path',
      'ok replication',
      'ok consent',
      'FAIL credentials',
      'skip sender code',
      'skip list',
      'skip profile fields',
      'skip removal scope',
      'skip transactional list',
    ]);
    await sandbox.close();
    const doi = await check({ phone_list_id: DOI_LIST });
    expect(doi.code).to.equal(0);
    expect(first(doi, 'list')?.text).to.match(/^2004 "Double opt-in" is active, double opt-in \(new people confirm by text/);
  });

  it('an unreadable --catalog is a config error before any call; --catalog needs --check', async () => {
    sandbox = await sandboxWith(baseSeed());
    const config = join(tempDir('check'), 'config.json');
    writeFileSync(config, JSON.stringify(rawConfigFor(sandbox)));
    const res = await runCli('target.js', ['--config', config, '--check', '--catalog', '/nonexistent/catalog.json']);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.equal('ERROR: ConfigError: cannot read --catalog file /nonexistent/catalog.json: ENOENT\n');
    expect(sandbox.calls.size).to.equal(0);
    const alone = await runCli('target.js', ['--config', config, '--catalog', 'catalog.json']);
    expect(alone.code).to.equal(2);
    expect(alone.stderr).to.match(/--catalog goes with --check/);
  });
});

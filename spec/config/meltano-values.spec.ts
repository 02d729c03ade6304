/** Settings as Meltano hands them over: numbers as text, ids as bare numbers, dotted keys nested, paths relative. */
import { expect } from 'chai';
import { ConfigError } from '../../src/errors.js';
import { parseExportConfig } from '../../src/config/export.js';
import { settingsJsonSchema } from '../../src/config/sources.js';
import { parseTargetConfig, targetConfigSchema } from '../../src/config/target.js';
import { exportConfigSchema } from '../../src/config/export.js';
import { underProjectRoot } from '../../src/config/meltano.js';

const TARGET = { client_id: 'id', client_secret: 'secret', sender_code_id: 1001, phone_list_id: 2002 };
const EXPORT = { username: 'u', password: 'p', host_key_sha256: 'SHA256:' + 'A'.repeat(43) };

/** A value inside the setting's bounds, for each number setting. */
function numberSettings(schema: typeof targetConfigSchema | typeof exportConfigSchema): [string, 'integer' | 'number'][] {
  return Object.entries(settingsJsonSchema(schema).properties)
    .filter(([, p]) => p.type === 'integer' || p.type === 'number')
    .map(([k, p]) => [k, p.type as 'integer' | 'number']);
}

describe('settings as Meltano hands them over', () => {
  it('reads every number setting of both plugins given as text as that number', () => {
    const target = numberSettings(targetConfigSchema);
    const exported = numberSettings(exportConfigSchema);
    expect(target.length, 'the target has number settings').to.be.above(10);
    for (const [key, type] of target) {
      const text = type === 'integer' ? ' 1 ' : '0.5';
      const c = parseTargetConfig({ ...TARGET, [key]: text }) as unknown as Record<string, unknown>;
      expect(c[key], key).to.equal(Number(text));
    }
    for (const [key] of exported) {
      const c = parseExportConfig({ ...EXPORT, [key]: '1' }, { needsUpload: true }) as unknown as Record<string, unknown>;
      expect(c[key], key).to.equal(1);
    }
  });

  it('refuses text that is not a number, naming the key (exit 2)', () => {
    for (const [key, value] of [['max_unsubscribe_ratio', 'abc'], ['batch_size', '12x'], ['page_size', '']] as const) {
      expect(() => parseTargetConfig({ ...TARGET, [key]: value }), key).to.throw(ConfigError, new RegExp(`^invalid config: ${key}: `));
    }
    expect(() => parseTargetConfig({ ...TARGET, max_unsubscribe_ratio: '1.5' })).to.throw(ConfigError, /max_unsubscribe_ratio: /);
    expect(() => parseTargetConfig({ ...TARGET, sender_code_id: true })).to.throw(ConfigError, /sender_code_id: must be a positive whole number/);
  });

  it('reads a bare YAML number for a text setting as its text, and nothing else', () => {
    const c = parseTargetConfig({ ...TARGET, client_id: 12345, client_secret: 987654321 });
    expect([c.client_id, c.client_secret]).to.deep.equal(['12345', '987654321']);
    expect(() => parseTargetConfig({ ...TARGET, client_id: 1.5 })).to.throw(ConfigError, /client_id/);
    expect(() => parseTargetConfig({ ...TARGET, removal_scope: 1 })).to.throw(ConfigError, /removal_scope/);
  });

  it('flattens a map setting whose dotted keys Meltano split into nested objects', () => {
    const e = parseExportConfig({ ...EXPORT, streams: { public: { customers: 'customers', orders: 'orders' }, items: 'order_items' } }, { needsUpload: true });
    expect(e.streams).to.deep.equal({ 'public.customers': 'customers', 'public.orders': 'orders', items: 'order_items' });
    const t = parseTargetConfig({ ...TARGET, phone_list_id: undefined, stream_lists: { public: { offer: '2001', control: null } } });
    expect(t.stream_lists).to.deep.equal({ 'public.offer': 2001, 'public.control': null });
    const mappings = parseExportConfig({ ...EXPORT, mappings: { customers: { email: 'e.mail' } } }, { needsUpload: true });
    expect(mappings.mappings).to.deep.equal({ customers: { email: 'e.mail' } });
  });

  describe('paths, under MELTANO_PROJECT_ROOT', () => {
    const saved = process.env.MELTANO_PROJECT_ROOT;
    afterEach(() => (saved === undefined ? delete process.env.MELTANO_PROJECT_ROOT : (process.env.MELTANO_PROJECT_ROOT = saved)));

    it('resolves relative paths against the project when Meltano started the plugin, and leaves the rest', () => {
      process.env.MELTANO_PROJECT_ROOT = '/srv/project';
      const t = parseTargetConfig({ ...TARGET, journal_path: 'state/journal.jsonl' });
      expect([t.journal_path, t.rejects_file]).to.deep.equal(['/srv/project/state/journal.jsonl', '/srv/project/listrak-rejects.jsonl']);
      expect(parseTargetConfig({ ...TARGET, journal_path: 's3://bucket/prefix', rejects_file: '/var/r.jsonl' })).to.deep.include({ journal_path: 's3://bucket/prefix', rejects_file: '/var/r.jsonl' });
      const e = parseExportConfig({ ...EXPORT, private_key_path: 'keys/id_ed25519' }, { needsUpload: true });
      expect([e.staging_dir, e.rejects_file, e.private_key_path]).to.deep.equal(['/srv/project/listrak-export', '/srv/project/listrak-export-rejects.jsonl', '/srv/project/keys/id_ed25519']);
    });

    it('leaves them as they are without it', () => {
      expect(underProjectRoot('journal.jsonl', {})).to.equal('journal.jsonl');
      expect(underProjectRoot('journal.jsonl', { MELTANO_PROJECT_ROOT: '' })).to.equal('journal.jsonl');
    });
  });
});

import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseExportConfig, type ExportConfig } from '../../src/config/export.js';
import { ConfigError, InputError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { datetimeCell, toCell } from '../../src/sftp/cells.js';
import { runExport, type ExportMode } from '../../src/sftp/exporter.js';
import { FILE_SPECS, fileName } from '../../src/sftp/specs.js';
import { runCli } from '../support/cli.js';
import { sshdForSuite, type Sshd } from '../support/sshd.js';
import { tempDir } from '../support/tmp.js';

const NOW = new Date('2026-11-24T08:30:05Z');

function singer(streams: Record<string, Record<string, unknown>[]>, state?: unknown): string {
  const lines: object[] = [];
  for (const [stream, records] of Object.entries(streams)) {
    lines.push({ type: 'SCHEMA', stream, schema: {}, key_properties: [] });
    for (const record of records) lines.push({ type: 'RECORD', stream, record });
  }
  if (state !== undefined) lines.push({ type: 'STATE', value: state });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

function config(extra: Record<string, unknown> = {}, needsUpload = false): ExportConfig {
  const dir = tempDir('export');
  return parseExportConfig({ username: 'u', staging_dir: join(dir, 'staging'), rejects_file: join(dir, 'rejects.jsonl'), retry_base_delay_ms: 50, ...extra }, { needsUpload });
}

async function exportWith(cfg: ExportConfig, input: string, mode: ExportMode = 'local-only') {
  const states: unknown[] = [];
  const log: string[] = [];
  const result = await runExport({ config: cfg, input: Readable.from([input]), writer: { state: (v) => states.push(v) }, logger: createLogger({ write: (l) => log.push(l), secrets: () => [cfg.password] }), mode, now: NOW });
  return { result, states, log };
}

const sample = {
  customers: [
    { email: 'ada@example.com', customerNumber: 'C1', first_name: 'Ada', lastName: 'Lovelace, Countess', mobile_phone: '(215) 555-0101', birthday: '1990-12-10', gender: 'female', registered: true },
    { email: 'grace@example.com', first_name: 'Grace\r\nMurray', city: 'x'.repeat(45) },
    { first_name: 'No email' },
  ],
  orders: [{ orderNumber: 'SO-1', date_entered: '2026-11-23T14:05:09-05:00', order_total: '62.480', status: 'shipped', merchandise_discount_type: 'coupon' }],
  order_items: [
    { order_number: 'SO-1', sku: 'TEE', quantity: 2, price: 24.99, status: 7 },
    { order_number: 'SO-1', quantity: 1 },
    { order_number: 'SO-1', sku: 'MUG', quantity: 'two' },
  ],
  products: [{ sku: 'TEE', title: 'Tee "Red"', price: 24.99, in_stock: 'yes', description: 'Line one\nline two' }],
};

describe('listrak-sftp-export: files', () => {
  it('names files with the UTC date pattern', () => {
    expect(fileName(FILE_SPECS.customers, 'YYYYMMDD', NOW)).to.equal('Listrak_Customer_20261124.csv');
    expect(fileName(FILE_SPECS.order_items, 'YYYYMMDDHHmmss', NOW)).to.equal('Listrak_OrderItem_Feed_20261124083005.csv');
    expect(fileName(FILE_SPECS.products, 'YYYY-MM-DD', NOW)).to.equal('Listrak_Product_Feed_2026-11-24.csv');
    expect(fileName(FILE_SPECS.orders, 'YYYYMMDD', NOW)).to.equal('Listrak_Order_Feed_20261124.csv');
  });

  it('formats cells: ISO 8601 date-times in UTC, plain decimals, true/false, enums, phones', () => {
    const c = (type: string, v: unknown) => toCell({ name: 'x', type: type as never }, v);
    expect(datetimeCell('2026-11-23T14:05:09-05:00')).to.deep.include({ value: '2026-11-23T19:05:09Z' });
    expect(datetimeCell('2026-11-23 14:05')).to.deep.include({ value: '2026-11-23T14:05:00' });
    expect(datetimeCell('2026-11-23')).to.deep.include({ value: '2026-11-23T00:00:00' });
    expect(datetimeCell('tomorrow')).to.deep.include({ ok: false });
    expect(c('decimal', '62.480')).to.deep.include({ value: '62.48' });
    expect(c('integer', 2.5)).to.deep.include({ ok: false });
    expect(c('boolean', 'Y')).to.deep.include({ value: 'true' });
    expect(c('order_status', 7)).to.deep.include({ value: 'Shipped' });
    expect(c('order_status', 'canceled')).to.deep.include({ value: 'Canceled' });
    expect(c('discount_type', 'GIFTVOUCHER')).to.deep.include({ value: 'GiftVoucher' });
    expect(c('gender', 'Female')).to.deep.include({ value: 'F' });
    expect(c('phone', '+1 215 555 0101')).to.deep.include({ value: '12155550101' });
    expect(toCell({ name: 'x', type: 'string', max: 3 }, 'abcdef')).to.deep.equal({ ok: true, value: 'abc', truncated: true });
  });

  it('writes the four files, byte for byte, and rejects rows missing a key or with a bad value', async () => {
    const cfg = config();
    const { result, states, log } = await exportWith(cfg, singer(sample, { bookmarks: { orders: 'x' } }));
    const dir = cfg.staging_dir;
    expect(readdirSync(dir).sort()).to.deep.equal(['Listrak_Customer_20261124.csv', 'Listrak_OrderItem_Feed_20261124.csv', 'Listrak_Order_Feed_20261124.csv', 'Listrak_Product_Feed_20261124.csv']);
    const customers = readFileSync(join(dir, 'Listrak_Customer_20261124.csv'), 'utf8');
    expect(customers).to.equal(
      'email,customernumber,mobilephone,birthday,gender,firstname,lastname,address1,address2,address3,city,state,zipcode,country,preferredstorenumber,registered,homephone,workphone,meta1,meta2,meta3,meta4,meta5\n' +
        'ada@example.com,C1,12155550101,1990-12-10,F,Ada,"Lovelace, Countess",,,,,,,,,true,,,,,,,\n' +
        `grace@example.com,,,,,Grace Murray,,,,,${'x'.repeat(40)},,,,,,,,,,,,\n`,
    );
    const items = readFileSync(join(dir, 'Listrak_OrderItem_Feed_20261124.csv'), 'utf8').split('\n');
    expect(items[1]).to.equal('SO-1,,TEE,Shipped,2,24.99,,,,,,,,,,,,,');
    expect(readFileSync(join(dir, 'Listrak_Order_Feed_20261124.csv'), 'utf8').split('\n')[1]).to.match(/^SO-1,,2026-11-23T19:05:09Z,,,,,,,,,62\.48,Coupon,,,,Shipped,/);
    expect(readFileSync(join(dir, 'Listrak_Product_Feed_20261124.csv'), 'utf8').split('\n')[1]).to.match(/^TEE,"Tee ""Red""",24\.99,Line one line two,/);
    expect(result.files.find((f) => f.kind === 'customers')?.truncated).to.equal(1);
    const rejects = readFileSync(cfg.rejects_file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects.map((r) => [r.reason, r.field, r.line])).to.deep.equal([
      ['missing_key', 'email', 4],
      ['missing_key', 'sku', 9],
      ['invalid_value', 'quantity', 10],
    ]);
    expect(states).to.deep.equal([
      {
        bookmarks: { orders: 'x' },
        listrak_sftp_export: { mode: 'local-only', files: result.files.map(({ kind, name, rows }) => ({ kind, name, rows })), rejected: 3 },
      },
    ]);
    expect(log.join('\n')).to.not.match(/\d{11}/);
  });

  it('honours delimiter, qualifier and an explicit column mapping', async () => {
    const cfg = config({ delimiter: '|', text_qualifier: "'", mappings: { customers: { email: 'mail', customernumber: 'id' } } });
    await exportWith(cfg, singer({ customers: [{ mail: "o'hara@example.com", id: 7, first_name: 'A|B' }] }));
    const line = readFileSync(join(cfg.staging_dir, 'Listrak_Customer_20261124.csv'), 'utf8').split('\n')[1];
    expect(line).to.equal("'o''hara@example.com'|7||||'A|B'|||||||||||||||||");
  });

  it('maps a column to a property named like an Object.prototype member only when the record has it', async () => {
    const cfg = config({ mappings: { customers: { firstname: 'constructor' } } });
    const { result } = await exportWith(cfg, singer({ customers: [{ email: 'a@example.com' }, { email: 'b@example.com', constructor: 'Bo' }] }));
    expect(result.files.find((f) => f.kind === 'customers')?.rows).to.equal(2);
    const lines = readFileSync(join(cfg.staging_dir, 'Listrak_Customer_20261124.csv'), 'utf8').trim().split('\n');
    expect(lines.slice(1).map((l) => l.split(',')[5])).to.deep.equal(['', 'Bo']);
  });

  it('--dry-run writes no file; a bad line leaves no half file behind', async () => {
    const dry = config();
    const { result } = await exportWith(dry, singer(sample), 'dry-run');
    expect(existsSync(dry.staging_dir) ? readdirSync(dry.staging_dir) : []).to.deep.equal([]);
    expect(result.report).to.match(/customers\s+2 rows would be written/);

    const cfg = config();
    const err = await exportWith(cfg, singer(sample) + '{"type":"RECORD","stream":"orders"\n').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InputError);
    expect((err as Error).message).to.match(/^input line 13: malformed JSON/);
    expect(readdirSync(cfg.staging_dir)).to.deep.equal([]);
  });

  it('refuses an upload config without a pinned host key unless explicitly opted out', () => {
    expect(() => parseExportConfig({ username: 'u', password: 'p' }, { needsUpload: true })).to.throw(ConfigError, /host_key_sha256: required/);
    expect(() => parseExportConfig({ username: 'u', host_key_sha256: 'SHA256:' + 'a'.repeat(43) }, { needsUpload: true })).to.throw(ConfigError, /password or private_key_path/);
    expect(() => parseExportConfig({ username: 'u', password: 'p', host_key_sha256: 'md5:aa' }, { needsUpload: true })).to.throw(ConfigError, /host_key_sha256: must be an OpenSSH SHA256 fingerprint/);
    expect(parseExportConfig({ username: 'u', password: 'p', allow_unknown_host_key: true }, { needsUpload: true }).allow_unknown_host_key).to.equal(true);
  });
});

describe('listrak-sftp-export: upload to a real OpenSSH sshd', function () {
  this.timeout(60_000);
  const server = sshdForSuite();
  let sshd: Sshd;
  beforeEach(() => (sshd = server()));

  const uploadConfig = (extra: Record<string, unknown> = {}) =>
    config({ host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password, host_key_sha256: sshd.fingerprint, remote_dir: sshd.remoteDir, ...extra }, true);
  const remoteFiles = () => readdirSync(sshd.remoteDir).sort();

  it('uploads every file under a temporary name, then renames it into place, byte-identical', async () => {
    const cfg = uploadConfig();
    const { result, states } = await exportWith(cfg, singer(sample, { b: 1 }), 'upload');
    expect(remoteFiles()).to.deep.equal(result.files.map((f) => f.name).sort());
    for (const f of result.files) expect(readFileSync(join(sshd.remoteDir, f.name)).equals(readFileSync(f.path))).to.equal(true);
    expect(states).to.have.length(1);
    expect(states[0]).to.deep.include({ b: 1 });
  });

  it('logs in with a private key and its passphrase', async () => {
    const cfg = uploadConfig({ password: undefined, private_key_path: sshd.keyPath, passphrase: sshd.passphrase, date_pattern: 'YYYYMMDD-key' });
    await exportWith(cfg, singer({ products: sample.products }), 'upload');
    expect(remoteFiles()).to.include('Listrak_Product_Feed_20261124-key.csv');
  });

  it('refuses a server whose host key does not match, and uploads nothing', async () => {
    const cfg = uploadConfig({ host_key_sha256: 'SHA256:' + 'A'.repeat(43), date_pattern: 'YYYYMMDD-wrongkey' });
    const err = await exportWith(cfg, singer({ products: sample.products }), 'upload').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(new RegExp(`presented host key ${sshd.fingerprint.replace(/[+/]/g, '\\$&')}, but host_key_sha256 is SHA256:A{43}`));
    expect(remoteFiles().filter((f) => f.includes('wrongkey'))).to.deep.equal([]);
  });

  it('fails fast, without retrying, on a wrong password', async () => {
    const cfg = uploadConfig({ password: 'not-the-password', date_pattern: 'YYYYMMDD-badpw' });
    const t0 = performance.now();
    const { log, error } = await exportWith(cfg, singer({ products: sample.products }), 'upload').then(
      (r) => ({ ...r, error: undefined }),
      (e: unknown) => ({ log: [] as string[], error: e as Error }),
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect(error?.message).to.match(/SFTP login as listrak-sftp-test to 127\.0\.0\.1:\d+ was refused/);
    expect(error?.message).to.not.include('not-the-password');
    expect(log.join('')).to.not.match(/retrying/);
    expect(performance.now() - t0).to.be.below(10_000);
  });

  it('retries a connection dropped mid-upload and leaves a complete file', async () => {
    const products = Array.from({ length: 8_000 }, (_, i) => ({ sku: `SKU-${i}`, title: `Product ${i}`, description: 'd'.repeat(900), price: i }));
    const cfg = uploadConfig({ date_pattern: 'YYYYMMDD-drop' });
    const name = 'Listrak_Product_Feed_20261124-drop.csv';
    let dropped = false;
    const watcher = setInterval(() => {
      const part = join(sshd.remoteDir, `${name}.part`);
      if (!dropped && existsSync(part) && statSync(part).size > 300_000) {
        dropped = true;
        sshd.dropSessions();
      }
    }, 5);
    try {
      const { result, log } = await exportWith(cfg, singer({ products }), 'upload');
      expect(dropped, 'the connection was dropped mid-upload').to.equal(true);
      expect(log.join('\n'), log.join('\n')).to.match(/upload: .*retrying 1 file\(s\)/);
      const local = result.files[0]?.path as string;
      expect(readFileSync(join(sshd.remoteDir, name)).equals(readFileSync(local))).to.equal(true);
      expect(remoteFiles()).to.not.include(`${name}.part`);
    } finally {
      clearInterval(watcher);
    }
  });

  it('runs as a CLI: exit 0, STATE on stdout only after the upload, no password on stderr', async () => {
    const cfgPath = join(tempDir('cli-export'), 'config.json');
    const cfg = uploadConfig({ date_pattern: 'YYYYMMDD-cli' });
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, mappings: {} }));
    const res = await runCli('export.js', ['--config', cfgPath], singer({ orders: sample.orders }, { s: 1 }));
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stderr).to.match(/upload: .*Listrak_Order_Feed_\d{8}-cli\.csv in place/);
    expect(res.stderr).to.not.include(sshd.password);
    const out = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).to.have.length(1);
    expect(out[0]).to.not.have.property('type');
    expect(out[0]?.s).to.equal(1);
  });
});

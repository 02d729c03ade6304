import { expect } from 'chai';
import { InputError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { AUDIENCE_SCHEMA, FIELDS, LIST, SC, audience, baseSeed, member, phone } from '../support/fixtures.js';
import { runTarget, sandboxWith, writeCalls } from '../support/harness.js';

/** Dirty input, and the documented outcome of each kind (README "What happens to each record"). */
describe('bad-input suite', () => {
  let sandbox: Sandbox;
  afterEach(async () => sandbox?.close());

  const schema = {
    ...AUDIENCE_SCHEMA,
    schema: {
      type: 'object',
      properties: {
        ...AUDIENCE_SCHEMA.schema.properties,
        birthday: { type: 'string' },
        vip: { type: 'boolean' },
        last_order_date: { type: 'string' },
        shoe_size: { type: 'string' },
      },
    },
  };

  it('accepts messy but meaningful values and stores them canonically', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const run = await runTarget(
      sandbox,
      audience(
        [
          { phone: phone(1), first_name: 'First1', last_name: 'Last1', email: 'p1@example.com' },
          { phone: ' +1 (215) 555-0020 ', first_name: 'Zoë 🎉', last_name: "O'Brien-Łukasz", email: ' z@example.com ', loyalty_points: '0012', vip: 'Y', birthday: '1990-05-01T23:00:00-05:00', last_order_date: '11/24/2026', shoe_size: '9' },
          { phone: 12155550021, first_name: 'Tab\there', last_name: 'Bell\u0007', favorite_store: 'Line\nBreak', loyalty_points: 3.5, vip: 0, birthday: '19851231' },
        ],
        { schema },
      ),
    );
    expect(run.error).to.equal(undefined);
    expect(run.rejects).to.deep.equal([]);
    const z = sandbox.state.contact(SC, phone(20));
    expect(z).to.include({ firstName: 'Zoë 🎉', lastName: "O'Brien-Łukasz", emailAddress: 'z@example.com', birthday: '1990-05-01T00:00:00' });
    expect(Object.fromEntries(z?.fields ?? [])).to.deep.equal({ [FIELDS.points]: '12', [FIELDS.vip]: 'true', [FIELDS.lastOrder]: '2026-11-24' });
    const t = sandbox.state.contact(SC, phone(21));
    expect(t).to.include({ firstName: 'Tab here', lastName: 'Bell', birthday: '1985-12-31T00:00:00' });
    expect(Object.fromEntries(t?.fields ?? [])).to.deep.equal({ [FIELDS.store]: 'Line Break', [FIELDS.points]: '3.5', [FIELDS.vip]: 'false' });
    // A property that matches no profile field is reported once and left alone.
    expect(run.log.join('\n')).to.match(/no matching Listrak profile field \(ignored\): shoe_size/);
  });

  it('rejects what cannot be sent, each with its reason, and sends the rest', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const invalidPhones = ['', '123', '+1 (000) 000-0000', 'phone', '12155550000000000', '+999 123', '215-555-012'];
    const run = await runTarget(
      sandbox,
      audience(
        [
          { phone: phone(1), first_name: 'First1', last_name: 'Last1', email: 'p1@example.com' },
          ...invalidPhones.map((p) => ({ phone: p })),
          { first_name: 'no phone' },
          { phone: phone(30), first_name: 'x'.repeat(1_000_000) },
          { phone: phone(31), vip: 'sometimes' },
          { phone: phone(32), loyalty_points: [1] },
          { phone: phone(33), birthday: '31.12.1985' },
          { phone: phone(34), favorite_store: 'far too long for twenty' },
          { phone: phone(35) },
        ],
        { schema },
      ),
    );
    expect(run.error).to.equal(undefined);
    const reasons = run.rejects.map((r) => r.reason);
    expect(reasons).to.deep.equal([
      'missing_phone',
      ...invalidPhones.slice(1).map(() => 'invalid_phone'),
      'missing_phone',
      'too_long',
      'invalid_checkbox',
      'invalid_number',
      'invalid_date',
      'too_long',
    ]);
    expect(run.rejects.every((r) => typeof r.line === 'number' && r.record)).to.equal(true);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([phone(1), phone(35)]);
    expect(writeCalls(sandbox)).to.deep.equal({ Contact_PostContactListResource: 1 });
  });

  it('fails the whole run, before any write, on an unknown message type', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const input = audience([{ phone: phone(2) }], { cut: true }) + '{"type":"LOG","message":"hi"}\n';
    const run = await runTarget(sandbox, input);
    expect(run.error).to.be.instanceOf(InputError);
    expect(run.error?.message).to.equal('input line 3: unknown message type "LOG"');
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('fails, before any write, on a malformed line that is not the last, even one cut in the middle', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const lines = audience([{ phone: phone(1) }, { phone: phone(2) }, { phone: phone(3) }]).split(/(?<=\n)/);
    lines[2] = (lines[2] as string).slice(0, -25) + '\n';
    const run = await runTarget(sandbox, lines.join(''));
    expect(run.error).to.be.instanceOf(InputError);
    expect(run.error?.message).to.match(/^input line 3: malformed JSON/);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('takes a partial last line without its line end as the cut it is: ignored, and nobody is unsubscribed', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(5)]));
    const input = audience([{ phone: phone(1) }, { phone: phone(2) }, { phone: phone(3) }], { cut: true }).slice(0, -25);
    const run = await runTarget(sandbox, input, { max_unsubscribe_ratio: 1 });
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.records).to.equal(2);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 5].map(phone));
    expect(run.result?.counts.removalsWithheld).to.match(/^1 member\(s\) missing from the audience were not unsubscribed: the input ends in a partial line \(line 4\)/);
    expect(run.log.join('\n')).to.match(/input line 4: malformed JSON .*: the input's last line is incomplete, as a tap killed mid-write leaves it; ignored, and nobody is unsubscribed/);
  });

  it('still refuses a malformed last line that has its line end', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const input = audience([{ phone: phone(1) }], { cut: true }) + '{"type":"RECORD","stream":"aud\n';
    const run = await runTarget(sandbox, input);
    expect(run.error?.message).to.match(/^input line 3: malformed JSON/);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('fails when the audience SCHEMA changes its properties mid-stream', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const input = audience([{ phone: phone(1) }], { cut: true }) + JSON.stringify({ type: 'SCHEMA', stream: 'audience', schema: { properties: { phone: {} } } }) + '\n';
    const run = await runTarget(sandbox, input);
    expect(run.error?.message).to.match(/input line 3: SCHEMA for stream "audience" changed its properties mid-stream/);
  });
});

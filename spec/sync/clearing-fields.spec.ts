/**
 * A managed field the audience leaves empty is cleared in Listrak, once: the write sends a real null (Listrak's
 * "no value"), and what Listrak then holds reads back as empty, so the next run finds nothing to do.
 */
import { expect } from 'chai';
import type { Sandbox } from '../../src/sandbox/server.js';
import { AUDIENCE_SCHEMA, FIELDS, SC, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { runTarget, sandboxWith, writeCalls } from '../support/harness.js';

const schema = {
  ...AUDIENCE_SCHEMA,
  schema: { type: 'object', properties: { ...AUDIENCE_SCHEMA.schema.properties, birthday: { type: ['string', 'null'] }, postal_code: { type: ['string', 'null'] } } },
};

describe('clearing fields the audience leaves empty', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  const stored = (n: number) => sandbox?.state.contact(SC, phone(n));

  it('clears a last name and a birthday in one update, and the next run writes nothing', async () => {
    sandbox = await sandboxWith(baseSeed([member(1, { birthday: '1990-05-01T00:00:00', postalCode: '19103' }), member(2)]));
    const input = audience([row(1, { last_name: null, birthday: null, postal_code: '19103' }), row(2, { birthday: null, postal_code: null })], { schema });
    const first = await runTarget(sandbox, input);
    expect(first.error).to.equal(undefined);
    expect(first.rejects).to.deep.equal([]);
    expect(writeCalls(sandbox)).to.deep.equal({ Contact_PutContactResource: 1 });
    expect(stored(1)).to.include({ firstName: 'First1', lastName: null, birthday: null, postalCode: '19103' });
    expect(first.result?.counts.actions).to.include({ updated: 1, unchanged: 1 });

    sandbox.calls.clear();
    const second = await runTarget(sandbox, input);
    expect(second.error).to.equal(undefined);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(second.result?.counts.actions.unchanged).to.equal(2);
  });

  it('writes a birthday as the date-time Listrak stores, whatever form the audience gives it in', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2, { birthday: '1985-12-24T00:00:00' })]));
    const input = audience([row(1, { birthday: '5/1/1990' }), row(2, { birthday: ' 19851224 ' })], { schema });
    const run = await runTarget(sandbox, input);
    expect(run.error).to.equal(undefined);
    expect(stored(1)?.birthday).to.equal('1990-05-01T00:00:00');
    expect(writeCalls(sandbox)).to.deep.equal({ Contact_PutContactResource: 1 });
    expect(run.result?.counts.actions).to.include({ updated: 1, unchanged: 1 });
  });

  it('reads a value Listrak holds as an empty string as empty: such a member is unchanged', async () => {
    sandbox = await sandboxWith(baseSeed([member(1, { lastName: '', postalCode: '', fields: { [FIELDS.store]: '' } }), member(2, { firstName: '  ' })]));
    const run = await runTarget(sandbox, audience([row(1, { last_name: null }), row(2, { first_name: '' })], { schema }));
    expect(run.error).to.equal(undefined);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(run.result?.counts.actions.unchanged).to.equal(2);
  });

  it('clears profile fields in the same update as a changed system field', async () => {
    sandbox = await sandboxWith(baseSeed([member(1, { fields: { [FIELDS.store]: 'Old City', [FIELDS.points]: '5' } })]));
    const run = await runTarget(sandbox, audience([row(1, { first_name: 'Ada', favorite_store: null, loyalty_points: null })], { schema }));
    expect(run.error).to.equal(undefined);
    expect(writeCalls(sandbox)).to.deep.equal({ Contact_PutContactResource: 1 });
    expect(stored(1)?.firstName).to.equal('Ada');
    expect(Object.fromEntries(stored(1)?.fields ?? [])).to.deep.equal({});
    expect(run.result?.counts.writes).to.deep.equal({ new: 0, update: 1, unsubscribe: 0, import: 0 });
  });
});

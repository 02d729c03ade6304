/** --apply's decision, in process: which planned change is still needed on the list as it is now. */
import { expect } from 'chai';
import { fingerprint } from '../../src/contact/fingerprint.js';
import { LiveList, stillNeeded } from '../../src/sync/apply-decision.js';
import { SortedKeys } from '../../src/tables/keys.js';
import { MemberIndexBuilder } from '../../src/tables/member-index.js';

const values = { system: ['Ann', null], custom: ['Main St'] };
const other = { system: ['Bo', null], custom: ['Elm St'] };
const sys = fingerprint(values.system);
const cus = fingerprint(values.custom);

/** Members: 12155550001 (values as planned, managed), 12155550002 (other values), 12155550003 stored as "(215) 555-0003", one unreadable. */
function live(): LiveList {
  const b = new MemberIndexBuilder();
  b.add(12155550001, undefined, sys, cus, true);
  b.add(12155550002, undefined, fingerprint(other.system), fingerprint(other.custom), false);
  b.add(12155550003, '(215) 555-0003', sys, fingerprint(other.custom), false);
  b.add(12155550004, undefined, fingerprint([]), fingerprint([]), false);
  b.addUnmatchable('not-a-phone');
  // 12155550002 and 12155558888 (not a member) have opted out of the sender code.
  return new LiveList(b.build(), 'US', SortedKeys.from([12155550002, 12155558888]));
}

describe('apply decision: which planned change is still needed', () => {
  const list = live();

  it('finds members by their phone in any spelling, and unreadable members by their spelling', () => {
    expect(list.at('12155550001')).to.equal(0);
    expect(list.at('(215) 555-0003')).to.equal(2);
    expect(list.at('12155550003')).to.equal(2);
    expect(list.at('12155559999')).to.equal(-1);
    expect(list.at('not-a-phone')).to.equal(-1);
    expect(list.has('not-a-phone')).to.equal(true);
    expect(list.has('12155550002')).to.equal(true);
    expect(list.has('12155550001')).to.equal(true); // the first member, at position 0
    expect(list.has('12155559999')).to.equal(false);
    expect(list.has('another-unreadable')).to.equal(false);
  });

  it('unsubscribes only someone still on the list', () => {
    expect(stillNeeded({ action: 'unsubscribe', phone: '12155550002' }, list)).to.deep.equal({ write: 'unsubscribe' });
    expect(stillNeeded({ action: 'unsubscribe', phone: 'not-a-phone' }, list)).to.deep.equal({ write: 'unsubscribe' });
    expect(stillNeeded({ action: 'unsubscribe', phone: '(215) 555-0003' }, list)).to.deep.equal({ write: 'unsubscribe' });
    expect(stillNeeded({ action: 'unsubscribe', phone: '12155559999' }, list)).to.deep.equal({ write: 'none', why: 'not_on_list' });
  });

  it('creates a number not on the list; one already there with the planned values is done; with others, they are written', () => {
    expect(stillNeeded({ action: 'create', phone: '12155559999', values }, list)).to.deep.equal({ write: 'new' });
    expect(stillNeeded({ action: 'subscribe', phone: '12155559999', values }, list)).to.deep.equal({ write: 'new' });
    expect(stillNeeded({ action: 'create', phone: '12155550001', values }, list)).to.deep.equal({ write: 'none', why: 'already_done' });
    expect(stillNeeded({ action: 'create', phone: '12155550002', values }, list)).to.deep.equal({ write: 'update', system: true, custom: true, asPlanned: false });
    expect(stillNeeded({ action: 'subscribe', phone: '12155550003', values }, list)).to.deep.equal({ write: 'update', system: false, custom: true, asPlanned: false });
  });

  it('updates only a member still on the list, and only the groups that still differ', () => {
    expect(stillNeeded({ action: 'update', phone: '12155550002', values }, list)).to.deep.equal({ write: 'update', system: true, custom: true, asPlanned: true });
    expect(stillNeeded({ action: 'import', phone: '12155550003', values }, list)).to.deep.equal({ write: 'update', system: false, custom: true, asPlanned: true });
    expect(stillNeeded({ action: 'update', phone: '12155550003', values: { system: other.system, custom: values.custom } }, list)).to.deep.equal({
      write: 'update',
      system: true,
      custom: true,
      asPlanned: true,
    });
    expect(stillNeeded({ action: 'update', phone: '12155550001', values }, list)).to.deep.equal({ write: 'none', why: 'already_done' });
    expect(stillNeeded({ action: 'import', phone: '12155559999', values }, list)).to.deep.equal({ write: 'none', why: 'not_on_list' });
    // An update that names no values has nothing to compare: it is written.
    expect(stillNeeded({ action: 'update', phone: '12155550001' }, list)).to.deep.include({ write: 'update' });
    expect(stillNeeded({ action: 'update', phone: '12155550004' }, list)).to.deep.equal({ write: 'none', why: 'already_done' });
  });

  it('marks only a member still on the list that does not carry the mark yet', () => {
    expect(stillNeeded({ action: 'mark', phone: '12155550002' }, list)).to.deep.equal({ write: 'mark' });
    expect(stillNeeded({ action: 'mark', phone: '12155550001' }, list)).to.deep.equal({ write: 'none', why: 'already_done' });
    expect(stillNeeded({ action: 'mark', phone: '12155559999' }, list)).to.deep.equal({ write: 'none', why: 'not_on_list' });
  });

  it('opts out a number the sender code has not opted out yet, on the list or not', () => {
    expect(stillNeeded({ action: 'opt_out', phone: '12155550001' }, list)).to.deep.equal({ write: 'opt_out', member: true });
    expect(stillNeeded({ action: 'opt_out', phone: '(215) 555-0003' }, list)).to.deep.equal({ write: 'opt_out', member: true });
    expect(stillNeeded({ action: 'opt_out', phone: '12155559999' }, list)).to.deep.equal({ write: 'opt_out', member: false });
    expect(stillNeeded({ action: 'opt_out', phone: '(215) 555-0002' }, list)).to.deep.equal({ write: 'none', why: 'already_done' });
    expect(stillNeeded({ action: 'opt_out', phone: '12155558888' }, list)).to.deep.equal({ write: 'none', why: 'already_done' });
    expect(list.optedOut('not-a-phone')).to.equal(false);
  });
});

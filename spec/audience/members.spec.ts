import { expect } from 'chai';
import { fingerprint } from '../../src/audience/fingerprint.js';
import { MemberIndexBuilder } from '../../src/audience/members.js';

describe('member index', () => {
  it('finds every member after a sort, with its own fingerprints', () => {
    const b = new MemberIndexBuilder();
    const phones = Array.from({ length: 5000 }, (_, i) => 12155550000 + ((i * 7919) % 10000));
    phones.forEach((p, i) => b.add(p, String(p), i, i * 2));
    const index = b.build();
    expect(index.size).to.equal(5000);
    phones.forEach((p, i) => {
      const at = index.find(p);
      expect(at).to.be.at.least(0);
      expect(index.systemFp[at]).to.equal(i);
      expect(index.customFp[at]).to.equal(i * 2);
    });
    expect(index.find(19999999999)).to.equal(-1);
  });

  it('drops a member listed twice, and keeps the raw spelling of non-canonical phones', () => {
    const b = new MemberIndexBuilder();
    b.add(12155550001, '12155550001', 1, 1);
    b.add(12155550001, '12155550001', 1, 1);
    b.add(12155550002, '2155550002', 2, 2);
    b.addUnmatchable('garbage');
    const index = b.build();
    expect(index.size).to.equal(2);
    expect(index.phoneAt(index.find(12155550002))).to.equal('2155550002');
    index.seen[index.find(12155550001)] = 1;
    expect([...index.unseen()]).to.deep.equal(['garbage', '2155550002']);
    expect(index.unseenCount()).to.equal(2);
  });

  it('fingerprints differ when any value, its position or its emptiness differs', () => {
    const base = fingerprint(['a', 'b', null]);
    expect(fingerprint(['a', 'b', null])).to.equal(base);
    expect(fingerprint(['a', 'b', ''])).to.not.equal(base);
    expect(fingerprint(['b', 'a', null])).to.not.equal(base);
    expect(fingerprint(['ab', '', null])).to.not.equal(fingerprint(['a', 'b', null]));
    expect(Number.isSafeInteger(base)).to.equal(true);
  });
});

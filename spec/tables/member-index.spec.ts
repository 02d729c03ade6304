import { expect } from 'chai';
import { fingerprint } from '../../src/contact/fingerprint.js';
import { sortedOrder } from '../../src/tables/keys.js';
import { MemberIndexBuilder, buildMemberIndex } from '../../src/tables/member-index.js';
import { Random } from '../support/random.js';

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

  it('orders keys as a stable sort does, over the whole range of phone keys', () => {
    const r = new Random(41);
    for (const n of [0, 1, 2, 7, 1000, 20_000]) {
      // Phones of 8 to 15 digits, with repeats, and runs sharing their high digits.
      const keys = Float64Array.from({ length: n }, () => (r.chance(0.1) ? 12025550100 : r.chance(0.5) ? 10 ** (7 + r.int(8)) + r.int(10 ** 7) : Math.floor(r.next() * 10 ** 15)));
      const expected = [...keys.keys()].sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b);
      expect([...sortedOrder(keys)]).to.deep.equal(expected);
    }
  });

  it('keeps a member read twice once, with the fingerprints it was last read with, across builders', () => {
    const part = (entries: [number, number][]) => {
      const b = new MemberIndexBuilder();
      for (const [key, fp] of entries) b.add(key, undefined, fp, fp);
      return b.parts();
    };
    const index = buildMemberIndex([part([[12025550102, 1], [12025550101, 2]]), part([[12025550101, 3], [12025550100, 4]])]);
    expect([...index.keys]).to.deep.equal([12025550100, 12025550101, 12025550102]);
    expect([...index.systemFp]).to.deep.equal([4, 3, 1]);
  });

  it('finds many keys at once exactly as it finds each one', () => {
    const r = new Random(42);
    const b = new MemberIndexBuilder();
    for (let i = 0; i < 5000; i++) b.add(12025550000 + r.int(20_000), undefined, i, i);
    const index = b.build();
    const asked = Float64Array.from({ length: 8000 }, () => (r.chance(0.05) ? 0 : 12025550000 + r.int(25_000)));
    expect([...index.findAll(asked)]).to.deep.equal([...asked].map((k) => index.find(k)));
  });
});


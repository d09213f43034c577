import { expect } from 'chai';
import fc from 'fast-check';
import { assignPools } from '../../services/matcher/ownership.js';

const names = (prefix: string, max: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: max }).map((ids) => ids.map((id) => `${prefix}${id}`));

describe('pool ownership (rendezvous hashing with bounded load)', () => {
  it('gives every pool exactly one owner among the live matchers, loads differing by at most one', () => {
    fc.assert(
      fc.property(names('pool-', 40), names('m-', 8), (pools, members) => {
        const owners = assignPools(pools, members);
        expect([...owners.keys()].sort()).to.deep.equal([...pools].sort());
        for (const owner of owners.values()) expect(members).to.include(owner);
        const loads = members.map((member) => [...owners.values()].filter((owner) => owner === member).length);
        expect(Math.max(...loads) - Math.min(...loads)).to.be.at.most(1);
      }),
    );
  });

  it('is the same answer whatever order the members and pools are listed in', () => {
    fc.assert(
      fc.property(names('pool-', 20), names('m-', 6), (pools, members) => {
        const one = assignPools(pools, members);
        const other = assignPools([...pools].reverse(), [...members].reverse());
        expect([...one].sort()).to.deep.equal([...other].sort());
      }),
    );
  });

  it('moves few pools when a matcher leaves: the survivors keep most of theirs', () => {
    const pools = Array.from({ length: 60 }, (_, index) => `ffa3.region${index}`);
    const members = ['m-a', 'm-b', 'm-c', 'm-d'];
    const before = assignPools(pools, members);
    const after = assignPools(pools, members.slice(0, 3));
    const moved = pools.filter((pool) => before.get(pool) !== 'm-d' && before.get(pool) !== after.get(pool));
    // Only the leaver's 15 pools must move; a few more may shift to even the loads.
    expect(moved.length).to.be.at.most(8);
  });

  it('owns nothing when no matcher is alive', () => {
    expect(assignPools(['a', 'b'], []).size).to.equal(0);
  });
});

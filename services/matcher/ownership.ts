import { createHash } from 'node:crypto';

/** A member's weight for a pool: the same on every matcher, so all agree without talking. */
function weight(member: string, pool: string): number {
  return createHash('sha1').update(`${member}\n${pool}`).digest().readUInt32BE(0);
}

/**
 * Splits pools among live matchers: rendezvous hashing with bounded load. Every pool gets
 * exactly one owner, loads differ by at most one, and each pair (pool, matcher) is taken
 * in order of weight, so a matcher joining or leaving moves few pools. Pure and
 * deterministic: every matcher computes the same answer from the same member list.
 */
export function assignPools(pools: readonly string[], members: readonly string[]): Map<string, string> {
  const owners = new Map<string, string>();
  if (members.length === 0) return owners;
  const floor = Math.floor(pools.length / members.length);
  let roomAtCeiling = pools.length - floor * members.length;
  const load = new Map(members.map((member) => [member, 0]));
  const pairs = pools.flatMap((pool) => members.map((member) => ({ pool, member, weight: weight(member, pool) })));
  pairs.sort((a, b) => b.weight - a.weight || (a.pool < b.pool ? -1 : 1) || (a.member < b.member ? -1 : 1));
  for (const { pool, member } of pairs) {
    if (owners.has(pool)) continue;
    const taken = load.get(member)!;
    if (taken < floor) {
      owners.set(pool, member);
      load.set(member, taken + 1);
    } else if (taken === floor && roomAtCeiling > 0) {
      owners.set(pool, member);
      load.set(member, taken + 1);
      roomAtCeiling -= 1;
    }
  }
  return owners;
}

export function poolsOwnedBy(member: string, pools: readonly string[], members: readonly string[]): Set<string> {
  const owned = new Set<string>();
  for (const [pool, owner] of assignPools(pools, members)) if (owner === member) owned.add(pool);
  return owned;
}

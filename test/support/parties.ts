import { eventually } from './broker.js';
import type { PlayerClient } from './player-client.js';
import type { Stack } from './stack.js';

/**
 * A party of two across the stack's two gateways: the leader signed in on gateway 0 creates it,
 * the member on gateway 1 joins by its code, and both have seen the party of two. Waits first
 * for both gateways to be ready, as a test after a Redis outage must.
 */
export async function partyOfTwo(
  stack: Stack,
  names: [leader: string, member: string],
): Promise<{ leader: PlayerClient; member: PlayerClient; leaderId: string; memberId: string }> {
  // Both gateways serving (Redis reconnected after an earlier test's outage): else party.create meets `unavailable`.
  for (const gateway of [0, 1]) await eventually(`gateway ${gateway} ready`, async () => (await fetch(stack.httpUrl('/readyz', gateway))).ok, 30_000);
  const [leaderPlayer, memberPlayer] = await Promise.all(names.map((name) => stack.addPlayer(name)));
  const leader = await stack.connect(leaderPlayer!.token, 0);
  const member = await stack.connect(memberPlayer!.token, 1);
  leader.send({ type: 'party.create' });
  const { party: created } = await leader.next('party');
  member.send({ type: 'party.join', code: created!.code });
  await member.next('party');
  await leader.next('party');
  return { leader, member, leaderId: leaderPlayer!.id, memberId: memberPlayer!.id };
}

import { expect } from 'chai';
import { redisKeys } from '../../common/names.js';
import { FANOUT_BUDGET_MS } from '../../services/producer/fanout.js';
import type { Stack } from '../support/stack.js';
import { partyOfTwo } from '../support/parties.js';
import { startTrappedStack, type TrappedStack } from '../support/trapped-stack.js';
import { respBulk } from '../support/tcp-trap.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A party's `queued` fanned out from the leader's gateway to a member on another gateway,
 * with Redis failing at that very moment (the broker stays up): the gateways reach a private
 * Redis (persisted with AOF, so it comes back with its data, as after a failover or a crash
 * with persistence) through a proxy that kills it when the leader's gateway looks up the
 * member's gateway (the member's key in the MGET of a turn's who-is-where reads). The member must still be told `queued`: the fanout is retried, and a
 * gateway settles its sessions from Redis when Redis returns.
 */
describe('party fanout while Redis fails (a private redis-server killed at the fanout)', function () {
  this.timeout(90_000);
  let redis: TrappedStack['redis'];
  let trap: TrappedStack['trap'];
  let stack: Stack;
  let trapped: TrappedStack | undefined;
  let seq = 0;

  before(async () => {
    trapped = await startTrappedStack(['--appendonly', 'yes', '--appendfsync', 'always']);
    ({ redis, trap, stack } = trapped);
  });
  after(async () => {
    await trapped?.stop();
  });

  /** A leader on gateway 0 and a member on gateway 1, in one party. */
  const party = () => partyOfTwo(stack, [`pf-lead${++seq}`, `pf-member${seq}`]);

  const givenUp = async (kind = 'queued') => {
    const text = await (await fetch(stack.httpUrl('/metrics', 0))).text();
    return Number(new RegExp(`^matchq_gateway_fanout_failures_total\\{kind="${kind}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };

  // The long outage outlasts the fanout's budget (FANOUT_BUDGET_MS) even with a Redis command
  // waiting through ioredis's reconnect backoff on its last try.
  for (const { outageMs, what, gaveUp } of [
    { outageMs: 3000, what: 'a short outage (the fanout is retried)', gaveUp: 0 },
    { outageMs: 25_000, what: 'an outage longer than the retries (given up, counted; the member is settled from Redis when it returns)', gaveUp: 1 },
  ]) {
    it(`tells the member queued after ${what}`, async () => {
      const { leader, member, memberId } = await party();
      // The fanout's look-up of the member's gateway: the moment Redis dies.
      const sprung = trap.arm(respBulk(redisKeys(stack.namespace).playerGateway(memberId)), () => redis.kill(true));
      leader.send({ type: 'join', mode: 'squad', region: 'eu', id: 'j' });
      const queued = await leader.next('queued');
      expect(queued.id).to.equal('j');
      await sprung;
      await sleep(outageMs);
      await redis.start();
      await trap.reopen();
      const told = await member.next('queued', 30_000);
      expect(told.ticketId, 'the party ticket').to.equal(queued.ticketId);
      expect(await givenUp(), 'fanouts given up so far').to.equal(gaveUp);
      leader.close();
      member.close();
    });
  }

  // A `party` frame given up (Redis away longer than the fanout's budget) is told again when Redis
  // returns, to the member who stayed connected: the party as Redis holds it, not a stale view.
  for (const { change, what } of [
    { change: 'join', what: 'a third player joined: the member is told the party of three' },
    { change: 'kick', what: 'the leader kicked the member: the member is told it is in no party' },
  ] as const) {
    it(`re-sends a party frame given up once Redis returns, when ${what}`, async () => {
      const { leader, member, leaderId, memberId } = await party();
      const before = await givenUp('party');
      const sprung = trap.arm(respBulk(redisKeys(stack.namespace).playerGateway(memberId)), () => redis.kill(true));
      let joinerId: string | undefined;
      let joiner: Awaited<ReturnType<Stack['connect']>> | undefined;
      if (change === 'join') {
        const joinerPlayer = await stack.addPlayer(`pf-joiner${seq}`);
        joinerId = joinerPlayer!.id;
        joiner = await stack.connect(joinerPlayer!.token, 0);
        const code = (leader.frames.find((frame) => frame.type === 'party' && frame.party) as { party: { code: string } }).party.code;
        joiner.send({ type: 'party.join', code, id: 'pj' });
        const joined = await joiner.next('party');
        expect(joined.id).to.equal('pj');
        expect(joined.party?.members.map((m) => m.id)).to.include(joinerId);
      } else {
        leader.send({ type: 'party.kick', playerId: memberId, id: 'pk' });
      }
      await sprung;
      // Redis stays away until the fanout's retries (FANOUT_BUDGET_MS) gave its `party` frame up.
      const deadline = Date.now() + 3 * FANOUT_BUDGET_MS;
      while ((await givenUp('party')) === before && Date.now() < deadline) await sleep(500);
      expect(await givenUp('party'), 'party fanouts given up').to.equal(before + 1);
      await redis.start();
      await trap.reopen();
      const told = await member.next('party', 30_000);
      if (change === 'join') {
        expect(
          told.party?.members.map((m) => m.id),
          'the member sees the party of three',
        ).to.have.members([leaderId, memberId, joinerId]);
      } else {
        expect(told.party, 'the kicked member sees no party').to.equal(null);
      }
      leader.close();
      member.close();
      joiner?.close();
    });
  }
});

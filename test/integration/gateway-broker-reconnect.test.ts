import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startPrivateRabbit, type PrivateRabbit } from '../../chaos/private-nodes.js';
import { redisKeys } from '../../common/names.js';
import { createProposalStore } from '../../common/proposal-store.js';
import { createTicketStore } from '../../common/ticket-store.js';
import type { MatchConfig } from '../../core/types.js';
import { proposeAsMatcher } from '../support/claims.js';
import { REDIS_URL } from '../support/namespace.js';
import { startStack, type Stack } from '../support/stack.js';

const MATCH: MatchConfig = {
  regions: ['eu'],
  modes: {
    rc3: { teams: 1, teamSize: 3, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 120, accept: { seconds: 30, cooldownSeconds: 5 } },
  },
};

/**
 * A gateway's delivery queue dies with its broker connection, so a `found` or `requeued` routed
 * while the link was down never arrives: after it reconnects, the gateway tells its players what
 * Redis holds. The broker is a private node of the test's own, restarted under the gateway.
 */
describe("what a gateway's broker reconnect lost is told from Redis (private RabbitMQ node)", function () {
  this.timeout(180_000);
  let rabbit: PrivateRabbit;
  let stack: Stack;
  let redis: Redis;

  before(async () => {
    rabbit = await startPrivateRabbit();
    stack = await startStack({ match: MATCH, without: ['matcher', 'notifier', 'recorder'], env: { AMQP_URL: rabbit.url } });
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    redis?.disconnect();
    await stack?.stop();
    await rabbit?.stop();
  });

  it("tells a party member the party's ticket whose queued was lost with the link", async () => {
    const member = await stack.addPlayer('rc-member', 1500);
    const client = await stack.connect(member.token);
    const leaderId = randomUUID();
    const ticket = {
      ticketId: randomUUID(),
      mode: 'rc3',
      region: 'eu',
      playerId: leaderId,
      rating: 1500,
      joinedAt: Date.now(),
      partyId: randomUUID(),
      members: [
        { playerId: leaderId, name: 'leader', rating: 1500 },
        { playerId: member.id, name: member.name, rating: 1500 },
      ],
    };
    // The leader's gateway opened the party's ticket; its `queued` to this member was lost with the link.
    const store = createTicketStore(redis, redisKeys(stack.namespace));
    expect(await store.open(ticket, null, 600)).to.equal(true);
    await store.confirm(ticket);
    await store.pointMembers(ticket, [member.id], 600);
    await rabbit.restartApp();
    expect(await client.next('queued', 60_000)).to.deep.include({ ticketId: ticket.ticketId, mode: 'rc3', region: 'eu' });
  });

  it('tells found for a room proposed while the link was down, then requeued for its dissolution', async () => {
    const player = await stack.addPlayer('rc-reconnect', 1500);
    const client = await stack.connect(player.token);
    client.send({ type: 'join', mode: 'rc3', region: 'eu' });
    const { ticketId } = await client.next('queued');
    const proposals = createProposalStore(redis, redisKeys(stack.namespace));
    const deadline = Date.now() + 30_000;

    // The matcher proposes the room while the gateway's broker link is down: its `found` is lost.
    const restarted = rabbit.restartApp();
    const roomId = await proposeAsMatcher(stack.namespace, { mode: 'rc3', region: 'eu' }, { playerId: player.id, ticketId }, deadline);
    await restarted;
    const found = await client.next('found', 60_000);
    expect(found).to.deep.include({ ticketId, roomId });
    client.send({ type: 'accept', roomId });
    expect(await client.next('ready')).to.deep.include({ roomId, accepted: 1, total: 3 });

    // The others stay silent: at the deadline the room dissolves, our player back in the pool; that news is lost too.
    const again = rabbit.restartApp();
    expect(await proposals.step('rc3', 'eu', roomId, 'expire', deadline + 1)).to.deep.include({ outcome: 'ok', phase: 'dissolved' });
    await again;
    expect(await client.next('requeued', 60_000)).to.deep.equal({ type: 'requeued', ticketId, reason: 'accept_timeout' });
  });
});

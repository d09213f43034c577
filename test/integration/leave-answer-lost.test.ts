import { expect } from 'chai';
import type { Stack } from '../support/stack.js';
import { partyOfTwo } from '../support/parties.js';
import { startTrappedStack, type TrappedStack } from '../support/trapped-stack.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The leave script's first line: ioredis sends a script's text with its first EVAL on a connection. */
const LEAVE_SCRIPT = 'Cancels a ticket if it is still queued';

/**
 * A party leader's `leave` whose cancel Redis ran but whose answer never came back (a Redis
 * primary killed between the two, as the cluster chaos run found): the gateways reach a private
 * Redis through a proxy that lets the leave script through, drops its answer and cuts every
 * connection for a while. The leader is answered `unavailable`; the leave must still finish, so
 * that the leader and the member on the other gateway both hear `left`, without reconnecting.
 */
describe('a leave whose answer Redis never sent (a private redis-server behind a proxy)', function () {
  this.timeout(60_000);
  let trap: TrappedStack['trap'];
  let stack: Stack;
  let trapped: TrappedStack | undefined;

  before(async () => {
    trapped = await startTrappedStack();
    ({ trap, stack } = trapped);
  });
  after(async () => {
    await trapped?.stop();
  });

  it('finishes the leave once Redis answers again: the leader and the member on the other gateway hear left cancelled', async () => {
    const { leader, member } = await partyOfTwo(stack, ['lal-lead', 'lal-member']);
    leader.send({ type: 'join', mode: 'squad', region: 'eu' });
    const queued = await leader.next('queued');
    expect((await member.next('queued')).ticketId).to.equal(queued.ticketId);

    const sprung = trap.arm(LEAVE_SCRIPT, () => sleep(200), { runIt: true });
    leader.send({ type: 'leave', id: 'bye' });
    await sprung;
    const refused = await leader.next('error', 15_000);
    expect(refused).to.include({ code: 'unavailable', id: 'bye' });
    await sleep(1500);
    await trap.reopen();

    const [leaderLeft, memberLeft] = await Promise.all([leader.next('left', 30_000), member.next('left', 30_000)]);
    expect(leaderLeft).to.include({ ticketId: queued.ticketId, reason: 'cancelled' });
    expect(memberLeft).to.include({ ticketId: queued.ticketId, reason: 'cancelled' });
    expect(leader.connected && member.connected, 'told on the sockets they had, not on a reconnect').to.equal(true);
  });
});

import { expect } from 'chai';
import type { ConsumeMessage } from 'amqplib';
import { ATTEMPTS_HEADER } from '../../common/retry-later.js';
import {
  checkClaim,
  checkDissolved,
  checkTimeout,
  epochBornAt,
  RECLAIM_RETRY_LIMIT,
  RECLAIM_WINDOW_MS,
  unclaimedFate,
  type ClaimReader,
} from '../../common/room-claims.js';
import type { RoomDissolved, RoomEvent } from '../../common/messages.js';
import type { TicketState } from '../../common/ticket-store.js';

const CREATED = Date.parse('2026-12-02T10:00:00.000Z');

const room = {
  v: 1,
  id: 'r1',
  mode: 'ffa3',
  region: 'global',
  createdAt: new Date(CREATED).toISOString(),
  spread: 0,
  players: ['a', 'b', 'c'].map((ticketId) => ({ ticketId, playerId: `p-${ticketId}`, name: ticketId, rating: 1500, team: 0, waitedMs: 0 })),
} as unknown as RoomEvent;

/** Redis as the check reads it: each ticket's state and room, and the pool's epoch. */
function reader(tickets: ([TicketState, string?] | null)[], epoch: string | null): ClaimReader {
  return {
    states: async () => tickets.map((ticket) => ({ state: ticket?.[0] ?? null, roomId: ticket?.[1] ?? null })),
    readEpoch: async () => epoch,
  };
}

const before = `e ${CREATED - 1}`;
const after = `e ${CREATED + 1}`;
const message = (attempts: number) => ({ properties: { headers: { [ATTEMPTS_HEADER]: attempts } } }) as unknown as ConsumeMessage;

describe('room claims: was the room claimed, and may Redis have lost its claim', () => {
  it('is claimed only when every ticket is matched to this very room', async () => {
    expect(
      await checkClaim(
        reader(
          [
            ['matched', 'r1'],
            ['matched', 'r1'],
            ['matched', 'r1'],
          ],
          before,
        ),
        room,
      ),
    ).to.deep.equal({ claimed: true });
    const elsewhere = await checkClaim(
      reader(
        [
          ['matched', 'r1'],
          ['matched', 'r2'],
          ['matched', 'r1'],
        ],
        after,
      ),
      room,
    );
    expect(elsewhere).to.deep.equal({ claimed: false, reason: 'room not claimed by a matcher: ticket b is matched to room r2', awaitingReclaim: false });
  });

  it('waits for a new claim only when Redis data began soon after the room was made and no ticket contradicts it', async () => {
    const cases: [([TicketState, string?] | null)[], string | null, boolean][] = [
      [[null, ['queued'], ['matched', 'r1']], after, true],
      [[null, null, null], null, true],
      [[null, null, null], `e ${CREATED}`, true],
      [[null, ['queued'], ['matched', 'r1']], before, false],
      [[null, null, null], `e ${CREATED + RECLAIM_WINDOW_MS}`, true],
      [[null, null, null], `e ${CREATED + RECLAIM_WINDOW_MS + 1}`, false],
      [[null, ['cancelled'], null], after, false],
      [[['timeout'], null, null], null, false],
      [[['matched', 'r2'], null, null], after, false],
    ];
    for (const [tickets, epoch, awaiting] of cases) {
      const verdict = await checkClaim(reader(tickets, epoch), room);
      expect(verdict, JSON.stringify({ tickets, epoch })).to.deep.include({ claimed: false, awaitingReclaim: awaiting });
    }
  });

  it('names the first ticket that disagrees, as the dead letter will', async () => {
    const verdict = await checkClaim(reader([['matched', 'r1'], null, ['queued']], after), room);
    expect(verdict).to.deep.include({ reason: 'room not claimed by a matcher: ticket b is unknown to Redis' });
  });

  it(`retries a room awaiting its new claim ${RECLAIM_RETRY_LIMIT} times, then dead-letters it; any other at once`, () => {
    const awaiting = { claimed: false as const, reason: 'x', awaitingReclaim: true };
    expect(unclaimedFate(awaiting, message(0))).to.equal('retry');
    expect(unclaimedFate(awaiting, message(RECLAIM_RETRY_LIMIT - 1))).to.equal('retry');
    expect(unclaimedFate(awaiting, message(RECLAIM_RETRY_LIMIT))).to.equal('dead');
    expect(unclaimedFate({ ...awaiting, awaitingReclaim: false }, message(0))).to.equal('dead');
  });

  it('takes a timeout only when a matcher ended its ticket by it; waits for one Redis may have lost', async () => {
    const timeout = { v: 1, ticketId: 'a', playerId: 'p-a', mode: 'ffa3', region: 'global' } as const;
    expect(await checkTimeout(reader([['timeout']], before), timeout, CREATED)).to.deep.equal({ claimed: true });
    expect(await checkTimeout(reader([['queued']], before), timeout, CREATED)).to.deep.equal({
      claimed: false,
      reason: 'timeout not decided by a matcher: ticket a is queued',
      awaitingReclaim: false,
    });
    expect(await checkTimeout(reader([null], after), timeout, CREATED)).to.deep.include({ awaitingReclaim: true });
    expect(await checkTimeout(reader([null], after), timeout, null), 'no timestamp: no telling').to.deep.include({ awaitingReclaim: false });
    expect(await checkTimeout(reader([['cancelled']], after), timeout, CREATED)).to.deep.include({ awaitingReclaim: false });
  });

  it("takes a dissolution only when Redis ended each of its left seats' tickets by it", async () => {
    const news: RoomDissolved = {
      v: 1,
      roomId: 'r1',
      mode: 'ffa3',
      region: 'global',
      reason: 'declined',
      players: [
        { playerId: 'p-a', ticketId: 'a', outcome: 'left' },
        { playerId: 'p-b', ticketId: 'b', outcome: 'requeued' },
      ],
    };
    for (const state of ['declined', 'accept_timeout', 'allocation_failed'] as const)
      expect(await checkDissolved(reader([[state]], null), news)).to.deep.equal({ claimed: true });
    expect(await checkDissolved(reader([['queued']], null), news)).to.deep.equal({
      claimed: false,
      reason: 'dissolution not decided by a matcher: ticket a is queued',
      awaitingReclaim: false,
    });
    expect(await checkDissolved(reader([['matched', 'r9']], null), news)).to.deep.include({ claimed: false });
    expect(await checkDissolved(reader([null], null), news)).to.deep.include({ claimed: false });
    const onlyRequeued = { ...news, players: [news.players[1]!] };
    expect(await checkDissolved(reader([], null), onlyRequeued), 'requeued seats change nothing a player holds').to.deep.equal({ claimed: true });
  });

  it('reads the birth time of an epoch, and none from a missing or malformed one', () => {
    expect(epochBornAt('id 1234')).to.equal(1234);
    expect(epochBornAt(null)).to.equal(null);
    expect(epochBornAt('id')).to.equal(null);
    expect(epochBornAt('id soon')).to.equal(null);
  });
});

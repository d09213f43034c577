import type { ConsumeMessage } from 'amqplib';
import type { RoomDissolved, RoomEvent, TicketTimeout } from './messages.js';
import { attemptsOf } from './retry-later.js';
import type { TicketState } from './ticket-store.js';

/** The reads a room's check needs (TicketStore.states and readEpoch). */
export interface ClaimReader {
  states(mode: string, region: string, ticketIds: string[]): Promise<{ state: TicketState | null; roomId: string | null }[]>;
  readEpoch(mode: string, region: string): Promise<string | null>;
}

export type ClaimVerdict =
  | { claimed: true }
  | {
      claimed: false;
      reason: string;
      /**
       * Redis may have lost the claim rather than never held it: its data for the pool began
       * after the room was made (within RECLAIM_WINDOW_MS), and no ticket contradicts the room. The pool's matcher claims
       * its recent rooms again when it sees Redis lost them (services/matcher/pool-worker.ts).
       */
      awaitingReclaim: boolean;
    };

/**
 * How long a matcher keeps each room it sent on, to claim it again if Redis loses the pool's
 * data: the notifier and the recorder may take a room from their queues that much later (one of
 * them restarting). An older room is never claimed again, so nobody waits for that.
 */
export const RECLAIM_WINDOW_MS = 120_000;

/**
 * Retries a room awaiting its matcher's new claim gets: the pauses of the first ones add up to
 * half a minute, ample for a matcher that checks its pools' epochs every second. A forged room
 * dated before Redis's data began ends in the dead queue after them, never delivered.
 */
export const RECLAIM_RETRY_LIMIT = 5;

/** When Redis's data for a pool began (the epoch's second word), or null without an epoch. */
export function epochBornAt(epoch: string | null): number | null {
  const bornAt = Number(epoch?.split(' ')[1]);
  return epoch !== null && Number.isFinite(bornAt) ? bornAt : null;
}

/**
 * Whether a matcher claimed the room: every one of its tickets must be held by Redis as
 * matched to this very room id (claim-room.lua writes that before the matcher publishes).
 * Anyone who may publish on the rooms exchange can forge an event; no one but a matcher's
 * claim makes Redis agree with it.
 */
export async function checkClaim(reader: ClaimReader, room: RoomEvent): Promise<ClaimVerdict> {
  const states = await reader.states(
    room.mode,
    room.region,
    room.players.map((player) => player.ticketId),
  );
  return claimVerdict(room, states, () => reader.readEpoch(room.mode, room.region));
}

/**
 * checkClaim's verdict from the room's ticket states already read (in the order of its players);
 * `readEpoch` is called only for a room not claimed, which is rare.
 */
export async function claimVerdict(
  room: RoomEvent,
  states: { state: TicketState | null; roomId: string | null }[],
  readEpoch: () => Promise<string | null>,
): Promise<ClaimVerdict> {
  const index = states.findIndex(({ state, roomId }) => state !== 'matched' || roomId !== room.id);
  if (index < 0) return { claimed: true };
  const { state, roomId } = states[index]!;
  const undecided = states.every((ticket) => ticket.state === null || ticket.state === 'queued' || (ticket.state === 'matched' && ticket.roomId === room.id));
  return {
    claimed: false,
    reason: `room not claimed by a matcher: ticket ${room.players[index]!.ticketId} is ${describe(state, roomId)}`,
    awaitingReclaim: undecided && mayHaveLost(await readEpoch(), Date.parse(room.createdAt)),
  };
}

/**
 * Whether a matcher ended the ticket by its timeout (expire-tickets.lua writes that before the
 * matcher publishes): a timeout anyone else publishes would tell a waiting player `left timeout`.
 * `madeAt` is the message's own timestamp (ms), when it has one.
 */
export async function checkTimeout(reader: ClaimReader, timeout: TicketTimeout, madeAt: number | null): Promise<ClaimVerdict> {
  const [ticket] = await reader.states(timeout.mode, timeout.region, [timeout.ticketId]);
  const { state, roomId } = ticket!;
  if (state === 'timeout') return { claimed: true };
  const undecided = state === null || state === 'queued';
  return {
    claimed: false,
    reason: `timeout not decided by a matcher: ticket ${timeout.ticketId} is ${describe(state, roomId)}`,
    awaitingReclaim: undecided && madeAt !== null && mayHaveLost(await reader.readEpoch(timeout.mode, timeout.region), madeAt),
  };
}

/** The states a dissolved room's `left` seats end in: a ready check's decline or silence, an allocator's last failure. */
const DISSOLVED_ENDS: ReadonlySet<TicketState> = new Set<TicketState>(['declined', 'accept_timeout', 'allocation_failed']);

/**
 * Whether the dissolution's `left` seats were ended in Redis (step-room.lua, fail-allocation.lua
 * write that before the matcher or allocator publishes): a forged one would tell a waiting player
 * `left`, and the outcome marked told would swallow their real room. `requeued` seats change
 * nothing a player holds, so only the `left` ones are checked. Nothing here waits for a claim
 * made again: a dissolution Redis lost is dead-lettered, and its player, still queued, is ended
 * by the gateway's last line of defence (Guarantees).
 */
export async function checkDissolved(reader: ClaimReader, news: RoomDissolved): Promise<ClaimVerdict> {
  const left = [...new Set(news.players.filter((player) => player.outcome === 'left').map((player) => player.ticketId))];
  if (left.length === 0) return { claimed: true };
  const states = await reader.states(news.mode, news.region, left);
  const index = states.findIndex(({ state }) => state === null || !DISSOLVED_ENDS.has(state));
  if (index < 0) return { claimed: true };
  const { state, roomId } = states[index]!;
  return { claimed: false, reason: `dissolution not decided by a matcher: ticket ${left[index]} is ${describe(state, roomId)}`, awaitingReclaim: false };
}

const describe = (state: TicketState | null, roomId: string | null) =>
  state === null ? 'unknown to Redis' : state === 'matched' ? `matched to room ${roomId}` : state;

/** Redis's data for the pool began after `madeAt`, within RECLAIM_WINDOW_MS of it (or Redis holds no epoch yet). */
function mayHaveLost(epoch: string | null, madeAt: number): boolean {
  const bornAt = epochBornAt(epoch);
  return bornAt === null || (madeAt <= bornAt && madeAt >= bornAt - RECLAIM_WINDOW_MS);
}

/** What to do with a room that is not claimed: wait for its matcher's new claim a few times, or dead-letter it. */
export function unclaimedFate(verdict: Extract<ClaimVerdict, { claimed: false }>, message: ConsumeMessage): 'retry' | 'dead' {
  return verdict.awaitingReclaim && attemptsOf(message) < RECLAIM_RETRY_LIMIT ? 'retry' : 'dead';
}

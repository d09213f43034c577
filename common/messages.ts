import { z } from 'zod';
import { NAME } from '../core/match-config.js';
import { partySchema, roomPlayerSchema, roomSchema } from '../packages/client/src/wire/index.js';

/**
 * Every message on the broker, as zod schemas: the room event is the contract's (the room
 * players see in `matched`, declared in the wire module, plus `v`); requests, timeouts and
 * deliveries are matchq's own.
 */

/** PostgreSQL text holds no NUL character (nor does jsonb): refused here, not by the database. */
const pgText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => !text.includes('\u0000'), 'must not contain NUL characters');
const id = pgText(64).min(1);
const name = z.string().regex(NAME);
const INT4_MAX = 2_147_483_647;
/** A number stored rounded in an int4 column. */
const roundsToInt4 = z
  .number()
  .gte(-INT4_MAX - 1.5)
  .lt(INT4_MAX + 0.5);
/** A count stored as it is in an int4 column. */
const int4Count = z.number().int().nonnegative().max(INT4_MAX);
/** An ISO-8601 UTC instant PostgreSQL's timestamptz takes (there is no year 0). */
const instant = z.iso.datetime().refine((text) => Number(text.slice(0, 4)) >= 1, 'year 0 does not exist');

/** One member of a party ticket, at their own rating in the ticket's mode. */
export const partyMember = z.object({
  playerId: id,
  name: z.string().min(1).max(64),
  rating: z.number().finite(),
});
export type PartyMemberRequest = z.infer<typeof partyMember>;

/**
 * A ticket joining its pool. A party's ticket (contract v1.1) carries `partyId` and `members`
 * (the party, in its order, the leader who queued it being `playerId`); the matcher rates it
 * from the members by the mode's `party.aggregate`. `rating` is then the party's rating as the
 * gateway told the players in `queued`.
 */
export const joinRequest = z
  .object({
    v: z.literal(1),
    type: z.literal('join'),
    ticketId: id,
    playerId: id,
    name: z.string().min(1).max(64),
    rating: z.number().finite(),
    mode: name,
    region: name,
    joinedAt: z.number().int().nonnegative(),
    partyId: id.optional(),
    members: z.array(partyMember).min(1).max(64).optional(),
  })
  .refine((join) => (join.partyId === undefined) === (join.members === undefined), { message: 'partyId and members come together', path: ['members'] })
  .refine((join) => !join.members || join.members.some((member) => member.playerId === join.playerId), { message: 'must include playerId', path: ['members'] })
  .refine((join) => !join.members || new Set(join.members.map((member) => member.playerId)).size === join.members.length, {
    message: 'must not repeat a player',
    path: ['members'],
  });
export type JoinRequest = z.infer<typeof joinRequest>;

export const leaveRequest = z.object({
  v: z.literal(1),
  type: z.literal('leave'),
  ticketId: id,
  playerId: id,
  mode: name,
  region: name,
});
export type LeaveRequest = z.infer<typeof leaveRequest>;

export const poolRequest = z.discriminatedUnion('type', [joinRequest, leaveRequest]);
export type PoolRequest = z.infer<typeof poolRequest>;

/** A room's seat: every field fits the history table it is recorded in (room_players). */
export const roomPlayer = roomPlayerSchema.extend({
  playerId: id,
  ticketId: id,
  name: pgText(64),
  rating: roundsToInt4,
  team: int4Count,
  waitedMs: int4Count,
  partyId: id.nullable().optional(),
  matchRating: roundsToInt4.optional(),
});

export const roomEvent = z.object({
  v: z.literal(1),
  ...roomSchema.shape,
  id: z.string().uuid(),
  mode: name,
  region: name,
  createdAt: instant,
  spread: roundsToInt4,
  // No longer sent (the event holds the contract's fields only); an event from before may carry it.
  imbalance: roundsToInt4.optional(),
  players: z.array(roomPlayer).min(1),
});
export type RoomEvent = z.infer<typeof roomEvent>;
export const ROOM_EVENT_TYPE = 'room.v1';

/**
 * A final room on its way to a game server (only with an ALLOCATOR): the room event, and the
 * joins of its tickets as the matcher took them, republished as they were if the room is
 * released, so each ticket goes back to its pool with its join time.
 */
export const allocationRequest = z.object({
  v: z.literal(1),
  room: roomEvent,
  joins: z.array(joinRequest),
});
export type AllocationRequest = z.infer<typeof allocationRequest>;
export const ALLOCATION_EVENT_TYPE = 'allocation.v1';

/** The room as a player sees it: the room event without its version field. */
export function roomForPlayer({ v: _version, ...room }: RoomEvent): Omit<RoomEvent, 'v'> {
  return room;
}

/** A ticket the matcher ended unmatched; sent to the notifier queue for routing. */
export const ticketTimeout = z.object({
  v: z.literal(1),
  ticketId: id,
  playerId: id,
  mode: name,
  region: name,
  /** A party ticket's members (contract v1.1): each is told; absent for a solo ticket. */
  playerIds: z.array(id).optional(),
});
export type TicketTimeout = z.infer<typeof ticketTimeout>;
export const TIMEOUT_EVENT_TYPE = 'timeout.v1';

/** Ready check: a room was proposed; the notifier tells each player `found`. */
export const roomProposal = z.object({
  v: z.literal(1),
  roomId: id,
  mode: name,
  region: name,
  /** Epoch ms after which no answer counts. */
  deadline: z.number().int().nonnegative(),
  players: z.array(z.object({ playerId: id, ticketId: id, name: z.string() })).min(1),
});
export type RoomProposal = z.infer<typeof roomProposal>;
export const PROPOSAL_EVENT_TYPE = 'proposal.v1';

/** Ready check: a proposed room dissolved; each ticket went back to its pool or ended (`left` with the reason). */
export const roomDissolved = z.object({
  v: z.literal(1),
  roomId: id,
  mode: name,
  region: name,
  reason: z.enum(['declined', 'accept_timeout', 'allocation_failed']),
  players: z.array(z.object({ playerId: id, ticketId: id, outcome: z.enum(['requeued', 'left']) })).min(1),
});
export type RoomDissolved = z.infer<typeof roomDissolved>;
export const DISSOLVED_EVENT_TYPE = 'dissolved.v1';

/** What the notifier sends one gateway: outcomes for players whose socket it holds. */
export const delivery = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('found'), proposal: roomProposal, playerIds: z.array(id) }),
  z.object({ kind: z.literal('dissolved'), dissolved: roomDissolved, playerIds: z.array(id) }),
  /** Sent by the gateway that took an accept, to the gateways of the room's other players. */
  z.object({ kind: z.literal('ready'), roomId: id, accepted: z.number().int().nonnegative(), total: z.number().int().positive(), playerIds: z.array(id) }),
  z.object({ kind: z.literal('room'), room: roomEvent, playerIds: z.array(id) }),
  z.object({ kind: z.literal('timeout'), timeout: ticketTimeout }),
  /** A newer socket of this player opened on another gateway: close ours with 4000. */
  z.object({ kind: z.literal('kick'), playerId: id, connectionId: id }),
  /** v1.1: a party changed; each player gets a `party` frame (null: they are in none now). */
  z.object({ kind: z.literal('party'), playerIds: z.array(id), party: partySchema.nullable() }),
  /** v1.1: the party's leader opened its ticket; each member gets `queued`. */
  z.object({
    kind: z.literal('queued'),
    playerIds: z.array(id),
    ticket: z.object({ ticketId: id, mode: name, region: name, rating: z.number(), joinedAt: z.number(), partyId: id.optional() }),
  }),
  /** v1.1: the party's ticket ended without a room; each member gets `left` with the reason, once. */
  z.object({
    kind: z.literal('ended'),
    playerIds: z.array(id),
    ticket: z.object({ ticketId: id, mode: name, region: name }),
    // `declined`: told by the decliner's gateway at once, not only by the dissolved room (ready-check.ts).
    reason: z.enum(['cancelled', 'party_changed', 'declined']),
  }),
]);
export type Delivery = z.infer<typeof delivery>;

/**
 * A room delivery around the room event's bytes as they came off the broker: the notifier
 * does not parse-and-serialise a room again per gateway. Equal to `encode` of the delivery.
 */
export function roomDelivery(playerIds: string[], roomBytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`{"kind":"room","playerIds":${JSON.stringify(playerIds)},"room":`), roomBytes, Buffer.from('}')]);
}

/** Most deliveries one batch carries; a notifier with more for one gateway in one turn sends several batches. */
export const MAX_BATCH_DELIVERIES = 256;

/**
 * Several deliveries for one gateway in one AMQP message: what the notifier routes to a gateway
 * in one event-loop turn (services/notifier/delivery-batcher.ts). A gateway takes a batch and
 * every single delivery above alike (a notifier of the version before batches sends singles);
 * a notifier sends batches only to gateways whose who-is-where entry says they take them
 * (DELIVERY_BATCHES_WORD), so gateways and notifiers may be upgraded in any order.
 */
export const deliveryBatch = z.object({
  kind: z.literal('batch'),
  deliveries: z.array(delivery).min(1).max(MAX_BATCH_DELIVERIES),
});
export type DeliveryBatch = z.infer<typeof deliveryBatch>;

/** The word a gateway that takes batches adds to its players' who-is-where entries (TicketStore.setGateway). */
export const DELIVERY_BATCHES_WORD = 'batches';

const BATCH_OPENING = Buffer.from('{"kind":"batch","deliveries":[');
const BATCH_CLOSING = Buffer.from(']}');
const COMMA = Buffer.from(',');

/** A batch around deliveries already encoded (each `encode`d or a `roomDelivery`). Equal to `encode` of the batch. */
export function batchDelivery(encoded: Buffer[]): Buffer {
  const parts: Buffer[] = [BATCH_OPENING];
  encoded.forEach((item, index) => {
    if (index > 0) parts.push(COMMA);
    parts.push(item);
  });
  parts.push(BATCH_CLOSING);
  return Buffer.concat(parts);
}

/**
 * What a gateway reads off its delivery queue: one delivery, or a batch's deliveries in order.
 * A batch's deliveries are checked one by one, so one that breaks the schema (listed in
 * `invalid` with why) does not cost the others their telling. A message that is no delivery
 * and no batch at all throws InvalidMessage.
 */
export function decodeDeliveries(content: Buffer): { deliveries: Delivery[]; invalid: string[] } {
  const json = parseJson(content);
  if (typeof json !== 'object' || json === null || (json as { kind?: unknown }).kind !== 'batch') return { deliveries: [check(delivery, json)], invalid: [] };
  const items = (json as { deliveries?: unknown }).deliveries;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH_DELIVERIES)
    throw new InvalidMessage(`deliveries: a batch holds 1 to ${MAX_BATCH_DELIVERIES} deliveries`);
  const deliveries: Delivery[] = [];
  const invalid: string[] = [];
  items.forEach((item, index) => {
    try {
      deliveries.push(check(delivery, item));
    } catch (error) {
      invalid.push(`deliveries.${index}: ${(error as Error).message}`);
    }
  });
  return { deliveries, invalid };
}

/** A message that can never be processed; it goes to the dead queue with the reason. */
export class InvalidMessage extends Error {
  override name = 'InvalidMessage';
}

export function decode<T>(schema: z.ZodType<T>, content: Buffer): T {
  return check(schema, parseJson(content));
}

function parseJson(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    throw new InvalidMessage('not JSON');
  }
}

function check<T>(schema: z.ZodType<T>, json: unknown): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidMessage(`${issue.path.join('.') || 'message'}: ${issue.message}`);
  }
  return parsed.data;
}

export function encode(message: unknown): Buffer {
  return Buffer.from(JSON.stringify(message));
}

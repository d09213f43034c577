import { expect } from 'chai';
import fc from 'fast-check';
import {
  decode,
  decodeDeliveries,
  delivery,
  deliveryBatch,
  InvalidMessage,
  joinRequest,
  leaveRequest,
  MAX_BATCH_DELIVERIES,
  poolRequest,
  roomEvent,
  ticketTimeout,
} from '../../common/messages.js';
import { parseServerFrame } from '../../packages/client/src/wire/index.js';

/** Every decoder of a message matchq takes off the broker, by the name of what it reads. */
const DECODERS = { joinRequest, leaveRequest, poolRequest, roomEvent, ticketTimeout, delivery, deliveryBatch } as const;

const validRoom = {
  v: 1,
  id: '3f0c1b7e-7a0e-4b8e-9a51-5b8a2f0f6d11',
  mode: 'ffa3',
  region: 'global',
  createdAt: '2026-12-01T10:00:00.000Z',
  spread: 3,
  imbalance: 0,
  players: [{ playerId: 'p1', ticketId: 't1', name: 'ada', rating: 1500, team: 0, waitedMs: 10 }],
};

/** A valid room with one field replaced by anything: the bodies a careless or hostile publisher sends. */
const spoiledRoom = fc
  .record({
    field: fc.constantFrom('v', 'id', 'mode', 'region', 'createdAt', 'spread', 'imbalance', 'players', 'constructor', '__proto__'),
    seatField: fc.constantFrom('playerId', 'ticketId', 'name', 'rating', 'team', 'waitedMs', 'partyId', 'matchRating'),
    value: fc.oneof(fc.anything(), fc.double(), fc.string(), fc.constant(2 ** 31), fc.constant('\u0000'), fc.constant('0000-01-01T00:00:00Z')),
    inSeat: fc.boolean(),
  })
  .map(({ field, seatField, value, inSeat }) => {
    const room = structuredClone(validRoom) as unknown as Record<string, unknown>;
    if (inSeat) (room.players as Record<string, unknown>[])[0]![seatField] = value;
    else room[field] = value;
    return Buffer.from(JSON.stringify(room) ?? 'null');
  });

const anyBody = fc.oneof(
  fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
  fc.string().map((text) => Buffer.from(text)),
  fc.json().map((text) => Buffer.from(text)),
  fc.anything().map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  spoiledRoom,
);

/** Decoding either gives a value or throws InvalidMessage (which goes to matchq.dead); nothing else escapes. */
function decodesOrRefuses(schema: (typeof DECODERS)[keyof typeof DECODERS], body: Buffer): void {
  try {
    decode(schema as never, body);
  } catch (error) {
    if (!(error instanceof InvalidMessage)) throw error;
    expect(error.message).to.be.a('string').and.not.equal('');
  }
}

describe('fuzzing: every message decoder and the client frame parser take anything', () => {
  for (const [name, schema] of Object.entries(DECODERS)) {
    it(`${name}: any body decodes or is refused as InvalidMessage, never another throw`, () => {
      fc.assert(
        fc.property(anyBody, (body) => decodesOrRefuses(schema, body)),
        { numRuns: 500 },
      );
    });
  }

  it("decodeDeliveries (a gateway's delivery queue): any body gives deliveries that pass the schema or is refused as InvalidMessage", () => {
    const batchOf = (items: unknown[]) => Buffer.from(JSON.stringify({ kind: 'batch', deliveries: items }));
    const bodies = fc.oneof(
      anyBody,
      fc.array(fc.oneof(fc.anything(), fc.constant({ kind: 'room', playerIds: ['p1'], room: validRoom })), { maxLength: 4 }).map(batchOf),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        try {
          const { deliveries } = decodeDeliveries(body);
          for (const each of deliveries) expect(delivery.safeParse(each).success).to.equal(true);
        } catch (error) {
          if (!(error instanceof InvalidMessage)) throw error;
        }
      }),
      { numRuns: 500 },
    );
  });

  it("decodeDeliveries: a batch's deliveries in order, one that breaks the schema left out with why, a batch of none or too many refused", () => {
    const room = { kind: 'room', playerIds: ['p1'], room: validRoom };
    const kick = { kind: 'kick', playerId: 'p1', connectionId: 'c1' };
    const batch = (deliveries: unknown[]) => Buffer.from(JSON.stringify({ kind: 'batch', deliveries }));
    expect(decodeDeliveries(Buffer.from(JSON.stringify(kick)))).to.deep.equal({ deliveries: [kick], invalid: [] });
    expect(decodeDeliveries(batch([room, kick]))).to.deep.equal({ deliveries: [room, kick], invalid: [] });
    const { deliveries, invalid } = decodeDeliveries(batch([kick, { kind: 'room', playerIds: ['p1'], room: { ...validRoom, id: 'not-a-uuid' } }, room]));
    expect(deliveries).to.deep.equal([kick, room]);
    expect(invalid)
      .to.have.length(1)
      .and.to.match(/^deliveries\.1: room\.id: /);
    expect(() => decodeDeliveries(batch([]))).to.throw(InvalidMessage);
    expect(() => decodeDeliveries(batch(Array.from({ length: MAX_BATCH_DELIVERIES + 1 }, () => kick)))).to.throw(InvalidMessage);
    expect(() => decodeDeliveries(Buffer.from('{"kind":"batch"'))).to.throw(InvalidMessage, 'not JSON');
  });

  it('roomEvent: a spoiled field the history tables cannot hold is refused, a valid room is not', () => {
    expect(decode(roomEvent, Buffer.from(JSON.stringify(validRoom))).id).to.equal(validRoom.id);
    for (const spoil of [{ createdAt: 'soon' }, { createdAt: '0000-01-01T00:00:00Z' }, { spread: 2 ** 31 }, { imbalance: -(2 ** 32) }]) {
      expect(() => decode(roomEvent, Buffer.from(JSON.stringify({ ...validRoom, ...spoil }))), JSON.stringify(spoil)).to.throw(InvalidMessage);
    }
  });

  it('parseServerFrame (the client side): any text parses or is refused with a reason, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.anything().map((value) => JSON.stringify(value) ?? 'null'),
        ),
        (text) => {
          const parsed = parseServerFrame(text);
          if (!parsed.ok) expect(['not_json', 'unknown_type', 'invalid']).to.include(parsed.reason);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

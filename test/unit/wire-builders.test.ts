import { expect } from 'chai';
import fc from 'fast-check';
import { batchDelivery, encode, roomDelivery } from '../../common/messages.js';
import {
  encodeClientFrame,
  encodeServerFrame,
  joinFrame,
  matchedFrame,
  parseServerFrame,
  queuedFrame,
  searchingFrame,
  serverFrameSchemas,
  type QueuedFrame,
  type Room,
  type ServerFrame,
} from '../../packages/client/src/wire/index.js';

// Any text, lone surrogates and quotes included: a builder must escape as JSON.stringify does.
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('"', '\\', '\u2028', '</script>'));
const requestId = fc.option(fc.oneof(fc.string({ maxLength: 64 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), { nil: undefined });
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));

const roomArb: fc.Arbitrary<Room> = fc.record(
  {
    id: fc.uuid(),
    mode: text,
    region: text,
    createdAt: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    spread: fc.nat(),
    imbalance: fc.nat(),
    players: fc.array(
      fc.record(
        {
          playerId: fc.uuid(),
          ticketId: fc.uuid(),
          name: text,
          rating: number,
          team: fc.nat(3),
          waitedMs: fc.nat(),
          partyId: fc.option(fc.uuid(), { nil: undefined }),
          matchRating: fc.option(number, { nil: undefined }),
        },
        { requiredKeys: ['playerId', 'ticketId', 'name', 'rating', 'team', 'waitedMs'] },
      ),
      { minLength: 1, maxLength: 6 },
    ),
  },
  { requiredKeys: ['id', 'mode', 'region', 'createdAt', 'spread', 'imbalance', 'players'] },
);

describe('the wire module: fast builders equal JSON.stringify of the typed frame', () => {
  it('searching', () => {
    fc.assert(
      fc.property(text, fc.nat(), number, (ticketId, waitedMs, window) => {
        const frame: ServerFrame = { type: 'searching', ticketId, waitedMs, window };
        const built = searchingFrame(ticketId, waitedMs, window);
        expect(built).to.equal(JSON.stringify(frame));
        expect(parseServerFrame(built)).to.deep.equal({ ok: true, frame: JSON.parse(built) });
      }),
      { numRuns: 1000 },
    );
  });

  it('matched, around the room serialised once, with or without a join token', () => {
    fc.assert(
      fc.property(text, roomArb, fc.option(text, { nil: undefined }), (ticketId, room, joinToken) => {
        const frame: ServerFrame = { type: 'matched', ticketId, room, joinToken };
        const built = matchedFrame(ticketId, JSON.stringify(room), joinToken);
        expect(built).to.equal(JSON.stringify(frame));
        expect(serverFrameSchemas.matched.safeParse(JSON.parse(built)).success).to.equal(true);
      }),
      { numRuns: 500 },
    );
  });

  it('queued, with or without the request id', () => {
    fc.assert(
      fc.property(text, text, text, number, requestId, (ticketId, mode, region, rating, id) => {
        const frame: QueuedFrame = { type: 'queued', ticketId, mode, region, rating, id };
        expect(queuedFrame(frame)).to.equal(JSON.stringify(frame));
        expect(encodeServerFrame(frame)).to.equal(JSON.stringify(frame));
      }),
      { numRuns: 1000 },
    );
  });

  it('join, on the client side', () => {
    fc.assert(
      fc.property(text, text, requestId, (mode, region, id) => {
        expect(joinFrame(mode, region, id)).to.equal(JSON.stringify({ type: 'join', mode, region, id }));
        expect(encodeClientFrame({ type: 'join', mode, region, id })).to.equal(JSON.stringify({ type: 'join', mode, region, id }));
      }),
      { numRuns: 1000 },
    );
  });

  it("the notifier's room delivery, around the room event's bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.uuid(), { maxLength: 5 }), roomArb, (playerIds, room) => {
        const event = { v: 1, ...room };
        expect(roomDelivery(playerIds, encode(event)).toString()).to.equal(encode({ kind: 'room', playerIds, room: event }).toString());
      }),
      { numRuns: 300 },
    );
  });

  it("the notifier's batch of deliveries for one gateway, around each delivery's bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(fc.uuid(), { maxLength: 5 }), roomArb), { minLength: 1, maxLength: 6 }), (rooms) => {
        const deliveries = rooms.map(([playerIds, room]) => ({ kind: 'room', playerIds, room: { v: 1, ...room } }));
        const encoded = deliveries.map((body) => roomDelivery(body.playerIds, encode(body.room)));
        expect(batchDelivery(encoded).toString()).to.equal(encode({ kind: 'batch', deliveries }).toString());
      }),
      { numRuns: 200 },
    );
  });
});

describe('the wire module: reading server frames', () => {
  it('takes every v1 and v1.1 frame the contract shows', () => {
    const room = {
      id: 'r',
      mode: 'ffa3',
      region: 'eu',
      createdAt: '2026-01-01T00:00:00.000Z',
      spread: 3,
      imbalance: 0,
      players: [{ playerId: 'p', ticketId: 't', name: 'ada', rating: 1512, team: 0, waitedMs: 1830, partyId: null, matchRating: 1512 }],
      server: { address: '10.0.0.1:7777', name: 'gs-1' },
    };
    const frames: ServerFrame[] = [
      { type: 'hello', player: { id: 'p', name: 'ada', rating: 1500, ratings: { ffa3: 1512 } }, modes: ['ffa3'], regions: ['eu'] },
      { type: 'queued', ticketId: 't', mode: 'ffa3', region: 'eu', rating: 1500, id: 1 },
      { type: 'searching', ticketId: 't', waitedMs: 1003, window: 50.15 },
      { type: 'matched', ticketId: 't', room, joinToken: 'a.b.c' },
      ...(['cancelled', 'timeout', 'party_changed', 'declined', 'accept_timeout', 'allocation_failed'] as const).map((reason): ServerFrame => ({
        type: 'left',
        ticketId: 't',
        reason,
      })),
      { type: 'error', code: 'cooling_down', message: 'wait', retryInMs: 4000 },
      { type: 'error', code: 'party_full', message: 'full', id: 'x' },
      { type: 'party', party: { id: 'q', code: 'ABC234', leader: 'p', members: [{ id: 'p', name: 'ada', rating: 1500 }] } },
      { type: 'party', party: null },
      { type: 'found', ticketId: 't', roomId: 'r', expiresInMs: 10_000, players: [{ id: 'p', name: 'ada' }] },
      { type: 'ready', roomId: 'r', accepted: 1, total: 3 },
      ...(['declined', 'accept_timeout', 'allocation_failed'] as const).map((reason): ServerFrame => ({ type: 'requeued', ticketId: 't', reason })),
    ];
    for (const frame of frames) expect(parseServerFrame(JSON.stringify(frame)), frame.type).to.deep.equal({ ok: true, frame });
  });

  it('refuses a cooling_down without retryInMs, and says which frames it does not know', () => {
    expect(parseServerFrame('{"type":"error","code":"cooling_down","message":"wait"}')).to.include({ ok: false, reason: 'invalid', type: 'error' });
    expect(parseServerFrame('{"type":"error","code":"nope","message":"x"}')).to.include({ ok: false, reason: 'invalid' });
    expect(parseServerFrame('{"type":"tournament"}')).to.include({ ok: false, reason: 'unknown_type', type: 'tournament' });
    expect(parseServerFrame('nope')).to.include({ ok: false, reason: 'not_json' });
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { roomEvent } from '../../common/messages.js';
import { ticketIdsOf, toRoomEvent } from '../../services/matcher/room-event.js';
import { roomRows } from '../../services/recorder/room-rows.js';

const formedRoom = fc
  .array(fc.record({ rating: fc.integer({ min: 0, max: 4000 }), wait: fc.integer({ min: 0, max: 300_000 }) }), { minLength: 1, maxLength: 10 })
  .map((seats) => {
    const ratings = seats.map((seat) => seat.rating);
    return {
      tickets: seats.map((seat, index) => ({ ticketId: `t${index}`, playerId: `p${index}`, rating: seat.rating, joinedAt: 1_000_000 - seat.wait })),
      teams: seats.map((_, index) => index % 2),
      spread: Math.max(...ratings) - Math.min(...ratings),
      imbalance: 0,
    };
  });

describe('room event v1', () => {
  it('is built from a formed room so that it always passes the contract schema, waits included', () => {
    fc.assert(
      fc.property(formedRoom, (room) => {
        const event = toRoomEvent(room, { mode: 'ffa3', region: 'eu' }, '6f1c1c9e-2f7b-4c43-9a59-1d2f6f0b3a11', 1_000_000, (ticketId) => `name-${ticketId}`);
        expect(roomEvent.safeParse(event).success).to.equal(true);
        expect(Object.keys(event)).to.deep.equal(['v', 'id', 'mode', 'region', 'createdAt', 'spread', 'players']);
        expect(event.players.map((player) => player.waitedMs)).to.deep.equal(room.tickets.map((ticket) => 1_000_000 - ticket.joinedAt));
        expect(event.createdAt).to.equal(new Date(1_000_000).toISOString());
      }),
    );
  });

  it('becomes one history row and one seat row per player', () => {
    fc.assert(
      fc.property(formedRoom, (room) => {
        const event = toRoomEvent(room, { mode: 'ffa3', region: 'eu' }, '6f1c1c9e-2f7b-4c43-9a59-1d2f6f0b3a11', 1_000_000, () => 'n');
        const rows = roomRows(event);
        expect(rows.room).to.include({ id: event.id, size: room.tickets.length, spread: room.spread });
        expect(rows.players.map((row) => row.ticket_id)).to.deep.equal(room.tickets.map((ticket) => ticket.ticketId));
        // The history's imbalance, from the seats: highest minus lowest team sum.
        const sums = [0, 1].map((team) => room.tickets.filter((_, index) => room.teams[index] === team).reduce((sum, ticket) => sum + ticket.rating, 0));
        expect(rows.room.imbalance).to.equal(room.tickets.length === 1 ? 0 : Math.abs(sums[0]! - sums[1]!));
      }),
      { numRuns: 200 },
    );
  });

  it("lists a party ticket's members in its order, each at their own rating, with the party's id and rating", () => {
    const members = [
      { playerId: 'a', rating: 1600 },
      { playerId: 'b', rating: 1400 },
    ];
    const room = {
      tickets: [
        { ticketId: 'solo', playerId: 'c', rating: 1550, joinedAt: 0 },
        { ticketId: 'party', playerId: 'a', rating: 1500, joinedAt: 500, members, partyId: 'p1' },
      ],
      teams: [0, 1],
      spread: 50,
      imbalance: 0,
    };
    const event = toRoomEvent(
      room,
      { mode: 'duo', region: 'eu' },
      '6f1c1c9e-2f7b-4c43-9a59-1d2f6f0b3a11',
      1000,
      (ticketId, playerId) => `${ticketId}:${playerId}`,
    );
    expect(roomEvent.safeParse(event).success).to.equal(true);
    expect(event.players.map((p) => [p.playerId, p.ticketId, p.name, p.rating, p.team, p.waitedMs, p.partyId, p.matchRating])).to.deep.equal([
      ['c', 'solo', 'solo:c', 1550, 0, 1000, null, 1550],
      ['a', 'party', 'party:a', 1600, 1, 500, 'p1', 1500],
      ['b', 'party', 'party:b', 1400, 1, 500, 'p1', 1500],
    ]);
    expect(ticketIdsOf(event)).to.deep.equal(['solo', 'party']);
    expect(roomRows(event).players.map((row) => [row.player_id, row.party_id, row.match_rating])).to.deep.equal([
      ['c', null, 1550],
      ['a', 'p1', 1500],
      ['b', 'p1', 1500],
    ]);
  });
});

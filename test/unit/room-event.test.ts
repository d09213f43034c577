import { expect } from 'chai';
import fc from 'fast-check';
import { roomEvent } from '../../common/messages.js';
import { toRoomEvent } from '../../services/matcher/room-event.js';
import { roomRows } from '../../services/recorder/room-rows.js';

const formedRoom = fc.array(fc.record({ rating: fc.integer({ min: 0, max: 4000 }), wait: fc.integer({ min: 0, max: 300_000 }) }), { minLength: 1, maxLength: 10 }).map((seats) => {
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
    fc.assert(fc.property(formedRoom, (room) => {
      const event = toRoomEvent(room, { mode: 'ffa3', region: 'eu' }, '6f1c1c9e-2f7b-4c43-9a59-1d2f6f0b3a11', 1_000_000, (ticketId) => `name-${ticketId}`);
      expect(roomEvent.safeParse(event).success).to.equal(true);
      expect(event.players.map((player) => player.waitedMs)).to.deep.equal(room.tickets.map((ticket) => 1_000_000 - ticket.joinedAt));
      expect(event.createdAt).to.equal(new Date(1_000_000).toISOString());
    }));
  });

  it('becomes one history row and one seat row per player', () => {
    fc.assert(fc.property(formedRoom, (room) => {
      const event = toRoomEvent(room, { mode: 'ffa3', region: 'eu' }, '6f1c1c9e-2f7b-4c43-9a59-1d2f6f0b3a11', 1_000_000, () => 'n');
      const rows = roomRows(event);
      expect(rows.room).to.include({ id: event.id, size: room.tickets.length, spread: room.spread });
      expect(rows.players.map((row) => row.ticket_id)).to.deep.equal(room.tickets.map((ticket) => ticket.ticketId));
    }), { numRuns: 200 });
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { ticketIdHash, TicketOrderer } from '../../core/ticket-order.js';
import type { Ticket } from '../../core/types.js';

/** The rating order by definition: rating, then joinedAt, then id hash, then id. */
function byDefinition(tickets: Ticket[]): number[] {
  const h = tickets.map((t) => ticketIdHash(t.ticketId));
  return tickets
    .map((_, i) => i)
    .sort((a, b) => {
      const x = tickets[a]!;
      const y = tickets[b]!;
      return x.rating - y.rating || x.joinedAt - y.joinedAt || h[a]! - h[b]! || (x.ticketId < y.ticketId ? -1 : x.ticketId > y.ticketId ? 1 : 0);
    });
}

function ordered(tickets: Ticket[]): number[] {
  const orderer = new TicketOrderer();
  const n = tickets.length;
  orderer.order(
    tickets,
    Float64Array.from(tickets, (t) => t.rating),
    Float64Array.from(tickets, (t) => t.joinedAt),
    Uint32Array.from(tickets, (t) => ticketIdHash(t.ticketId)),
    n,
  );
  return [...orderer.byRating.subarray(0, n)];
}

describe('TicketOrderer', () => {
  const ticketsOf = (rating: fc.Arbitrary<number>, joinedAt: fc.Arbitrary<number>) =>
    fc
      .uniqueArray(fc.record({ ticketId: fc.string({ maxLength: 3 }), rating, joinedAt }), { selector: (t) => t.ticketId, maxLength: 400 })
      .map((ts) => ts.map((t) => ({ ...t, playerId: `p-${t.ticketId}` })));

  it('orders a burst (one arrival time, integer ratings) exactly by definition', () => {
    fc.assert(
      fc.property(ticketsOf(fc.integer({ min: -40, max: 40 }), fc.constant(5)), (ts) => {
        expect(ordered(ts)).to.deep.equal(byDefinition(ts));
      }),
    );
  });

  it('orders mixed arrivals and any ratings exactly by definition', () => {
    const rating = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.constant(2 ** 40));
    fc.assert(
      fc.property(ticketsOf(rating, fc.integer({ min: 0, max: 4 })), (ts) => {
        expect(ordered(ts)).to.deep.equal(byDefinition(ts));
      }),
    );
  });
});

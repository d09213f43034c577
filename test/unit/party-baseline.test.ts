import { expect } from 'chai';
import fc from 'fast-check';
import { createPartyBaselinePool } from '../../bench/parties/baseline.js';
import { ticketSize } from '../../core/party.js';
import { windowAt } from '../../core/rule.js';
import { partyRuleArb, partyTicketsArb } from './arbitraries.js';

describe('the parties bench baseline (first come, first served, parties whole)', () => {
  it('forms only rooms that keep the rule, full, every party on one team, each ticket once', () => {
    fc.assert(
      fc.property(
        partyRuleArb.chain((rule) => fc.tuple(fc.constant(rule), partyTicketsArb(rule))),
        ([rule, tickets]) => {
          const pool = createPartyBaselinePool(rule);
          for (const t of tickets) pool.add(t);
          const { rooms, expired } = pool.tick(30_000);
          const seen = new Set<string>();
          for (const room of rooms) {
            const seats = new Array<number>(rule.teams).fill(0);
            room.tickets.forEach((t, i) => {
              expect(seen.has(t.ticketId)).to.equal(false);
              seen.add(t.ticketId);
              seats[room.teams[i]!]! += ticketSize(t);
              expect(room.spread).to.be.at.most(windowAt(rule, 30_000 - t.joinedAt));
            });
            expect(seats).to.deep.equal(new Array<number>(rule.teams).fill(rule.teamSize));
          }
          for (const t of expired) expect(seen.has(t.ticketId)).to.equal(false);
          expect(pool.size + seen.size + expired.length).to.equal(tickets.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

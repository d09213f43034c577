import { expect } from 'chai';
import { Ledger } from '../../chaos/ledger.js';

const RULE = { initial: 0, perSecond: 50, max: Infinity };
const room = (id: string, tickets: string[], spread = 10, waitedMs = 1000) => ({ id, spread, players: tickets.map((ticketId) => ({ ticketId, waitedMs })) });

describe('chaos ledger', () => {
  it('balances when every queued ticket ended once and every room reached its players', () => {
    const ledger = new Ledger();
    ['a', 'b', 'c', 'd', 'e'].forEach((ticket) => ledger.queue(ticket));
    ledger.room(room('r1', ['a', 'b', 'c']));
    ledger.room(room('r1', ['a', 'b', 'c'])); // a redelivered copy, same id
    ['a', 'b', 'c'].forEach((ticket) => ledger.end(ticket, { type: 'matched', roomId: 'r1' }));
    ledger.end('d', { type: 'left', reason: 'cancelled' });
    ledger.end('e', { type: 'left', reason: 'timeout' });
    expect(ledger.reconcile(RULE)).to.deep.equal({
      tickets: 5,
      matched: 3,
      cancelled: 1,
      timedOut: 1,
      rooms: 1,
      lost: [],
      lostDetail: [],
      doubled: [],
      invalidRooms: [],
    });
    expect(ledger.open()).to.equal(0);
  });

  it('counts a ticket that never ended, and a room seat never told, as lost', () => {
    const ledger = new Ledger();
    ledger.queue('a');
    ledger.queue('b');
    ledger.room(room('r1', ['b', 'x', 'y']));
    ledger.end('b', { type: 'matched', roomId: 'r1' });
    expect(ledger.open()).to.equal(1);
    const { lost, lostDetail } = ledger.reconcile(RULE);
    expect(lost.sort()).to.deep.equal(['a', 'x', 'y']);
    expect(lostDetail.find((entry) => entry.ticketId === 'a')?.why).to.equal('never-ended');
    expect(lostDetail.find((entry) => entry.ticketId === 'x')?.why).to.equal('room-not-told');
  });

  it('counts two ends, or two rooms, of one ticket as doubled', () => {
    const ledger = new Ledger();
    ledger.queue('a');
    ledger.room(room('r1', ['a']));
    ledger.room(room('r2', ['a']));
    ledger.end('a', { type: 'matched', roomId: 'r1' });
    ledger.end('a', { type: 'left', reason: 'cancelled' });
    expect(ledger.reconcile(RULE).doubled).to.deep.equal(['a']);
  });

  it('flags a room whose spread exceeds a player window at its tick', () => {
    const ledger = new Ledger();
    ledger.room(room('wide', ['a', 'b', 'c'], 120, 2000));
    expect(ledger.reconcile(RULE).invalidRooms).to.deep.equal(['wide']);
  });
});

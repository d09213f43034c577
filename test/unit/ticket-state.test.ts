import { expect } from 'chai';
import { isTerminal, transition, type TicketEvent, type TicketState } from '../../core/ticket-state.js';

const events: TicketEvent[] = ['match', 'leave', 'expire'];
const ended: TicketState[] = ['matched', 'cancelled', 'timeout'];

describe('ticket state machine', () => {
  it('ends a queued ticket by each event', () => {
    expect(events.map((e) => transition('queued', e))).to.deep.equal([
      { ok: true, state: 'matched' },
      { ok: true, state: 'cancelled' },
      { ok: true, state: 'timeout' },
    ]);
  });

  it('refuses every event on an ended ticket, keeping its state', () => {
    for (const state of ended) {
      expect(isTerminal(state)).to.equal(true);
      for (const event of events) expect(transition(state, event)).to.deep.equal({ ok: false, reason: 'ended', state, event });
    }
    expect(isTerminal('queued')).to.equal(false);
  });
});

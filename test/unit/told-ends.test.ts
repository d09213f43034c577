import { expect } from 'chai';
import type { RoomEvent } from '../../common/messages.js';
import { TOLD_ENDS_KEPT_MS, ToldEnds } from '../../services/producer/told-ends.js';

const ref = (ticketId: string) => ({ ticketId, mode: 'rc3', region: 'eu' });

describe('ToldEnds: the ends a gateway told, as Redis records them', () => {
  it('records each end as its ticket state, with what that state carries', () => {
    const ends = new ToldEnds(() => 0);
    ends.record(ref('m'), { kind: 'matched', room: { id: 'room-1' } as RoomEvent });
    ends.record(ref('t'), { kind: 'timeout' });
    ends.record(ref('c'), { kind: 'left', reason: 'cancelled' });
    ends.record(ref('p'), { kind: 'left', reason: 'party_changed', party: true }, 'member', 'party-1');
    ends.record(ref('d'), { kind: 'left', reason: 'declined', party: true, others: ['other'] }, 'member', 'party-1');
    ends.record(ref('a'), { kind: 'left', reason: 'accept_timeout' });
    expect(ends.recent()).to.deep.equal([
      { ref: ref('m'), state: 'matched', fields: { room: 'room-1' } },
      { ref: ref('t'), state: 'timeout', fields: {} },
      { ref: ref('c'), state: 'cancelled', fields: {} },
      { ref: ref('p'), state: 'cancelled', fields: { party: 'party-1', reason: 'party_changed' }, playerId: 'member' },
      { ref: ref('d'), state: 'declined', fields: { party: 'party-1' }, playerId: 'member', others: ['other'], reason: 'declined' },
      { ref: ref('a'), state: 'accept_timeout', fields: {} },
    ]);
  });

  it('keeps one entry per ticket and member, and forgets ends older than TOLD_ENDS_KEPT_MS', () => {
    let now = 0;
    const ends = new ToldEnds(() => now);
    ends.record(ref('x'), { kind: 'timeout', party: true }, 'a');
    ends.record(ref('x'), { kind: 'timeout', party: true }, 'b');
    ends.record(ref('x'), { kind: 'timeout', party: true }, 'a');
    expect(ends.size).to.equal(2);
    now = TOLD_ENDS_KEPT_MS / 2;
    ends.record(ref('y'), { kind: 'timeout' });
    now = TOLD_ENDS_KEPT_MS + 1;
    expect(ends.recent().map((end) => end.ref.ticketId)).to.deep.equal(['y']);
  });
});

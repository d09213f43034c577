import { expect } from 'chai';
import { CLAIM_ROOMS_PER_CALL, claimBatches } from '../../common/ticket-store.js';

describe('claim batches (TicketStore.claimRooms)', () => {
  const rooms = (count: number, mode = 'ffa3', region = 'eu') => Array.from({ length: count }, (_, index) => ({ mode, region, n: index }));

  it('cuts one pool’s rooms into calls of CLAIM_ROOMS_PER_CALL, in order', () => {
    const batches = claimBatches(rooms(2 * CLAIM_ROOMS_PER_CALL + 3));
    expect(batches.map((batch) => batch.length)).to.deep.equal([CLAIM_ROOMS_PER_CALL, CLAIM_ROOMS_PER_CALL, 3]);
    expect(batches.flat().map((room) => room.n)).to.deep.equal(rooms(2 * CLAIM_ROOMS_PER_CALL + 3).map((room) => room.n));
  });

  it('never puts rooms of two pools (two hash slots) in one call', () => {
    const mixed = [...rooms(3), ...rooms(2, 'duo'), ...rooms(1, 'duo', 'us'), ...rooms(2)];
    const batches = claimBatches(mixed);
    expect(batches.map((batch) => batch.length)).to.deep.equal([3, 2, 1, 2]);
    for (const batch of batches) expect(new Set(batch.map((room) => `${room.mode}.${room.region}`)).size).to.equal(1);
    expect(batches.flat()).to.deep.equal(mixed);
  });

  it('makes no call for no rooms', () => {
    expect(claimBatches([])).to.deep.equal([]);
  });
});

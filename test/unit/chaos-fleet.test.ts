import { expect } from 'chai';
import { FlakyFleet } from '../../chaos/fleet.js';

/** POSTs a room as the http allocator does, and returns the status. */
async function allocate(fleet: FlakyFleet, roomId: string): Promise<number> {
  const answer = await fetch(fleet.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': roomId },
    body: JSON.stringify({ id: roomId, players: [{ ticketId: `${roomId}-t` }] }),
  });
  await answer.arrayBuffer();
  return answer.status;
}

describe('chaos fleet', () => {
  it('marks a server given in an answer the allocator may have stopped waiting for as late, one answered at once as not', async () => {
    // Every answer slow, 400 ms; an allocator timing out at 600 ms may have given up after 350 (its margin).
    const slow = await FlakyFleet.start({ serverError: 0, refused: 0, slow: 1, slowMs: [400, 400] }, () => 0, 600);
    const quick = await FlakyFleet.start({ serverError: 0, refused: 0, slow: 0, slowMs: [0, 0] }, () => 0, 600);
    try {
      expect(await allocate(slow, 'r1')).to.equal(201);
      expect(await allocate(quick, 'r2')).to.equal(201);
      expect(slow.keys.get('r1')).to.include({ late: true });
      expect(quick.keys.get('r2')).to.include({ late: false });
      // A replay hands back the same server and leaves the flag as the allocation set it.
      expect(await allocate(slow, 'r1')).to.equal(200);
      expect(slow.keys.get('r1')).to.include({ late: true, replays: 1 });
    } finally {
      await slow.stop();
      await quick.stop();
    }
  });
});

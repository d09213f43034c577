import { expect } from 'chai';
import { begin, fail, finish, MAX_ALLOCATION_FAILURES } from '../../core/room-allocation.js';

/** The pure allocation machine: once per room, leases, fencing, and the third failure. */
describe('room allocation (pure)', () => {
  it('allocates once: a live lease makes a copy wait, a lapsed one gives a new start', () => {
    const first = begin(null, 1000, 500);
    expect(first).to.deep.include({ action: 'allocate' });
    expect(first.record).to.deep.include({ phase: 'allocating', starts: 1, leaseUntil: 1500 });
    expect(begin(first.record, 1499, 500).action).to.equal('busy');
    const second = begin(first.record, 1501, 500);
    expect(second.record).to.deep.include({ starts: 2, leaseUntil: 2001 });
    expect(fail(second.record, 1, 'x', []).action).to.equal('stale');
    const done = finish(second.record, '{"address":"a:1"}');
    expect(done.record).to.deep.include({ phase: 'announced', server: '{"address":"a:1"}' });
    expect(begin(done.record, 9999, 500).action).to.equal('announced');
    expect(finish(done.record, '{"address":"b:1"}').record.server).to.equal('{"address":"a:1"}');
  });

  it(`requeues a ticket on its first ${MAX_ALLOCATION_FAILURES - 1} failed allocations and ends it on the ${MAX_ALLOCATION_FAILURES}rd`, () => {
    const { record } = begin(null, 0, 10);
    const released = fail(record, 1, 'budget_spent', [
      { ticketId: 'a', failures: 0 },
      { ticketId: 'b', failures: 1 },
      { ticketId: 'c', failures: 2 },
    ]);
    expect(released.action).to.equal('dissolved');
    expect(released.record).to.deep.include({ phase: 'dissolved', reason: 'budget_spent', requeued: ['a', 'b'], ended: ['c'] });
    expect(begin(released.record, 100, 10).action).to.equal('dissolved');
    expect(finish(released.record, '{}').action).to.equal('dissolved');
  });
});

import { expect } from 'chai';
import { parseMatcherStatus, type MatcherStatus } from '../../common/presence.js';
import { emptyFigures } from '../../common/room-figures.js';

describe('matcher heartbeats', () => {
  it('read back what a matcher wrote, owner and held included', () => {
    const status: MatcherStatus = {
      id: 'm1',
      at: 5,
      pools: [{ pool: 'ffa3.eu', owner: 'm1', waiting: 3, held: 4, lastTickMs: null }],
      figures: emptyFigures(1),
    };
    expect(parseMatcherStatus(JSON.stringify(status))).to.deep.equal({ status });
  });

  it('say what is wrong with one that is not a heartbeat', () => {
    expect(parseMatcherStatus('{"id":"m1","at":5,"pools":[{"pool":"ffa3.eu"}]}')).to.deep.equal({
      error: 'pools.0.waiting: Invalid input: expected number, received undefined',
    });
    expect(parseMatcherStatus('nope')).to.deep.equal({ error: 'not JSON' });
  });
});

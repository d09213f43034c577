import { expect } from 'chai';
import fc from 'fast-check';
import { RateLimit } from '../../services/producer/rate-limit.js';

describe('per-socket rate limit', () => {
  it('allows a burst, refuses the next, then refills at the rate', () => {
    const limit = new RateLimit(10, 3, 0);
    expect([limit.take(0), limit.take(0), limit.take(0), limit.take(0)]).to.deep.equal([true, true, true, false]);
    expect(limit.take(50)).to.equal(false);
    expect(limit.take(100)).to.equal(true);
  });

  it('never lets through more than burst + rate × elapsed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 300 }), (gaps) => {
        const limit = new RateLimit(10, 20, 0);
        let now = 0;
        let allowed = 0;
        for (const gap of gaps) {
          now += gap;
          if (limit.take(now)) allowed += 1;
        }
        return allowed <= 20 + (now / 1000) * 10;
      }),
    );
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { percentiles, percentilesFrom } from '../../bench/load/stats.js';

describe('load report statistics', () => {
  it('percentilesFrom keeps exactly the samples sent from the given second on', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 60, noNaN: true }), fc.double({ min: 0, max: 5000, noNaN: true }))),
        fc.integer({ min: 0, max: 60 }),
        (samples, fromS) => {
          const at = samples.map(([sentAt]) => sentAt);
          const ms = samples.map(([, latency]) => latency);
          expect(percentilesFrom(at, ms, fromS)).to.deep.equal(percentiles(samples.filter(([sentAt]) => sentAt >= fromS).map(([, latency]) => latency)));
        },
      ),
    );
  });

  it('leaves out a slow start: the warm p99 is the steady one', () => {
    const at = [0.5, 1, 2, 11, 12, 13];
    const ms = [900, 800, 700, 10, 20, 30];
    expect(percentilesFrom(at, ms, 10)).to.include({ count: 3, p50: 20, p99: 30 });
    expect(percentiles(ms)).to.include({ count: 6, p99: 900 });
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { byTickPhase, percentiles, percentilesFrom } from '../../bench/load/stats.js';

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

  it('byTickPhase puts each sample in the bin of its time after the latest tick before it, and leaves out those before the first tick or past the last bin', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 20 }).map((ticks) => ticks.sort((a, b) => a - b)),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 110_000 }), fc.integer({ min: 0, max: 5000 }))),
        (ticks, samples) => {
          const phases = byTickPhase(
            samples.map(([at]) => at),
            samples.map(([, latency]) => latency),
            ticks,
            100,
            1000,
          );
          expect(phases.map((point) => point.fromMs)).to.deep.equal([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
          phases.forEach(({ fromMs, count, p50, p99 }) => {
            const inBin = samples.filter(([at]) => {
              const last = ticks.filter((tick) => tick <= at).at(-1);
              return last !== undefined && at - last >= fromMs && at - last < fromMs + 100;
            });
            const expected = percentiles(inBin.map(([, latency]) => latency));
            expect({ count, p50, p99 }).to.deep.equal({ count: expected.count, p50: expected.p50, p99: expected.p99 });
          });
        },
      ),
    );
  });

  it('byTickPhase shows a burst: joins sent just after a tick wait longer', () => {
    const ticks = [1000, 2000];
    const phases = byTickPhase([1010, 1020, 1500, 2050, 2600], [80, 90, 3, 70, 4], ticks, 250, 1000);
    expect(phases.map(({ count, p99 }) => ({ count, p99 }))).to.deep.equal([
      { count: 3, p99: 90 },
      { count: 0, p99: null },
      { count: 2, p99: 4 },
      { count: 0, p99: null },
    ]);
  });
});

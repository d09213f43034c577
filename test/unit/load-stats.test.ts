import { expect } from 'chai';
import fc from 'fast-check';
import { byTickPhase, cpuByTickPhase, percentiles, percentilesFrom, tickPeriod } from '../../bench/load/stats.js';

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

  it('tickPeriod is the median gap between ticks, none with fewer than two', () => {
    expect(tickPeriod([])).to.equal(null);
    expect(tickPeriod([5])).to.equal(null);
    expect(tickPeriod([0, 1000, 2000, 2990, 4000, 9000])).to.equal(1000);
  });

  it("cpuByTickPhase puts each interval's CPU in the bin of its start after the tick, as cores", () => {
    // Ticks every 1000 ms; samples every 100 ms; the matcher burns a core for the first 100 ms after each tick.
    const ticks = [1000, 2000, 3000];
    const at = Array.from({ length: 31 }, (_, index) => 1000 + index * 100);
    let used = 0;
    const matcher = at.map((time, index) => {
      if (index > 0 && (at[index - 1]! - 1000) % 1000 === 0) used += 100;
      return used;
    });
    const idle = at.map(() => 0);
    const phases = cpuByTickPhase({ at, cpuMs: { matcher, idle } }, ticks, 1000);
    expect(phases.map((point) => point.fromMs)).to.deep.equal([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(phases[0]!.cores).to.deep.equal({ matcher: 1, idle: 0 });
    for (const point of phases.slice(1)) expect(point.cores).to.deep.equal({ matcher: 0, idle: 0 });
  });

  it('cpuByTickPhase leaves out what comes before the first tick or a period after the last', () => {
    const phases = cpuByTickPhase({ at: [0, 500, 1000, 1500, 5000, 5500], cpuMs: { a: [0, 500, 1000, 1500, 2000, 2500] } }, [1000], 1000, 2);
    // Only [1000, 1500) (bin 0) and [1500, 5000) (bin 1, its start 500 ms after the tick) count; [5000, 5500) is past the period.
    expect(phases).to.deep.equal([
      { fromMs: 0, cores: { a: 1 } },
      { fromMs: 500, cores: { a: round2(500 / 3500) } },
    ]);
  });
});

const round2 = (value: number) => Math.round(value * 100) / 100;

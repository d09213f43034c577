import { expect } from 'chai';
import fc from 'fast-check';
import { nextTickDelay } from '../../services/matcher/tick-schedule.js';

/** Runs ticks of the given durations as the matcher does and returns each tick's start. */
function tickStarts(tickMs: number, durations: number[]): number[] {
  const starts: number[] = [];
  let start = 0;
  for (const duration of durations) {
    starts.push(start);
    const end = start + duration;
    start = end + nextTickDelay(start, tickMs, end);
  }
  return starts;
}

describe('tick schedule', () => {
  const tickMs = fc.integer({ min: 1, max: 10_000 });

  it('never waits a negative time', () => {
    fc.assert(
      fc.property(tickMs, fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (period, lastStart, elapsed) => {
        expect(nextTickDelay(lastStart, period, lastStart + elapsed)).to.be.at.least(0);
      }),
    );
  });

  it('starts the next tick one period after the last began, when that tick ends within the period', () => {
    fc.assert(
      fc.property(tickMs, fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (period, lastStart, share) => {
        const now = lastStart + share * period;
        expect(now + nextTickDelay(lastStart, period, now)).to.be.closeTo(lastStart + period, 1e-6);
      }),
    );
  });

  it('starts the next tick at once after one that overran its period', () => {
    fc.assert(
      fc.property(tickMs, fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e5 }), (period, lastStart, overrun) => {
        expect(nextTickDelay(lastStart, period, lastStart + period + overrun)).to.equal(0);
      }),
    );
  });

  it('keeps ticks shorter than the period on a grid of whole periods, however long each took', () => {
    fc.assert(
      fc.property(tickMs, fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 50 }), (period, shares) => {
        const starts = tickStarts(
          period,
          shares.map((share) => share * period),
        );
        starts.forEach((start, k) => expect(start).to.be.closeTo(k * period, 1e-6 * (k + 1)));
      }),
    );
  });

  it('never starts ticks closer than a period apart, nor later than the last tick ended', () => {
    fc.assert(
      fc.property(tickMs, fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 2, maxLength: 50 }), (period, durations) => {
        const starts = tickStarts(period, durations);
        for (let k = 1; k < starts.length; k += 1) {
          const gap = starts[k]! - starts[k - 1]!;
          expect(gap).to.be.at.least(period);
          expect(gap).to.equal(Math.max(period, durations[k - 1]!));
        }
      }),
    );
  });
});

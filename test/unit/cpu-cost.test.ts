import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { cpuCostPerMatchedPlayer, describeCpuCost } from '../../bench/load/cpu-cost.js';
import type { LoadSessionResult } from '../../bench/load/session.js';

/** A recorded e2e run (quiet machine, 6,000 joins/s offered): the meter's CPU seconds per process and the players matched. */
const recorded = JSON.parse(readFileSync(new URL('../../bench/results/e2e-load-2026-11-25T21-12-57-920Z.json', import.meta.url), 'utf8')) as LoadSessionResult;

describe('CPU cost per matched player', () => {
  it("splits a recorded run's CPU by process, the most expensive first, and sums every process", () => {
    const cost = cpuCostPerMatchedPlayer(recorded.usage.groups, recorded.report.matched)!;
    expect(cost.matchedPlayers).to.equal(130_521);
    // 125.1 CPU seconds over 130,521 matched players; the docs quoted 0.69 ms from a run that was not overloaded.
    expect(cost.totalMs).to.equal(0.958);
    expect(Object.entries(cost.perProcess)).to.deep.equal([
      ['producer', 0.352],
      ['rabbitmq', 0.269],
      ['loadgen', 0.147],
      ['notifier', 0.044],
      ['matcher', 0.041],
      ['redis', 0.04],
      ['postgresql', 0.038],
      ['recorder', 0.028],
    ]);
    expect(describeCpuCost(cost)).to.equal(
      '0.958 ms in total (producer 0.352, rabbitmq 0.269, loadgen 0.147, notifier 0.044, matcher 0.041, redis 0.04, postgresql 0.038, recorder 0.028) over 130521 matched players',
    );
  });

  it('gives no figure for a run that matched nobody', () => {
    expect(cpuCostPerMatchedPlayer(recorded.usage.groups, 0)).to.equal(null);
  });
});

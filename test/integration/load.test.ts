import { expect } from 'chai';
import { runLoad } from '../../bench/load/generator.js';
import { createLoadPlayers } from '../../bench/load/players.js';
import { startStack, type Stack } from '../support/stack.js';

/** The load generator against the in-process stack, briefly: its report must add up. No timing asserts. */
describe('load generator', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ tickMs: 200 });
  });
  after(async () => {
    await stack?.stop();
  });

  it('runs players through join, matched and join again, and reports every join accounted for', async function () {
    this.timeout(30_000);
    const players = await createLoadPlayers(stack.db, 30, 7, 'lt');
    expect(new Set(players.map((player) => player.id)).size).to.equal(30);
    const report = await runLoad({
      gateways: [`ws://127.0.0.1:${stack.gateways[0]!.port}`],
      players,
      rate: 40,
      durationS: 2,
      mode: 'ffa3',
      region: 'global',
      drainMs: 5000,
    });
    expect(report.errors).to.deep.equal({});
    expect(report.disconnects).to.equal(0);
    expect(report.connectFailures).to.equal(0);
    expect(report.joins).to.be.greaterThan(0);
    expect(report.unanswered).to.equal(0);
    expect(report.queued).to.equal(report.joins);
    // Every joined player was matched or is still waiting (nobody timed out in 2 s).
    expect(report.matched + report.waiting + report.timeouts).to.equal(report.queued);
    expect(report.matched).to.be.greaterThan(0);
    expect(report.rooms).to.be.at.least(Math.ceil(report.matched / 3));
    expect(report.spread.count).to.equal(report.rooms);
    expect(report.latencyMs.joinToQueued.count).to.equal(report.queued);
    expect(report.latencyMs.joinToMatched.count).to.equal(report.matched);
    // Two seconds have no warm part to report apart.
    expect(report.warmLatencyMs).to.equal(null);
    expect(report.series.reduce((sum, point) => sum + point.joins, 0)).to.equal(report.joins);
    const delay = report.generatorLoopDelayMs;
    expect(delay.p50).to.be.at.least(0).and.at.most(delay.p99);
    expect(delay.p99).to.be.at.most(delay.max);
  });
});

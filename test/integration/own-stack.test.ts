import { expect } from 'chai';
import { runLoad } from '../../bench/load/generator.js';
import { startOwnStack } from '../../bench/load/own-stack.js';
import { createLoadPlayers } from '../../bench/load/players.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: no such process, which is what a stopped stack leaves.
    return false;
  }
};

/** `npm run load` without --gateway: the whole pipeline as child processes, through the launcher. */
describe("the load generator's own stack (child processes)", function () {
  this.timeout(120_000);

  it('starts gateway, matcher, notifier and recorder ready, carries a short load, and ends every process on stop', async () => {
    const stack = await startOwnStack({ gateways: 2, tickMs: 200 });
    let pids: number[] = [];
    try {
      pids = ['producer', 'matcher', 'notifier', 'recorder'].flatMap((name) => stack.pids(name));
      expect(stack.pids('producer')).to.have.length(2);
      expect(pids).to.have.length(5);
      const players = await createLoadPlayers(stack.db, 12, 3, 'os');
      const report = await runLoad({ gateways: stack.gatewayUrls, players, rate: 12, durationS: 1, mode: 'ffa3', region: 'global', drainMs: 5000 });
      expect(report.errors).to.deep.equal({});
      expect(report.connectFailures).to.equal(0);
      expect(report.queued).to.equal(report.joins);
      expect(report.matched).to.be.greaterThan(0);
    } finally {
      await stack.stop();
    }
    expect(pids.filter(alive)).to.deep.equal([]);
  });
});

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { FAULT_KINDS } from '../../chaos/faults.js';
import { runChaos } from '../../chaos/run.js';
import { DATABASE_SERVER } from '../support/namespace.js';
import { watchSharedServices } from '../support/shared-services.js';

/**
 * The short chaos run: every fault kind once, with real processes killed by kill -9 and the
 * run's own private RabbitMQ node and Redis restarted. The machine's shared RabbitMQ and Redis
 * are watched throughout: the run must leave them exactly as it found them.
 */
describe('chaos: the guarantees under faults (short run)', function () {
  this.timeout(300_000);

  it(`loses no queued ticket and doubles none under ${FAULT_KINDS.join(', ')}, on private nodes only`, async () => {
    const shared = await watchSharedServices();
    try {
      const report = await runChaos({
        tickets: 400,
        players: 60,
        faults: [...FAULT_KINDS],
        faultEveryMs: 3000,
        tickMs: 200,
        maxWaitSeconds: 8,
        databaseServer: DATABASE_SERVER,
        logFile: join(tmpdir(), `matchq-chaos-test-${process.pid}.log`),
      });
      expect(report.faults.map((fault) => fault.kind)).to.deep.equal(FAULT_KINDS);
      expect(
        report.faults.every((fault) => fault.recoveryMs !== null),
        JSON.stringify(report.faults),
      ).to.equal(true);
      expect(report.tickets).to.be.greaterThan(100);
      expect(report.matched).to.be.greaterThan(0);
      expect(report.lostDetail, `lost tickets; faults ${JSON.stringify(report.faults)}`).to.deep.equal([]);
      expect(report.doubled, 'doubled tickets').to.deep.equal([]);
      expect(report.invalidRooms, 'rooms breaking the rule').to.deep.equal([]);
      expect(report.openAtEnd).to.equal(0);
      expect([report.backing.amqpPort, report.backing.redisPort]).to.not.include.members(shared.ports);
    } finally {
      // Whatever the run did, the shared broker and Redis were never restarted.
      await shared.expectUntouched();
    }
  });
});

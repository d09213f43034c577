import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { FAULT_KINDS } from '../../chaos/faults.js';
import { runChaos } from '../../chaos/run.js';
import { AMQP_URL, DATABASE_SERVER, REDIS_URL } from '../support/namespace.js';

/**
 * The short chaos run: every fault kind once, against the real RabbitMQ and Redis
 * (both restarted), with real processes killed by kill -9. It runs last: it restarts
 * the shared broker and Redis. CHAOS_RESTARTS=off keeps those two up, for a machine
 * whose RabbitMQ and Redis serve more than matchq.
 */
const RESTARTS = new Set(['restart-rabbitmq', 'restart-redis']);
const faults = FAULT_KINDS.filter((kind) => process.env.CHAOS_RESTARTS !== 'off' || !RESTARTS.has(kind));

describe('chaos: the guarantees under faults (short run)', function () {
  this.timeout(240_000);

  it(`loses no queued ticket and doubles none under ${faults.join(', ')}`, async () => {
    const report = await runChaos({
      tickets: 400, players: 60, faults, faultEveryMs: 3000, tickMs: 200, maxWaitSeconds: 8,
      amqpUrl: AMQP_URL, redisUrl: REDIS_URL, databaseServer: DATABASE_SERVER, logFile: join(tmpdir(), `matchq-chaos-test-${process.pid}.log`),
    });
    expect(report.faults.map((fault) => fault.kind)).to.deep.equal(faults);
    expect(report.faults.every((fault) => fault.recoveryMs !== null), JSON.stringify(report.faults)).to.equal(true);
    expect(report.tickets).to.be.greaterThan(100);
    expect(report.matched).to.be.greaterThan(0);
    expect(report.lostDetail, `lost tickets; faults ${JSON.stringify(report.faults)}`).to.deep.equal([]);
    expect(report.doubled, 'doubled tickets').to.deep.equal([]);
    expect(report.invalidRooms, 'rooms breaking the rule').to.deep.equal([]);
    expect(report.openAtEnd).to.equal(0);
  });
});

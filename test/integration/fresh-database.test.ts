import { expect } from 'chai';
import { loadConfig } from '../../common/config.js';
import { createDb } from '../../common/db.js';
import { createLogger } from '../../common/logger.js';
import { startGatewayService } from '../../services/producer/service.js';
import { DATABASE_SERVER, dropNamespace, newNamespace } from '../support/namespace.js';

/** A gateway started first, on a database nobody created yet: it makes it, as the recorder and the commands do. */
describe('the gateway on a database that does not exist yet', function () {
  this.timeout(60_000);

  it('creates and migrates it, so sign-ins find their tables', async () => {
    const namespace = newNamespace();
    const databaseUrl = `${DATABASE_SERVER}/matchq_${namespace}`;
    const config = loadConfig({
      ...process.env,
      MATCHQ_NAMESPACE: namespace,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      JOIN_TOKEN_SECRET: undefined,
      ALLOCATOR: 'none',
    });
    const gateway = await startGatewayService(config, createLogger('test', 'silent'));
    const db = createDb(databaseUrl, 1);
    try {
      for (const table of ['players', 'rooms', 'results']) expect(await db.schema.hasTable(table), table).to.equal(true);
    } finally {
      await db.destroy();
      await gateway.stop();
      await dropNamespace(namespace, [], databaseUrl);
    }
  });
});

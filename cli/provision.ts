import { provision, provisionOptions } from '../common/provision/provision.js';
import { runCommand } from '../common/run-service.js';

/**
 * Least privilege, made by matchq: one RabbitMQ user, Redis ACL user and PostgreSQL role per
 * service (common/provision/roles.ts), with an administrator's access (RABBITMQCTL, REDIS_URL,
 * DATABASE_URL). Idempotent; one line per thing it made, changed or found as wanted.
 */
await runCommand('provision', async (config) => {
  await provision(provisionOptions(config, process.env), (line) => process.stdout.write(`${line}\n`));
});

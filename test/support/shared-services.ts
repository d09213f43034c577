import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { AMQP_URL, REDIS_URL } from './namespace.js';

const run = promisify(execFile);

/** The process listening on a local TCP port and its start time (clock ticks since boot), or null. */
async function listener(port: number): Promise<{ pid: number; startedAt: string } | null> {
  const { stdout } = await run('ss', ['-ltnpH', `sport = :${port}`]).catch(() => ({ stdout: '' }));
  const pid = Number(/pid=(\d+)/.exec(stdout)?.[1]);
  if (!pid) return null;
  // Field 22 of /proc/PID/stat, after the parenthesised command name.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return { pid, startedAt: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]! };
}

async function redisServer(redis: Redis): Promise<{ runId: string; pid: string; uptime: number }> {
  const info = await redis.info('server');
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  return { runId: field('run_id'), pid: field('process_id'), uptime: Number(field('uptime_in_seconds')) };
}

/**
 * Watches the machine's shared RabbitMQ and Redis (the ones AMQP_URL and REDIS_URL name) from
 * now on, for runs that must never restart them: their process ids and start times, Redis's
 * run id and uptime, and a broker connection held open throughout (stop_app, a restart or a
 * node crash closes it).
 */
export async function watchSharedServices() {
  const amqpPort = Number(new URL(AMQP_URL).port || 5672);
  const redisPort = Number(new URL(REDIS_URL).port || 6379);
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const redisBefore = await redisServer(redis);
  const connection = await amqplib.connect(AMQP_URL);
  let dropped: string | null = null;
  connection.on('close', (error?: Error) => {
    dropped ??= `closed${error ? `: ${error.message}` : ''}`;
  });
  connection.on('error', (error: Error) => {
    dropped ??= `error: ${error.message}`;
  });
  const processesBefore = { rabbitmq: await listener(amqpPort), redis: await listener(redisPort) };
  return {
    ports: [amqpPort, redisPort],
    async expectUntouched(): Promise<void> {
      try {
        expect({ rabbitmq: await listener(amqpPort), redis: await listener(redisPort) }, 'shared service processes').to.deep.equal(processesBefore);
        const redisAfter = await redisServer(redis);
        expect({ runId: redisAfter.runId, pid: redisAfter.pid }, 'the shared Redis was restarted').to.deep.equal({
          runId: redisBefore.runId,
          pid: redisBefore.pid,
        });
        expect(redisAfter.uptime).to.be.at.least(redisBefore.uptime);
        expect(dropped, 'the connection to the shared RabbitMQ').to.equal(null);
        // Still served: a channel opens and a round trip to the broker succeeds.
        const channel = await connection.createChannel();
        await channel.checkExchange('amq.fanout');
        await channel.close();
      } finally {
        redis.disconnect();
        // A broker that just refused the check may have closed the connection itself.
        await connection.close().catch(() => undefined);
      }
    },
  };
}

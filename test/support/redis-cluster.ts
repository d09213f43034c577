import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A real three-node Redis Cluster (three masters, no replicas, nothing on disk) on ports of
 * its own, for tests that prove matchq's keys and scripts work on a cluster.
 */
export async function startRedisCluster(): Promise<{ url: string; stop(): Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), 'matchq-redis-cluster-'));
  // The cluster bus listens on port + 10000: stay below 55535.
  const base = 17_000 + Math.floor(Math.random() * 3000) * 3;
  const ports = [base, base + 1, base + 2];
  for (const port of ports) {
    await run('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(directory, `nodes-${port}.conf`),
      '--dir', directory, '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--logfile', join(directory, `${port}.log`)]);
  }
  for (const port of ports) {
    for (let attempt = 0; !(await run('redis-cli', ['-p', String(port), 'ping']).then(() => true, () => false)); attempt++) {
      if (attempt > 50) throw new Error(`redis node ${port} did not start`);
      await sleep(100);
    }
  }
  await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
  for (let attempt = 0; ; attempt++) {
    const states = await Promise.all(ports.map((port) => run('redis-cli', ['-p', String(port), 'cluster', 'info']).then(({ stdout }) => stdout.includes('cluster_state:ok'))));
    if (states.every(Boolean)) break;
    if (attempt > 100) throw new Error('redis cluster did not become ok');
    await sleep(100);
  }
  return {
    url: ports.map((port) => `redis://127.0.0.1:${port}`).join(','),
    async stop(): Promise<void> {
      for (const port of ports) await run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']).catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

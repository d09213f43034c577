import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { AMQP_URL } from './namespace.js';
import { startStack } from './stack.js';

/**
 * A TCP proxy to a local port that can hold back the server's replies: `hold()` stops reading
 * what the server sends (its confirms, say) on every connection through it, `release()` lets
 * it all through in order. What clients send still reaches the server. It makes a broker
 * that is slow to confirm, with nothing of the code under test changed.
 */
export async function startHoldProxy(targetPort: number) {
  const upstreams = new Set<Socket>();
  let holding = false;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    upstreams.add(upstream);
    const drop = () => {
      upstreams.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    // Not piped: a pipe resumes its source on the client's drain, which would end a hold.
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    if (holding) upstream.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hold(): void {
      holding = true;
      for (const upstream of upstreams) upstream.pause();
    },
    release(): void {
      holding = false;
      for (const upstream of upstreams) upstream.resume();
    },
    async close(): Promise<void> {
      for (const upstream of upstreams) upstream.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A stack without a matcher (joins stay in their pool queue) whose gateway alone reaches the
 * broker through a hold proxy: a broker slow to confirm, for the gateway only. `stop` releases
 * the proxy first, so the stack's own stop is not held.
 */
export async function startStackWithHeldBroker(env: NodeJS.ProcessEnv = {}) {
  const broker = new URL(AMQP_URL);
  const proxy = await startHoldProxy(Number(broker.port || 5672));
  broker.port = String(proxy.port);
  const stack = await startStack({ without: ['matcher'], env, envFor: (service) => (service === 'gateway' ? { AMQP_URL: broker.toString() } : {}) });
  return {
    stack,
    proxy,
    async stop(): Promise<void> {
      proxy.release();
      await stack.stop();
      await proxy.close();
    },
  };
}

import type { MatchqClient } from '../../packages/client/src/index.js';
import { closeAll, signInAll } from './connections.js';
import type { LoadPlayer } from './players.js';
import { rssBytes } from './processes.js';

export interface IdleSockets {
  sockets: number;
  failures: number;
  connectMs: number;
  gatewayRssBeforeMiB: number;
  gatewayRssMiB: number;
  perSocketKiB: number;
}

/**
 * Signs `players` in on one gateway (each a @matchq/client on its lean path) and leaves them
 * idle (no join), then reads the gateway's RSS from /proc: what holding that many players costs it.
 */
export async function holdIdleSockets(gatewayUrl: string, gatewayPid: number, players: LoadPlayer[], settleMs = 5000): Promise<IdleSockets> {
  const before = rssBytes(gatewayPid) ?? 0;
  const sockets: MatchqClient[] = [];
  let failures = 0;
  const started = performance.now();
  await signInAll([gatewayUrl], players, {
    concurrency: 200,
    open: (client) => client,
    onSignedIn: (client) => sockets.push(client),
    onFailure: () => {
      failures += 1;
    },
  });
  const connectMs = Math.round(performance.now() - started);
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const after = rssBytes(gatewayPid) ?? 0;
  await closeAll(sockets, 3000);
  const mib = (bytes: number) => Math.round(bytes / 1048576);
  return {
    sockets: sockets.length,
    failures,
    connectMs,
    gatewayRssBeforeMiB: mib(before),
    gatewayRssMiB: mib(after),
    perSocketKiB: sockets.length ? Math.round(((after - before) / 1024 / sockets.length) * 10) / 10 : 0,
  };
}

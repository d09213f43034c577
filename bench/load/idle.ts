import { WebSocket } from 'ws';
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
 * Signs `players` in on one gateway and leaves them idle (no join), then reads the
 * gateway's RSS from /proc: what holding that many players costs it.
 */
export async function holdIdleSockets(gatewayUrl: string, gatewayPid: number, players: LoadPlayer[], settleMs = 5000): Promise<IdleSockets> {
  const before = rssBytes(gatewayPid) ?? 0;
  const sockets: WebSocket[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < players.length) {
        const player = players[next++]!;
        await new Promise<void>((resolve) => {
          const socket = new WebSocket(`${gatewayUrl}/ws?token=${encodeURIComponent(player.token)}`, { perMessageDeflate: false });
          let signedIn = false;
          socket.once('message', () => {
            signedIn = true;
            sockets.push(socket);
            resolve();
          });
          socket.on('error', () => undefined);
          socket.once('close', () => {
            if (signedIn) return;
            failures += 1;
            resolve();
          });
        });
      }
    }),
  );
  const connectMs = Math.round(performance.now() - started);
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const after = rssBytes(gatewayPid) ?? 0;
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise((resolve) => {
          socket.once('close', resolve);
          socket.close(1000);
          setTimeout(() => {
            socket.terminate();
            resolve(undefined);
          }, 3000);
        }),
    ),
  );
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

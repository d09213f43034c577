import type { PlayerClient } from './player-client.js';
import type { Stack } from './stack.js';

/** Players of a fresh stack, one per name, queued in `mode`/`region`, each told `found` for the one room they fill. */
export async function proposedRoom(stack: Stack, mode: string, region: string, names: string[]): Promise<{ clients: PlayerClient[]; roomId: string }> {
  const players = await Promise.all(names.map((name) => stack.addPlayer(`${name}-${stack.namespace}`)));
  const clients = await Promise.all(players.map((player) => stack.connect(player.token)));
  for (const client of clients) {
    client.send({ type: 'join', mode, region });
    await client.next('queued');
  }
  const found = await Promise.all(clients.map((client) => client.next('found', 30_000)));
  const roomIds = new Set(found.map((frame) => frame.roomId));
  if (roomIds.size !== 1) throw new Error(`expected one room proposed to all, got ${[...roomIds].join(', ')}`);
  return { clients, roomId: found[0]!.roomId };
}

/** The answer to the player's own accept `id` (`ready` or `error`), past the `ready` counts other players' accepts sent them. */
export async function answerTo(client: PlayerClient, id: string) {
  for (;;) {
    const frame = await client.nextOf(['ready', 'error'], 30_000);
    if (frame.id === id) return frame;
  }
}

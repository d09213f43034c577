import { WebSocket } from 'ws';
import { connect, type MatchqClient } from '../../packages/client/src/index.js';
import type { LoadPlayer } from './players.js';

/** `ws` without permessage-deflate: a load run measures matchq, not zlib. */
class PlainSocket extends WebSocket {
  constructor(url: string) {
    super(url, { perMessageDeflate: false });
  }
}

/**
 * A simulated player's connection through @matchq/client, on its lean path: frames trusted
 * (JSON-parsed, no schema check: the tests hold the gateway to the schemas, the generator
 * must not spend its CPU on that), `searching` left unread (nobody listens to it), and no
 * reconnect: a dropped socket is counted, not hidden.
 */
export function connectLoadPlayer(gateway: string, player: LoadPlayer): MatchqClient {
  return connect(gateway, player.token, { WebSocket: PlainSocket, reconnect: false, validate: false });
}

export interface SignInOptions<T> {
  /** Handshakes at once. */
  concurrency: number;
  /** Each client as it is made, before its first frame: where its listeners go; returns what the caller keeps of it. */
  open: (client: MatchqClient, player: LoadPlayer) => T;
  /** Each player signed in (its hello came), in the order they did. */
  onSignedIn?: (kept: T) => void;
  /** A player that could not sign in, with the HTTP status of a refused upgrade if there was one. */
  onFailure?: (kept: T, status: number | undefined) => void;
}

/** Signs every player in, spread over the gateways round-robin, a bounded number of handshakes at a time. */
export async function signInAll<T>(gateways: string[], players: LoadPlayer[], options: SignInOptions<T>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency, players.length) }, async () => {
      while (next < players.length) {
        const index = next++;
        const player = players[index]!;
        const client = connectLoadPlayer(gateways[index % gateways.length]!, player);
        let status: number | undefined;
        const off = client.on('close', (event) => {
          status = event.status;
        });
        const kept = options.open(client, player);
        // A refusal is the caller's to count (with its HTTP status, if any); the run goes on without this player.
        const signedIn = await client.ready().then(
          () => true,
          () => false,
        );
        off();
        if (signedIn) options.onSignedIn?.(kept);
        else options.onFailure?.(kept, status);
      }
    }),
  );
}

/** Closes every client and waits, up to `timeoutMs`, for each socket's close. */
export async function closeAll(clients: MatchqClient[], timeoutMs = 2000): Promise<void> {
  await Promise.all(
    clients.map((client) => {
      if (!client.connected) return undefined;
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        client.close();
      });
    }),
  );
}

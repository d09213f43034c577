import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy to a local port that springs once on a byte pattern: when a client sends bytes
 * containing `pattern` (a Redis command, say), those bytes are held back (or run, their answer
 * lost: `runIt`), `onMatch` runs (the test kills the server there), every connection through
 * the proxy is cut, and the proxy stops
 * listening until `reopen()`, so clients meet a refused connection as with the server itself
 * gone (a proxy that accepted and then hung up would reset ioredis's retry count on every
 * attempt). It makes a fault land at one exact command of the code under test, with nothing of
 * that code changed.
 */
export async function startTcpTrap(targetPort: number) {
  const pairs = new Set<[Socket, Socket]>();
  let armed: { pattern: Buffer; onMatch: () => Promise<void>; sprung: (value: void) => void; runIt: boolean } | undefined;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    // Set when the server ran the trapped command: its answer never reaches the client.
    let deaf = false;
    upstream.on('data', (chunk: Buffer) => {
      if (!deaf) client.write(chunk);
    });
    // A pattern split across two reads is still seen: the end of the previous read is kept.
    let tail = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      const trap = armed;
      const seen = Buffer.concat([tail, chunk]);
      if (trap && seen.includes(trap.pattern)) {
        armed = undefined;
        client.pause();
        server.close();
        if (trap.runIt) {
          deaf = true;
          upstream.write(chunk);
        }
        void trap.onMatch().finally(() => {
          for (const [a, b] of [...pairs]) {
            a.destroy();
            b.destroy();
          }
          pairs.clear();
          trap.sprung();
        });
        return;
      }
      tail = seen.subarray(Math.max(0, seen.length - 256));
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /**
     * Springs on the next client bytes that contain `pattern`; resolves once the connections are cut.
     * With `runIt` those bytes still reach the server and only its answer is lost, as with a
     * server that ran a command and died before it answered.
     */
    arm(pattern: string | Buffer, onMatch: () => Promise<void>, { runIt = false } = {}): Promise<void> {
      return new Promise((sprung) => {
        armed = { pattern: Buffer.from(pattern), onMatch, sprung, runIt };
      });
    },
    /** Listens again on the same port, after the trap sprang. */
    reopen(): Promise<void> {
      return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async stop(): Promise<void> {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Redis command as the RESP bytes a client sends it in (ioredis writes command names in lower case). */
export function respCommand(...words: string[]): string {
  return `*${words.length}\r\n${words.map(respBulk).join('')}`;
}

/** One argument as RESP sends it: springs on any command that carries it (a key read in an MGET with others, say). */
export function respBulk(word: string): string {
  return `$${Buffer.byteLength(word)}\r\n${word}\r\n`;
}

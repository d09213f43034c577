import { WebSocket } from 'ws';
import { MatchqClient, type WebSocketConstructor } from '../../packages/client/src/index.js';
import type { ClientFrame, ServerFrame, ServerFrameOf, ServerFrameType } from '../../packages/client/src/wire/index.js';

export type { ServerFrame };

/**
 * A player for tests, on @matchq/client (no reconnect: a test says when a player comes
 * back): records every frame and waits for the next one of a type, failing with what it did
 * receive when it does not come. The SDK reads every frame through the wire module's schemas,
 * and a frame that breaks them, or of a type the wire module does not declare, fails `next`:
 * so every test that uses it also checks the server keeps to the protocol.
 */
export class PlayerClient {
  readonly frames: ServerFrame[] = [];
  /** Frames that broke their schema or have an undeclared type: `next` fails on the first. */
  readonly invalid: string[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closed?: { code: number; reason: string };
  /** The SDK's own socket, kept for `sendRaw` only. */
  private raw: WebSocket | undefined;
  readonly sdk: MatchqClient;

  private constructor(url: string) {
    const tap = (socket: WebSocket) => {
      this.raw = socket;
    };
    // The `ws` socket the SDK opens, reachable here so that a hostile test can write bytes on it.
    const Tapped = class extends WebSocket {
      constructor(address: string) {
        super(address);
        tap(this);
      }
    };
    this.sdk = new MatchqClient(url, { WebSocket: Tapped as unknown as WebSocketConstructor, reconnect: false });
    this.sdk.on('frame', (frame) => {
      this.frames.push(frame);
      this.wake();
    });
    this.sdk.on('invalid', ({ text, message }) => {
      this.invalid.push(`${message}: ${text}`);
      this.wake();
    });
    this.sdk.on('unknown', ({ type, text }) => {
      this.invalid.push(`a frame type the wire module does not declare, "${type}": ${text}`);
      this.wake();
    });
    this.sdk.on('close', ({ code, reason }) => {
      this.closed = { code, reason };
      this.wake();
    });
  }

  /** Opens `url` (a gateway's /ws with the token); rejects as the SDK does when it cannot (`unauthorized` for HTTP 401). */
  static connect(url: string): Promise<PlayerClient> {
    return new Promise((resolve, reject) => {
      const client = new PlayerClient(url);
      client.sdk.once('open', () => resolve(client));
      // Settles with the hello, or rejects when the socket closed first; after `open`, only `closed` tells.
      client.sdk.ready().catch(reject);
      client.sdk.start();
    });
  }

  /** A frame of the protocol, through the SDK as is (its `id` kept); `sendRaw` for anything else. */
  send(frame: ClientFrame): void {
    if (!this.sdk.send(frame)) throw new Error(`cannot send ${frame.type}: the socket is not open`);
  }

  /**
   * Text or any value as JSON, written on the socket below the SDK: hostile-input tests send
   * what the protocol does not allow (unknown types, missing fields, not JSON), which no SDK
   * call can, and must not, produce. A Buffer goes as a binary frame.
   */
  sendRaw(message: unknown): void {
    this.raw!.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.sdk.connected;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  /** The next frame of `type` after the ones already taken; other types are skipped over. */
  async next<T extends ServerFrameType>(type: T, timeoutMs = 10_000): Promise<ServerFrameOf<T>> {
    return (await this.nextOf([type], timeoutMs)) as ServerFrameOf<T>;
  }

  /** The next frame of any of `types` after the ones already taken; other types are skipped over. */
  async nextOf<T extends ServerFrameType>(types: readonly T[], timeoutMs = 10_000): Promise<ServerFrameOf<T>> {
    const wanted: readonly string[] = types;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.invalid.length > 0) throw new Error(`the server sent a frame that breaks the wire schema: ${this.invalid[0]}`);
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!;
        if (wanted.includes(frame.type)) return frame as ServerFrameOf<T>;
      }
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for ${types.join(' or ')}; got ${this.types()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${types.join(' or ')} within ${timeoutMs} ms; got ${this.types()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the socket to close and returns its code. */
  async closeCode(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`socket still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.closed.code;
  }

  /** The frames' types so far, an error with its code and message, for a failure to say what came instead. */
  types(): string {
    const described = this.frames.map((frame) => (frame.type === 'error' ? `error ${frame.code} (${frame.message})` : frame.type));
    return described.join(', ') || 'nothing';
  }

  close(): void {
    this.sdk.close();
  }
}

import { WebSocket } from 'ws';
import {
  encodeClientFrame,
  parseServerFrame,
  type ClientFrame,
  type ServerFrame,
  type ServerFrameOf,
  type ServerFrameType,
} from '../../packages/client/src/wire/index.js';

export type { ServerFrame };

/**
 * A raw WebSocket player for tests, below the SDK so that it can send anything, malformed
 * frames included: records every frame and waits for the next one of a type, failing with
 * what it did receive when it does not come. Every frame it is sent is read through the wire
 * module's schemas, so every test that uses it also checks the server keeps to them.
 */
export class PlayerClient {
  readonly frames: ServerFrame[] = [];
  /** Frames that broke their schema: `next` fails on the first. */
  readonly invalid: string[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closed?: { code: number; reason: string };

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      const parsed = parseServerFrame(text);
      if (parsed.ok) this.frames.push(parsed.frame);
      else this.invalid.push(`${parsed.message}: ${text}`);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static connect(url: string): Promise<PlayerClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const client = new PlayerClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered HTTP ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  /** A frame of the protocol; `sendRaw` for anything else. */
  send(frame: ClientFrame): void {
    this.socket.send(encodeClientFrame(frame));
  }

  /** Text or any value as JSON, to see how the server takes what the protocol does not allow. */
  sendRaw(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  /** The next frame of `type` after the ones already taken; other types are skipped over. */
  async next<T extends ServerFrameType>(type: T, timeoutMs = 10_000): Promise<ServerFrameOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.invalid.length > 0) throw new Error(`the server sent a frame that breaks the wire schema: ${this.invalid[0]}`);
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!;
        if (frame.type === type) return frame as ServerFrameOf<T>;
      }
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for ${type}; got ${this.types()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} within ${timeoutMs} ms; got ${this.types()}`);
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

  types(): string {
    return this.frames.map((frame) => frame.type).join(', ') || 'nothing';
  }

  close(): void {
    this.socket.close();
  }
}

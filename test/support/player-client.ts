import { WebSocket } from 'ws';

export interface ServerFrame { type: string; [field: string]: unknown }

/**
 * A real WebSocket player for tests: records every frame and waits for the next one
 * of a type, failing with what it did receive when it does not come.
 */
export class PlayerClient {
  readonly frames: ServerFrame[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closed?: { code: number; reason: string };

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
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

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  /** The next frame of `type` after the ones already taken; other types are skipped over. */
  async next(type: string, timeoutMs = 10_000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!;
        if (frame.type === type) return frame;
      }
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for ${type}; got ${this.types()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} within ${timeoutMs} ms; got ${this.types()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** Waits for the socket to close and returns its code. */
  async closeCode(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`socket still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 50); });
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

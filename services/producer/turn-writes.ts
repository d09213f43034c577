import type { Writable } from 'node:stream';

/**
 * Coalesces the WebSocket messages a gateway writes to one socket in one event-loop turn into
 * one write to the kernel. Each frame stays its own WebSocket message (the contract: one JSON
 * object per message); the TCP socket under it is corked at the turn's first write and uncorked
 * once the turn is over (setImmediate: after this loop iteration's I/O callbacks and the promise
 * jobs they started), so a turn's N messages to a socket cost one writev instead of N writes.
 *
 * ws calls a send's callback only once its bytes were handed on (or with an error when the
 * socket was destroyed meanwhile: Node fails writes still corked then), so an outcome still
 * counts as told only after it really left (ticket-desk.ts deliver). ws keeps no API of its own
 * for this (websockets/ws#1999 points to the socket's cork); the gateway holds the socket it
 * upgraded, the same one ws writes to.
 */
export class TurnWrites {
  private corked: Writable[] = [];

  /** Holds the socket's writes until the end of this turn (once per socket and turn). */
  hold(socket: Writable): void {
    // Corked already: by us this turn (ws corks only within one send, never across calls).
    if (socket.writableCorked > 0) return;
    socket.cork();
    if (this.corked.push(socket) === 1) setImmediate(this.release);
  }

  private readonly release = (): void => {
    const sockets = this.corked;
    this.corked = [];
    // A socket ended or destroyed meanwhile is uncorked already; uncork then does nothing.
    for (const socket of sockets) socket.uncork();
  };
}

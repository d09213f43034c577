import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a flaky fleet answers: shares of each kind of answer (the rest allocate at once). */
export interface FleetFlakes {
  /** 500: the allocator retries within its budget. */
  serverError: number;
  /** 400: the allocator fails the room at once. */
  refused: number;
  /** An allocation that answers only after a pause drawn from `slowMs` (past the allocator's timeout, or not). */
  slow: number;
  slowMs: [number, number];
}

/** What the fleet saw and did for one Idempotency-Key (one room). */
export interface FleetKey {
  roomId: string;
  /** Every request with this key. */
  requests: number;
  /** The answers it wrote, in order: 200/201 (allocation or replay), 400, 500. */
  statuses: number[];
  /** The server this room was given: set by the first success, handed back on every later request. */
  server: { address: string; name: string } | null;
  /** Later requests with the key answered with the same server (the allocator asked again). */
  replays: number;
  /** The room's tickets, as the POSTed room event named them. */
  tickets: string[];
  /**
   * The server was given by an answer written so long after its request came in that the
   * allocator may have stopped waiting for it (its ALLOCATOR_TIMEOUT_MS, less a margin for
   * either side's event loop running late). Such an outcome is unknown to the allocator: a retry
   * with the key gets the server back, but after the last one of the budget nobody asks again.
   */
  late: boolean;
}

/** An answer this close to the allocator's timeout may reach an allocator that already gave up. */
const LATE_MARGIN_MS = 250;

/**
 * The chaos run's game server fleet: a real HTTP server on a free port that the http allocator
 * POSTs final rooms to. It is flaky on purpose (some 500s, some 400s, some slow answers, drawn
 * from the run's seeded PRNG) and honours `Idempotency-Key` as a fleet must: once a room got a
 * server, any later request with its key gets the same server back (a replay, not a second
 * allocation). It counts, per key, every request, every answer and the server given, for the
 * ledger. A slow answer whose client gave up before it was written allocates nothing.
 */
export class FlakyFleet {
  readonly keys = new Map<string, FleetKey>();
  private next = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** `clientTimeoutMs`: the allocator's ALLOCATOR_TIMEOUT_MS, to tell a late answer (FleetKey.late). */
  static async start(flakes: FleetFlakes, random: () => number, clientTimeoutMs: number): Promise<FlakyFleet> {
    let fleet: FlakyFleet | undefined;
    const server = createServer((req, res) => fleet!.handle(req, res, flakes, random, clientTimeoutMs - LATE_MARGIN_MS));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fleet = new FlakyFleet(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/allocate`);
    return fleet;
  }

  /** Rooms the fleet gave a server. */
  get allocated(): number {
    return [...this.keys.values()].filter((key) => key.server !== null).length;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse, flakes: FleetFlakes, random: () => number, lateAfterMs: number): void {
    const arrived = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const roomId = String(req.headers['idempotency-key'] ?? '');
      let tickets: string[] = [];
      try {
        const room = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { players?: { ticketId: string }[] };
        tickets = [...new Set((room.players ?? []).map((player) => player.ticketId))];
      } catch {
        // An unreadable body is answered 400 below, like any fleet would.
      }
      if (!roomId || tickets.length === 0) return this.write(res, 400, { error: 'no Idempotency-Key or no room' });
      const key = this.keys.get(roomId) ?? { roomId, requests: 0, statuses: [], server: null, replays: 0, tickets, late: false };
      this.keys.set(roomId, key);
      key.requests += 1;
      if (key.server) {
        key.replays += 1;
        return this.answer(key, res, 200, key.server);
      }
      const draw = random();
      if (draw < flakes.serverError) return this.answer(key, res, 500, { error: 'fleet busy' });
      if (draw < flakes.serverError + flakes.refused) return this.answer(key, res, 400, { error: 'no capacity for this room' });
      const allocate = () => {
        // A client that gave up (its timeout) took no server; a replay would hand out the same one anyway.
        if (res.destroyed || key.server) return this.answer(key, res, 200, key.server ?? { error: 'gone' });
        key.server = { address: `198.51.100.${1 + (this.next % 250)}:${7000 + Math.floor(this.next / 250)}`, name: `gs-${this.next}` };
        key.late = performance.now() - arrived >= lateAfterMs;
        this.next += 1;
        this.answer(key, res, 201, key.server);
      };
      if (draw < flakes.serverError + flakes.refused + flakes.slow)
        setTimeout(allocate, flakes.slowMs[0] + random() * (flakes.slowMs[1] - flakes.slowMs[0])).unref();
      else allocate();
    });
  }

  private answer(key: FleetKey, res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    key.statuses.push(status);
    this.write(res, status, body);
  }

  private write(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

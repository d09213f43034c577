/**
 * The rooms of one tick, flat. A 1M-ticket burst forms a third of a million rooms; built as one
 * object and one `tickets` array each, they were the tick's main allocation, and the young-
 * generation GC copied them (all alive) inside the tick (the gain: docs/matching.md, "Cost").
 * Now the tick writes tickets and figures into buffers it reuses
 * (RoomBuffer) and copies them out once into a few arrays; a FormedRoom object is built only
 * when a caller asks for one, outside the tick.
 */
import type { FormedRoom, Ticket } from './types.js';

export class FormedRooms implements Iterable<FormedRoom> {
  private zeros: number[] | undefined;

  /**
   * `tickets` holds room r's tickets at [r·roomSize, (r+1)·roomSize), by team then rating
   * descending; `teams` their teams, parallel to it (null: one team, every ticket in team 0);
   * `imbalances` per room (null: one team, all 0). With party tickets a room holds fewer
   * tickets than roomSize: `starts` then gives room r's tickets at [starts[r], starts[r+1]).
   */
  constructor(
    readonly roomSize: number,
    readonly tickets: readonly Ticket[],
    private readonly spreads: Float64Array,
    private readonly teams: Int32Array | null,
    private readonly imbalances: Float64Array | null,
    private readonly starts: Int32Array | null = null,
  ) {}

  /** The rooms of a list of room objects (the bench's baseline, the party path). */
  static of(rooms: readonly FormedRoom[], roomSize: number): FormedRooms {
    const spreads = Float64Array.from(rooms, (room) => room.spread);
    const teams = Int32Array.from(rooms.flatMap((room) => room.teams));
    const imbalances = Float64Array.from(rooms, (room) => room.imbalance);
    let starts: Int32Array | null = null;
    if (rooms.some((room) => room.tickets.length !== roomSize)) {
      starts = new Int32Array(rooms.length + 1);
      rooms.forEach((room, r) => (starts![r + 1] = starts![r]! + room.tickets.length));
    }
    return new FormedRooms(
      roomSize,
      rooms.flatMap((room) => room.tickets),
      spreads,
      teams,
      imbalances,
      starts,
    );
  }

  private from(r: number): number {
    return this.starts ? this.starts[r]! : r * this.roomSize;
  }

  get length(): number {
    return this.spreads.length;
  }

  /** Room r's tickets, by team then rating descending (fewer than roomSize with parties): a new array. */
  ticketsOf(r: number): Ticket[] {
    return this.tickets.slice(this.from(r), this.from(r + 1));
  }

  /** Room r's highest minus lowest rating. */
  spreadOf(r: number): number {
    return this.spreads[r]!;
  }

  /** Room r as an object of its own. */
  room(r: number): FormedRoom {
    const tickets = this.ticketsOf(r);
    return {
      tickets,
      teams: this.teams
        ? Array.from(this.teams.subarray(this.from(r), this.from(r + 1)))
        : this.starts
          ? new Array<number>(tickets.length).fill(0)
          : this.oneTeam(),
      spread: this.spreads[r]!,
      imbalance: this.imbalances ? this.imbalances[r]! : 0,
    };
  }

  /** The `teams` of every room when there is one team: shared and frozen, since callers only read it. */
  private oneTeam(): number[] {
    return (this.zeros ??= Object.freeze(new Array<number>(this.roomSize).fill(0)) as number[]);
  }

  *[Symbol.iterator](): Iterator<FormedRoom> {
    for (let r = 0; r < this.length; r++) yield this.room(r);
  }
}

/**
 * Where RoomFormer writes a tick's rooms, reused from tick to tick so a tick allocates only the
 * few arrays finish() copies out. Tickets are written as the rooms form, not gathered by index
 * at the end: a gather is a second pass of cache misses over the pool's tickets, while reading them as each room forms overlaps the misses with the search.
 */
export class RoomBuffer {
  private tickets: (Ticket | undefined)[] = [];
  private teamOf = new Int32Array(0);
  private spreads = new Float64Array(0);
  private imbalances = new Float64Array(0);
  /** Rooms written this tick. */
  private count = 0;

  constructor(
    private readonly roomSize: number,
    private readonly teams: number,
  ) {}

  /** Empties the buffer for a tick over n tickets (at most n / roomSize rooms). */
  reset(n: number): void {
    this.count = 0;
    if (this.spreads.length * this.roomSize >= n) return;
    const rooms = Math.ceil(Math.max(n, this.spreads.length * this.roomSize * 2) / this.roomSize);
    this.spreads = new Float64Array(rooms);
    if (this.teams === 1) return;
    this.teamOf = new Int32Array(rooms * this.roomSize);
    this.imbalances = new Float64Array(rooms);
  }

  /** Opens the next room; returns the offset its tickets are written at, in order, with setTicket(). */
  open(spread: number, imbalance: number): number {
    this.spreads[this.count] = spread;
    if (this.teams > 1) this.imbalances[this.count] = imbalance;
    return this.count++ * this.roomSize;
  }

  setTicket(at: number, ticket: Ticket, team: number): void {
    this.tickets[at] = ticket;
    if (this.teams > 1) this.teamOf[at] = team;
  }

  /** The tick's rooms; the buffer lets go of their tickets. */
  finish(): FormedRooms {
    const length = this.count * this.roomSize;
    const tickets = this.tickets.slice(0, length) as Ticket[];
    this.tickets.fill(undefined, 0, length);
    const many = this.teams > 1;
    return new FormedRooms(
      this.roomSize,
      tickets,
      this.spreads.slice(0, this.count),
      many ? this.teamOf.slice(0, length) : null,
      many ? this.imbalances.slice(0, this.count) : null,
    );
  }
}

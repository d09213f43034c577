import type { Knex } from 'knex';
import type { AuditedRoom, ResultsEvidence } from './ledger.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many times one post is tried (gateways die, the recorder may not have written the room yet). */
const TRIES = 40;
const RETRY_MS = 500;

/**
 * The chaos run's game server: for a share of the rooms it sees, it reports a result to the
 * server API of a random gateway with its server key, as a real game server would (retrying
 * through gateway restarts and until the recorder has the room), and posts some results twice
 * at once, as a server retrying a lost answer would. What it was answered is the evidence the
 * ledger checks against PostgreSQL.
 */
export class ResultsPoster {
  private readonly posted = new Map<string, string[]>();
  private readonly answers = new Map<string, string[]>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Posts refused for good (a 4xx other than a retryable 404), with the answer: each is a bug. */
  readonly refused: { roomId: string; status: number; body: string }[] = [];
  /** Posts that never got an answer within their tries. */
  readonly unanswered: string[] = [];
  private stopped = false;

  constructor(
    private readonly key: string,
    private readonly gateways: () => string[],
    private readonly teamsOf: (mode: string) => number,
    private readonly share: number,
    private readonly random: () => number,
  ) {}

  /** A room from the auditor's queue (each id once). */
  room(room: AuditedRoom & { players: { playerId: string }[] }): void {
    if (this.stopped || this.posted.has(room.id) || this.answers.has(room.id) || this.random() >= this.share) return;
    this.answers.set(room.id, []);
    const teams = this.teamsOf(room.mode);
    const playerIds = [...new Set(room.players.map((seat) => seat.playerId))];
    let placements: { playerId: string; rank: number }[];
    if (teams > 1) {
      // The players of a team share its rank; sometimes a draw.
      const order = [...Array(teams).keys()].sort(() => this.random() - 0.5);
      const draw = this.random() < 0.1;
      placements = room.players.map((seat) => ({ playerId: seat.playerId, rank: draw ? 1 : order.indexOf(seat.team) + 1 }));
    } else {
      placements = [...playerIds].sort(() => this.random() - 0.5).map((playerId, index) => ({ playerId, rank: index + 1 }));
    }
    const body = JSON.stringify({ roomId: room.id, placements });
    const copies = this.random() < 0.25 ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const post = this.post(room.id, playerIds, body, 1000 + this.random() * 1000).finally(() => this.inFlight.delete(post));
      this.inFlight.add(post);
    }
  }

  private async post(roomId: string, playerIds: string[], body: string, delayMs: number): Promise<void> {
    // A game takes a moment; meanwhile the recorder writes the room.
    await sleep(delayMs);
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const urls = this.gateways();
      const url = urls[Math.floor(this.random() * urls.length)]!;
      try {
        const response = await fetch(`${url}/v1/results`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(5000),
        });
        const text = await response.text();
        if (response.status === 200) {
          this.posted.set(roomId, playerIds);
          this.answers.get(roomId)!.push(text);
          return;
        }
        // 404: not recorded yet; 5xx: PostgreSQL or the broker away for a moment.
        if (response.status !== 404 && response.status < 500) {
          this.refused.push({ roomId, status: response.status, body: text.slice(0, 200) });
          return;
        }
      } catch {
        // The gateway died or restarts: another one, or this one again later.
      }
      await sleep(RETRY_MS);
    }
    this.unanswered.push(roomId);
  }

  /** Stops taking rooms and waits for every post under way. */
  async drain(): Promise<void> {
    this.stopped = true;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** What the game server was answered, beside what PostgreSQL holds. */
  async evidence(db: Knex): Promise<ResultsEvidence> {
    const [results, history, ratings] = await Promise.all([
      db('results').select('room_id'),
      db('rating_history').select('room_id', 'player_id', 'mode'),
      db('ratings').select('player_id', 'mode', 'games'),
    ]);
    return {
      posted: this.posted,
      answers: new Map(
        [...this.answers].filter(([, texts]) => texts.length > 0).map(([roomId, texts]) => [roomId, { answers: texts.length, distinct: new Set(texts).size }]),
      ),
      results: results.map((row: { room_id: string }) => ({ roomId: row.room_id })),
      history: history.map((row: { room_id: string; player_id: string; mode: string }) => ({ roomId: row.room_id, playerId: row.player_id, mode: row.mode })),
      ratings: ratings.map((row: { player_id: string; mode: string; games: number }) => ({ playerId: row.player_id, mode: row.mode, games: row.games })),
    };
  }
}

import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { joinFrame, SEARCHING_PREFIX, type ServerFrame } from '../../packages/client/src/wire/index.js';
import type { LoadPlayer } from './players.js';
import { NumberSeries, percentiles, perSecond, round, type Percentiles, type SecondPoint } from './stats.js';

export interface LoadOptions {
  /** Gateway base URLs (ws://host:port); players are spread over them round-robin. */
  gateways: string[];
  players: LoadPlayer[];
  /** Joins per second, all players together. */
  rate: number;
  durationS: number;
  mode: string;
  region: string;
  /** After the last join, how long to wait for the outcomes still on their way. */
  drainMs: number;
  /** Sockets opening at once while signing in. */
  connectConcurrency?: number;
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  phase: 'connect' | 'run' | 'drain';
  done: number;
  total: number;
  joins: number;
  matched: number;
  waiting: number;
  errors: number;
}

export interface LoadReport {
  players: number;
  gateways: string[];
  rate: number;
  durationS: number;
  mode: string;
  region: string;
  connectMs: number;
  joins: number;
  queued: number;
  matched: number;
  /** Tickets still waiting when the drain ended (their players were then disconnected). */
  waiting: number;
  /** Tickets that ended with `left` timeout. */
  timeouts: number;
  /** Joins that got no reply at all before the end. */
  unanswered: number;
  rooms: number;
  matchedPerSecond: number;
  joinsPerSecond: number;
  /** Joins the schedule wanted but no idle player could make (too few players for the rate). */
  starvedJoins: number;
  latencyMs: { joinToQueued: Percentiles; joinToMatched: Percentiles };
  spread: Percentiles & { mean: number | null };
  errors: Record<string, number>;
  disconnects: number;
  connectFailures: number;
  series: SecondPoint[];
}

type Phase = 'idle' | 'joining' | 'queued';

interface Sim {
  player: LoadPlayer;
  socket: WebSocket;
  phase: Phase;
  sentAt: number;
  joinId: number;
  closing: boolean;
}

/**
 * Drives simulated players over real WebSockets: each signs in, joins, waits for its room
 * and joins again. Joins are paced to `rate` (an even schedule, bursts capped at 50 ms);
 * latency is from the moment a join frame is sent to the frame that answers it.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const { players, rate, durationS, mode, region } = options;
  const errors: Record<string, number> = {};
  const bump = (code: string) => {
    errors[code] = (errors[code] ?? 0) + 1;
  };
  const joinTimes = new NumberSeries();
  const queuedAt = new NumberSeries();
  const queuedMs = new NumberSeries();
  const matchedAt = new NumberSeries();
  const matchedMs = new NumberSeries();
  const spreads = new NumberSeries();
  const roomsSeen = new Set<string>();
  let joins = 0,
    queued = 0,
    matched = 0,
    timeouts = 0,
    disconnects = 0,
    connectFailures = 0,
    starved = 0;
  let nextJoinId = 1;
  let runStart = 0;
  let running = false;
  const ready: Sim[] = [];
  let readyHead = 0;
  const sims: Sim[] = [];
  const progress = (phase: Progress['phase'], done: number, total: number) =>
    options.onProgress?.({
      phase,
      done,
      total,
      joins,
      matched,
      waiting: sims.filter((sim) => sim.phase !== 'idle').length,
      errors: Object.values(errors).reduce((a, b) => a + b, 0),
    });

  function onFrame(sim: Sim, text: string): void {
    // `searching` is the most frequent frame and carries nothing the report needs.
    if (text.startsWith(SEARCHING_PREFIX)) return;
    // Not checked against the schemas: the generator must not spend its CPU on that (the tests do).
    const frame = JSON.parse(text) as ServerFrame;
    const now = performance.now();
    switch (frame.type) {
      case 'queued':
        if (sim.phase !== 'joining' || frame.id !== sim.joinId) return; // a resumed ticket after reconnect
        sim.phase = 'queued';
        queued += 1;
        queuedAt.push((sim.sentAt - runStart) / 1000);
        queuedMs.push(now - sim.sentAt);
        return;
      case 'matched': {
        if (sim.phase === 'idle') return;
        matched += 1;
        matchedAt.push((sim.sentAt - runStart) / 1000);
        matchedMs.push(now - sim.sentAt);
        const { room } = frame;
        if (!roomsSeen.has(room.id)) {
          roomsSeen.add(room.id);
          spreads.push(room.spread);
        }
        return rejoin(sim);
      }
      case 'left':
        if (frame.reason === 'timeout') timeouts += 1;
        return rejoin(sim);
      case 'error':
        bump(frame.code);
        // `rate_limited` carries no id: it answers the join in flight all the same.
        if (sim.phase === 'joining' && (frame.id === sim.joinId || frame.id === undefined)) rejoin(sim);
        return;
      default:
    }
  }

  function rejoin(sim: Sim): void {
    sim.phase = 'idle';
    if (running && !sim.closing) ready.push(sim);
  }

  function connect(player: LoadPlayer, index: number): Promise<void> {
    const base = options.gateways[index % options.gateways.length]!;
    return new Promise((resolve) => {
      const socket = new WebSocket(`${base}/ws?token=${encodeURIComponent(player.token)}`, { perMessageDeflate: false });
      const sim: Sim = { player, socket, phase: 'idle', sentAt: 0, joinId: 0, closing: false };
      let hello = false;
      socket.on('message', (data) => {
        const text = data.toString();
        if (!hello) {
          hello = true;
          sims.push(sim);
          ready.push(sim);
          return resolve();
        }
        onFrame(sim, text);
      });
      socket.on('unexpected-response', (_req, res) => {
        connectFailures += 1;
        bump(`http_${res.statusCode}`);
        socket.terminate();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        if (!hello) {
          connectFailures += 1;
          return resolve();
        }
        if (!sim.closing) disconnects += 1;
        sim.closing = true;
      });
    });
  }

  // Sign every player in, a bounded number of handshakes at a time.
  const connectStart = performance.now();
  const concurrency = options.connectConcurrency ?? 200;
  let nextPlayer = 0;
  let connected = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, players.length) }, async () => {
      while (nextPlayer < players.length) {
        const index = nextPlayer++;
        await connect(players[index]!, index);
        connected += 1;
        if (connected % 500 === 0) progress('connect', connected, players.length);
      }
    }),
  );
  const connectMs = performance.now() - connectStart;
  progress('connect', connected, players.length);

  // The run: an even schedule of joins, paced every 5 ms.
  running = true;
  runStart = performance.now();
  let sent = 0;
  const endAt = runStart + durationS * 1000;
  await new Promise<void>((resolve) => {
    let lastProgress = 0;
    const pace = setInterval(() => {
      const now = performance.now();
      if (now >= endAt) {
        clearInterval(pace);
        return resolve();
      }
      const due = (rate * (now - runStart)) / 1000;
      while (sent < due && readyHead < ready.length) {
        const sim = ready[readyHead++]!;
        if (sim.closing || sim.phase !== 'idle') continue;
        sim.phase = 'joining';
        sim.joinId = nextJoinId++;
        sim.sentAt = performance.now();
        sim.socket.send(joinFrame(mode, region, sim.joinId));
        joinTimes.push((sim.sentAt - runStart) / 1000);
        joins += 1;
        sent += 1;
      }
      if (readyHead > 4096 && readyHead * 2 > ready.length) {
        ready.splice(0, readyHead);
        readyHead = 0;
      }
      // No idle player for the schedule: note it, and do not let the debt grow past 50 ms.
      const floor = due - rate * 0.05;
      if (sent < floor) {
        starved += Math.floor(floor - sent);
        sent = Math.floor(floor);
      }
      if (now - lastProgress >= 250) {
        lastProgress = now;
        progress('run', Math.round((now - runStart) / 1000), durationS);
      }
    }, 5);
  });
  running = false;
  const runMs = performance.now() - runStart;

  // Drain: let the tickets in flight end, then count what is left.
  const drainEnd = performance.now() + options.drainMs;
  while (performance.now() < drainEnd && sims.some((sim) => sim.phase !== 'idle' && !sim.closing)) {
    progress('drain', Math.round(options.drainMs - (drainEnd - performance.now())), options.drainMs);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const waiting = sims.filter((sim) => sim.phase === 'queued').length;
  const unanswered = sims.filter((sim) => sim.phase === 'joining').length;
  for (const sim of sims) {
    sim.closing = true;
    sim.socket.close(1000, 'load run over');
  }
  await Promise.all(
    sims.map((sim) =>
      sim.socket.readyState === WebSocket.CLOSED
        ? undefined
        : new Promise((resolve) => {
            const timer = setTimeout(() => {
              sim.socket.terminate();
              resolve(undefined);
            }, 2000);
            sim.socket.once('close', () => {
              clearTimeout(timer);
              resolve(undefined);
            });
          }),
    ),
  );

  const spreadValues = spreads.values();
  const seconds = Math.max(1, Math.ceil(durationS));
  return {
    players: players.length,
    gateways: options.gateways,
    rate,
    durationS,
    mode,
    region,
    connectMs: Math.round(connectMs),
    joins,
    queued,
    matched,
    waiting,
    timeouts,
    unanswered,
    rooms: roomsSeen.size,
    // Outcomes of joins made during the run, over the run's length.
    matchedPerSecond: round(matched / (runMs / 1000)),
    joinsPerSecond: round(joins / (runMs / 1000)),
    starvedJoins: starved,
    latencyMs: { joinToQueued: percentiles(queuedMs.values()), joinToMatched: percentiles(matchedMs.values()) },
    spread: { ...percentiles(spreadValues), mean: spreadValues.length ? round(spreadValues.reduce((a, b) => a + b, 0) / spreadValues.length) : null },
    errors,
    disconnects,
    connectFailures,
    series: perSecond(joinTimes.values(), { at: queuedAt.values(), ms: queuedMs.values() }, { at: matchedAt.values(), ms: matchedMs.values() }, seconds),
  };
}

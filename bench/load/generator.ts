import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { MatchqClient } from '../../packages/client/src/index.js';
import { closeAll, signInAll } from './connections.js';
import type { LoadPlayer } from './players.js';
import {
  byTickPhase,
  tickPeriod,
  NumberSeries,
  percentiles,
  percentilesFrom,
  perSecond,
  round,
  type Percentiles,
  type PhasePoint,
  type SecondPoint,
} from './stats.js';

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
  /**
   * The same latencies of the joins sent from WARM_UP_S on, once the stack is warm (its JIT,
   * its heaps grown, the pool filled to its steady size): the first seconds' tail is the
   * start's, not the service's. Null for a run too short to have a warm part.
   */
  warmLatencyMs: {
    fromS: number;
    joinToQueued: Percentiles;
    joinToMatched: Percentiles;
    /**
     * join→`matched` in two parts: `waitedMs`, the player's wait at the tick that formed the
     * room (the room event's own figure: the rule and the tick's phase), and `formedToToldMs`,
     * from the room's `createdAt` to the frame here (claim, publish, notifier, gateway; one
     * machine's clock, to the millisecond).
     */
    matchedParts: { waitedMs: Percentiles; formedToToldMs: Percentiles };
    /**
     * Warm join→`queued` by when the join was sent within the tick (the rooms' createdAt mark
     * the ticks), in tenths of the tick's period (the median gap between ticks): the tick's
     * burst shows as its first bins' tail. Empty when fewer than two ticks formed rooms.
     */
    joinToQueuedByTickPhase: PhasePoint[];
  } | null;
  /**
   * How late the generator's own event loop ran during the run and drain (ms). A frame that
   * arrives while the loop is busy is read only when it is free again, so this much of each
   * latency above can be the generator's, not matchq's: sharing the cores with the stack, its
   * p99 here bounds how far below it a latency p99 can be measured at all.
   */
  generatorLoopDelayMs: { p50: number; p99: number; max: number };
  spread: Percentiles & { mean: number | null };
  errors: Record<string, number>;
  disconnects: number;
  connectFailures: number;
  series: SecondPoint[];
  /** When each tick that formed a room formed it (the rooms' createdAt, ms, ascending). */
  ticks: number[];
}

type Phase = 'idle' | 'joining' | 'queued';

/**
 * Seconds from the run's start before which a join's latencies count only in the whole run's
 * figures, not the warm ones (measured: a stack's per-second join→queued p99 settles after
 * 8–12 s at 1,000 joins/s here, docs/performance.md).
 */
const WARM_UP_S = 10;

/** How long a player told `unavailable` or `rate_limited` waits before joining again, on average. */
const RETRY_AFTER_MS = 1000;

interface Sim {
  player: LoadPlayer;
  client: MatchqClient;
  phase: Phase;
  sentAt: number;
  joinId: number;
  /** Not to be given joins: true until signed in, and from its socket's close or the end of the run. */
  closing: boolean;
}

/**
 * Drives simulated players over real WebSockets, each a @matchq/client (connections.ts: its
 * lean path): each signs in, joins, waits for its room and joins again. Joins are paced to `rate` (an even schedule, bursts capped at 50 ms);
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
  const waitedMs = new NumberSeries();
  const formedToToldMs = new NumberSeries();
  const spreads = new NumberSeries();
  const roomsSeen = new Set<string>();
  /** Each join's send time on the wall clock (ms), beside its join→`queued`; and each tick's, from the rooms. */
  const queuedSentWall = new NumberSeries();
  const ticks = new Set<number>();
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

  /** What the report needs from a player's frames; `searching`, sent most, is left unread by the SDK. */
  function listen(sim: Sim): void {
    const { client } = sim;
    client.on('queued', (frame) => {
      if (sim.phase !== 'joining' || frame.id !== sim.joinId) return; // a resumed ticket after reconnect
      sim.phase = 'queued';
      queued += 1;
      queuedAt.push((sim.sentAt - runStart) / 1000);
      const latency = performance.now() - sim.sentAt;
      queuedMs.push(latency);
      queuedSentWall.push(Date.now() - latency);
    });
    client.on('matched', ({ room }) => {
      if (sim.phase === 'idle') return;
      matched += 1;
      matchedAt.push((sim.sentAt - runStart) / 1000);
      matchedMs.push(performance.now() - sim.sentAt);
      waitedMs.push(room.players.find((seat) => seat.playerId === sim.player.id)?.waitedMs ?? Number.NaN);
      formedToToldMs.push(Date.now() - Date.parse(room.createdAt));
      if (!roomsSeen.has(room.id)) {
        roomsSeen.add(room.id);
        spreads.push(room.spread);
        ticks.add(Date.parse(room.createdAt));
      }
      rejoin(sim);
    });
    client.on('left', ({ reason }) => {
      if (reason === 'timeout') timeouts += 1;
      rejoin(sim);
    });
    client.on('error', (frame) => {
      bump(frame.code);
      // `rate_limited` carries no id: it answers the join in flight all the same.
      if (sim.phase !== 'joining' || (frame.id !== sim.joinId && frame.id !== undefined)) return;
      // "Try again in a moment": a player waits a moment (jittered, so refusals do not come back
      // in step) rather than hammer a gateway that is shedding load.
      if (frame.code === 'unavailable' || frame.code === 'rate_limited') {
        sim.phase = 'idle';
        setTimeout(() => rejoin(sim), RETRY_AFTER_MS * (0.5 + Math.random()));
      } else rejoin(sim);
    });
    client.on('close', () => {
      if (!sim.closing) disconnects += 1;
      sim.closing = true;
    });
  }

  function rejoin(sim: Sim): void {
    sim.phase = 'idle';
    if (running && !sim.closing) ready.push(sim);
  }

  // Sign every player in, a bounded number of handshakes at a time.
  const connectStart = performance.now();
  let connected = 0;
  await signInAll(options.gateways, players, {
    concurrency: options.connectConcurrency ?? 200,
    open: (client, player) => {
      const sim: Sim = { player, client, phase: 'idle', sentAt: 0, joinId: 0, closing: true };
      listen(sim);
      return sim;
    },
    onSignedIn: (sim) => {
      sim.closing = !sim.client.connected;
      sims.push(sim);
      ready.push(sim);
      connected += 1;
      if (connected % 500 === 0) progress('connect', connected, players.length);
    },
    onFailure: (_sim, status) => {
      connectFailures += 1;
      if (status !== undefined) bump(`http_${status}`);
    },
  });
  const connectMs = performance.now() - connectStart;
  progress('connect', connected, players.length);

  // The run: an even schedule of joins, paced every 5 ms.
  running = true;
  // Sampled every 10 ms from the first join to the end of the drain.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
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
        sim.client.send({ type: 'join', mode, region, id: sim.joinId });
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
  loopDelay.disable();
  const waiting = sims.filter((sim) => sim.phase === 'queued').length;
  const unanswered = sims.filter((sim) => sim.phase === 'joining').length;
  for (const sim of sims) sim.closing = true;
  await closeAll(sims.map((sim) => sim.client));

  const spreadValues = spreads.values();
  const tickTimes = [...ticks].sort((a, b) => a - b);
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
    warmLatencyMs:
      durationS >= 2 * WARM_UP_S
        ? {
            fromS: WARM_UP_S,
            joinToQueued: percentilesFrom(queuedAt.values(), queuedMs.values(), WARM_UP_S),
            joinToMatched: percentilesFrom(matchedAt.values(), matchedMs.values(), WARM_UP_S),
            matchedParts: {
              waitedMs: percentilesFrom(matchedAt.values(), waitedMs.values(), WARM_UP_S),
              formedToToldMs: percentilesFrom(matchedAt.values(), formedToToldMs.values(), WARM_UP_S),
            },
            joinToQueuedByTickPhase: phasesOfTick(queuedAt.values(), queuedSentWall.values(), queuedMs.values(), tickTimes),
          }
        : null,
    // The histogram counts in ns, from the resolution on: the delay beyond the 10 ms sampling.
    generatorLoopDelayMs: {
      p50: round(Math.max(0, loopDelay.percentile(50) / 1e6 - 10)),
      p99: round(Math.max(0, loopDelay.percentile(99) / 1e6 - 10)),
      max: round(Math.max(0, loopDelay.max / 1e6 - 10)),
    },
    spread: { ...percentiles(spreadValues), mean: spreadValues.length ? round(spreadValues.reduce((a, b) => a + b, 0) / spreadValues.length) : null },
    errors,
    disconnects,
    connectFailures,
    series: perSecond(joinTimes.values(), { at: queuedAt.values(), ms: queuedMs.values() }, { at: matchedAt.values(), ms: matchedMs.values() }, seconds),
    ticks: tickTimes,
  };
}

/** Warm join→`queued` by phase of the tick, in tenths of the ticks' median period. */
function phasesOfTick(at: Float64Array, sentWall: Float64Array, ms: Float64Array, ticks: number[]): PhasePoint[] {
  const period = tickPeriod(ticks);
  if (period === null) return [];
  const warm = [...at.keys()].filter((index) => at[index]! >= WARM_UP_S);
  return byTickPhase(
    warm.map((index) => sentWall[index]!),
    warm.map((index) => ms[index]!),
    ticks,
    period / 10,
    period,
  ).map((point) => ({ ...point, fromMs: round(point.fromMs, 0) }));
}

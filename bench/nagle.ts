/**
 * `npm run bench -- nagle [seconds]`: how long a confirmed, persistent publish waits for its
 * confirm when publishes come one a millisecond (a gateway's joins at 1,000/s), with Nagle's
 * algorithm on the AMQP socket (amqplib's default: the baseline, measured in the same run) and
 * off (`noDelay`, what common/amqp.ts sets). With Nagle on, a publish written while an earlier
 * segment waits for its TCP ack is held until that ack, and the broker's kernel holds its ack
 * to send it with its next answer: the confirm of the publish before. Runs alternate, so a
 * machine that slows down meanwhile weighs on both.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import amqplib from 'amqplib';
import { loadConfig } from '../common/config.js';

const RESULTS = new URL('./results/', import.meta.url);
const BODY = Buffer.alloc(300, 'x');
const progress = (text: string) => process.stderr.write(`bench nagle: ${text}\n`);

interface Latencies {
  noDelay: boolean;
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Publishes one message a millisecond for `seconds`, each awaiting its confirm; the confirm waits, ms. */
async function measure(url: string, noDelay: boolean, seconds: number): Promise<Latencies> {
  const connection = await amqplib.connect(url, { noDelay });
  try {
    const channel = await connection.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, durable: false });
    const waits: number[] = [];
    const publish = () =>
      new Promise<void>((resolve, reject) => {
        const sent = performance.now();
        channel.sendToQueue(queue, BODY, { persistent: true }, (error) => {
          if (error) return reject(error as Error);
          waits.push(performance.now() - sent);
          resolve();
        });
      });
    const pending: Promise<void>[] = [];
    const end = performance.now() + seconds * 1000;
    for (let next = performance.now(); next < end; next += 1) {
      const late = next - performance.now();
      if (late > 0) await new Promise((resolve) => setTimeout(resolve, late));
      pending.push(publish());
    }
    await Promise.all(pending);
    waits.sort((a, b) => a - b);
    const at = (share: number) => Number(waits[Math.min(waits.length - 1, Math.floor(share * waits.length))]!.toFixed(2));
    return { noDelay, count: waits.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
  } finally {
    await connection.close();
  }
}

/**
 * Keeps the broker busy, as a tick's burst does, so that confirms take longer than the gap
 * between two publishes (on an idle broker a confirm comes back within a millisecond, before
 * the next publish, and Nagle has nothing to hold): persistent publishes to a queue of its own,
 * a window of confirms at a time, until stopped.
 */
async function busyBroker(url: string): Promise<() => Promise<void>> {
  const connection = await amqplib.connect(url, { noDelay: true });
  const channel = await connection.createConfirmChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, durable: false, arguments: { 'x-max-length': 10_000 } });
  let running = true;
  const flood = (async () => {
    while (running) {
      for (let index = 0; index < 500; index++) channel.sendToQueue(queue, BODY, { persistent: true });
      await channel.waitForConfirms();
    }
  })();
  return async () => {
    running = false;
    await flood;
    await connection.close();
  };
}

export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 8);
  const url = loadConfig().AMQP_URL[0]!;
  const runs: Latencies[] = [];
  const stopBusy = await busyBroker(url);
  try {
    for (const noDelay of [false, true, false, true]) {
      progress(`${noDelay ? 'noDelay' : 'Nagle on (baseline)'}: ${seconds} s at one publish a millisecond, the broker kept busy…`);
      runs.push(await measure(url, noDelay, seconds));
    }
  } finally {
    await stopBusy();
  }
  const median = (noDelay: boolean, key: 'p50' | 'p95' | 'p99') => {
    const values = runs.filter((run) => run.noDelay === noDelay).map((run) => run[key]);
    return values.reduce((sum, value) => sum + value, 0) / values.length;
  };
  for (const run of runs)
    process.stdout.write(
      `${run.noDelay ? 'noDelay         ' : 'Nagle (baseline)'}  ${run.count} confirms  wait ms p50 ${run.p50}  p95 ${run.p95}  p99 ${run.p99}  max ${run.max}\n`,
    );
  const ratio = {
    p50: Number((median(true, 'p50') / median(false, 'p50')).toFixed(2)),
    p95: Number((median(true, 'p95') / median(false, 'p95')).toFixed(2)),
    p99: Number((median(true, 'p99') / median(false, 'p99')).toFixed(2)),
  };
  process.stdout.write(`noDelay ÷ baseline (means of the two runs each): p50 ${ratio.p50}  p95 ${ratio.p95}  p99 ${ratio.p99}\n`);
  mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = new URL(`nagle-${stamp}.json`, RESULTS);
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), seconds, runs, ratio }, null, 2)}\n`);
  process.stdout.write(`saved ${file.pathname}\n`);
}

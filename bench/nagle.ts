/**
 * `npm run bench -- nagle [seconds]`: how long a confirmed, persistent publish waits for its
 * confirm when publishes come one a millisecond and each follows an ack on the same connection,
 * as in every matchq service (the gateway acks its deliveries and publishes joins; the matcher
 * acks joins and publishes rooms), with Nagle's algorithm on the AMQP socket (amqplib's default:
 * the baseline, measured in the same run) and off (`noDelay`, what common/amqp.ts sets). An ack
 * has no answer, so the broker's kernel holds its TCP ack for up to 40 ms (delayed ack), and with
 * Nagle on the publish written after it waits for that TCP ack. Runs alternate, so a machine that
 * slows down meanwhile weighs on both.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import amqplib, { type ConsumeMessage } from 'amqplib';
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

/** One publish a millisecond for `seconds`, each after an ack of a message consumed on the same connection; the confirms' waits, ms. */
async function measure(url: string, noDelay: boolean, seconds: number): Promise<Latencies> {
  const connection = await amqplib.connect(url, { noDelay });
  try {
    const channel = await connection.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, durable: false });
    // What was published comes back here, to be acked before the next publish.
    const consumer = await connection.createChannel();
    const held: ConsumeMessage[] = [];
    await consumer.consume(queue, (message) => message && held.push(message));
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
    while (performance.now() < end) {
      const message = held.shift();
      if (message) consumer.ack(message);
      pending.push(publish());
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
    waits.sort((a, b) => a - b);
    const at = (share: number) => Number(waits[Math.min(waits.length - 1, Math.floor(share * waits.length))]!.toFixed(2));
    return { noDelay, count: waits.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
  } finally {
    await connection.close();
  }
}

export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 8);
  const url = loadConfig().AMQP_URL[0]!;
  const runs: Latencies[] = [];
  for (const noDelay of [false, true, false, true]) {
    progress(`${noDelay ? 'noDelay' : 'Nagle on (baseline)'}: ${seconds} s, an ack then a publish each millisecond…`);
    runs.push(await measure(url, noDelay, seconds));
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

import type { ConsumeMessage } from 'amqplib';

/** What a flush sent: AMQP ack (and requeue) frames, the deliveries the acks settled, and the deliveries requeued to pass them. */
export interface AckFlush {
  frames: number;
  messages: number;
  requeued: number;
}

/**
 * Held deliveries a flush may requeue so that a multiple ack can pass them. RabbitMQ (3.10) walks
 * a channel's outstanding deliveries from the oldest to find the tag of a single ack, in the
 * channel and again in the queue: a consumer that holds thousands of deliveries (a pool's
 * waiting tickets) pays for every one of them at each ack of a newer one (measured: 0.8 ms of
 * broker CPU an ack behind 3,000 held deliveries, 0.014 ms behind none). A held delivery
 * requeued (basic.nack, requeue) comes back at once, as a redelivery at the tail with a new tag,
 * and what lay behind it is acked from the head.
 */
export interface PassHeld {
  /** Whether this outstanding delivery, not asked to be acked, may be requeued now. */
  mayRequeue(message: ConsumeMessage): boolean;
  /** Sends the requeue (one nack frame); the owner takes the delivery back when it comes again. */
  requeue(message: ConsumeMessage): void;
}

/**
 * What requeuing one held delivery costs the broker, in outstanding deliveries a single ack walks
 * past: a requeue is a nack and a delivery again (a delivery with its ack took 14 µs of broker CPU
 * on RabbitMQ 3.10 here, each held delivery an ack walked past 0.26 µs), so about 55; rounded up,
 * so a requeue is made only where it clearly saves.
 */
export const REQUEUE_COST = 64;

/**
 * The acks of one channel, coalesced. An ack asked for is held until the end of the event-loop
 * turn; then the longest run of acked deliveries at the head of the channel's unacked ones
 * goes out as one multiple ack (basic.ack with multiple=true settles every outstanding delivery
 * tag up to its own), and every other one on its own. A multiple ack never covers a delivery
 * nobody asked to ack: the run stops at the first unacked delivery still held.
 *
 * It must see every delivery of the channel (`delivered`), in the order the broker tagged them,
 * or a multiple ack could settle one it never saw; TopologyChannel feeds it from `consume`. A nack
 * goes out at once and leaves the set, so a later multiple ack (sent after it) skips its tag,
 * as the broker does. Pure: the frames go through `send`.
 */
export class AckCoalescer {
  /** Outstanding deliveries by tag, in delivery order (a Map keeps insertion order). */
  private readonly unacked = new Map<number, ConsumeMessage>();
  /** Tags asked to be acked, not sent yet. */
  private readonly due = new Set<number>();
  private scheduled = false;

  constructor(
    private readonly send: (message: ConsumeMessage, allUpTo: boolean) => void,
    /** When the flush runs; setImmediate in production (every ack of one turn together), a test may flush itself. */
    private readonly schedule: (flush: () => void) => void = (flush) => setImmediate(flush),
    private readonly onFlush?: (sent: AckFlush) => void,
    private readonly pass?: PassHeld,
  ) {}

  /** A delivery arrived on the channel. */
  delivered(message: ConsumeMessage): void {
    this.unacked.set(message.fields.deliveryTag, message);
  }

  /** Acks the delivery at the end of this turn; a second ack of the same one is dropped (it would close the channel). */
  ack(message: ConsumeMessage): void {
    const tag = message.fields.deliveryTag;
    if (!this.unacked.has(tag)) return;
    this.due.add(tag);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** A nack went out (at once): the delivery is no longer outstanding. */
  nacked(message: ConsumeMessage): void {
    const tag = message.fields.deliveryTag;
    this.unacked.delete(tag);
    this.due.delete(tag);
  }

  /**
   * Sends every ack asked for: the run at the head as one multiple ack, the rest one by one. With
   * `pass`, the run may go on past held deliveries that are requeued, where that costs the broker
   * less than the single acks walking past them would (REQUEUE_COST).
   */
  flush(): AckFlush {
    this.scheduled = false;
    const sent: AckFlush = { frames: 0, messages: this.due.size, requeued: 0 };
    if (this.due.size === 0) return sent;
    const plan = this.plan();
    let head: ConsumeMessage | undefined;
    let run = 0;
    const ackRun = () => {
      if (!head) return;
      this.send(head, run > 1);
      sent.frames += 1;
      head = undefined;
      run = 0;
    };
    for (const [tag, message] of plan) {
      this.unacked.delete(tag);
      if (this.due.delete(tag)) {
        head = message;
        run += 1;
        continue;
      }
      // The run before it goes first, so the broker finds each tag at the head of what is outstanding.
      ackRun();
      this.pass!.requeue(message);
      sent.frames += 1;
      sent.requeued += 1;
    }
    ackRun();
    for (const tag of this.due) {
      this.send(this.unacked.get(tag)!, false);
      this.unacked.delete(tag);
      sent.frames += 1;
    }
    this.due.clear();
    this.onFlush?.(sent);
    return sent;
  }

  /**
   * The head of the outstanding deliveries to settle as runs: every due one up to the first held
   * one, and on past held ones (requeued) as far as that saves the most. Past the plan, each due
   * delivery is a single ack walking past the held ones before it; a requeue spares that walk to
   * every due one after it.
   */
  private plan(): [number, ConsumeMessage][] {
    const walked: [number, ConsumeMessage][] = [];
    let end = 0;
    let passed = 0;
    let walks = 0;
    let best = 0;
    let dueLeft = this.due.size;
    for (const entry of this.unacked) {
      if (dueLeft === 0) break;
      const [tag, message] = entry;
      if (this.due.has(tag)) {
        dueLeft -= 1;
        walked.push(entry);
        walks += passed;
        const saving = walks - passed * REQUEUE_COST;
        if (passed === 0 || saving > best) {
          best = saving;
          end = walked.length;
        }
      } else if (this.pass?.mayRequeue(message)) {
        walked.push(entry);
        passed += 1;
      } else break;
    }
    return walked.slice(0, end);
  }

  /** Whether the delivery is outstanding on this channel (not acked, nacked or requeued). */
  isOutstanding(message: ConsumeMessage): boolean {
    return this.unacked.has(message.fields.deliveryTag);
  }

  /** A new channel: tags start again and the broker redelivers whatever was outstanding. */
  reset(): void {
    this.unacked.clear();
    this.due.clear();
  }

  /** Outstanding deliveries (acks not yet sent included). */
  get outstanding(): number {
    return this.unacked.size;
  }
}

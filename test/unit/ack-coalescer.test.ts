import type { ConsumeMessage } from 'amqplib';
import { expect } from 'chai';
import fc from 'fast-check';
import { AckCoalescer, REQUEUE_COST, type PassHeld } from '../../common/ack-coalescer.js';
import { delivery } from '../support/fake-pool-io.js';

/**
 * The broker's side of one channel, as AMQP 0-9-1 has it: an ack of a tag not outstanding is a
 * channel error (PRECONDITION_FAILED); a multiple ack settles every outstanding tag up to its own.
 */
class BrokerChannel {
  readonly outstanding = new Set<number>();
  readonly settled: number[] = [];
  readonly requeued: number[] = [];
  frames = 0;
  /** Outstanding deliveries older than the tag that a frame's search walked past (RabbitMQ 3.10 searches from the oldest). */
  walked = 0;

  deliver(tag: number): ConsumeMessage {
    this.outstanding.add(tag);
    return delivery({ tag }, { tag });
  }

  ack(message: ConsumeMessage, allUpTo: boolean): void {
    const tag = message.fields.deliveryTag;
    this.frames += 1;
    if (!this.outstanding.has(tag)) throw new Error(`PRECONDITION_FAILED: unknown delivery tag ${tag}`);
    if (!allUpTo) this.walked += [...this.outstanding].filter((other) => other < tag).length;
    for (const outstanding of [...this.outstanding].sort((a, b) => a - b)) {
      if (outstanding > tag || (!allUpTo && outstanding !== tag)) continue;
      this.outstanding.delete(outstanding);
      this.settled.push(outstanding);
    }
  }

  nack(message: ConsumeMessage): void {
    const tag = message.fields.deliveryTag;
    if (!this.outstanding.delete(tag)) throw new Error(`PRECONDITION_FAILED: unknown delivery tag ${tag}`);
  }

  /** basic.nack with requeue: one frame; the message goes back to the queue (delivered again later, with a new tag). */
  requeue(message: ConsumeMessage): void {
    const tag = message.fields.deliveryTag;
    this.frames += 1;
    this.walked += [...this.outstanding].filter((other) => other < tag).length;
    if (!this.outstanding.delete(tag)) throw new Error(`PRECONDITION_FAILED: unknown delivery tag ${tag}`);
    this.requeued.push(tag);
  }
}

function setup(mayRequeue?: (message: ConsumeMessage) => boolean) {
  const broker = new BrokerChannel();
  const pass: PassHeld | undefined = mayRequeue && { mayRequeue, requeue: (message) => broker.requeue(message) };
  const coalescer = new AckCoalescer(
    (message, allUpTo) => broker.ack(message, allUpTo),
    () => undefined,
    undefined,
    pass,
  );
  const deliver = (tag: number) => {
    const message = broker.deliver(tag);
    coalescer.delivered(message);
    return message;
  };
  return { broker, coalescer, deliver };
}

describe('ack coalescer (common/ack-coalescer.ts)', () => {
  it('sends a run of acks at the head of the unacked deliveries as one multiple ack', () => {
    const { broker, coalescer, deliver } = setup();
    const messages = [1, 2, 3, 4, 5].map(deliver);
    for (const message of messages.slice(0, 4)) coalescer.ack(message);
    expect(coalescer.flush()).to.deep.equal({ frames: 1, messages: 4, requeued: 0 });
    expect(broker.settled).to.deep.equal([1, 2, 3, 4]);
    expect([...broker.outstanding]).to.deep.equal([5]);
  });

  it('never lets a multiple ack cover a delivery still held: past it, each ack goes alone', () => {
    const { broker, coalescer, deliver } = setup();
    const messages = [1, 2, 3, 4, 5, 6].map(deliver);
    for (const index of [0, 1, 3, 5]) coalescer.ack(messages[index]!);
    expect(coalescer.flush()).to.deep.equal({ frames: 3, messages: 4, requeued: 0 });
    expect(broker.settled.sort()).to.deep.equal([1, 2, 4, 6]);
    expect([...broker.outstanding].sort()).to.deep.equal([3, 5]);
    // Once the held one is acked, the rest of the head goes in one frame.
    coalescer.ack(messages[2]!);
    coalescer.ack(messages[4]!);
    expect(coalescer.flush()).to.deep.equal({ frames: 1, messages: 2, requeued: 0 });
    expect(broker.outstanding.size).to.equal(0);
  });

  it('skips a nacked delivery the way the broker does, and drops a second ack of one delivery', () => {
    const { broker, coalescer, deliver } = setup();
    const messages = [1, 2, 3].map(deliver);
    coalescer.ack(messages[0]!);
    broker.nack(messages[1]!);
    coalescer.nacked(messages[1]!);
    coalescer.ack(messages[2]!);
    coalescer.ack(messages[2]!);
    expect(coalescer.flush()).to.deep.equal({ frames: 1, messages: 2, requeued: 0 });
    expect(broker.settled).to.deep.equal([1, 3]);
    coalescer.ack(messages[2]!);
    expect(coalescer.flush()).to.deep.equal({ frames: 0, messages: 0, requeued: 0 });
  });

  it('flushes once per turn, at the end of it, by default', async () => {
    const broker = new BrokerChannel();
    const coalescer = new AckCoalescer((message, allUpTo) => broker.ack(message, allUpTo));
    const messages = [1, 2, 3].map((tag) => {
      const message = broker.deliver(tag);
      coalescer.delivered(message);
      return message;
    });
    messages.forEach((message) => coalescer.ack(message));
    expect(broker.frames, 'nothing sent within the turn').to.equal(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(broker.frames).to.equal(1);
    expect(broker.settled).to.deep.equal([1, 2, 3]);
  });

  it('forgets the old channel at a reset: its deliveries come again with new tags', () => {
    const { broker, coalescer, deliver } = setup();
    const old = deliver(1);
    coalescer.ack(old);
    coalescer.reset();
    expect(coalescer.flush()).to.deep.equal({ frames: 0, messages: 0, requeued: 0 });
    expect(coalescer.outstanding).to.equal(0);
    expect(broker.frames).to.equal(0);
  });

  it('requeues the held deliveries a long run of acks lies behind, each found at the head, and acks the run in one frame', () => {
    const { broker, coalescer, deliver } = setup(() => true);
    const held = Array.from({ length: 10 }, (_, index) => deliver(index + 1));
    const due = Array.from({ length: 500 }, (_, index) => deliver(index + 11));
    // A held one among the due ones too: passed the same way, the run before it acked first.
    held.push(deliver(511));
    due.push(...Array.from({ length: 501 }, (_, index) => deliver(index + 512)));
    due.forEach((message) => coalescer.ack(message));
    expect(coalescer.flush()).to.deep.equal({ frames: 11 + 2, messages: 1001, requeued: 11 });
    expect(broker.requeued).to.deep.equal(held.map((message) => message.fields.deliveryTag));
    expect([...broker.settled].sort((a, b) => a - b)).to.deep.equal(due.map((message) => message.fields.deliveryTag));
    expect(broker.walked, 'each requeue and ack found its tag at the head').to.equal(0);
    expect(coalescer.outstanding).to.equal(0);
    // The owner's ack of a requeued delivery (its ticket ended before it came again) sends nothing.
    coalescer.ack(held[0]!);
    expect(coalescer.flush()).to.deep.equal({ frames: 0, messages: 0, requeued: 0 });
  });

  it('keeps single acks where requeuing would cost the broker more than the walks it spares', () => {
    const { broker, coalescer, deliver } = setup(() => true);
    Array.from({ length: REQUEUE_COST * 2 }, (_, index) => deliver(index + 1));
    const due = deliver(REQUEUE_COST * 2 + 1);
    coalescer.ack(due);
    expect(coalescer.flush()).to.deep.equal({ frames: 1, messages: 1, requeued: 0 });
    expect(broker.requeued).to.deep.equal([]);
    expect(broker.outstanding.size).to.equal(REQUEUE_COST * 2);
  });

  it('never requeues a delivery its owner keeps, and no run passes it', () => {
    const kept = new Set([1]);
    const { broker, coalescer, deliver } = setup((message) => !kept.has(message.fields.deliveryTag));
    deliver(1);
    const due = Array.from({ length: 500 }, (_, index) => deliver(index + 2));
    due.forEach((message) => coalescer.ack(message));
    expect(coalescer.flush()).to.deep.equal({ frames: 500, messages: 500, requeued: 0 });
    expect([...broker.outstanding]).to.deep.equal([1]);
  });

  it('settles exactly the deliveries asked to be acked, each once, over any run of deliveries, acks, nacks and flushes', () => {
    type Step = { kind: 'deliver' } | { kind: 'ack' | 'nack'; pick: number } | { kind: 'flush' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constant({ kind: 'deliver' as const }),
      fc.record({ kind: fc.constantFrom('ack' as const, 'nack' as const), pick: fc.nat() }),
      fc.constant({ kind: 'flush' as const }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), fc.boolean(), fc.integer({ min: 2, max: 5 }), (steps, passing, every) => {
        // With a pass, every few held deliveries may be requeued (it comes again as a new delivery, with the same content).
        const { broker, coalescer, deliver } = setup(passing ? (message) => message.fields.deliveryTag % every === 0 : undefined);
        const live: ConsumeMessage[] = [];
        const asked: number[] = [];
        let tag = 0;
        for (const next of steps) {
          if (next.kind === 'deliver') live.push(deliver(++tag));
          else if (next.kind === 'flush') coalescer.flush();
          else if (live.length > 0) {
            const [message] = live.splice(next.pick % live.length, 1);
            if (next.kind === 'ack') {
              coalescer.ack(message!);
              asked.push(message!.fields.deliveryTag);
            } else {
              broker.nack(message!);
              coalescer.nacked(message!);
            }
          }
        }
        coalescer.flush();
        const requeued = new Set(broker.requeued);
        // An ack asked for a delivery requeued before it is sent nothing: its owner acks it when it comes again.
        const settledAsked = asked.filter((tag) => !requeued.has(tag));
        expect([...broker.settled].sort((a, b) => a - b)).to.deep.equal(settledAsked.sort((a, b) => a - b));
        expect([...broker.outstanding].sort((a, b) => a - b)).to.deep.equal(
          live
            .map((message) => message.fields.deliveryTag)
            .filter((tag) => !requeued.has(tag))
            .sort((a, b) => a - b),
        );
        expect(broker.frames).to.be.at.most(asked.length + 2 * broker.requeued.length);
        if (!passing) expect(broker.requeued).to.deep.equal([]);
      }),
      { numRuns: 300 },
    );
  });
});

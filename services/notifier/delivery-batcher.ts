import { batchDelivery, MAX_BATCH_DELIVERIES } from '../../common/messages.js';

/** Publishes one message to a gateway's deliveries, resolving once the broker confirmed it. */
export type PublishToGateway = (gatewayId: string, content: Buffer) => Promise<void>;

interface Waiting {
  content: Buffer;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface ForGateway {
  items: Waiting[];
  /** Every sender said this gateway takes batches; one that did not makes the turn's items go out one by one. */
  batches: boolean;
}

/**
 * Coalesces what the notifier routes to each gateway in one event-loop turn into one AMQP
 * message (a batch delivery, common/messages.ts): a burst of rooms read off the queue together
 * (and their Redis reads, answered together) costs each gateway one publish and one confirm,
 * not one per room. Each `send` resolves once the message carrying it is confirmed, or rejects
 * with the publish's error, so a room is acked only after every delivery of it is in the broker,
 * and a failed batch fails the routing of each outcome in it (each is retried on its own; the
 * gateways tell each player once, so routing an outcome again is harmless).
 *
 * The turn ends at setImmediate: after the I/O callbacks of this loop iteration and the promise
 * jobs they started, so nothing waits for a timer.
 */
export function createDeliveryBatcher(publish: PublishToGateway, maxPerMessage = MAX_BATCH_DELIVERIES) {
  let pending = new Map<string, ForGateway>();
  let scheduled = false;

  function flush(): void {
    const turn = pending;
    pending = new Map();
    scheduled = false;
    for (const [gatewayId, { items, batches }] of turn) {
      if (!batches || items.length === 1) {
        for (const item of items) settle([item], publish(gatewayId, item.content));
        continue;
      }
      for (let start = 0; start < items.length; start += maxPerMessage) {
        const chunk = items.slice(start, start + maxPerMessage);
        settle(chunk, publish(gatewayId, chunk.length === 1 ? chunk[0]!.content : batchDelivery(chunk.map((item) => item.content))));
      }
    }
  }

  function settle(items: Waiting[], published: Promise<void>): void {
    published.then(
      () => items.forEach((item) => item.resolve()),
      (error: unknown) => items.forEach((item) => item.reject(error)),
    );
  }

  return {
    /**
     * Sends one encoded delivery to the gateway with the others of this turn; `batches`: the
     * gateway takes batched deliveries (its who-is-where entry says so).
     */
    send(gatewayId: string, content: Buffer, batches: boolean): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const forGateway = pending.get(gatewayId);
        if (forGateway) {
          forGateway.items.push({ content, resolve, reject });
          forGateway.batches &&= batches;
        } else pending.set(gatewayId, { items: [{ content, resolve, reject }], batches });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}

export type DeliveryBatcher = ReturnType<typeof createDeliveryBatcher>;

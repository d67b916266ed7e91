// What the receiver got, held against the outbox: each webhook delivered (lost otherwise), each
// delivery made once (the receiver only ever fails a first delivery, so a webhook is sent once, or
// twice when its first delivery was made to fail; more is a double delivery), every delivery
// logged as an attempt, and per object no delivery before the previous webhook's success.
import type { Arrival, FirstAnswer } from './counting-receiver.ts';

export interface OutboxWebhook {
  id: number;
  unique_key: string;
  object_key: string;
  state: string;
  attempt_count: number;
}

export interface DeliveryCount {
  webhooks: number;
  objects: number;
  arrivals: number;
  /** Webhooks whose first delivery the receiver made fail. */
  failedFirst: number;
  /** Webhooks the receiver never answered 200 in time (or not succeeded in the outbox). */
  lost: number;
  /** Deliveries beyond one per attempt the receiver made necessary. */
  doubled: number;
  /** Webhooks received more often than the outbox logged attempts for them. */
  unlogged: number;
  /** Webhooks that reached the receiver before the previous webhook of their object had succeeded. */
  outOfOrder: number;
  /** A few of the problems, for the log. */
  examples: string[];
}

export function countDeliveries(
  outbox: OutboxWebhook[],
  arrivals: Arrival[],
  firstAnswer: (uniqueKey: string) => FirstAnswer,
): DeliveryCount {
  const byKey = new Map<string, Arrival[]>();
  for (const arrival of arrivals) byKey.set(arrival.uniqueKey, [...(byKey.get(arrival.uniqueKey) ?? []), arrival]);
  const examples: string[] = [];
  const note = (text: string) => {
    if (examples.length < 10) examples.push(text);
  };
  let lost = 0;
  let doubled = 0;
  let unlogged = 0;
  let failedFirst = 0;
  const success = new Map<number, number>();
  for (const webhook of outbox) {
    const got = byKey.get(webhook.unique_key) ?? [];
    const failing = firstAnswer(webhook.unique_key) !== 'ok';
    if (failing) failedFirst++;
    const expected = failing ? 2 : 1;
    const delivered = got.find((a) => a.answer === 'ok');
    if (!delivered || webhook.state !== 'succeeded') {
      lost++;
      note(`webhook ${webhook.id} (${webhook.object_key}) ${webhook.state}, ${got.length} arrivals, none answered 200 in time`);
    } else {
      success.set(webhook.id, delivered.at);
    }
    if (got.length > expected) {
      doubled += got.length - expected;
      note(`webhook ${webhook.id} (${webhook.object_key}) received ${got.length} times, expected ${expected}`);
    }
    if (got.length > webhook.attempt_count) {
      unlogged++;
      note(`webhook ${webhook.id} received ${got.length} times, ${webhook.attempt_count} attempts logged`);
    }
  }
  const byObject = new Map<string, OutboxWebhook[]>();
  for (const webhook of [...outbox].sort((a, b) => a.id - b.id))
    byObject.set(webhook.object_key, [...(byObject.get(webhook.object_key) ?? []), webhook]);
  let outOfOrder = 0;
  for (const [object, webhooks] of byObject) {
    for (let i = 1; i < webhooks.length; i++) {
      const previousSuccess = success.get(webhooks[i - 1]!.id);
      const firstArrival = byKey.get(webhooks[i]!.unique_key)?.[0]?.at;
      if (previousSuccess === undefined || firstArrival === undefined) continue;
      if (firstArrival < previousSuccess) {
        outOfOrder++;
        note(
          `${object}: webhook ${webhooks[i]!.id} arrived ${previousSuccess - firstArrival} ms before webhook ${webhooks[i - 1]!.id} succeeded`,
        );
      }
    }
  }
  return {
    webhooks: outbox.length,
    objects: byObject.size,
    arrivals: arrivals.length,
    failedFirst,
    lost,
    doubled,
    unlogged,
    outOfOrder,
    examples,
  };
}

// The count of the webhook delivery-race scenario (harness/faults/webhook-delivery-count.ts): what
// it calls lost, doubled, unlogged and out of order.
import { describe, expect, it } from 'vitest';
import type { Arrival, FirstAnswer } from '../../harness/faults/counting-receiver.ts';
import { countDeliveries, type OutboxWebhook } from '../../harness/faults/webhook-delivery-count.ts';

const webhook = (id: number, object: string, attempts: number, state = 'succeeded'): OutboxWebhook => ({
  id,
  unique_key: `k${id}`,
  object_key: object,
  state,
  attempt_count: attempts,
});
const arrival = (id: number, at: number, answer: FirstAnswer = 'ok'): Arrival => ({ uniqueKey: `k${id}`, at, nth: 0, answer, payload: {} });
/** k2's first delivery is made to fail; the others' succeed. */
const firstAnswer = (key: string): FirstAnswer => (key === 'k2' ? 'error500' : 'ok');

describe('fault suite: webhook delivery count', () => {
  it('counts nothing wrong when each webhook came once, or twice after a failure, in order', () => {
    const outbox = [webhook(1, 'X', 1), webhook(2, 'X', 2), webhook(3, 'Y', 1)];
    const arrivals = [arrival(1, 10), arrival(3, 11), arrival(2, 12, 'error500'), arrival(2, 40)];
    expect(countDeliveries(outbox, arrivals, firstAnswer)).toMatchObject({
      webhooks: 3,
      objects: 2,
      failedFirst: 1,
      lost: 0,
      doubled: 0,
      unlogged: 0,
      outOfOrder: 0,
    });
  });

  it('counts a second delivery of one attempt as doubled and unlogged, a later object webhook sent first as out of order', () => {
    const outbox = [webhook(1, 'X', 1), webhook(2, 'X', 2), webhook(3, 'Y', 1, 'retrying')];
    const arrivals = [arrival(2, 5, 'error500'), arrival(1, 10), arrival(1, 10), arrival(2, 40)];
    const count = countDeliveries(outbox, arrivals, firstAnswer);
    expect(count).toMatchObject({ lost: 1, doubled: 1, unlogged: 1, outOfOrder: 1 });
    expect(count.examples.join('\n')).toMatch(/webhook 2 arrived 5 ms before webhook 1 succeeded/);
  });
});

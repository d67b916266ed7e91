// `fusion-billing lago pull-events`: each subscription's events read from Lago (GET /events) and
// sent to the module's own API (POST /api/v1/events/batch) with their original transaction ids.
// Idempotent: an exact resend is answered 200 and stored once, so the pull can run on a schedule
// over overlapping windows, and beside applications that already send to both.
import { type LagoClient, type LagoEventInput } from '../harness/clients/lago.ts';
import type { OdooClient } from '../harness/clients/json2.ts';
import type { LagoSource } from './lago-source.ts';

export interface PullOptions {
  service: string;
  /** ISO 8601 window; default: each subscription's whole life. */
  from?: string;
  to?: string;
  batchSize?: number;
  progress?: (line: string) => void;
}

export interface PullResult {
  subscriptions: number;
  read: number;
  sent: number;
  /** Events the module refused (422), with its reasons: they stay in Lago, named here. */
  refused: { transaction_id: string; external_subscription_id: string; errors: unknown }[];
}

export async function pullEvents(lago: LagoSource, odoo: OdooClient, api: LagoClient, options: PullOptions): Promise<PullResult> {
  const progress = options.progress ?? (() => {});
  const batchSize = options.batchSize ?? 100;
  const subscriptions = await odoo.searchRead<{ id: number; fusion_external_id: string }>('sale.order', [
    ['fusion_service_id.code', '=', options.service], ['fusion_external_id', '!=', false], ['state', '=', 'sale']], ['fusion_external_id'], { order: 'id' });
  const result: PullResult = { subscriptions: subscriptions.length, read: 0, sent: 0, refused: [] };
  for (const [index, subscription] of subscriptions.entries()) {
    const events = await lago.events({
      external_subscription_id: subscription.fusion_external_id,
      ...(options.from ? { timestamp_from: options.from } : {}),
      ...(options.to ? { timestamp_to: options.to } : {}),
    });
    result.read += events.length;
    const inputs: LagoEventInput[] = events.map((event) => ({
      transaction_id: event.transaction_id,
      external_subscription_id: event.external_subscription_id,
      code: event.code,
      // Lago's events take Unix seconds: Lago's ISO text, to the millisecond, as exact decimal text.
      timestamp: unixSeconds(event.timestamp),
      properties: (event.properties ?? {}) as LagoEventInput['properties'],
    }));
    for (let start = 0; start < inputs.length; start += batchSize) {
      const batch = inputs.slice(start, start + batchSize);
      const answer = await api.createEventsBatch(batch);
      if (answer.status === 200) {
        result.sent += batch.length;
        continue;
      }
      // A batch is refused whole: send its events one by one to keep the good ones.
      for (const event of batch) {
        const single = await api.createEvent(event);
        if (single.status === 200) result.sent += 1;
        else result.refused.push({ transaction_id: event.transaction_id, external_subscription_id: event.external_subscription_id, errors: single.body });
      }
    }
    if ((index + 1) % 10 === 0 || index + 1 === subscriptions.length) progress(`pull: ${index + 1} of ${subscriptions.length} subscription(s), ${result.read} event(s) read, ${result.sent} stored`);
  }
  return result;
}


/** "2026-09-01T04:00:00.250Z" → "1756699200.250" (exact: Date.parse gives whole milliseconds). */
export function unixSeconds(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`Lago sent an unreadable timestamp: ${iso}`);
  return `${Math.floor(ms / 1000)}.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}`;
}

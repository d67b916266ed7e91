// One round of the ingestion-vs-period-close race: four clients send batches timestamped in last
// month; after 1.5 s the month is closed through JSON-2 while sending goes on for 1 s. Returns the
// number of events that ended up neither billed nor flagged late (0 when the module is right).
import { okBody } from '../clients/lago.ts';
import type { BillingServer } from '../runtime/billing-server.ts';
import { recordIdOf } from './lago-ids.ts';

export async function closeRaceRound(billing: BillingServer, index: number): Promise<number> {
  const lago = billing.lago('nexacloud');
  const now = new Date();
  const lastMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1) / 1000;
  const customer = `tnt_race${String(index).padStart(4, '0')}`;
  const external = `race_${index}`;
  okBody(await lago.upsertCustomer({ external_id: customer, name: customer, timezone: 'UTC' }));
  const { subscription } = okBody(
    await lago.createSubscription({
      external_customer_id: customer,
      plan_code: 'nexacloud_pro',
      external_id: external,
      subscription_at: new Date(lastMonth * 1000).toISOString(),
    }),
  );
  // lago_ids are UUIDs holding the record id (lago-ids.ts), not "<prefix>-<id>".
  const orderId = recordIdOf(subscription.lago_id, 'sale.order');

  let sending = true;
  let next = 0;
  const client = async (): Promise<void> => {
    while (sending) {
      const events = Array.from({ length: 100 }, () => ({
        transaction_id: `${external}-${next++}`,
        external_subscription_id: external,
        code: 'nc_api_requests',
        timestamp: lastMonth + 86_400 + (next % 1000),
      }));
      okBody(await lago.createEventsBatch(events), 'batch');
    }
  };
  const clients = Array.from({ length: 4 }, client);
  await new Promise((done) => setTimeout(done, 1500));
  await billing.odoo.call('sale.order', 'action_fusion_close_periods', { ids: [orderId] });
  await new Promise((done) => setTimeout(done, 1000));
  sending = false;
  await Promise.all(clients);

  const notLate = await billing.odoo.searchCount('fusion.billing.usage', [
    ['order_id', '=', orderId],
    ['late', '=', false],
  ]);
  const late = await billing.odoo.searchCount('fusion.billing.usage', [
    ['order_id', '=', orderId],
    ['late', '=', true],
  ]);
  const [line] = await billing.odoo.searchRead<{ id: number; fusion_units: number }>(
    'sale.order.line',
    [
      ['order_id', '=', orderId],
      ['fusion_charge_id.code', '=', 'api_requests'],
    ],
    ['fusion_units'],
  );
  const billed = line?.fusion_units ?? 0;
  console.log(
    `round ${index}: stored ${notLate + late}, flagged late ${late}, not late ${notLate}, billed ${billed} → ${notLate - billed} neither billed nor late`,
  );
  return notLate - billed;
}

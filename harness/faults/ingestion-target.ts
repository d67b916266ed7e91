// The server the ingestion fault scenarios post to: a billing Odoo with prefork workers and one
// NexaCloud Pro subscription of one customer, which every batch of events names.
import { expect } from 'vitest';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';

export interface IngestionTarget {
  db: string;
  workers: number;
  customer: { externalId: string; name: string };
  subscription: string;
  /** Extra odoo-bin arguments (e.g. --max-cron-threads=1: the harness's config runs no cron). */
  serverArgs?: string[];
}

export async function startIngestionTarget(target: IngestionTarget): Promise<BillingServer> {
  const billing = await startBillingServer({
    db: target.db,
    workers: target.workers,
    serverArgs: target.serverArgs,
    services: ['nexacloud'],
    progress: (message) => console.log(`  ${message}`),
    onStep: (step, ms) => console.log(`  setup: ${step}: ${(ms / 1000).toFixed(1)} s`),
  });
  const cloud = billing.lago('nexacloud');
  const customer = await cloud.upsertCustomer({ external_id: target.customer.externalId, name: target.customer.name, country: 'CA' });
  expect(customer.status).toBe(200);
  const subscription = await cloud.createSubscription({
    external_customer_id: target.customer.externalId,
    plan_code: 'nexacloud_pro',
    external_id: target.subscription,
  });
  expect(subscription.status).toBe(200);
  return billing;
}

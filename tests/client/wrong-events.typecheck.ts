// Type-level tests of the generated client, checked by `tsc --noEmit` (the test command's
// typecheck): every `@ts-expect-error` line must fail to compile, or tsc reports the directive as
// unused. The events are NexaCloud's and NexaDesk's of spec/nexa.yaml.
import { nexacloud, nexadesk, ncApiRequests, ncEgressGb, type NexacloudEvent } from '../../out/client/src/index.ts';

const base = { transactionId: 'tx-1', externalSubscriptionId: 'sub_1' };

// Right events compile.
export const right: NexacloudEvent[] = [
  ncApiRequests(base),
  ncApiRequests({ ...base, properties: { region: 'ca-central' } }),
  ncEgressGb({ ...base, properties: { gb: '12.5' } }),
  ncEgressGb({ ...base, properties: { gb: 3 } }),
  nexacloud.events.ncPeakVcpu({ ...base, timestamp: new Date(), properties: { vcpus: 8 } }),
];

// @ts-expect-error a metric the spec does not have
nexacloud.events.ncApiRequest(base);

// @ts-expect-error the aggregated property of a sum is required
ncEgressGb(base);

// @ts-expect-error … and named as the spec names it
ncEgressGb({ ...base, properties: { gigabytes: 1 } });

// @ts-expect-error … and a number or a decimal string, not any text
ncEgressGb({ ...base, properties: { gb: 'twelve' } });

// @ts-expect-error a filter value outside those the spec allows
ncApiRequests({ ...base, properties: { region: 'eu-west' } });

// @ts-expect-error a count metric with no field takes no other property
ncApiRequests({ ...base, properties: { requests: 1 } });

// @ts-expect-error an event needs its subscription
ncApiRequests({ transactionId: 'tx-2' });

// @ts-expect-error another service's event is not NexaCloud's
export const mixed: NexacloudEvent = nexadesk.events.ndTickets(base);

const api = nexacloud.client({ baseUrl: 'http://127.0.0.1:1/api/v1', apiKey: 'k' });
// @ts-expect-error a plan that is not NexaCloud's
void api.createSubscription({ external_customer_id: 'tnt_a', plan_code: 'nexadesk_team', external_id: 'sub_a' });
// @ts-expect-error past usage of a metric that is not NexaCloud's
void api.pastUsage('tnt_a', 'sub_a', 'nd_tickets');

// The client's answer types take what Lago's official client declares for the same objects, so an
// app's code written against Lago's shapes reads this client's answers unchanged.
import type * as Lago from 'lago-javascript-client';
import type { BillableMetric, Customer, CustomerUsage, Invoice, Plan, Subscription } from '../../out/client/src/index.ts';

declare const lago: {
  customer: Lago.CustomerObject;
  subscription: Lago.SubscriptionObject;
  usage: Lago.CustomerUsageObject;
  invoice: Lago.InvoiceObject;
  plan: Lago.PlanObject;
  metric: Lago.BillableMetricObject;
};
export const readAsLago: [Customer, Subscription, CustomerUsage, Invoice, Plan, BillableMetric] = [
  lago.customer,
  lago.subscription,
  lago.usage,
  lago.invoice,
  lago.plan,
  lago.metric,
];

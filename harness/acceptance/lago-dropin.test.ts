// An application moves from Lago by changing its base URL and API key, and nothing else: on a real
// Odoo 19, every call NexaCloud and NexaDesk make goes through Lago's official
// `lago-javascript-client` pointed at <odoo>/api/v1, errors are read with its getLagoError, and
// every answer and webhook body is checked against the client's own declared types
// (harness/lago/shapes.ts). Webhooks are received by receivers written for Lago: NexaCloud's endpoint
// signs with JWT (Lago's default; the receiver verifies with the key fetched by
// webhooks.fetchPublicKey), NexaDesk's with HMAC of the raw body, with the key the application already
// holds from Lago (an administrator set it on the endpoint). The hardened timestamp check runs on top.
import { Client, getLagoError, type Api } from 'lago-javascript-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OdooClient } from '../clients/json2.ts';
import { formatProblems, LagoShapeCheck } from '../lago/shapes.ts';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { recordIdOf, UUID_PATTERN } from '../support/lago-ids.ts';
import { createPhaseTimer } from '../support/phases.ts';
import { isoSeconds, monthPeriod, type MonthPeriod } from '../support/zoned-time.ts';
import type { ReceiverHandle } from '../services/handles.ts';
import { verifyAsLagoReceiver } from '../webhooks/verifier.ts';

const TZ = 'America/New_York'; // Lago's zone name for Eastern Time (Toronto's clocks)
const CUSTOMER = 'tnt_dropin01';
const SUBSCRIPTION = 'sub_dropin_pro';
const DESK_CUSTOMER = 'ws-4242';
const DESK_SUBSCRIPTION = 'desk_dropin_team';
/** The HMAC key Lago gave NexaDesk (Developers > Webhooks): the administrator sets it on the endpoint. */
const DESK_HMAC_KEY = '5d0b5d3e-8a47-4f0e-9a0c-3b7f2f1d9e11';

const { phase, summary } = createPhaseTimer();

/** The error body and status of a call the official client rejected, read with its getLagoError. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    const status = (error as Response).status;
    return { status, body: (await getLagoError<unknown>(error)) as Record<string, unknown> };
  }
  throw new Error('the call succeeded; a refusal was expected');
}

describe('Lago drop-in: the official lago-javascript-client against fusion_billing on a real Odoo 19', () => {
  let billing: BillingServer;
  let odoo: OdooClient;
  let cloud: Api<unknown>;
  let desk: Api<unknown>;
  let previous: MonthPeriod;
  const shapes = new LagoShapeCheck();
  // The applications' receivers, each in a process (or container) of its own.
  let cloudReceiver: ReceiverHandle;
  let deskReceiver: ReceiverHandle;
  let deliverCronId: number;
  let closeCronId: number;

  /** Records an answer for the shape check and returns it. */
  function shaped<T>(label: string, type: string, data: T): T {
    shapes.expect(label, type, data);
    return data;
  }

  const deliverWebhooks = async () => {
    for (let round = 0; round < 10; round++) {
      const due = await odoo.searchRead<{ id: number }>('fusion.billing.webhook', [['state', 'in', ['pending', 'retrying']]], ['id']);
      if (!due.length) return;
      await odoo.call('fusion.billing.webhook', 'write', { ids: due.map((w) => w.id), vals: { next_attempt_at: '2000-01-01 00:00:00' } });
      await odoo.call('ir.cron', 'method_direct_trigger', { ids: [deliverCronId] });
    }
    throw new Error('webhooks still undelivered after 10 rounds');
  };
  const cronId = async (name: string) => {
    const [data] = await odoo.searchRead<{ res_id: number }>(
      'ir.model.data',
      [
        ['module', '=', 'fusion_billing'],
        ['name', '=', name],
      ],
      ['res_id'],
    );
    return data!.res_id;
  };
  const endpointOf = async (service: string) => {
    const [data] = await odoo.searchRead<{ res_id: number }>(
      'ir.model.data',
      [
        ['module', '=', 'fusion_billing'],
        ['name', '=', `webhook_endpoint_${service}_billing_events`],
      ],
      ['res_id'],
    );
    return data!.res_id;
  };

  beforeAll(async () => {
    billing = await startBillingServer({
      db: 'dropin',
      services: ['nexacloud', 'nexadesk'],
      progress: (message) => console.log(`  ${message}`),
    });
    odoo = billing.odoo;
    // What an application configures, and all it changes when it leaves Lago: base URL and key.
    const baseUrl = `${billing.server.baseUrl}/api/v1`;
    cloud = Client(billing.serviceKeys.nexacloud!, { baseUrl });
    desk = Client(billing.serviceKeys.nexadesk!, { baseUrl });
    deliverCronId = await cronId('cron_deliver_webhooks');
    closeCronId = await cronId('cron_close_periods');

    cloudReceiver = await billing.runtime.startWebhookReceiver();
    deskReceiver = await billing.runtime.startWebhookReceiver();
    const cloudEndpoint = await endpointOf('nexacloud');
    const deskEndpoint = await endpointOf('nexadesk');
    // NexaCloud keeps Lago's default (JWT); NexaDesk's endpoint is hmac, with the key NexaDesk holds.
    // Both receive every event type. Algorithm and event types belong to the spec, so this setup
    // writes them as the spec's data loading does (fusion_spec_load), standing in for such a spec.
    const asSpecLoad = { fusion_spec_load: true };
    await odoo.call('fusion.billing.webhook.endpoint', 'write', {
      ids: [cloudEndpoint],
      vals: { url: cloudReceiver.url, event_types: false },
      context: asSpecLoad,
    });
    await odoo.call('fusion.billing.webhook.endpoint', 'write', {
      ids: [deskEndpoint],
      vals: { url: deskReceiver.url, signature_algorithm: 'hmac', secret: DESK_HMAC_KEY, event_types: false },
      context: asSpecLoad,
    });
    const [cloudRow] = await odoo.searchRead<{ secret: string; signature_algorithm: string }>(
      'fusion.billing.webhook.endpoint',
      [['id', '=', cloudEndpoint]],
      ['secret', 'signature_algorithm'],
    );
    expect(cloudRow!.signature_algorithm).toBe('jwt');
    const issuer = await odoo.call<string>('ir.config_parameter', 'get_param', { key: 'web.base.url' });
    // A Lago receiver persists the public key once, as Lago's docs say.
    const publicKey = shaped(
      'GET /webhooks/public_key',
      "ResponseOf<'webhooks', 'fetchPublicKey'>",
      (await cloud.webhooks.fetchPublicKey()).data,
    );
    await cloudReceiver.setKeys({ secret: cloudRow!.secret, publicKey, issuer });
    await deskReceiver.setKeys({ secret: DESK_HMAC_KEY, hmacKey: DESK_HMAC_KEY });

    const left = monthPeriod(TZ, Date.now()).endMs - Date.now();
    if (left < 300_000) await new Promise((done) => setTimeout(done, left + 1000));
    previous = monthPeriod(TZ, Date.now(), -1);
  });

  afterAll(async () => {
    await billing?.stop();
    console.log(summary());
  });

  it('reads the catalog: billable metrics and plans, listed and one by code', async () => {
    await phase('catalog', async () => {
      const metrics = shaped(
        'GET /billable_metrics',
        "ResponseOf<'billableMetrics', 'findAllBillableMetrics'>",
        (await cloud.billableMetrics.findAllBillableMetrics()).data,
      );
      expect(metrics.billable_metrics.map((m) => m.code).sort()).toEqual([
        'nc_api_requests',
        'nc_egress_gb',
        'nc_peak_vcpu',
        'nc_storage_gb',
      ]);
      expect(metrics.meta).toMatchObject({ current_page: 1, total_count: 4 });
      const storage = shaped(
        'GET /billable_metrics/{code}',
        "ResponseOf<'billableMetrics', 'findBillableMetric'>",
        (await cloud.billableMetrics.findBillableMetric('nc_storage_gb')).data,
      );
      expect(storage.billable_metric).toMatchObject({
        code: 'nc_storage_gb',
        aggregation_type: 'weighted_sum_agg',
        recurring: true,
        weighted_interval: 'seconds',
        lago_id: expect.stringMatching(UUID_PATTERN),
      });
      const plans = shaped('GET /plans', "ResponseOf<'plans', 'findAllPlans'>", (await cloud.plans.findAllPlans()).data);
      expect(plans.plans.map((p) => p.code).sort()).toEqual(['nexacloud_pro', 'nexacloud_pro_annual', 'nexacloud_starter']);
      // Lago's plan settings, as the official client types them.
      expect(plans.plans.find((p) => p.code === 'nexacloud_starter')).toMatchObject({
        pay_in_advance: true,
        trial_period: 14,
        bill_charges_monthly: null,
      });
      const plan = shaped('GET /plans/{code}', "ResponseOf<'plans', 'findPlan'>", (await cloud.plans.findPlan('nexacloud_pro')).data).plan;
      expect(plan).toMatchObject({ code: 'nexacloud_pro', amount_cents: 9900, amount_currency: 'CAD', interval: 'monthly' });
      expect(plan.charges!.map((c) => [c.code, c.charge_model, c.pay_in_advance, c.invoiceable, c.prorated, c.min_amount_cents])).toEqual([
        ['api_requests', 'graduated', false, true, false, 0],
        ['egress', 'package', false, true, false, 0],
        ['peak_vcpu', 'volume', false, true, false, 0],
        ['storage', 'standard', false, true, false, 0],
      ]);
      // Another service's objects do not exist for this key.
      expect(await refusal(cloud.plans.findPlan('nexadesk_team'))).toEqual({
        status: 404,
        body: { status: 404, error: 'Not Found', code: 'plan_not_found' },
      });
      expect((await refusal(cloud.billableMetrics.findBillableMetric('nd_agents'))).body.code).toBe('billable_metric_not_found');
    });
  });

  it('creates, updates, lists and reads customers', async () => {
    await phase('customers', async () => {
      const created = shaped(
        'POST /customers',
        "ResponseOf<'customers', 'createCustomer'>",
        (
          await cloud.customers.createCustomer({
            customer: {
              external_id: CUSTOMER,
              name: 'Drop-in Robotics',
              email: 'ap@dropin.example',
              address_line1: '1 Front St W',
              city: 'Toronto',
              zipcode: 'M5J 2X5',
              state: 'ON',
              country: 'CA',
              timezone: TZ,
              currency: 'CAD',
            },
          })
        ).data,
      ).customer;
      expect(created).toMatchObject({
        external_id: CUSTOMER,
        name: 'Drop-in Robotics',
        country: 'CA',
        timezone: TZ,
        applicable_timezone: TZ,
        currency: 'CAD',
      });
      const updated = (await cloud.customers.createCustomer({ customer: { external_id: CUSTOMER, phone: '+1 416 555 0199' } })).data
        .customer;
      expect({ ...updated, updated_at: created.updated_at }).toEqual({ ...created, phone: '+1 416 555 0199' });
      const found = shaped(
        'GET /customers/{id}',
        "ResponseOf<'customers', 'findCustomer'>",
        (await cloud.customers.findCustomer(CUSTOMER)).data,
      ).customer;
      expect(found.lago_id).toBe(created.lago_id);
      const all = shaped(
        'GET /customers',
        "ResponseOf<'customers', 'findAllCustomers'>",
        (await cloud.customers.findAllCustomers({ per_page: 10 })).data,
      );
      expect(all.customers.map((c) => c.external_id)).toEqual([CUSTOMER]);
      expect(all.meta).toMatchObject({ current_page: 1, total_pages: 1, total_count: 1 });
      expect(await refusal(desk.customers.findCustomer(CUSTOMER))).toEqual({
        status: 404,
        body: { status: 404, error: 'Not Found', code: 'customer_not_found' },
      });
    });
  });

  it('subscribes, and a retried create answers 200 with the same subscription', async () => {
    await phase('subscriptions', async () => {
      const input = {
        external_customer_id: CUSTOMER,
        plan_code: 'nexacloud_pro',
        external_id: SUBSCRIPTION,
        name: 'Robotics prod',
        subscription_at: isoSeconds(previous.startMs),
        billing_time: 'calendar' as const,
      };
      const first = shaped(
        'POST /subscriptions',
        "ResponseOf<'subscriptions', 'createSubscription'>",
        (await cloud.subscriptions.createSubscription({ subscription: input })).data,
      ).subscription;
      expect(first).toMatchObject({
        external_id: SUBSCRIPTION,
        external_customer_id: CUSTOMER,
        plan_code: 'nexacloud_pro',
        status: 'active',
        name: 'Robotics prod',
        plan: { code: 'nexacloud_pro' },
      });
      const current = monthPeriod(TZ, Date.now());
      expect(first.current_billing_period_started_at).toBe(isoSeconds(current.startMs));
      expect(first.current_billing_period_ending_at).toBe(isoSeconds(current.endMs - 1000));
      // The application timed out and sends the same create again.
      const retried = (await cloud.subscriptions.createSubscription({ subscription: input })).data.subscription;
      expect(retried).toEqual(first);
      // The same id for another customer is refused, as Lago refuses it.
      const taken = await refusal(
        cloud.subscriptions.createSubscription({ subscription: { ...input, external_customer_id: 'tnt_someoneelse' } }),
      );
      expect(taken).toEqual({
        status: 422,
        body: {
          status: 422,
          error: 'Unprocessable Entity',
          code: 'validation_errors',
          error_details: { external_id: ['value_already_exist'] },
        },
      });

      const found = shaped(
        'GET /subscriptions/{id}',
        "ResponseOf<'subscriptions', 'findSubscription'>",
        (await cloud.subscriptions.findSubscription(SUBSCRIPTION)).data,
      ).subscription;
      expect(found.lago_id).toBe(first.lago_id);
      const listed = shaped(
        'GET /subscriptions',
        "ResponseOf<'subscriptions', 'findAllSubscriptions'>",
        (
          await cloud.subscriptions.findAllSubscriptions({
            external_customer_id: CUSTOMER,
            plan_code: 'nexacloud_pro',
            'status[]': ['active'],
          })
        ).data,
      );
      expect(listed.subscriptions.map((s) => s.external_id)).toEqual([SUBSCRIPTION]);
      const ending = isoSeconds(Date.now() + 400 * 86_400_000);
      const renamed = shaped(
        'PUT /subscriptions/{id}',
        "ResponseOf<'subscriptions', 'updateSubscription'>",
        (await cloud.subscriptions.updateSubscription(SUBSCRIPTION, { subscription: { name: 'Robotics production', ending_at: ending } }))
          .data,
      ).subscription;
      expect(renamed).toMatchObject({ name: 'Robotics production', ending_at: ending });
      expect(
        (await refusal(cloud.subscriptions.updateSubscription(SUBSCRIPTION, { subscription: { ending_at: '2001-01-01T00:00:00Z' } }))).body,
      ).toMatchObject({ status: 422, error_details: { ending_at: ['invalid_date'] } });

      // NexaDesk, whose webhooks are signed with HMAC.
      await desk.customers.createCustomer({
        customer: { external_id: DESK_CUSTOMER, name: 'Prairie Support', country: 'CA', state: 'AB', timezone: 'America/Denver' },
      });
      await desk.subscriptions.createSubscription({
        subscription: { external_customer_id: DESK_CUSTOMER, plan_code: 'nexadesk_team', external_id: DESK_SUBSCRIPTION },
      });
    });
  });

  it('ingests events, finds one by its transaction id, and answers current usage', async () => {
    await phase('events and current usage', async () => {
      const start = previous.startMs / 1000;
      const batch = shaped(
        'POST /events/batch',
        "ResponseOf<'events', 'createBatchEvents'>",
        (
          await cloud.events.createBatchEvents({
            events: [
              ...[1, 2, 3].map((day) => ({
                transaction_id: `dropin-egr-${day}`,
                external_subscription_id: SUBSCRIPTION,
                code: 'nc_egress_gb',
                timestamp: start + day * 86_400,
                properties: { gb: '120.5' },
              })),
              {
                transaction_id: 'dropin-cpu',
                external_subscription_id: SUBSCRIPTION,
                code: 'nc_peak_vcpu',
                timestamp: start + 4 * 86_400,
                properties: { vcpus: 12 },
              },
            ],
          })
        ).data,
      );
      expect(batch.events.map((e) => e.transaction_id)).toEqual(['dropin-egr-1', 'dropin-egr-2', 'dropin-egr-3', 'dropin-cpu']);
      const single = shaped(
        'POST /events',
        "ResponseOf<'events', 'createEvent'>",
        (
          await cloud.events.createEvent({
            event: {
              transaction_id: 'dropin/api.1',
              external_subscription_id: SUBSCRIPTION,
              code: 'nc_api_requests',
              properties: { region: 'ca-central' },
            },
          })
        ).data,
      ).event;
      expect(single).toMatchObject({ code: 'nc_api_requests', external_subscription_id: SUBSCRIPTION, lago_customer_id: null });
      // Lago's documentation: the transaction id in the path must be URL-encoded (the client does not encode it).
      const found = shaped(
        'GET /events/{transaction_id}',
        "ResponseOf<'events', 'findEvent'>",
        (await cloud.events.findEvent(encodeURIComponent('dropin/api.1'))).data,
      ).event;
      expect(found).toMatchObject({
        transaction_id: 'dropin/api.1',
        code: 'nc_api_requests',
        properties: { region: 'ca-central' },
        lago_id: single.lago_id,
      });
      expect((await refusal(desk.events.findEvent('dropin-cpu'))).body.code).toBe('event_not_found');
      // Beyond Lago: unknown metrics and subscriptions are refused at once (the service's default).
      expect(
        (
          await refusal(
            cloud.events.createEvent({ event: { transaction_id: 'x1', external_subscription_id: SUBSCRIPTION, code: 'gpu_hours' } }),
          )
        ).body,
      ).toMatchObject({ status: 422, error_details: { code: ['metric_not_found'] } });
      expect(
        (
          await refusal(
            cloud.events.createEvent({ event: { transaction_id: 'x2', external_subscription_id: 'sub_nobody', code: 'nc_api_requests' } }),
          )
        ).body,
      ).toMatchObject({ status: 422, error_details: { external_subscription_id: ['subscription_not_found'] } });
      // A NUL in a transaction id is a 422 naming the field, never a 500.
      expect(
        await refusal(
          cloud.events.createEvent({
            event: { transaction_id: 'bad\u0000id', external_subscription_id: SUBSCRIPTION, code: 'nc_api_requests' },
          }),
        ),
      ).toEqual({
        status: 422,
        body: {
          status: 422,
          error: 'Unprocessable Entity',
          code: 'validation_errors',
          error_details: { transaction_id: ['invalid_format'] },
        },
      });

      const usage = shaped(
        'GET /customers/{id}/current_usage',
        "ResponseOf<'customers', 'findCustomerCurrentUsage'>",
        (await cloud.customers.findCustomerCurrentUsage(CUSTOMER, { external_subscription_id: SUBSCRIPTION })).data,
      ).customer_usage;
      const requests = usage.charges_usage.find((c) => c.billable_metric.code === 'nc_api_requests')!;
      expect(requests).toMatchObject({ units: '1.0', total_aggregated_units: '1.0', events_count: 1, amount_cents: 0 });
    });
  });

  it('bills the closed month: past usage, invoices listed and read, PDF download, payment link, portal', async () => {
    await phase('period close (cron) and invoices', async () => {
      await odoo.call('ir.cron', 'method_direct_trigger', { ids: [closeCronId] });
      const past = shaped(
        'GET /customers/{id}/past_usage',
        "ResponseOf<'customers', 'findAllCustomerPastUsage'>",
        (await cloud.customers.findAllCustomerPastUsage(CUSTOMER, { external_subscription_id: SUBSCRIPTION })).data,
      );
      expect(past.usage_periods).toHaveLength(1);
      const [period] = past.usage_periods;
      expect(period!.from_datetime).toBe(isoSeconds(previous.startMs));
      // 361.5 GB of egress: 100 free, 3 packages of 100 at 5.00; 12 peak vCPUs at 5.00 (volume 9–32).
      expect(
        Object.fromEntries(period!.charges_usage.map((c) => [c.billable_metric.code, [c.units, c.events_count, c.amount_cents]])),
      ).toEqual({
        nc_egress_gb: ['361.5', 3, 1500],
        nc_peak_vcpu: ['12.0', 1, 6000],
      });
      expect(period!.amount_cents).toBe(9900 + 1500 + 6000);

      const list = shaped(
        'GET /invoices',
        "ResponseOf<'invoices', 'findAllInvoices'>",
        (await cloud.invoices.findAllInvoices({ external_customer_id: CUSTOMER })).data,
      );
      expect(list.invoices).toHaveLength(1);
      const listed = list.invoices[0]!;
      expect(listed).toMatchObject({
        status: 'finalized',
        payment_status: 'pending',
        currency: 'CAD',
        fees_amount_cents: 17400,
        taxes_amount_cents: 2262,
        total_amount_cents: 19662,
      });
      expect(period!.lago_invoice_id).toBe(listed.lago_id);
      const filtered = (
        await cloud.invoices.findAllInvoices({ external_customer_id: CUSTOMER, 'payment_statuses[]': ['succeeded'] } as never)
      ).data;
      expect(filtered.invoices).toEqual([]);

      const invoice = shaped(
        'GET /invoices/{id}',
        "ResponseOf<'invoices', 'findInvoice'>",
        (await cloud.invoices.findInvoice(listed.lago_id)).data,
      ).invoice;
      expect(invoice.customer).toMatchObject({ external_id: CUSTOMER });
      expect(invoice.subscriptions!.map((s) => s.external_id)).toEqual([SUBSCRIPTION]);
      expect(invoice.fees!.map((f) => [f.item.type, f.item.code, f.amount_cents]).sort()).toEqual([
        ['charge', 'nc_egress_gb', 1500],
        ['charge', 'nc_peak_vcpu', 6000],
        ['subscription', 'nexacloud_pro', 9900],
      ]);
      expect(invoice.applied_taxes!.map((t) => [t.tax_rate, t.amount_cents, t.fees_amount_cents])).toEqual([[13, 2262, 17400]]);

      const downloaded = shaped(
        'POST /invoices/{id}/download',
        "ResponseOf<'invoices', 'downloadInvoice'>",
        (await cloud.invoices.downloadInvoice(listed.lago_id)).data,
      ).invoice;
      const pdf = await fetch(downloaded.file_url!);
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toMatch(/application\/pdf/);
      expect(
        Buffer.from(await pdf.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');

      const payment = shaped(
        'POST /invoices/{id}/payment_url',
        "ResponseOf<'invoices', 'invoicePaymentUrl'>",
        (await cloud.invoices.invoicePaymentUrl(listed.lago_id)).data,
      );
      expect(payment.invoice_payment_details).toMatchObject({ lago_invoice_id: listed.lago_id, external_customer_id: CUSTOMER });
      const page = await fetch(payment.invoice_payment_details!.payment_url!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(invoice.number);

      const portal = shaped(
        'GET /customers/{id}/portal_url',
        "ResponseOf<'customers', 'getCustomerPortalUrl'>",
        (await cloud.customers.getCustomerPortalUrl(CUSTOMER)).data,
      );
      const portalPage = await fetch(portal.customer.portal_url);
      expect(portalPage.status).toBe(200);
      expect(recordIdOf(listed.lago_id, 'account.move')).toBeGreaterThan(0);
    });
  });

  it('terminates the subscription', async () => {
    const terminated = shaped(
      'DELETE /subscriptions/{id}',
      "ResponseOf<'subscriptions', 'destroySubscription'>",
      (await cloud.subscriptions.destroySubscription(SUBSCRIPTION)).data,
    ).subscription;
    expect(terminated).toMatchObject({ status: 'terminated', external_id: SUBSCRIPTION });
    expect((await refusal(cloud.subscriptions.findSubscription(SUBSCRIPTION))).body.code).toBe('subscription_not_found');
    expect((await cloud.subscriptions.findSubscription(SUBSCRIPTION, { status: 'terminated' })).data.subscription.terminated_at).toBe(
      terminated.terminated_at,
    );
  });

  it('answers every path and failure in Lago’s JSON error shape', async () => {
    const json = shaped(
      'GET /webhooks/json_public_key',
      "ResponseOf<'webhooks', 'fetchJsonPublicKey'>",
      (await cloud.webhooks.fetchJsonPublicKey()).data,
    );
    expect(json.webhook.public_key).toBe(cloudReceiver.keys.publicKey);
    // Paths Lago has and this API does not (yet): the official client reads the error body.
    expect(await refusal(cloud.wallets.findAllWallets({ external_customer_id: CUSTOMER } as never))).toEqual({
      status: 404,
      body: { status: 404, error: 'Not Found', code: 'resource_not_found' },
    });
    const unauthorized = await refusal(Client('fb_not_a_key', { baseUrl: `${billing.server.baseUrl}/api/v1` }).plans.findAllPlans());
    expect(unauthorized).toEqual({ status: 401, body: { status: 401, error: 'Unauthorized' } });
    shapes.expect('404 resource_not_found', 'L.ApiErrorNotFound', { status: 404, error: 'Not Found', code: 'resource_not_found' });
    shapes.expect('401', 'L.ApiErrorUnauthorized', unauthorized.body);
  });

  it('delivers webhooks that receivers written for Lago accept unchanged (JWT and HMAC), in Lago’s shapes', async () => {
    await phase('webhook delivery', deliverWebhooks);
    const [cloudReceived, deskReceived] = [await cloudReceiver.received(), await deskReceiver.received()];
    const received = [...cloudReceived, ...deskReceived];
    expect(received.filter((entry) => !entry.verdict.ok).map((entry) => entry.verdict)).toEqual([]);
    for (const entry of received) {
      // A receiver written for Lago, without this project's timestamp check, accepts it too.
      const keys = entry.verdict.ok && entry.verdict.algorithm === 'hmac' ? deskReceiver.keys : cloudReceiver.keys;
      expect(await verifyAsLagoReceiver(keys, entry.headers, entry.rawBody)).toMatchObject({ ok: true });
      shapes.expect(`webhook ${entry.payload.webhook_type}`, `Webhook<'${entry.payload.webhook_type}'>`, entry.payload);
    }
    const types = (entries: typeof received) => entries.map((entry) => entry.payload.webhook_type);
    expect(types(cloudReceived)).toEqual(
      expect.arrayContaining([
        'customer.created',
        'customer.updated',
        'subscription.started',
        'subscription.updated',
        'invoice.created',
        'subscription.terminated',
      ]),
    );
    expect(types(deskReceived)).toEqual(expect.arrayContaining(['customer.created', 'subscription.started']));
    expect(new Set(deskReceived.map((entry) => entry.headers['x-lago-signature-algorithm']))).toEqual(new Set(['hmac']));
    expect(new Set(cloudReceived.map((entry) => entry.headers['x-lago-signature-algorithm']))).toEqual(new Set(['jwt']));
    // The invoice webhook tells whose invoice it is, with its fees and taxes, as Lago's does.
    const created = cloudReceived.find((entry) => entry.payload.webhook_type === 'invoice.created')!.payload as unknown as {
      organization_id: string;
      invoice: { customer: { external_id: string }; fees: unknown[]; applied_taxes: unknown[]; subscriptions: { external_id: string }[] };
    };
    expect(created.organization_id).toMatch(UUID_PATTERN);
    expect(created.invoice.customer.external_id).toBe(CUSTOMER);
    expect(created.invoice.fees).toHaveLength(3);
    expect(created.invoice.applied_taxes).toHaveLength(1);
    expect(created.invoice.subscriptions.map((s) => s.external_id)).toEqual([SUBSCRIPTION]);
  });

  it('answered and sent nothing the official client’s types do not declare, but the documented additions', () => {
    const problems = shapes.verify();
    console.log(
      `  shape check: ${shapes.size} answers and webhook bodies against lago-javascript-client's declared types, ${problems.length} problem(s)`,
    );
    expect(problems, formatProblems(problems)).toEqual([]);
  });
});

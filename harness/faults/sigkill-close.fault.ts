// Scenario 3 of issue 14: every Odoo process is SIGKILLed while the period-close cron invoices
// and charges many subscriptions; Odoo is started again on the same database and port and the
// close runs again until nothing is left to bill. The killed set must end exactly as a control
// set closed without a kill: the same totals to the cent, one invoice per subscription period,
// no order line twice, no card charged twice (the Stripe mock's PaymentIntents), each webhook
// of the outbox written once per object and event.
//
// The two sets are twins in one database: subscription i of each has the same customer data,
// card or not, and usage. The control set is closed first (action_fusion_close_periods over
// JSON-2, no kill); then the close cron (cron_close_periods, method_direct_trigger over JSON-2:
// it commits subscription by subscription, as the cron runner does) closes the killed set, and
// the kill comes right after the Stripe mock has created the PaymentIntent of a card invoice,
// i.e. while that subscription's transaction (invoice, payment, webhooks) is not committed.
// Between the restart and the close's rerun a bystander subscription with a card is terminated
// through the API: its invoice is posted (taking the next invoice number) and charged first.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { okBody, type LagoEventInput } from '../clients/lago.ts';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { REPO_ROOT } from '../runtime/local.ts';
import type { StripeMockHandle } from '../services/handles.ts';
import { centsOfOdooAmount, formatCents } from '../support/money.ts';
import { killOdoo, odooGone } from '../support/odoo-processes.ts';
import { useStripeMock } from '../support/stripe-provider.ts';
import { isoSeconds, monthPeriod, type MonthPeriod } from '../support/zoned-time.ts';
import { recordFaultRow } from './report.ts';

const SUBSCRIPTIONS = 56;
const WORKERS = 2;
/** Every subscription but each fourth pays by card (42 of 56). */
const hasCard = (i: number) => i % 4 !== 0;
/** The kill comes right after this share of the killed set's card charges reached Stripe. */
const KILL_AFTER = 0.3;
const TZ = 'UTC';
const STRIPE_SECRET_KEY = 'sk_test_fusion_closekill';
const SETS = ['ctl', 'kill'] as const;
const BYSTANDER = { customer: 'tnt_ckby000', subscription: 'sub_ck_by_000', stripe: 'cus_CK_BY_000' };
type SetName = (typeof SETS)[number];
/** A close (in the HTTP worker, over JSON-2) may take minutes on a loaded machine. */
const SERVER_ARGS = ['--limit-time-real=3600', '--limit-time-cpu=3600'];

interface Row {
  id: number;
  [field: string]: unknown;
}
interface OrderRow extends Row {
  fusion_external_id: string;
  invoice_ids: number[];
}
interface MoveRow extends Row {
  name: string;
  move_type: string;
  state: string;
  payment_state: string;
  amount_total: number;
}
interface LineRow extends Row {
  order_id: [number, string];
  product_id: [number, string];
  fusion_charge_id: [number, string] | false;
  fusion_filter: string | false;
  fusion_period_start: string;
  fusion_in_advance: boolean;
  fusion_true_up: boolean;
  price_subtotal: number;
}
interface WebhookRow extends Row {
  endpoint_id: [number, string];
  webhook_type: string;
  object_key: string;
}
interface TransactionRow extends Row {
  state: string;
  reference: string;
  provider_reference: string | false;
  invoice_ids: number[];
}

// NexaCloud's account ids: ^tnt_[a-z0-9]{6,32}$ (spec/nexa.yaml).
const customerOf = (set: SetName, i: number) => `tnt_ck${set}${String(i).padStart(3, '0')}`;
const subscriptionOf = (set: SetName, i: number) => `sub_ck_${set}_${String(i).padStart(3, '0')}`;
const stripeCustomerOf = (set: SetName, i: number) => `cus_CK_${set.toUpperCase()}_${String(i).padStart(3, '0')}`;

/** Usage of subscription i in the period (the same for both twins): egress GB, peak vCPUs, API calls. */
function usageOf(i: number, sub: string, start: number): LagoEventInput[] {
  // Kept under nexacloud_pro's first progressive threshold (150.00): the close alone invoices.
  const egress = [60, 45 + (i % 7) * 50, 15 + (i % 3) * 20];
  return [
    ...egress.map((gb, day) => ({
      transaction_id: `${sub}-egr-${day}`,
      external_subscription_id: sub,
      code: 'nc_egress_gb',
      timestamp: start + (day + 1) * 86_400,
      properties: { gb: String(gb) },
    })),
    {
      transaction_id: `${sub}-cpu`,
      external_subscription_id: sub,
      code: 'nc_peak_vcpu',
      timestamp: start + 5 * 86_400 + i,
      properties: { vcpus: 1 + (i % 8) },
    },
    ...Array.from({ length: 1 + (i % 4) }, (_, n) => ({
      transaction_id: `${sub}-api-${n}`,
      external_subscription_id: sub,
      code: 'nc_api_requests',
      timestamp: start + (7 + n) * 86_400,
      properties: { region: 'ca-central' },
    })),
  ];
}

describe('SIGKILL of every Odoo process during a period close of many subscriptions', () => {
  let billing: BillingServer;
  let mock: StripeMockHandle;
  let period: MonthPeriod;

  beforeAll(async () => {
    billing = await startBillingServer({
      db: 'faults_closekill',
      workers: WORKERS,
      serverArgs: SERVER_ARGS,
      services: ['nexacloud'],
      // The test-only addon that points payment_stripe at the Stripe mock.
      runtime: { addonsDirs: [join(REPO_ROOT, 'out'), join(REPO_ROOT, 'harness', 'addons')] },
      database: { install: ['fusion_billing', 'fusion_billing_stripe_mock'] },
      progress: (message) => console.log(`  ${message}`),
      onStep: (step, ms) => console.log(`  setup: ${step}: ${(ms / 1000).toFixed(1)} s`),
    });
    mock = await billing.runtime.startStripeMock({ secretKey: STRIPE_SECRET_KEY });
    await useStripeMock(billing.odoo, mock.baseUrl, {
      secretKey: STRIPE_SECRET_KEY,
      publishableKey: 'pk_test_fusion_closekill',
      webhookSecret: mock.webhookSecret,
    });
    // The outbox is what is checked; nothing is delivered (the delivery cron does not run), and
    // the endpoint points at a closed loopback port rather than the catalog's public URL.
    const [endpoint] = await billing.odoo.searchRead<Row & { res_id: number }>(
      'ir.model.data',
      [
        ['module', '=', 'fusion_billing'],
        ['name', '=', 'webhook_endpoint_nexacloud_billing_events'],
      ],
      ['res_id'],
    );
    await billing.odoo.call('fusion.billing.webhook.endpoint', 'write', { ids: [endpoint!.res_id], vals: { url: 'http://127.0.0.1:9/' } });
    // Last month must be over and this one must not end during the run.
    const left = monthPeriod(TZ, Date.now()).endMs - Date.now();
    if (left < 900_000) await new Promise((done) => setTimeout(done, left + 1000));
    period = monthPeriod(TZ, Date.now(), -1);
  });

  afterAll(async () => {
    // Stops the Stripe mock too.
    await billing?.stop();
  });

  it(`${SUBSCRIPTIONS} subscriptions closed by the cron, SIGKILL mid-close, closed again: as the control set, nothing twice`, async () => {
    const odoo = billing.odoo;
    const lago = billing.lago('nexacloud');
    const port = Number(new URL(billing.server.baseUrl).port);
    const start = period.startMs / 1000;
    const cards = Array.from({ length: SUBSCRIPTIONS }, (_, i) => i).filter(hasCard);

    // ---- the twins: customers (card ones linked to a Stripe customer), subscriptions, usage
    let made = 0;
    for (const set of SETS) {
      for (let i = 0; i < SUBSCRIPTIONS; i++) {
        const card = hasCard(i);
        if (card) {
          await mock.seedCustomer({
            id: stripeCustomerOf(set, i),
            email: `${customerOf(set, i)}@example.test`,
            defaultPaymentMethod: { id: 'pm_card_visa', brand: 'visa', last4: '4242' },
          });
        }
        okBody(
          await lago.upsertCustomer({
            external_id: customerOf(set, i),
            name: `Close Kill ${set} ${i}`,
            email: `${customerOf(set, i)}@example.test`,
            city: 'Toronto',
            state: 'ON',
            country: 'CA',
            timezone: TZ,
            ...(card ? { billing_configuration: { payment_provider: 'stripe', provider_customer_id: stripeCustomerOf(set, i) } } : {}),
          } as never),
          'POST /customers',
        );
        okBody(
          await lago.createSubscription({
            external_customer_id: customerOf(set, i),
            plan_code: 'nexacloud_pro',
            external_id: subscriptionOf(set, i),
            billing_time: 'calendar',
            subscription_at: isoSeconds(period.startMs),
          }),
          'POST /subscriptions',
        );
        okBody(await lago.createEventsBatch(usageOf(i, subscriptionOf(set, i), start)), 'POST /events/batch');
        if (++made % 28 === 0) console.log(`  setup: ${made}/${2 * SUBSCRIPTIONS} customers, subscriptions and their usage`);
      }
    }
    // A bystander with a card, terminated through the API right after the restart: its termination
    // invoice is posted (and charged) before the close runs again, as API traffic would.
    await mock.seedCustomer({
      id: BYSTANDER.stripe,
      email: `${BYSTANDER.customer}@example.test`,
      defaultPaymentMethod: { id: 'pm_card_visa', brand: 'visa', last4: '4242' },
    });
    okBody(
      await lago.upsertCustomer({
        external_id: BYSTANDER.customer,
        name: 'Close Kill bystander',
        email: `${BYSTANDER.customer}@example.test`,
        city: 'Toronto',
        state: 'ON',
        country: 'CA',
        timezone: TZ,
        billing_configuration: { payment_provider: 'stripe', provider_customer_id: BYSTANDER.stripe },
      } as never),
      'POST /customers',
    );
    okBody(
      await lago.createSubscription({
        external_customer_id: BYSTANDER.customer,
        plan_code: 'nexacloud_pro',
        external_id: BYSTANDER.subscription,
        billing_time: 'calendar',
        subscription_at: isoSeconds(period.startMs),
      }),
      'POST /subscriptions',
    );
    okBody(await lago.createEventsBatch(usageOf(3, BYSTANDER.subscription, start)), 'POST /events/batch');
    const orders = async (set: SetName): Promise<OrderRow[]> => {
      const rows = await odoo.searchRead<OrderRow>(
        'sale.order',
        [['fusion_external_id', '=like', `sub_ck_${set}_%`]],
        ['fusion_external_id', 'invoice_ids'],
        { order: 'fusion_external_id' },
      );
      expect(rows).toHaveLength(SUBSCRIPTIONS);
      return rows;
    };
    const invoicedOrders = async (set: SetName) => (await orders(set)).filter((o) => o.invoice_ids.length > 0).length;
    const killCustomers = new Set(cards.map((i) => stripeCustomerOf('kill', i)));
    const killCharges = async () =>
      (await mock.requestsTo('POST', '/v1/payment_intents')).filter((r) => killCustomers.has(String(r.params.customer)));

    // ---- the control set: closed without a kill (its last month: base fee and usage)
    const control = await orders('ctl');
    const started = performance.now();
    for (let from = 0; from < SUBSCRIPTIONS; from += 14) {
      await odoo.call('sale.order', 'action_fusion_close_periods', { ids: control.slice(from, from + 14).map((o) => o.id) });
      console.log(`  control close: ${Math.min(from + 14, SUBSCRIPTIONS)}/${SUBSCRIPTIONS} subscriptions closed`);
    }
    console.log(`  control close: ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // ---- the killed set: the close cron, SIGKILL once KILL_AFTER of its card charges reached Stripe
    const [cron] = await odoo.searchRead<Row & { res_id: number }>(
      'ir.model.data',
      [
        ['module', '=', 'fusion_billing'],
        ['name', '=', 'cron_close_periods'],
      ],
      ['res_id'],
    );
    const runCron = () => odoo.call('ir.cron', 'method_direct_trigger', { ids: [cron!.res_id] });
    const killAt = Math.ceil(cards.length * KILL_AFTER);
    let cronDone = false;
    const firstRun = runCron().then(
      () => {
        cronDone = true;
      },
      () => {
        // The server died under the request.
      },
    );
    let chargesAtKill = 0;
    for (let polls = 0; ; polls++) {
      chargesAtKill = (await killCharges()).length;
      if (chargesAtKill >= killAt) break;
      if (cronDone) throw new Error(`the close finished before the kill (${chargesAtKill} charges)`);
      if (polls % 1000 === 0)
        console.log(`  close cron running: ${chargesAtKill}/${cards.length} card charges of the killed set sent to Stripe`);
      await new Promise((done) => setTimeout(done, 5));
    }
    const killed = killOdoo(port);
    if (!killed.length) throw new Error(`no Odoo process with --http-port=${port} in /proc: nothing to kill`);
    await odooGone(port);
    await firstRun;
    chargesAtKill = (await killCharges()).length;
    console.log(
      `  SIGKILL to ${killed.length} Odoo processes (${killed.join(', ')}) after ${chargesAtKill}/${cards.length} card charges; restarting Odoo on port ${port}`,
    );

    billing.server = await billing.runtime.startServer(billing.db, { port, workers: WORKERS, extraArgs: SERVER_ARGS });
    const invoicedAtKill = await invoicedOrders('kill');
    const paidAtKill = await odoo.searchCount('payment.transaction', [
      ['state', '=', 'done'],
      ['partner_id.name', '=like', 'Close Kill kill %'],
    ]);
    console.log(
      `  committed before the kill: ${invoicedAtKill}/${SUBSCRIPTIONS} subscriptions invoiced, ${paidAtKill} charges recorded; ${chargesAtKill - paidAtKill} charged at Stripe but not committed`,
    );

    okBody(await lago.terminateSubscription(BYSTANDER.subscription), 'DELETE /subscriptions/{external_id}');
    const [bystander] = await odoo.searchRead<OrderRow>(
      'sale.order',
      [['fusion_external_id', '=', BYSTANDER.subscription]],
      ['invoice_ids'],
    );
    console.log(`  after the restart: ${BYSTANDER.subscription} terminated through the API, ${bystander!.invoice_ids.length} invoice(s)`);

    // ---- the close again, until every subscription of the killed set is invoiced
    let reruns = 0;
    while ((await invoicedOrders('kill')) < SUBSCRIPTIONS && reruns < 3) {
      reruns++;
      await runCron();
      console.log(`  close cron run ${reruns} after the restart: ${await invoicedOrders('kill')}/${SUBSCRIPTIONS} subscriptions invoiced`);
    }
    // Once more, with nothing left to bill: it must add nothing.
    await runCron();

    // ---- compare the killed set with the control set
    const sets = { ctl: await orders('ctl'), kill: await orders('kill') };
    const moves = await odoo.searchRead<MoveRow>(
      'account.move',
      [['id', 'in', [...sets.ctl, ...sets.kill].flatMap((o) => o.invoice_ids)]],
      ['name', 'move_type', 'state', 'payment_state', 'amount_total'],
    );
    const moveById = new Map(moves.map((m) => [m.id, m]));
    const lines = await odoo.searchRead<LineRow>(
      'sale.order.line',
      [
        ['order_id', 'in', [...sets.ctl, ...sets.kill].map((o) => o.id)],
        ['fusion_period_start', '!=', false],
      ],
      [
        'order_id',
        'product_id',
        'fusion_charge_id',
        'fusion_filter',
        'fusion_period_start',
        'fusion_in_advance',
        'fusion_true_up',
        'price_subtotal',
      ],
    );
    const webhooks = await odoo.searchRead<WebhookRow>(
      'fusion.billing.webhook',
      [['object_key', 'in', moves.map((m) => `account.move,${m.id}`)]],
      ['endpoint_id', 'webhook_type', 'object_key'],
    );
    const transactions = await odoo.searchRead<TransactionRow>(
      'payment.transaction',
      [['invoice_ids', 'in', moves.map((m) => m.id)]],
      ['state', 'reference', 'provider_reference', 'invoice_ids'],
    );

    let lost = 0;
    let doubled = 0;
    const problems: string[] = [];
    const totals = { ctl: 0n, kill: 0n };
    let killInvoices = 0;
    let killLines = 0;
    let killWebhooks = 0;
    let duplicateLines = 0;
    let duplicateWebhooks = 0;
    let succeededIntents = 0;
    let killCardInvoices = 0;
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const view = {} as Record<SetName, { total: bigint; lines: string[]; webhooks: string[]; paid: string[] }>;
      for (const set of SETS) {
        const order = sets[set][i]!;
        const invoices = order.invoice_ids.map((id) => moveById.get(id)!).filter((m) => m.move_type === 'out_invoice');
        if (set === 'kill') {
          killInvoices += invoices.length;
          if (invoices.length === 0) lost++;
          if (invoices.length > 1) doubled += invoices.length - 1;
        }
        if (invoices.length !== 1) problems.push(`${order.fusion_external_id}: ${invoices.length} invoices`);
        const total = invoices.reduce((sum, m) => sum + centsOfOdooAmount(m.amount_total), 0n);
        totals[set] += total;
        const own = lines.filter((l) => l.order_id[0] === order.id);
        const keys = own.map((l) =>
          [
            l.product_id[0],
            l.fusion_charge_id ? l.fusion_charge_id[0] : 0,
            l.fusion_filter,
            l.fusion_period_start,
            l.fusion_in_advance,
            l.fusion_true_up,
          ].join('|'),
        );
        const duplicates = keys.length - new Set(keys).size;
        const hooks = webhooks.filter((w) => invoices.some((m) => w.object_key === `account.move,${m.id}`));
        const hookKeys = hooks.map((w) => `${w.endpoint_id[0]}|${w.webhook_type}|${w.object_key}`);
        const duplicateHooks = hookKeys.length - new Set(hookKeys).size;
        if (set === 'kill') {
          killLines += own.length;
          killWebhooks += hooks.length;
          duplicateLines += duplicates;
          duplicateWebhooks += duplicateHooks;
          doubled += duplicates + duplicateHooks;
        }
        if (duplicates) problems.push(`${order.fusion_external_id}: ${duplicates} order lines twice`);
        if (duplicateHooks) problems.push(`${order.fusion_external_id}: ${duplicateHooks} webhooks twice`);
        // What Stripe holds for the customer: one succeeded PaymentIntent per card invoice, for its total.
        const paid: string[] = [];
        if (hasCard(i)) {
          const intents = await mock.paymentIntentsOf(stripeCustomerOf(set, i));
          const succeeded = intents.filter((pi) => pi.status === 'succeeded');
          if (set === 'kill') {
            killCardInvoices += invoices.length;
            succeededIntents += succeeded.length;
            if (succeeded.length > 1) doubled += succeeded.length - 1;
            if (succeeded.length < invoices.length) lost += invoices.length - succeeded.length;
          }
          if (succeeded.length !== 1 || intents.length !== 1)
            problems.push(
              `${stripeCustomerOf(set, i)}: ${intents.map((pi) => `${pi.id} ${pi.status} ${pi.amount}`).join(', ') || 'no PaymentIntent'}`,
            );
          for (const pi of succeeded) paid.push(`${pi.amount} ${pi.description}`);
          const done = transactions.filter((t) => t.state === 'done' && invoices.some((m) => t.invoice_ids.includes(m.id)));
          if (done.length !== 1 || done[0]!.provider_reference !== succeeded[0]?.id)
            problems.push(
              `${order.fusion_external_id}: done transactions ${done.map((t) => `${t.reference} ${t.provider_reference}`).join(', ')}`,
            );
          const unpaid = invoices.filter((m) => !['paid', 'in_payment'].includes(m.payment_state));
          if (unpaid.length)
            problems.push(`${order.fusion_external_id}: card invoice ${unpaid.map((m) => `${m.name} ${m.payment_state}`).join(', ')}`);
          if (set === 'kill' && succeeded.length === 1 && Number(succeeded[0]!.amount) !== Number(total))
            problems.push(`${order.fusion_external_id}: charged ${succeeded[0]!.amount} cents for an invoice of ${total}`);
        }
        view[set] = {
          total,
          lines: own.map((l) => `${l.product_id[1]} ${l.fusion_period_start} ${l.price_subtotal}`).sort(),
          webhooks: hooks.map((w) => w.webhook_type).sort(),
          // The amount only: the reference (invoice number) differs between the twins.
          paid: paid.map((p) => p.split(' ')[0]!),
        };
      }
      for (const aspect of ['total', 'lines', 'webhooks', 'paid'] as const) {
        if (String(view.kill[aspect]) !== String(view.ctl[aspect]))
          problems.push(
            `${subscriptionOf('kill', i)} differs from its control in ${aspect}: ${String(view.kill[aspect])} vs ${String(view.ctl[aspect])}`,
          );
      }
    }
    // The bystander: each of its invoices charged once, none refused (e.g. an Idempotency-Key reused for another amount).
    const bystanderInvoices = (
      await odoo.searchRead<MoveRow>(
        'account.move',
        [
          ['id', 'in', bystander!.invoice_ids],
          ['move_type', '=', 'out_invoice'],
          ['amount_total', '>', 0],
        ],
        ['name', 'move_type', 'state', 'payment_state', 'amount_total'],
      )
    ).filter((m) => m.state === 'posted');
    const bystanderIntents = await mock.paymentIntentsOf(BYSTANDER.stripe);
    const bystanderCharges = (await mock.requestsTo('POST', '/v1/payment_intents')).filter((r) => r.params.customer === BYSTANDER.stripe);
    if (
      bystanderIntents.filter((pi) => pi.status === 'succeeded').length !== bystanderInvoices.length ||
      bystanderCharges.some((r) => r.status !== 200)
    )
      problems.push(
        `${BYSTANDER.subscription}: ${bystanderInvoices.length} invoices (${bystanderInvoices.map((m) => `${m.name} ${m.amount_total} ${m.payment_state}`).join(', ')}), charges ${bystanderCharges.map((r) => `${r.status} ${r.params.description} ${r.params.amount}`).join(', ')}`,
      );
    const replayed = (await mock.requestsTo('POST', '/v1/payment_intents')).filter(
      (r) => killCustomers.has(String(r.params.customer)) && r.replayed,
    ).length;
    const wrong = problems.length;
    for (const problem of problems.slice(0, 20)) console.log(`  PROBLEM ${problem}`);
    const measured =
      `killed set: ${formatCents(totals.kill)} / control ${formatCents(totals.ctl)} (${totals.kill}/${totals.ctl} cents); ` +
      `${killInvoices} invoices for ${SUBSCRIPTIONS} subscriptions (${invoicedAtKill} committed before the kill, ${reruns} close run(s) after it); ` +
      `${succeededIntents} succeeded PaymentIntents for ${killCardInvoices} card invoices (${chargesAtKill} charges sent before the kill, ${chargesAtKill - paidAtKill} of them not committed, ${replayed} replayed by Idempotency-Key); ` +
      `${killLines} order lines, ${duplicateLines} twice; ${killWebhooks} invoice webhooks, ${duplicateWebhooks} twice; ${wrong} differences from the control set`;
    console.log(`  ${measured}`);
    recordFaultRow({
      scenario: '3 SIGKILL during a period close',
      load: `${SUBSCRIPTIONS} nexacloud_pro subscriptions (${cards.length} paying by Stripe card) with last month's usage, --workers ${WORKERS}; a twin control set closed without a kill`,
      done: `close cron (cron_close_periods, committing per subscription) SIGKILLed with all ${killed.length} Odoo processes right after ${chargesAtKill}/${cards.length} card charges reached the Stripe mock; restart on the same port; the close run again until done, then once more`,
      expected:
        'totals to the cent as the control set; one invoice per subscription period; no order line twice; one succeeded PaymentIntent per card invoice; each webhook written once per object and event',
      measured,
      lost,
      doubled,
      wrongAnswers: 0,
      otherFailures: wrong,
    });
    expect(problems).toEqual([]);
    expect({ lost, doubled, total: totals.kill }).toEqual({ lost: 0, doubled: 0, total: totals.ctl });
  });
});

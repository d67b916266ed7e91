// Scenario 4 of issue 14: webhooks delivered by two HTTP workers and two cron runners at once.
// The module's delivery cron and copies of it (as a deployment scaling delivery out would add)
// run on the two cron runners, woken every few seconds, while two loops run them over JSON-2
// (ir.cron.method_direct_trigger, on the HTTP workers); meanwhile the API writes several
// webhooks per customer and subscription, and the receiver fails a share of first deliveries
// (500, or an answer after the timeout) so that retries race too. The receiver counts every
// request (no dedup): each webhook delivered, each attempt made once, per object in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooUserError } from '../clients/json2.ts';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { CountingReceiver } from './counting-receiver.ts';
import { recordFaultRow } from './report.ts';
import { countDeliveries, type OutboxWebhook } from './webhook-delivery-count.ts';

const WORKERS = 2;
const CRON_RUNNERS = 2;
/** Cron records calling _cron_deliver: the module's and copies; two runners and two HTTP loops run them. */
const DELIVERY_CRONS = 4;
const CUSTOMERS = 16;
/** Concurrent API clients, each writing its customers' webhooks one request after the other. */
const CLIENTS = 8;
/** Customer updates and subscription updates per customer, after their creation. */
const UPDATES = 8;
const SHARES = { error500: 0.2, slow: 0.04 };
const WAKE_EVERY_MS = 2_000;
const DRAIN_TIMEOUT_MS = 12 * 60_000;
const DB = 'faults_webhookrace';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** Odoo's datetime format, UTC. */
const odooNow = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString().slice(0, 19).replace('T', ' ');

describe('webhooks delivered by two HTTP workers and two cron runners at once', () => {
  let billing: BillingServer;
  let receiver: CountingReceiver;
  let endpointId: number;
  let cronIds: number[] = [];

  beforeAll(async () => {
    billing = await startBillingServer({
      db: DB,
      workers: WORKERS,
      serverArgs: [`--max-cron-threads=${CRON_RUNNERS}`],
      services: ['nexacloud'],
      progress: (message) => console.log(`  ${message}`),
      onStep: (step, ms) => console.log(`  setup: ${step}: ${(ms / 1000).toFixed(1)} s`),
    });
    const { odoo } = billing;
    const xmlid = async (name: string) => {
      const [data] = await odoo.searchRead<{ res_id: number }>(
        'ir.model.data',
        [
          ['module', '=', 'fusion_billing'],
          ['name', '=', name],
        ],
        ['res_id'],
      );
      if (!data) throw new Error(`fusion_billing.${name} not found`);
      return data.res_id;
    };
    endpointId = await xmlid('webhook_endpoint_nexacloud_billing_events');
    const [endpoint] = await odoo.searchRead<{ secret: string }>('fusion.billing.webhook.endpoint', [['id', '=', endpointId]], ['secret']);
    receiver = new CountingReceiver(endpoint!.secret, SHARES);
    await receiver.start();
    await odoo.call('fusion.billing.webhook.endpoint', 'write', {
      ids: [endpointId],
      vals: { url: receiver.url },
    });
    const moduleCron = await xmlid('cron_deliver_webhooks');
    cronIds = [moduleCron];
    for (let copy = 1; copy < DELIVERY_CRONS; copy++) {
      const created = await odoo.call<number[] | number>('ir.cron', 'copy', { ids: [moduleCron] });
      cronIds.push(Array.isArray(created) ? created[0]! : created);
    }
    console.log(`  receiver on ${receiver.url}; delivery crons ${cronIds.join(', ')} (the module's and ${DELIVERY_CRONS - 1} copies)`);
  });

  afterAll(async () => {
    await receiver?.stop();
    await billing?.stop();
  });

  it(`${CUSTOMERS} customers × (2 + ${2 * UPDATES}) webhooks, ${CLIENTS} API clients, delivered by ${WORKERS} HTTP workers and ${CRON_RUNNERS} cron runners`, async () => {
    const { odoo } = billing;
    const cloud = billing.lago('nexacloud');
    let stopping = false;
    const driver = { wakes: 0, directRuns: 0, refused: 0, failedCalls: 0 };

    // The cron runners: every delivery cron made due (a trigger) and the runners woken (NOTIFY).
    const wakeRunners = async () => {
      while (!stopping) {
        try {
          await odoo.call('ir.cron.trigger', 'create', { vals_list: cronIds.map((cron_id) => ({ cron_id, call_at: odooNow(-1_000) })) });
          await billing.runtime.postgres.client('psql', ['-X', '-q', '-d', DB, '-c', `SELECT pg_notify('cron_trigger', '${DB}')`]);
          driver.wakes++;
        } catch (error) {
          driver.failedCalls++;
          console.log(`  waking the cron runners failed: ${(error as Error).message.slice(0, 200)}`);
        }
        await sleep(WAKE_EVERY_MS);
      }
    };
    // The HTTP workers: delivery crons run by hand, one after the other, by two loops.
    const runByHand = async (loop: number) => {
      for (let turn = loop; !stopping; turn++) {
        try {
          await odoo.call('ir.cron', 'method_direct_trigger', { ids: [cronIds[turn % cronIds.length]!] });
          driver.directRuns++;
        } catch (error) {
          if (error instanceof OdooUserError)
            driver.refused++; // that cron is running elsewhere
          else {
            driver.failedCalls++;
            console.log(`  direct run failed: ${(error as Error).message.slice(0, 200)}`);
          }
        }
        await sleep(300);
      }
    };
    const delivering = Promise.all([wakeRunners(), runByHand(0), runByHand(1)]);

    // The API: each customer created, subscribed, then renamed and its subscription renamed,
    // alternately; the names carry the version, in the order the webhooks are written.
    const started = Date.now();
    let requests = 0;
    const ok = async (what: string, answer: Promise<{ status: number; body?: unknown }>) => {
      const { status, body } = await answer;
      requests++;
      if (status !== 200) throw new Error(`${what}: ${status} ${JSON.stringify(body).slice(0, 300)}`);
    };
    const writeCustomer = async (c: number) => {
      const customer = `tnt_race${String(c).padStart(4, '0')}`;
      const subscription = `race_sub_${c}`;
      await ok('POST /customers', cloud.upsertCustomer({ external_id: customer, name: `Race ${c} v0`, country: 'CA' }));
      await ok(
        'POST /subscriptions',
        cloud.createSubscription({ external_customer_id: customer, plan_code: 'nexacloud_pro', external_id: subscription }),
      );
      for (let v = 1; v <= UPDATES; v++) {
        await ok('POST /customers', cloud.upsertCustomer({ external_id: customer, name: `Race ${c} v${v}`, country: 'CA' }));
        await ok('PUT /subscriptions', cloud.updateSubscription(subscription, { name: `Race sub ${c} v${v}`, ending_at: null }));
      }
    };
    try {
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, client) => {
          for (let c = client; c < CUSTOMERS; c += CLIENTS) await writeCustomer(c);
        }),
      );
    } catch (error) {
      stopping = true;
      await delivering;
      throw error;
    }
    const written = await odoo.searchCount('fusion.billing.webhook', [['endpoint_id', '=', endpointId]]);
    console.log(
      `  ${requests} API requests in ${((Date.now() - started) / 1000).toFixed(0)} s wrote ${written} webhooks; ${receiver.arrivals.length} deliveries so far`,
    );

    // Delivery goes on until nothing is pending or retrying.
    const drainStarted = Date.now();
    let undelivered = written;
    while (Date.now() - drainStarted < DRAIN_TIMEOUT_MS) {
      undelivered = await odoo.searchCount('fusion.billing.webhook', [
        ['endpoint_id', '=', endpointId],
        ['state', 'in', ['pending', 'retrying']],
      ]);
      console.log(
        `  ${((Date.now() - started) / 1000).toFixed(0)} s: ${undelivered} undelivered, ${receiver.arrivals.length} deliveries received; ${driver.wakes} wakes, ${driver.directRuns} runs by hand (${driver.refused} refused: running elsewhere)`,
      );
      if (!undelivered) break;
      await sleep(10_000);
    }
    stopping = true;
    await delivering;
    await receiver.settled();
    // A delivery still under way when the loop stopped has finished by now.
    await sleep(12_000);

    const outbox = await odoo.searchRead<OutboxWebhook & Record<string, unknown>>(
      'fusion.billing.webhook',
      [['endpoint_id', '=', endpointId]],
      ['unique_key', 'object_key', 'state', 'attempt_count'],
      { order: 'id' },
    );
    const count = countDeliveries(outbox, receiver.arrivals, (key) => receiver.firstAnswer(key));
    for (const example of count.examples) console.log(`  problem: ${example}`);
    const states: Record<string, number> = {};
    for (const w of outbox) states[w.state] = (states[w.state] ?? 0) + 1;
    console.log(`  outbox: ${JSON.stringify(states)}; receiver: ${count.arrivals} requests, ${receiver.unsigned} unsigned`);
    recordFaultRow({
      scenario: '4 Webhook delivery race',
      load: `${count.webhooks} webhooks about ${count.objects} objects (${CUSTOMERS} customers and their subscriptions, ${CLIENTS} API clients), --workers ${WORKERS} --max-cron-threads=${CRON_RUNNERS}, ${DELIVERY_CRONS} delivery crons`,
      done: `delivery by both cron runners (woken every ${WAKE_EVERY_MS / 1000} s) and both HTTP workers (method_direct_trigger in 2 loops) at once; the receiver fails ${SHARES.error500 * 100}% of first deliveries with a 500 and answers ${SHARES.slow * 100}% after the timeout`,
      expected:
        'each webhook delivered; each attempt made once (at most 2 requests per webhook the receiver failed, 1 otherwise); per object none before the previous one succeeded',
      measured: `${count.arrivals} requests for ${count.webhooks} webhooks (${count.failedFirst} first deliveries failed on purpose); ${count.webhooks - count.lost} delivered; ${count.doubled} extra deliveries; ${count.unlogged} with deliveries not logged as attempts; ${count.outOfOrder} out of order; ${driver.directRuns} runs by hand, ${driver.refused} refused`,
      lost: count.lost,
      doubled: count.doubled,
      wrongAnswers: 0,
    });
    expect({
      lost: count.lost,
      doubled: count.doubled,
      unlogged: count.unlogged,
      outOfOrder: count.outOfOrder,
      unsigned: receiver.unsigned,
    }).toEqual({
      lost: 0,
      doubled: 0,
      unlogged: 0,
      outOfOrder: 0,
      unsigned: 0,
    });
  });
});

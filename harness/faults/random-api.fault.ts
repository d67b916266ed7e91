// Scenario 6 of issue 14, random API input: thousands of fast-check requests to every route the
// spec declares, on a real Odoo 19 serving fusion_billing. Every answer must be JSON (Lago's
// error body for a 4xx), never a 5xx; a refused request stores nothing (usage rows, customer
// links, subscriptions and alerts grow by at most what the 2xx answers stored); every event
// acknowledged is stored; the Odoo server's memory stays bounded.
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../runtime/local.ts';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { odooMemory } from '../support/odoo-processes.ts';
import {
  describeRequest,
  judge,
  randomRequest,
  send,
  specRoutes,
  type ApiRoute,
  type KnownRecords,
  type RandomRequest,
} from './api-requests.ts';
import { recordFaultRow } from './report.ts';

const REQUESTS = Number(process.env.FUSION_FAULTS_REQUESTS ?? 3000);
const SEED = Number(process.env.FUSION_FAULTS_SEED ?? Date.now() % 2 ** 31);
const CLIENTS = 4;
/** The share of the requests sent before the "before" memory figure: Odoo loads code and caches on first use. */
const WARM_UP = 0.1;
const MAX_RSS_GROWTH = { ratio: 0.25, bytes: 100 * 2 ** 20 };
const KNOWN: KnownRecords = {
  customer: 'tnt_fuzz01',
  subscription: 'sub_fuzz',
  metric: 'nc_api_requests',
  plan: 'nexacloud_pro',
  alert: 'fuzz_alert',
};

/** Rows a 2xx answer of these handlers may add, per counted model. */
function storedBy(request: RandomRequest): Partial<Record<CountedModel, number>> {
  const body = request.body.kind === 'json' ? (request.body.value as Record<string, unknown> | null) : null;
  switch (request.route.handler) {
    case 'create_event':
      return { usage: 1 };
    case 'create_events_batch':
      return { usage: Array.isArray(body?.events) ? body.events.length : 0 };
    case 'upsert_customer':
      return { links: 1 };
    case 'create_subscription':
      return { subscriptions: 1 };
    case 'create_alert':
      return { alerts: 1 };
    default:
      return {};
  }
}

type CountedModel = 'usage' | 'links' | 'subscriptions' | 'alerts';
const COUNTED: Record<CountedModel, { model: string; domain: unknown[] }> = {
  usage: { model: 'fusion.billing.usage', domain: [] },
  links: { model: 'fusion.billing.account.link', domain: [] },
  subscriptions: { model: 'sale.order', domain: [['fusion_service_id', '!=', false]] },
  alerts: { model: 'fusion.billing.alert', domain: [] },
};

/** The fuzz transaction ids of the events a 2xx answer acknowledged. */
function acknowledgedEvents(request: RandomRequest): string[] {
  if (request.body.kind !== 'json') return [];
  const body = request.body.value as { event?: { transaction_id?: unknown }; events?: { transaction_id?: unknown }[] } | null;
  const events =
    request.route.handler === 'create_event' ? [body?.event] : request.route.handler === 'create_events_batch' ? (body?.events ?? []) : [];
  return events.flatMap((e) => (typeof e?.transaction_id === 'string' && e.transaction_id.startsWith('fuzz-') ? [e.transaction_id] : []));
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

describe('random API input (fast-check) to every route of the spec', () => {
  let billing: BillingServer;
  let routes: ApiRoute[];

  beforeAll(async () => {
    routes = specRoutes(join(REPO_ROOT, 'spec/nexa.yaml'));
    billing = await startBillingServer({
      db: 'faults_api',
      services: ['nexacloud', 'nexadesk'],
      progress: (message) => console.log(`  ${message}`),
      onStep: (step, ms) => console.log(`  setup: ${step}: ${(ms / 1000).toFixed(1)} s`),
    });
    const cloud = billing.lago('nexacloud');
    const ok = <T>(answer: { status: number; body: T }, what: string) => {
      if (answer.status !== 200) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    };
    ok(await cloud.upsertCustomer({ external_id: KNOWN.customer, name: 'Fuzz Target Inc.', country: 'CA' }), 'POST /customers');
    ok(
      await cloud.createSubscription({ external_customer_id: KNOWN.customer, plan_code: KNOWN.plan, external_id: KNOWN.subscription }),
      'POST /subscriptions',
    );
    ok(
      await cloud.request('POST', `/subscriptions/${KNOWN.subscription}/alerts`, {
        body: { alert: { alert_type: 'current_usage_amount', code: KNOWN.alert, thresholds: [{ value: '100.0' }] } },
      }),
      'POST /subscriptions/{id}/alerts',
    );
  });

  afterAll(async () => {
    await billing?.stop();
  });

  it(`answers ${REQUESTS} random requests with JSON, never 5xx, storing nothing it refused, in bounded memory`, async () => {
    const base = billing.server.baseUrl;
    const port = Number(new URL(base).port);
    const keys = { own: billing.serviceKeys.nexacloud!, foreign: billing.serviceKeys.nexadesk! };
    const arbitrary = randomRequest(routes, KNOWN, keys);
    const requests = fc.sample(arbitrary, { seed: SEED, numRuns: REQUESTS });
    const handlers = new Set(requests.map((r) => `${r.route.method} ${r.route.path}`));
    console.log(`  ${REQUESTS} requests over ${handlers.size} of the spec's ${routes.length} routes, ${CLIENTS} clients, seed ${SEED}`);

    const count = async () => {
      const counts = {} as Record<CountedModel, number>;
      for (const [name, { model, domain }] of Object.entries(COUNTED))
        counts[name as CountedModel] = await billing.odoo.searchCount(model, domain);
      return counts;
    };
    const statuses = new Map<number, number>();
    const failures: { index: number; request: RandomRequest; problem: string }[] = [];
    const allowance: Record<CountedModel, number> = { usage: 0, links: 0, subscriptions: 0, alerts: 0 };
    const acknowledged = new Set<string>();
    let refusedWrites = 0;
    const warmUp = Math.floor(REQUESTS * WARM_UP);
    let done = 0;
    let lastProgress = performance.now();
    const started = performance.now();
    const latencies: number[] = [];

    const runRange = async (from: number, to: number) => {
      let next = from;
      const client = async () => {
        while (next < to) {
          const index = next++;
          const request = requests[index]!;
          let problem: string | undefined;
          try {
            const answer = await send(base, request);
            latencies.push(answer.ms);
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            problem = judge(request, answer);
            if (problem) problem += `: ${answer.text.slice(0, 300)}`;
            if (answer.status >= 200 && answer.status < 300) {
              for (const [model, rows] of Object.entries(storedBy(request))) allowance[model as CountedModel] += rows;
              for (const id of acknowledgedEvents(request)) acknowledged.add(id);
            } else if (request.method !== 'GET') refusedWrites++;
          } catch (error) {
            problem = `no answer: ${(error as Error).message}`;
          }
          if (problem) failures.push({ index, request, problem });
          done++;
          if (performance.now() - lastProgress > 10_000 || done % 500 === 0) {
            lastProgress = performance.now();
            console.log(
              `  ${done}/${REQUESTS} requests, ${failures.length} failing, ${((done / (performance.now() - started)) * 1000).toFixed(0)} req/s`,
            );
          }
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
    };

    await runRange(0, warmUp);
    const rssBefore = odooMemory(port)?.rssBytes;
    const countsBefore = await count();
    // The warm-up's 2xx stored before the "before" counts: only what follows is compared.
    for (const model of Object.keys(allowance) as CountedModel[]) allowance[model] = 0;
    const acknowledgedInWarmUp = new Set(acknowledged);
    await runRange(warmUp, REQUESTS);
    const seconds = (performance.now() - started) / 1000;
    const rssAfter = odooMemory(port)?.rssBytes;
    const countsAfter = await count();

    let doubled = 0;
    const growth: string[] = [];
    for (const model of Object.keys(COUNTED) as CountedModel[]) {
      const delta = countsAfter[model] - countsBefore[model];
      growth.push(`${model} +${delta} (≤ ${allowance[model]} allowed)`);
      if (delta > allowance[model]) doubled += delta - allowance[model];
    }
    const ids = [...acknowledged];
    let stored = 0;
    for (let i = 0; i < ids.length; i += 500)
      stored += await billing.odoo.searchCount('fusion.billing.usage', [['transaction_id', 'in', ids.slice(i, i + 500)]]);
    const lost = ids.length - stored;

    const byStatus = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
    const rssLine =
      rssBefore !== undefined && rssAfter !== undefined
        ? `RSS ${mb(rssBefore)} → ${mb(rssAfter)} (${(((rssAfter - rssBefore) / rssBefore) * 100).toFixed(1)} %)`
        : 'RSS not readable (no Odoo process with this --http-port in /proc)';
    console.log(`  statuses: ${byStatus}`);
    console.log(
      `  stored: ${growth.join(', ')}; ${ids.length} events acknowledged (${acknowledgedInWarmUp.size} in the warm-up), ${stored} stored`,
    );
    console.log(`  ${rssLine}; ${seconds.toFixed(0)} s, p99 ${p99.toFixed(0)} ms`);
    const rssGrowth = rssBefore !== undefined && rssAfter !== undefined ? rssAfter - rssBefore : 0;
    const memoryBounded = rssBefore === undefined || rssGrowth < MAX_RSS_GROWTH.bytes || rssGrowth < rssBefore * MAX_RSS_GROWTH.ratio;

    // The first failing request of each route and problem, then the smallest failing request
    // fast-check shrinks the first failure to (replayed from its seed and index).
    const shown = new Set<string>();
    for (const failure of failures) {
      const key = `${failure.request.method} ${failure.request.route.path} ${failure.problem.split(':')[0]}`;
      if (shown.has(key)) continue;
      shown.add(key);
      console.log(`  FAILING #${failure.index}: ${failure.problem}\n    ${describeRequest(failure.request)}`);
    }
    if (failures.length) {
      const first = failures.reduce((a, b) => (a.index < b.index ? a : b));
      const shrunk = await fc.check(
        fc.asyncProperty(arbitrary, async (request) => {
          const answer = await send(base, request);
          return judge(request, answer) === undefined;
        }),
        { seed: SEED, path: String(first.index), numRuns: REQUESTS, interruptAfterTimeLimit: 120_000 },
      );
      if (shrunk.counterexample) console.log(`  SHRUNK failing request: ${describeRequest(shrunk.counterexample[0])}`);
    }

    const wrongAnswers = failures.length;
    recordFaultRow({
      scenario: '6 random API input',
      load: `${REQUESTS} fast-check requests, ${CLIENTS} clients, ${handlers.size}/${routes.length} routes, seed ${SEED}`,
      done: 'random JSON, wrong-typed Lago fields, huge strings, unicode, deep nesting, non-JSON bytes; garbled keys, Content-Types, query strings',
      expected: `no 5xx, JSON always, Lago error body on 4xx; refused writes store nothing; RSS growth < ${MAX_RSS_GROWTH.ratio * 100} % or < ${mb(MAX_RSS_GROWTH.bytes)}`,
      measured: `${byStatus}; ${refusedWrites} writes refused; ${growth.join(', ')}; ${stored}/${ids.length} acknowledged events stored; ${rssLine}; p99 ${p99.toFixed(0)} ms`,
      lost,
      doubled,
      wrongAnswers: wrongAnswers + (memoryBounded ? 0 : 1),
    });
    expect(failures.map((f) => `#${f.index} ${f.problem}`)).toEqual([]);
    expect({ lost, doubled, memoryBounded }).toEqual({ lost: 0, doubled: 0, memoryBounded: true });
  });
});

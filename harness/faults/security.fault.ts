// Scenario 9 of issue 14, the security table, on a `--workers 2` server:
//  (a) no API key is in the database (or the server log) in clear;
//  (b) a service key revoked over JSON-2 is refused at once by both HTTP workers;
//  (c) one service's key reads and writes nothing of another service, on every route of the spec;
//  (d) a portal user and an internal user without the module's groups read no usage, webhook,
//      endpoint secret or service key over JSON-2;
//  (e) repeated bad keys are throttled per client address with Lago's 429 body; another address
//      is not, and a valid key is served whatever its address did.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooClient, OdooError } from '../clients/json2.ts';
import type { LagoClient, LagoResponse } from '../clients/lago.ts';
import { REPO_ROOT } from '../runtime/local.ts';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { specRoutes, type ApiRoute } from './api-requests.ts';
import { recordFaultRow } from './report.ts';
import { isLagoError, jsonOf, sendRaw, servingPids, type RawAnswer } from './security-http.ts';

const WORKERS = 2;
/** A owns nothing of B's: its key is the one sent in (c). */
const A = 'nexacloud';
const B = 'nexadesk';
/** The service whose key (b) revokes. */
const REVOKED = 'nexamaps';
const B_RECORDS = {
  customer: 'ws-1001',
  customerName: 'Desk Secret Workspace',
  customerEmail: 'billing@desk-secret.example',
  subscription: 'sub_desk_sec',
  plan: 'nexadesk_team',
  metric: 'nd_tickets',
  event: 'desk-sec-1',
  alert: 'desk_secret_alert',
};
const A_CUSTOMER = 'tnt_secaaa01';
const REVOKE_PROBES = 60;
const THROTTLE_LIMIT = 10;
const BAD_KEYS = 50;
const FLOODING_ADDRESS = '127.0.0.3';
const OTHER_ADDRESS = '127.0.0.2';

interface Check {
  figures: string;
  /** Answers of the wrong status or shape. */
  wrong: number;
  /** Failures that are not answers: a key stored in clear, a worker the probes never reached. */
  other?: number;
  problems: string[];
}

const ok = <T>(answer: LagoResponse<T>, what: string): T => {
  if (answer.status !== 200) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as T;
};

/** psql's rows as arrays of columns (unaligned, tab-separated). */
async function sql(billing: BillingServer, query: string): Promise<string[][]> {
  const out = await billing.runtime.postgres.client('psql', [
    '-X',
    '-q',
    '-A',
    '-t',
    '-F',
    '\t',
    '-v',
    'ON_ERROR_STOP=1',
    '-d',
    billing.db,
    '-c',
    query,
  ]);
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

/** Every stored row of service B, as table:id → md5 of the whole row. */
async function snapshotOf(billing: BillingServer, serviceId: number): Promise<Map<string, string>> {
  const orders = `SELECT id FROM sale_order WHERE fusion_service_id = ${serviceId}`;
  const endpoints = `SELECT id FROM fusion_billing_webhook_endpoint WHERE service_id = ${serviceId}`;
  const tables: [string, string][] = [
    ['fusion_billing_service', `id = ${serviceId}`],
    ['fusion_billing_account_link', `service_id = ${serviceId}`],
    ['res_partner', `id IN (SELECT partner_id FROM fusion_billing_account_link WHERE service_id = ${serviceId})`],
    ['sale_order', `fusion_service_id = ${serviceId}`],
    ['sale_order_line', `order_id IN (${orders})`],
    ['fusion_billing_usage', `service_id = ${serviceId}`],
    ['fusion_billing_alert', `service_id = ${serviceId}`],
    ['fusion_billing_metric', `service_id = ${serviceId}`],
    [
      'account_move',
      `id IN (SELECT l.move_id FROM account_move_line l JOIN sale_order_line_invoice_rel r ON r.invoice_line_id = l.id
               JOIN sale_order_line s ON s.id = r.order_line_id WHERE s.order_id IN (${orders}))`,
    ],
    ['fusion_billing_webhook_endpoint', `service_id = ${serviceId}`],
    ['fusion_billing_webhook', `endpoint_id IN (${endpoints})`],
  ];
  const rows = new Map<string, string>();
  for (const [table, where] of tables)
    for (const [id, digest] of await sql(billing, `SELECT t.id, md5(t::text) FROM ${table} t WHERE ${where} ORDER BY t.id`))
      rows.set(`${table}:${id}`, digest!);
  return rows;
}

function changedRows(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((key) => before.get(key) !== after.get(key));
}

describe('security table: hashed keys, revocation, isolation of services, ACLs, throttle', () => {
  let billing: BillingServer;
  let base: string;
  let routes: ApiRoute[];
  let bInvoice: string | undefined;
  let bCustomerLagoId = '';

  beforeAll(async () => {
    routes = specRoutes(join(REPO_ROOT, 'spec/nexa.yaml'));
    billing = await startBillingServer({
      db: 'faults_security',
      workers: WORKERS,
      services: [A, B, REVOKED],
      progress: (message) => console.log(`  ${message}`),
      onStep: (step, ms) => console.log(`  setup: ${step}: ${(ms / 1000).toFixed(1)} s`),
    });
    base = billing.server.baseUrl;
    // B's records, made with B's key: a customer, a subscription started two months ago with a
    // closed period (an invoice), an event and an alert.
    const desk: LagoClient = billing.lago(B);
    const customer = ok(
      await desk.upsertCustomer({
        external_id: B_RECORDS.customer,
        name: B_RECORDS.customerName,
        email: B_RECORDS.customerEmail,
        country: 'CA',
      }),
      'B: POST /customers',
    );
    bCustomerLagoId = customer.customer.lago_id;
    const started = new Date();
    started.setUTCMonth(started.getUTCMonth() - 2, 1);
    started.setUTCHours(0, 0, 0, 0);
    ok(
      await desk.createSubscription({
        external_customer_id: B_RECORDS.customer,
        plan_code: B_RECORDS.plan,
        external_id: B_RECORDS.subscription,
        subscription_at: started.toISOString().replace('.000Z', 'Z'),
      }),
      'B: POST /subscriptions',
    );
    ok(
      await desk.createEvent({
        transaction_id: B_RECORDS.event,
        external_subscription_id: B_RECORDS.subscription,
        code: B_RECORDS.metric,
        timestamp: Math.floor(Date.now() / 1000) - 60,
      }),
      'B: POST /events',
    );
    ok(
      await desk.request('POST', `/subscriptions/${B_RECORDS.subscription}/alerts`, {
        body: { alert: { alert_type: 'current_usage_amount', code: B_RECORDS.alert, thresholds: [{ value: '100.0' }] } },
      }),
      'B: POST /subscriptions/{id}/alerts',
    );
    const [order] = await billing.odoo.searchRead<{ id: number }>(
      'sale.order',
      [['fusion_external_id', '=', B_RECORDS.subscription]],
      ['id'],
    );
    await billing.odoo.call('sale.order', 'action_fusion_close_periods', { ids: [order!.id] });
    const invoices = ok(await desk.request<{ invoices: { lago_id: string }[] }>('GET', '/invoices'), 'B: GET /invoices');
    bInvoice = invoices.invoices[0]?.lago_id;
    console.log(`  B (${B}): customer ${B_RECORDS.customer}, subscription ${B_RECORDS.subscription}, invoice ${bInvoice ?? 'none'}`);
    ok(await billing.lago(A).upsertCustomer({ external_id: A_CUSTOMER, name: 'Security A Inc.', country: 'CA' }), 'A: POST /customers');
    // No cron may change B's rows between the snapshots of (c) (webhook deliveries, usage monitoring).
    const crons = await billing.odoo.searchRead<{ id: number }>('ir.cron', [['name', 'ilike', 'Fusion Billing']], ['id']);
    await billing.odoo.call('ir.cron', 'write', { ids: crons.map((c) => c.id), vals: { active: false } });
  });

  afterAll(async () => {
    await billing?.stop();
  });

  it('keeps keys hashed, revokes at once, isolates services, hides billing data from other users, throttles bad keys', async () => {
    const checks: Record<string, Check> = {};
    let doubled = 0;

    // ---------------------------------------------------------------- (d) users without groups
    // (first: its odoo-bin shell, which creates the users and their keys, is the slow step)
    console.log('  (d) portal and internal users over JSON-2');
    const script = [
      "Users = env['res.users'].with_context(no_reset_password=True)",
      "portal = Users.create({'name': 'Security Portal', 'login': 'sec_portal', 'group_ids': [(6, 0, [env.ref('base.group_portal').id])]})",
      "internal = Users.create({'name': 'Security Internal', 'login': 'sec_internal', 'group_ids': [(6, 0, [env.ref('base.group_user').id])]})",
      'for user in (portal, internal):',
      "    key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'security fault', None)",
      "    groups = user.has_group('fusion_billing.group_user') or user.has_group('fusion_billing.group_manager')",
      "    print('FUSION_SECURITY_KEY %s %s %s' % (user.login, key, groups), flush=True)",
      'env.cr.commit()',
      '',
    ].join('\n');
    const shellOut = await billing.runtime.shell(billing.db, script, 'security-users');
    const userKeys = new Map<string, string>();
    for (const [, login, key, groups] of shellOut.matchAll(/^FUSION_SECURITY_KEY (\S+) (\S+) (\S+)$/gm)) {
      userKeys.set(login!, key!);
      expect(groups, `${login} must have none of the module's groups`).toBe('False');
    }
    expect([...userKeys.keys()].sort()).toEqual(['sec_internal', 'sec_portal']);
    const ids = async (model: string, domain: unknown[]) =>
      (await billing.odoo.searchRead<{ id: number }>(model, domain, ['id'])).map((r) => r.id);
    const bId = billing.serviceIds[B]!;
    const bUsage = await ids('fusion.billing.usage', [['service_id', '=', bId]]);
    const bEndpoints = await ids('fusion.billing.webhook.endpoint', [['service_id', '=', bId]]);
    const bWebhooks = await ids('fusion.billing.webhook', [['endpoint_id', 'in', bEndpoints]]);
    expect(bUsage.length && bEndpoints.length && bWebhooks.length).toBeTruthy();
    const probes: { what: string; model: string; method: string; params: Record<string, unknown> }[] = [
      {
        what: 'usage',
        model: 'fusion.billing.usage',
        method: 'search_read',
        params: { domain: [], fields: ['transaction_id', 'properties'] },
      },
      { what: 'usage by id', model: 'fusion.billing.usage', method: 'read', params: { ids: bUsage, fields: ['transaction_id'] } },
      { what: 'usage count', model: 'fusion.billing.usage', method: 'search_count', params: { domain: [] } },
      { what: 'webhooks (outbox)', model: 'fusion.billing.webhook', method: 'search_read', params: { domain: [], fields: ['payload'] } },
      { what: 'webhook by id', model: 'fusion.billing.webhook', method: 'read', params: { ids: bWebhooks, fields: ['payload'] } },
      {
        what: 'webhook attempts',
        model: 'fusion.billing.webhook.attempt',
        method: 'search_read',
        params: { domain: [], fields: ['response_excerpt'] },
      },
      {
        what: 'endpoint secrets',
        model: 'fusion.billing.webhook.endpoint',
        method: 'search_read',
        params: { domain: [], fields: ['url', 'secret'] },
      },
      {
        what: 'endpoint secret by id',
        model: 'fusion.billing.webhook.endpoint',
        method: 'read',
        params: { ids: bEndpoints, fields: ['secret'] },
      },
      {
        what: 'service keys',
        model: 'fusion.billing.service',
        method: 'search_read',
        params: { domain: [], fields: ['api_key_hash', 'api_key_prefix'] },
      },
      { what: 'service key by id', model: 'fusion.billing.service', method: 'read', params: { ids: [bId], fields: ['api_key_hash'] } },
      { what: 'signing keys', model: 'fusion.billing.signing.key', method: 'search_read', params: { domain: [], fields: ['private_key'] } },
      {
        what: 'customer links',
        model: 'fusion.billing.account.link',
        method: 'search_read',
        params: { domain: [], fields: ['external_id'] },
      },
      { what: 'alerts', model: 'fusion.billing.alert', method: 'search_read', params: { domain: [], fields: ['code'] } },
      {
        what: 'subscriptions',
        model: 'sale.order',
        method: 'search_read',
        params: { domain: [['fusion_service_id', '!=', false]], fields: ['fusion_external_id'] },
      },
    ];
    const aclProblems: string[] = [];
    const aclOutcomes = new Map<string, number>();
    for (const [login, key] of userKeys) {
      const client = new OdooClient({ baseUrl: base, db: billing.db, apiKey: key });
      for (const probe of probes) {
        let outcome: string;
        try {
          const result = await client.call<unknown>(probe.model, probe.method, probe.params);
          const empty = Array.isArray(result) ? result.length === 0 : result === 0;
          outcome = empty ? 'empty' : 'READ';
          if (!empty) aclProblems.push(`${login} read ${probe.what}: ${JSON.stringify(result).slice(0, 200)}`);
        } catch (error) {
          if (!(error instanceof OdooError)) throw error;
          outcome = `${error.status} ${error.odooName.replace('odoo.exceptions.', '') || 'error'}`;
          if (![401, 403].includes(error.status)) aclProblems.push(`${login} ${probe.what}: ${outcome} ${error.message.slice(0, 200)}`);
        }
        aclOutcomes.set(`${login}: ${outcome}`, (aclOutcomes.get(`${login}: ${outcome}`) ?? 0) + 1);
      }
    }
    checks.acl = {
      figures: `${probes.length} JSON-2 reads × 2 users: ${[...aclOutcomes].map(([k, n]) => `${k}×${n}`).join(', ')}`,
      wrong: aclProblems.length,
      problems: aclProblems,
    };

    // ---------------------------------------------------------------- (c) A's key on B's records
    console.log(`  (c) ${A}'s key on every route, naming ${B}'s records`);
    const before = await snapshotOf(billing, bId);
    const aKey = billing.serviceKeys[A]!;
    const timestamp = Math.floor(Date.now() / 1000);
    const bEvent = { transaction_id: B_RECORDS.event, external_subscription_id: B_RECORDS.subscription, code: B_RECORDS.metric, timestamp };
    const bodies: Record<string, unknown> = {
      create_event: { event: bEvent },
      create_events_batch: {
        events: [bEvent, { ...bEvent, transaction_id: 'a-on-b-2', code: 'nd_agents', properties: { agent_id: 'x' } }],
      },
      upsert_customer: { customer: { external_id: B_RECORDS.customer, name: 'Hijacked by A', email: 'a@example.com', country: 'CA' } },
      create_subscription: {
        subscription: { external_customer_id: B_RECORDS.customer, plan_code: B_RECORDS.plan, external_id: B_RECORDS.subscription },
      },
      update_subscription: { subscription: { name: 'Renamed by A', ending_at: '2099-01-01T00:00:00Z' } },
      update_lifetime_usage: { lifetime_usage: { external_historical_usage_amount_cents: 1000 } },
      create_alert: { alert: { alert_type: 'current_usage_amount', code: 'a_on_b', thresholds: [{ value: '1.0' }] } },
    };
    /** Routes that serve A's own data (lists, the company's public key, past usage): 200 with nothing of B's in it. */
    const listing = new Set([
      'list_customers',
      'list_subscriptions',
      'list_invoices',
      'list_billable_metrics',
      'list_plans',
      'webhook_public_key',
      'webhook_json_public_key',
      // Lago's PastUsageQuery filters by organization: an unknown customer has no past usage (200, empty).
      'past_usage',
    ]);
    const bMarkers = [
      B_RECORDS.customer,
      B_RECORDS.customerName,
      B_RECORDS.customerEmail,
      B_RECORDS.subscription,
      B_RECORDS.plan,
      B_RECORDS.metric,
      B_RECORDS.alert,
      bCustomerLagoId,
      ...(bInvoice ? [bInvoice] : []),
    ].filter(Boolean);
    const pathFor = (route: ApiRoute) =>
      route.path.replace(/\{([a-z_]+)(:path)?\}/g, (_m, name: string) => {
        const resource = route.path.split('/')[3];
        const value =
          name === 'external_customer_id'
            ? B_RECORDS.customer
            : name === 'external_id'
              ? B_RECORDS.subscription
              : name === 'transaction_id'
                ? B_RECORDS.event
                : name === 'lago_id'
                  ? (bInvoice ?? '00000000-0000-0000-0000-000000000000')
                  : resource === 'billable_metrics'
                    ? B_RECORDS.metric
                    : resource === 'plans'
                      ? B_RECORDS.plan
                      : B_RECORDS.alert;
        return encodeURIComponent(value);
      });
    const isolationProblems: string[] = [];
    const isolationStatuses = new Map<number, number>();
    const requests: { route: ApiRoute; path: string }[] = [];
    for (const route of routes) {
      // Lago's usage routes name the subscription in the query (400 without it).
      const usage = route.handler === 'current_usage' || route.handler === 'past_usage';
      requests.push({ route, path: `${pathFor(route)}${usage ? `?external_subscription_id=${B_RECORDS.subscription}` : ''}` });
      if (route.handler === 'list_subscriptions' || route.handler === 'list_invoices')
        requests.push({ route, path: `${route.path}?external_customer_id=${B_RECORDS.customer}` });
    }
    for (const { route, path } of requests) {
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : JSON.stringify(bodies[route.handler] ?? {});
      const answer = await sendRaw({
        method: route.method,
        url: `${base}${path}`,
        headers: { Authorization: `Bearer ${aKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body,
      });
      isolationStatuses.set(answer.status, (isolationStatuses.get(answer.status) ?? 0) + 1);
      const leaked = bMarkers.filter((marker) => answer.text.includes(marker) && !path.includes(encodeURIComponent(marker)));
      const expected = listing.has(route.handler)
        ? answer.status === 200 || [404, 422].includes(answer.status)
        : [401, 404, 422].includes(answer.status);
      const shaped = answer.status < 400 || isLagoError(answer);
      if (!expected || !shaped || leaked.length)
        isolationProblems.push(
          `${route.method} ${path}: ${answer.status}${leaked.length ? ` naming ${leaked.join(', ')}` : ''} ${answer.text.slice(0, 200)}`,
        );
    }
    const after = await snapshotOf(billing, bId);
    const changed = changedRows(before, after);
    doubled += changed.length;
    const statusLine = [...isolationStatuses.entries()]
      .sort(([x], [y]) => x - y)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    checks.isolation = {
      figures: `${requests.length} requests over ${new Set(requests.map((r) => r.route.handler)).size}/${routes.length} routes with ${A}'s key on ${B}'s records: ${statusLine}; ${before.size} rows of ${B} snapshotted, ${changed.length} changed`,
      wrong: isolationProblems.length,
      problems: [...isolationProblems, ...changed.map((row) => `row of ${B} changed: ${row}`)],
    };

    // ---------------------------------------------------------------- (a) hashed storage
    console.log('  (a) no key in clear in the database or the log');
    const dump = await billing.runtime.postgres.client('pg_dump', ['--data-only', '--no-owner', '-d', billing.db]);
    const secrets = [
      ...Object.entries(billing.serviceKeys).map(([code, key]) => ({ what: `service key of ${code}`, text: key.slice(10) })),
      { what: 'admin JSON-2 key', text: billing.adminKey.slice(8) },
      ...[...userKeys].map(([login, key]) => ({ what: `JSON-2 key of ${login}`, text: key.slice(8) })),
    ];
    const logs = billing.server.logs();
    const inClear = secrets.filter((secret) => dump.includes(secret.text) || logs.includes(secret.text));
    const [[storedDigests]] = (await sql(billing, `SELECT count(*) FROM fusion_billing_service WHERE api_key_hash ~ '^[0-9a-f]{64}$'`)) as [
      [string],
    ];
    checks.hashed = {
      figures: `${secrets.length} keys searched in a ${(dump.length / 2 ** 20).toFixed(1)} MB pg_dump and ${(logs.length / 1024).toFixed(0)} kB of server log: ${inClear.length} in clear; ${storedDigests} services store a SHA-256 digest`,
      wrong: 0,
      other: inClear.length + (Number(storedDigests) >= 3 ? 0 : 1),
      problems: inClear.map((secret) => `${secret.what} found in clear`),
    };

    // ---------------------------------------------------------------- (b) revocation
    console.log(`  (b) revoke ${REVOKED}'s key over JSON-2, then ${REVOKE_PROBES} requests`);
    const revokedKey = billing.serviceKeys[REVOKED]!;
    // Rotating source addresses (5 requests each) keep the revoked key's 401s under the throttle.
    const probe = (marker: string, i: number) =>
      sendRaw({
        method: 'GET',
        url: `${base}/api/v1/billable_metrics?probe=${marker}-${i}`,
        headers: { Authorization: `Bearer ${revokedKey}` },
        localAddress: `127.0.0.${10 + (i % 12)}`,
      });
    const burst = async (marker: string, count: number) => {
      const answers: RawAnswer[] = [];
      for (let i = 0; i < count; i += 6)
        answers.push(...(await Promise.all(Array.from({ length: Math.min(6, count - i) }, (_, j) => probe(marker, i + j)))));
      return answers;
    };
    const warm = await burst('warm', 24);
    const warmPids = servingPids(billing.server.logs(), 'probe=warm-');
    await billing.odoo.call('fusion.billing.service', 'action_revoke_api_key', { ids: [billing.serviceIds[REVOKED]!] });
    const revokedAt = performance.now();
    const answers = await burst('revoked', REVOKE_PROBES);
    const revokeMs = performance.now() - revokedAt;
    const revokedPids = servingPids(billing.server.logs(), 'probe=revoked-');
    const notRefused = answers.filter((a) => a.status !== 401 || !isLagoError(a)).length;
    checks.revocation = {
      figures: `before: ${warm.filter((a) => a.status === 200).length}/${warm.length} 200 on ${warmPids.size} workers; after revoking: ${answers.length - notRefused}/${answers.length} Lago 401 within ${(revokeMs / 1000).toFixed(1)} s, on ${revokedPids.size} workers (${[...revokedPids.values()].join('+')} requests)`,
      wrong: notRefused + warm.filter((a) => a.status !== 200).length,
      other: revokedPids.size < WORKERS ? 1 : 0,
      problems: [
        ...warm.filter((a) => a.status !== 200).map((a) => `the key before its revocation answered ${a.status} ${a.text.slice(0, 100)}`),
        ...answers
          .filter((a) => a.status !== 401 || !isLagoError(a))
          .map((a) => `revoked key answered ${a.status} ${a.text.slice(0, 100)}`),
        ...(revokedPids.size < WORKERS ? [`the probes reached ${revokedPids.size} of ${WORKERS} workers`] : []),
      ],
    };

    // ---------------------------------------------------------------- (e) throttle
    console.log(`  (e) ${BAD_KEYS} bad keys from ${FLOODING_ADDRESS}, then ${OTHER_ADDRESS}`);
    const bad = (address: string, i: number) =>
      sendRaw({
        method: 'GET',
        url: `${base}/api/v1/plans?probe=throttle-${address}-${i}`,
        headers: { Authorization: `Bearer fb_bad-key-${i}` },
        localAddress: address,
      });
    const flood: RawAnswer[] = [];
    for (let i = 0; i < BAD_KEYS; i++) flood.push(await bad(FLOODING_ADDRESS, i));
    const floodPids = servingPids(billing.server.logs(), `probe=throttle-${FLOODING_ADDRESS}-`);
    const throttleProblems: string[] = [];
    flood.forEach((answer, i) => {
      const want = i < THROTTLE_LIMIT ? 401 : 429;
      const shaped =
        want === 401
          ? isLagoError(answer) && JSON.stringify(jsonOf(answer)) === '{"status":401,"error":"Unauthorized"}'
          : isLagoError(answer, 'too_many_requests') &&
            (jsonOf(answer) as { error?: string }).error === 'Too Many Requests' &&
            Number(answer.headers['retry-after']) >= 1 &&
            Number(answer.headers['retry-after']) <= 60;
      if (answer.status !== want || !shaped)
        throttleProblems.push(`bad key #${i + 1} from ${FLOODING_ADDRESS}: ${answer.status} ${answer.text.slice(0, 120)}`);
    });
    const others = await Promise.all(Array.from({ length: 5 }, (_, i) => bad(OTHER_ADDRESS, i)));
    others.forEach((answer, i) => {
      if (answer.status !== 401 || !isLagoError(answer)) throttleProblems.push(`bad key #${i + 1} from ${OTHER_ADDRESS}: ${answer.status}`);
    });
    const good = await sendRaw({
      method: 'GET',
      url: `${base}/api/v1/plans`,
      headers: { Authorization: `Bearer ${aKey}` },
      localAddress: FLOODING_ADDRESS,
    });
    if (good.status !== 200) throttleProblems.push(`a valid key from the throttled ${FLOODING_ADDRESS}: ${good.status}`);
    const [[rows]] = (await sql(billing, `SELECT count(*) FROM fusion_billing_auth_failure WHERE address = '${FLOODING_ADDRESS}'`)) as [
      [string],
    ];
    const count = (list: RawAnswer[], status: number) => list.filter((a) => a.status === status).length;
    const retryAfters = flood.filter((a) => a.status === 429).map((a) => Number(a.headers['retry-after']));
    checks.throttle = {
      figures: `${BAD_KEYS} bad keys from ${FLOODING_ADDRESS} over ${floodPids.size} workers: ${count(flood, 401)}×401 then ${count(flood, 429)}×429 (Retry-After ${Math.min(...retryAfters)}–${Math.max(...retryAfters)} s), ${rows} failures stored; ${OTHER_ADDRESS}: ${count(others, 401)}/${others.length} 401; valid key from ${FLOODING_ADDRESS}: ${good.status}`,
      wrong: throttleProblems.length,
      problems: throttleProblems,
    };

    for (const [name, check] of Object.entries(checks)) {
      console.log(`  ${name}: ${check.figures}`);
      for (const problem of check.problems.slice(0, 20)) console.log(`    PROBLEM ${problem}`);
    }
    const wrongAnswers = Object.values(checks).reduce((n, check) => n + check.wrong, 0);
    const otherFailures = Object.values(checks).reduce((n, check) => n + (check.other ?? 0), 0);
    recordFaultRow({
      scenario: '9 security table',
      load: `--workers ${WORKERS}; services ${A} (A), ${B} (B), ${REVOKED}; ${routes.length} routes; 2 users without the module's groups`,
      done: `(a) keys searched in pg_dump and log; (b) key revoked over JSON-2 then ${REVOKE_PROBES} requests; (c) A's key on B's records, every route; (d) JSON-2 reads as portal/internal user; (e) ${BAD_KEYS} bad keys from one address, then another`,
      expected: `no key in clear; revoked key 401 at once on every worker; A gets 401/404/422 (lists: only its own data), B unchanged; AccessError or nothing read; 401 ×${THROTTLE_LIMIT} then Lago 429 with Retry-After, other address 401, valid key 200`,
      measured: Object.entries(checks)
        .map(([name, check]) => `${name}: ${check.figures}`)
        .join('; '),
      lost: 0,
      doubled,
      wrongAnswers,
      otherFailures,
    });
    expect(Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, check.problems]))).toEqual({
      acl: [],
      isolation: [],
      hashed: [],
      revocation: [],
      throttle: [],
    });
  });
});

// Rating speed of the usage engine against PostgreSQL's own aggregation of the same rows:
//   npx tsx harness/bench/rating.ts [--events 1000000] [--subscriptions 1000] [--runs 3] [--keep]
// Creates the subscriptions with the module's own code (odoo-bin shell), writes the usage rows
// straight into fusion_billing_usage with COPY (last calendar month, UTC customers), then times
// (a) the engine rating every subscription in one call (sale.order._fusion_rate, private, hence
// odoo-bin shell; the time is taken inside the script, not counting Odoo's start) and
// (b) a bare SQL GROUP BY order_id, metric_id over the same rows, and prints them side by side.
// Target: (a) <= 2 x (b). Where the engine's time goes is printed too (per query, EXPLAIN ANALYZE).
import { once } from 'node:events';
import { prepareBillingDatabase } from '../runtime/billing-database.ts';
import { LocalRuntime } from '../runtime/local.ts';
import { numberOption } from './load.ts';

const args = process.argv.slice(2);
const eventCount = numberOption(args, 'events', 1_000_000);
const subscriptionCount = numberOption(args, 'subscriptions', 1000);
const runs = Math.max(1, numberOption(args, 'runs', 3));
const TARGET_RATIO = 2;

// Share of the rows per metric of nexacloud_pro, and how each metric's property is drawn, with
// the units ingestion stores for it (the property's number; none for a count metric).
type Drawn = { properties: string; value: string };
const METRIC_MIX: ReadonlyArray<{ code: string; share: number; draw: (random: () => number) => Drawn }> = [
  {
    code: 'nc_api_requests',
    share: 0.7,
    draw: (random) => ({ properties: JSON.stringify({ region: random() < 0.5 ? 'ca-central' : 'us-east' }), value: '' }),
  },
  { code: 'nc_egress_gb', share: 0.15, draw: (random) => numeric('gb', (Math.floor(random() * 10_000) / 100).toFixed(2)) },
  { code: 'nc_peak_vcpu', share: 0.1, draw: (random) => numeric('vcpus', 1 + Math.floor(random() * 48)) },
  { code: 'nc_storage_gb', share: 0.05, draw: (random) => numeric('gb', String(1 + Math.floor(random() * 20))) },
];

const WEIGHTED_METRIC = 'nc_storage_gb';

function milliToDecimal(milli: bigint): string {
  const sign = milli < 0n ? '-' : '';
  const digits = (milli < 0n ? -milli : milli).toString().padStart(4, '0');
  return `${sign}${digits.slice(0, -3)}.${digits.slice(-3)}`;
}

function numeric(field: string, value: string | number): Drawn {
  return { properties: JSON.stringify({ [field]: value }), value: String(value) };
}

const log = (line: string): void => console.log(line);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  // --keep leaves PostgreSQL and the database in place, to study the queries with psql.
  const runtime = new LocalRuntime({ keep: args.includes('--keep') });
  try {
    const started = performance.now();
    await runtime.start();
    const db = 'bench_rating';
    await prepareBillingDatabase(runtime, db, { onStep: (step, ms) => log(`  setup: ${step} ${seconds(ms)}`) });
    const now = new Date();
    const periodStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
    const periodEnd = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);

    let step = performance.now();
    const ids = parseMarked<{ orders: number[]; metrics: Record<string, number>; service: number; company: number }>(
      await runtime.shell(db, subscriptionsScript(subscriptionCount, periodStart), 'subscriptions'),
      'SUBSCRIPTIONS',
    );
    log(`  setup: ${ids.orders.length} subscriptions through _fusion_create_subscription ${seconds(performance.now() - step)}`);

    step = performance.now();
    await copyUsage(runtime, db, ids, periodStart, periodEnd);
    log(`  setup: COPY of ${eventCount.toLocaleString('en-US')} usage rows + ANALYZE ${seconds(performance.now() - step)}`);

    const sqlBare = await timeSql(
      runtime,
      db,
      `SELECT order_id, metric_id, COUNT(*) FROM fusion_billing_usage WHERE "timestamp" >= '${sqlTime(periodStart)}' AND "timestamp" < '${sqlTime(periodEnd)}' GROUP BY order_id, metric_id`,
    );
    const sqlValues = await timeSql(
      runtime,
      db,
      `SELECT order_id, metric_id, COUNT(*), COUNT(value), SUM(value), MAX(value) FROM fusion_billing_usage WHERE "timestamp" >= '${sqlTime(periodStart)}' AND "timestamp" < '${sqlTime(periodEnd)}' GROUP BY order_id, metric_id`,
    );
    const engine = parseMarked<EngineResult>(await runtime.shell(db, engineScript(periodStart, periodEnd, runs), 'rating'), 'RATING');

    const ratio = engine.best_ms / sqlBare.bestMs;
    log('');
    log(
      `rows: ${eventCount.toLocaleString('en-US')} usage rows over ${ids.orders.length} subscriptions x 4 metrics, one month; best of ${runs} warm runs`,
    );
    log(
      `(a) engine: sale.order._fusion_rate, all ${engine.orders} subscriptions in one call   ${seconds(engine.best_ms)}   (runs: ${engine.runs_ms.map((ms) => seconds(ms)).join(', ')})`,
    );
    log(`      of which SQL aggregation (${engine.queries.length} queries)                          ${seconds(engine.sql_ms)}`);
    log(`      of which Python (ORM, pricing)                                      ${seconds(engine.best_ms - engine.sql_ms)}`);
    log(`        charge properties parsed (loads_decimal_json)                    ${seconds(engine.python_ms.properties)}`);
    log(
      `        fee_for_charge (${engine.python_ms.fees} computed; equal usage of a charge is priced once)  ${seconds(engine.python_ms.pricing)}`,
    );
    for (const query of engine.queries) log(`      ${query.label.padEnd(46)} ${seconds(query.ms)}  (${query.rows} results)`);
    log(`(b) bare SQL: GROUP BY order_id, metric_id, COUNT(*)                     ${seconds(sqlBare.bestMs)}`);
    log(`    SQL with the values: + COUNT/SUM/MAX of the events' stored units       ${seconds(sqlValues.bestMs)}`);
    log(`ratio (a)/(b): ${ratio.toFixed(2)}   (a)/(values): ${(engine.best_ms / sqlValues.bestMs).toFixed(2)}`);
    const counted = Object.values(engine.events_counted).reduce((sum, count) => sum + count, 0);
    log(
      `check: the engine counted ${counted.toLocaleString('en-US')} events (${JSON.stringify(engine.events_counted)}) of ${engine.rows_in_period.toLocaleString('en-US')} rows in the period`,
    );
    log(`target rating <= ${TARGET_RATIO} x bare GROUP BY: ${ratio <= TARGET_RATIO ? 'MET' : 'MISSED'} (${ratio.toFixed(2)} x)`);
    if (ratio > TARGET_RATIO && engine.slowest_plan) {
      log(`\nEXPLAIN ANALYZE of the slowest engine query (${engine.queries.reduce((a, b) => (a.ms >= b.ms ? a : b)).label}):`);
      log(
        engine.slowest_plan
          .split('\n')
          .map((line) => `    ${line}`)
          .join('\n'),
      );
    }
    log(`\ntotal ${seconds(performance.now() - started)}`);
  } finally {
    await runtime.stop();
  }
}

interface EngineResult {
  orders: number;
  runs_ms: number[];
  best_ms: number;
  sql_ms: number;
  queries: { label: string; ms: number; rows: number }[];
  events_counted: Record<string, number>;
  rows_in_period: number;
  slowest_plan?: string;
  python_ms: { properties: number; pricing: number; fees: number };
}

function parseMarked<T>(stdout: string, marker: string): T {
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(`${marker} `));
  if (!line) throw new Error(`the script printed no ${marker} line:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(marker.length + 1)) as T;
}

function sqlTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function subscriptionsScript(count: number, startMs: number): string {
  return `
import json
from datetime import datetime
service = env.ref('fusion_billing.service_nexacloud')
plan = env.ref('fusion_billing.plan_nexacloud_pro')
ca, on = env.ref('base.ca'), env.ref('base.state_ca_on')
partners = env['res.partner'].create([
    {'name': f'Rating bench {i}', 'tz': 'UTC', 'country_id': ca.id, 'state_id': on.id} for i in range(${count})])
started = datetime.utcfromtimestamp(${startMs / 1000})
orders = [env['sale.order']._fusion_create_subscription(service, partner, plan, f'rate_sub_{i}', started_at=started).id
          for i, partner in enumerate(partners)]
env.cr.commit()
metrics = {m.code: m.id for m in service.metric_ids}
print('SUBSCRIPTIONS ' + json.dumps({'orders': orders, 'metrics': metrics, 'service': service.id}), flush=True)
`;
}

/** COPY straight into fusion_billing_usage, as ingestion would have stored them. */
async function copyUsage(
  runtime: LocalRuntime,
  db: string,
  ids: { orders: number[]; metrics: Record<string, number>; service: number },
  startMs: number,
  endMs: number,
): Promise<void> {
  let seed = 42;
  // A fixed LCG: the same rows on every run.
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const thresholds: number[] = [];
  let cumulative = 0;
  for (const metric of METRIC_MIX) {
    cumulative += metric.share;
    thresholds.push(cumulative);
  }
  const created = sqlTime(Date.now());
  await runtime.postgres.client('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db], async (input) => {
    input.write(
      'COPY fusion_billing_usage (service_id, metric_id, external_subscription_id, order_id, transaction_id, "timestamp", properties, value, moment, late, received_at) FROM STDIN WITH (FORMAT csv);\n',
    );
    let buffer = '';
    for (let index = 0; index < eventCount; index += 1) {
      const orderIndex = index % ids.orders.length;
      const pick = random();
      const metric = METRIC_MIX[thresholds.findIndex((threshold) => pick < threshold)] ?? METRIC_MIX[0]!;
      const atMs = startMs + Math.floor(random() * (endMs - startMs));
      const at = sqlTime(atMs);
      const drawn = metric.draw(random);
      const properties = `"${drawn.properties.replace(/"/g, '""')}"`;
      // Weighted sums also store units x Unix time (whole units here: exact in integers of ms).
      const moment = metric.code === WEIGHTED_METRIC ? milliToDecimal(BigInt(drawn.value) * BigInt(atMs)) : '';
      buffer += `${ids.service},${ids.metrics[metric.code]},rate_sub_${orderIndex},${ids.orders[orderIndex]},r-${index},${at},${properties},${drawn.value},${moment},f,${created}\n`;
      if (buffer.length > 1 << 20) {
        if (!input.write(buffer)) await once(input, 'drain');
        buffer = '';
      }
    }
    input.write(`${buffer}\\.\nANALYZE fusion_billing_usage;\n`);
  });
}

/** Best wall time of `runs` executions measured by the server (psql \\timing), warm. */
async function timeSql(runtime: LocalRuntime, db: string, sql: string): Promise<{ bestMs: number }> {
  const script = `\\timing on\n${Array.from({ length: runs + 1 }, () => `${sql};`).join('\n')}\n`;
  const output = await runtime.postgres.client('psql', ['-X', '-q', '-o', '/dev/null', '-d', db], script);
  // \\timing lines go to stdout even with -o: "Time: 123.456 ms". The first run warms the cache.
  const times = [...output.matchAll(/^Time: ([\d.]+) ms/gm)].map((match) => Number(match[1]));
  if (times.length < 2) throw new Error(`no timings from psql:\n${output}`);
  return { bestMs: Math.min(...times.slice(1)) };
}

function engineScript(startMs: number, endMs: number, runs: number): string {
  return `
import json, time
from datetime import datetime, timezone
from odoo.addons.fusion_billing.models import sale_order_usage
from odoo.addons.fusion_billing.rating.periods import Period

start = datetime.fromtimestamp(${startMs / 1000}, timezone.utc)
end = datetime.fromtimestamp(${endMs / 1000}, timezone.utc)
period = Period(start, end, int((end - start).total_seconds()))
orders = env['sale.order'].search([('fusion_external_id', '=like', 'rate_sub_%')])
period_of = {order.id: period for order in orders}

# Time each aggregation call (the one pass, or one query per metric) and keep its SQL for EXPLAIN.
originals_sql = (sale_order_usage.aggregate_one_pass, sale_order_usage.aggregate_orders)
queries = []
def timed_sql(function, label):
    def wrapper(cr, *args, **kwargs):
        executed = []
        execute = cr.execute
        def capture(query, params=None, log_exceptions=True):
            executed.append((query, params))
            return execute(query, params, log_exceptions)
        cr.execute = capture
        t0 = time.perf_counter()
        try:
            result = function(cr, *args, **kwargs)
        finally:
            cr.execute = execute
        queries.append({'label': label(args, kwargs), 'ms': (time.perf_counter() - t0) * 1000, 'rows': len(result), 'sql': executed})
        return result
    return wrapper
sale_order_usage.aggregate_one_pass = timed_sql(originals_sql[0], lambda args, kwargs: 'one pass: ' + ', '.join(sorted({m.aggregation_type for m in args[0]})))
sale_order_usage.aggregate_orders = timed_sql(originals_sql[1], lambda args, kwargs: kwargs['aggregation_type'])

# Time the Python side too: charge properties parsing and the pricing itself.
python_ms = {'properties': 0.0, 'pricing': 0.0, 'fees': 0}
def timed(function, bucket):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            python_ms[bucket] += (time.perf_counter() - t0) * 1000
            if bucket == 'pricing':
                python_ms['fees'] += 1
    return wrapper
originals = (sale_order_usage.loads_decimal_json, sale_order_usage.fee_for_charge)
sale_order_usage.loads_decimal_json = timed(originals[0], 'properties')
sale_order_usage.fee_for_charge = timed(originals[1], 'pricing')

measured = []
for _ in range(${runs + 1}):
    queries = []
    python_ms = {'properties': 0.0, 'pricing': 0.0, 'fees': 0}
    env.invalidate_all()
    t0 = time.perf_counter()
    rated = orders._fusion_rate(period_of)
    measured.append(((time.perf_counter() - t0) * 1000, queries, python_ms))
measured = measured[1:]  # the first run warms the caches
sale_order_usage.aggregate_one_pass, sale_order_usage.aggregate_orders = originals_sql
sale_order_usage.loads_decimal_json, sale_order_usage.fee_for_charge = originals
runs_ms = [ms for ms, _, _ in measured]
best_ms, queries, python_ms = min(measured, key=lambda run: run[0])

events_counted = {}
for charge_usages in rated.values():
    for cu in charge_usages:
        code = cu.charge.metric_id.code
        events_counted[code] = events_counted.get(code, 0) + cu.usage.events_count
env.cr.execute("SELECT COUNT(*) FROM fusion_billing_usage WHERE timestamp >= %s AND timestamp < %s",
               [start.replace(tzinfo=None), end.replace(tzinfo=None)])
rows_in_period = env.cr.fetchone()[0]

def explain(query, params):
    env.cr.execute('EXPLAIN (ANALYZE, BUFFERS) ' + query, params)
    return [row[0] for row in env.cr.fetchall()]

slowest = max(queries, key=lambda q: q['ms'])
# The call's first statement is its aggregation (a recurring weighted_sum adds its opening values).
plan = explain(*slowest['sql'][0]) if slowest['sql'] else None

print('RATING ' + json.dumps({
    'orders': len(orders), 'runs_ms': runs_ms, 'best_ms': best_ms,
    'sql_ms': sum(q['ms'] for q in queries),
    'queries': [{'label': q['label'], 'ms': q['ms'], 'rows': q['rows']} for q in queries],
    'events_counted': events_counted, 'rows_in_period': rows_in_period,
    'slowest_plan': '\\n'.join(plan) if plan else None, 'python_ms': python_ms,
}), flush=True)
`;
}

await main();

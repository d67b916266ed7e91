// Ingestion throughput of the Lago-shaped API, beside what the stack under it can do:
//   npx tsx harness/bench/ingest.ts [--workers N] [--batch 100] [--seconds 10] [--clients 4]
// Prints, for the same server and run: Odoo's own trivial JSON-2 call rate (res.partner
// search_read limit 1), single-event and batch ingestion rates through /api/v1/events[/batch],
// and PostgreSQL inserting the same rows into a scratch copy of the table (same columns, indexes
// and foreign keys): one COPY, and multi-row INSERTs of the batch size from as many sessions.
// Targets: batch >= 20,000 events/s; single-event rate >= 90% of the trivial JSON-2 rate.
import { cpus, loadavg } from 'node:os';
import type { LagoClient, LagoEventInput } from '../clients/lago.ts';
import { okBody } from '../clients/lago.ts';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { formatRate, latencySummary, numberOption, runLoad, type LoadResult } from './load.ts';

const args = process.argv.slice(2);
const workers = numberOption(args, 'workers', 0);
const batchSize = numberOption(args, 'batch', 100);
const seconds = numberOption(args, 'seconds', 10);
const clients = numberOption(args, 'clients', 4);
const WARMUP_SECONDS = 2;
const BATCH_TARGET = 20_000;
const SINGLE_TARGET_SHARE = 0.9;

const log = (line: string): void => console.log(line);
const setupLog: string[] = [];


async function benchmark(billing: BillingServer): Promise<void> {
  const lago = billing.lago('nexacloud');
  setupLog.forEach((line) => log(line));
  const subscriptions = await createSubscriptions(lago, clients);
  const nowSeconds = (): number => Math.floor(Date.now() / 1000);
  const event = (phase: string, client: number, iteration: number, index: number): LagoEventInput => ({
    transaction_id: `${phase}-${client}-${iteration}-${index}`,
    external_subscription_id: subscriptions[client]!,
    code: 'nc_api_requests',
    timestamp: nowSeconds(),
    properties: { region: index % 2 ? 'ca-central' : 'us-east' },
  });

  const json2Call = async (): Promise<number> => {
    await billing.odoo.searchRead('res.partner', [], ['name'], { limit: 1 });
    return 1;
  };
  const single = (phase: string) => async (client: number, iteration: number): Promise<number> => {
    okBody(await lago.createEvent(event(phase, client, iteration, 0)), 'POST /events');
    return 1;
  };
  const batch = (phase: string) => async (client: number, iteration: number): Promise<number> => {
    const events = Array.from({ length: batchSize }, (_, index) => event(phase, client, iteration, index));
    okBody(await lago.createEventsBatch(events), 'POST /events/batch');
    return batchSize;
  };

  log(`\nserver mode: ${billing.mode} | clients: ${clients} | batch size: ${batchSize} | ${seconds} s per phase (+${WARMUP_SECONDS} s warm-up) | ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`);
  await runLoad({ clients, seconds: WARMUP_SECONDS, task: json2Call });
  const json2 = await runLoad({ clients, seconds, task: json2Call });
  await runLoad({ clients, seconds: WARMUP_SECONDS, task: single('warm-single') });
  const singles = await runLoad({ clients, seconds, task: single('single') });
  await runLoad({ clients, seconds: WARMUP_SECONDS, task: batch('warm-batch') });
  const batches = await runLoad({ clients, seconds, task: batch('batch') });

  const stored = await storedCount(billing, ['single-%', 'batch-%']);
  const acknowledged = singles.units + batches.units;
  const raw = await rawInserts(billing, batches.units, batchSize, clients, subscriptions);

  const rate = (result: LoadResult): number => result.units / result.seconds;
  const json2Rate = rate(json2);
  const singleRate = rate(singles);
  const batchRate = rate(batches);
  log('');
  log(`JSON-2 res.partner search_read limit 1     ${formatRate(json2Rate).padStart(9)} calls/s   (${latencySummary(json2)})`);
  log(`POST /api/v1/events, 1 event per request   ${formatRate(singleRate).padStart(9)} events/s  (${latencySummary(singles)}; ${((singleRate / json2Rate) * 100).toFixed(1)}% of the JSON-2 rate)`);
  log(`POST /api/v1/events/batch, ${batchSize} per request ${formatRate(batchRate).padStart(9)} events/s  (${formatRate(batches.requests / batches.seconds)} requests/s, ${latencySummary(batches)})`);
  log(`PostgreSQL COPY of the same ${batches.units} rows      ${formatRate(raw.copyRate).padStart(9)} rows/s    (1 session)`);
  log(`PostgreSQL INSERT ${batchSize} rows per statement   ${formatRate(raw.insertRate).padStart(9)} rows/s    (${clients} sessions, autocommit, ON CONFLICT DO NOTHING)`);
  log(`stored by the API: ${stored} of ${acknowledged} acknowledged events`);
  log('');
  log(`target batch ingestion >= ${formatRate(BATCH_TARGET)} events/s: ${batchRate >= BATCH_TARGET ? 'MET' : 'MISSED'} (${formatRate(batchRate)})`);
  log(`target single-event rate >= ${SINGLE_TARGET_SHARE * 100}% of the JSON-2 rate: ${singleRate >= SINGLE_TARGET_SHARE * json2Rate ? 'MET' : 'MISSED'} (${((singleRate / json2Rate) * 100).toFixed(1)}%)`);
  if (stored !== acknowledged) throw new Error(`the API acknowledged ${acknowledged} events but stored ${stored}`);
}

async function createSubscriptions(lago: LagoClient, count: number): Promise<string[]> {
  const monthStart = new Date();
  monthStart.setUTCDate(1);
  monthStart.setUTCHours(0, 0, 0, 0);
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const customer = `tnt_bench${String(index).padStart(4, '0')}`;
    okBody(await lago.upsertCustomer({ external_id: customer, name: `Bench ${index}`, country: 'CA', state: 'ON', timezone: 'UTC' }), 'POST /customers');
    const external_id = `bench_sub_${index}`;
    okBody(await lago.createSubscription({ external_customer_id: customer, plan_code: 'nexacloud_pro', external_id, subscription_at: monthStart.toISOString() }), 'POST /subscriptions');
    ids.push(external_id);
  }
  return ids;
}

async function storedCount(billing: BillingServer, patterns: string[]): Promise<number> {
  const domain: unknown[] = [...patterns.slice(1).map(() => '|'), ...patterns.map((pattern) => ['transaction_id', '=like', pattern])];
  return billing.odoo.searchCount('fusion.billing.usage', domain);
}

const COLUMNS = 'service_id, company_id, metric_id, external_subscription_id, transaction_id, "timestamp", properties, order_id, late, create_uid, create_date, write_uid, write_date';

/** The same rows as the batch phase, written by PostgreSQL alone into a scratch copy of the table. */
async function rawInserts(billing: BillingServer, rows: number, batchSize: number, sessions: number, subscriptions: string[]) {
  const pg = billing.runtime.postgres;
  const psql = (sql: string, stdin?: string | ((input: NodeJS.WritableStream) => Promise<void>)) =>
    pg.client('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', billing.db, ...(sql ? ['-c', sql] : [])], stdin);
  const ids = (await psql(`SELECT s.id, s.company_id, m.id FROM fusion_billing_service s JOIN fusion_billing_metric m ON m.service_id = s.id AND m.code = 'nc_api_requests' WHERE s.code = 'nexacloud'`)).trim().split('|');
  const orders = (await psql(`SELECT fusion_external_id || '|' || id FROM sale_order WHERE fusion_external_id LIKE 'bench_sub_%'`)).trim().split('\n');
  const orderOf = new Map(orders.map((line) => line.split('|') as [string, string]));
  const [serviceId, companyId, metricId] = ids;
  // Same columns, indexes (the unique idempotency key included) and foreign keys as the real table.
  const foreignKeys = (await psql(`SELECT 'ALTER TABLE bench_usage ADD CONSTRAINT bench_' || conname || ' ' || pg_get_constraintdef(oid) || ';' FROM pg_constraint WHERE conrelid = 'fusion_billing_usage'::regclass AND contype = 'f'`)).trim();
  const createScratch = `DROP TABLE IF EXISTS bench_usage; CREATE TABLE bench_usage (LIKE fusion_billing_usage INCLUDING ALL); ${foreignKeys}`;
  const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
  const row = (index: number): string[] => {
    const subscription = subscriptions[index % subscriptions.length]!;
    return [serviceId!, companyId!, metricId!, subscription, `raw-${index}`, now, JSON.stringify({ region: index % 2 ? 'ca-central' : 'us-east' }), orderOf.get(subscription)!, 'f', '1', now, '1', now];
  };

  await psql(createScratch);
  const copyStarted = performance.now();
  await psql('', async (input) => {
    input.write(`COPY bench_usage (${COLUMNS}) FROM STDIN WITH (FORMAT csv);\n`);
    for (let index = 0; index < rows; index += 1) input.write(`${row(index).map(csvField).join(',')}\n`);
    input.write('\\.\n');
  });
  const copyRate = rows / ((performance.now() - copyStarted) / 1000);

  await psql(createScratch);
  const scripts: string[][] = Array.from({ length: sessions }, () => []);
  for (let start = 0, statement = 0; start < rows; start += batchSize, statement += 1) {
    const values = [];
    for (let index = start; index < Math.min(rows, start + batchSize); index += 1) {
      const [service, company, metric, subscription, transaction, at, properties, order, late, cuid, cdate, wuid, wdate] = row(index);
      values.push(`(${service},${company},${metric},${sqlText(subscription!)},${sqlText(transaction!)},'${at}',${sqlText(properties!)}::jsonb,${order},${late === 't'},${cuid},'${cdate}',${wuid},'${wdate}')`);
    }
    scripts[statement % sessions]!.push(`INSERT INTO bench_usage (${COLUMNS}) VALUES ${values.join(',')} ON CONFLICT DO NOTHING;\n`);
  }
  const insertStarted = performance.now();
  await Promise.all(scripts.map((statements) => psql('', statements.join(''))));
  const insertRate = rows / ((performance.now() - insertStarted) / 1000);
  await psql('DROP TABLE bench_usage');
  return { copyRate, insertRate };
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function sqlText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

async function main(): Promise<void> {
  const billing = await startBillingServer({
    db: 'bench_ingest',
    workers,
    services: ['nexacloud'],
    onStep: (step, ms) => setupLog.push(`  setup: ${step} ${(ms / 1000).toFixed(1)} s`),
  });
  try {
    await benchmark(billing);
  } finally {
    await billing.stop();
  }
}

await main();

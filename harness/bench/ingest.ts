// Ingestion throughput of the Lago-shaped API, beside what the stack under it can do:
//   npx tsx harness/bench/ingest.ts [--workers N] [--batch 100] [--seconds 10] [--clients 4] [--rounds 3] [--alert-interval 5] [--db-filter]
// By default the server runs as the README recommends: --workers = cores (0: threaded) and one
// database named with -d (--db-filter instead: Odoo lists the databases on every request that
// names none).
// Prints, for the same server and run: Odoo's own trivial JSON-2 call rate (res.partner
// search_read limit 1), single-event and batch ingestion rates through /api/v1/events[/batch]
// (as applications call it, and with the X-Odoo-Database header a reverse proxy could add), the
// server's own per-request figures (queries, SQL time, Python time, from its werkzeug log lines),
// and PostgreSQL inserting the same rows into a scratch copy of the table (same columns, indexes
// and foreign keys): one COPY, and multi-row INSERTs of the batch size from as many sessions.
// The phases run `rounds` times in turn (this machine's speed drifts by tens of percent within
// minutes); targets are judged on the median round: batch >= 20,000 events/s; single-event rate
// >= 90% of the trivial JSON-2 rate.
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { nexacloud, ncApiRequests } from '../../out/client/src/index.ts';
import { OdooClient } from '../clients/json2.ts';
import { LagoClient, okBody, type LagoEventInput } from '../clients/lago.ts';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { cpuBetween, cpuSnapshot, type CpuSeconds } from './cpu.ts';
import { keepAliveFetch } from './keep-alive-fetch.ts';
import { formatRate, latencySummary, numberOption, runLoad, type LoadResult } from './load.ts';

const args = process.argv.slice(2);
const workers = numberOption(args, 'workers', cpus().length);
const batchSize = numberOption(args, 'batch', 100);
const seconds = numberOption(args, 'seconds', 10);
const clients = numberOption(args, 'clients', 4);
const rounds = Math.max(1, numberOption(args, 'rounds', 3));
// The alert cron runs every 60 s; the bench checks far more often to see its cost within a phase.
const alertInterval = numberOption(args, 'alert-interval', 5);
const dbFilter = args.includes('--db-filter');
const WARMUP_SECONDS = 2;
const BATCH_TARGET = 20_000;
const SINGLE_TARGET_SHARE = 0.9;

const log = (line: string): void => console.log(line);

interface Phase {
  label: string;
  unit: 'calls' | 'events';
  result: LoadResult;
  server: ServerFigures;
  cpu?: CpuSeconds;
}

/** Means over the phase's requests, from Odoo's werkzeug lines: "... 200 - <queries> <sql s> <python s>". */
interface ServerFigures {
  requests: number;
  queries: number;
  sqlMs: number;
  pythonMs: number;
}

async function main(): Promise<void> {
  const setup: string[] = [];
  const billing = await startBillingServer({
    db: 'bench_ingest',
    workers,
    dbFilter,
    services: ['nexacloud'],
    onStep: (step, ms) => setup.push(`  setup: ${step} ${(ms / 1000).toFixed(1)} s`),
  });
  try {
    setup.forEach((line) => log(line));
    await benchmark(billing);
  } finally {
    await billing.stop();
  }
}

async function benchmark(billing: BillingServer): Promise<void> {
  // Every phase goes through the same lean transport, the JSON-2 reference included.
  const transport = keepAliveFetch();
  const lago = new LagoClient({ baseUrl: billing.server.baseUrl, apiKey: billing.serviceKeys.nexacloud!, fetch: transport });
  const odoo = new OdooClient({ baseUrl: billing.server.baseUrl, db: billing.db, apiKey: billing.adminKey, fetch: transport });
  const lagoWithDatabase = lago.withHeaders({ 'X-Odoo-Database': billing.db });
  const subscriptions = await createSubscriptions(billing.lago('nexacloud'), clients);
  // Usage alerts on every subscription, checked by their cron during the "alerts" phases.
  for (const subscription of subscriptions) {
    okBody(
      await lago.request('POST', `/subscriptions/${subscription}/alerts`, {
        body: {
          alert: {
            alert_type: 'current_usage_amount',
            code: 'spend',
            thresholds: [
              { code: 'warn', value: 1_000_00 },
              { code: 'every', value: 500_00, recurring: true },
            ],
          },
        },
      }),
      'POST alerts',
    );
    okBody(
      await lago.request('POST', `/subscriptions/${subscription}/alerts`, {
        body: {
          alert: {
            alert_type: 'billable_metric_current_usage_units',
            code: 'requests',
            billable_metric_code: 'nc_api_requests',
            thresholds: [{ code: 'million', value: 1_000_000 }],
          },
        },
      }),
      'POST alerts',
    );
  }
  // Usage monitoring (one cron): the alert check and the progressive billing check (NexaCloud Pro's
  // usage thresholds; the bench's traffic passes them, so progressive invoices are written meanwhile).
  const monitoringCrons = await odoo.searchRead<{ id: number; res_id: number }>(
    'ir.model.data',
    [
      ['module', '=', 'fusion_billing'],
      ['name', '=', 'cron_monitor_usage'],
    ],
    ['res_id'],
  );
  if (monitoringCrons.length !== 1) throw new Error('the usage monitoring cron is not installed');
  const checks: number[] = [];
  /** Runs the usage monitoring (alerts and thresholds) every `alertInterval` seconds (its cron: every 60) while `work` runs. */
  const withAlertChecks = async <T>(work: () => Promise<T>): Promise<T> => {
    let running = true;
    const loop = (async () => {
      while (running) {
        const started = performance.now();
        for (const cron of monitoringCrons) await odoo.call('ir.cron', 'method_direct_trigger', { ids: [cron.res_id] });
        checks.push(performance.now() - started);
        const wait = alertInterval * 1000 - (performance.now() - started);
        for (let slept = 0; running && slept < wait; slept += 100) await new Promise((done) => setTimeout(done, 100));
      }
    })();
    try {
      return await work();
    } finally {
      running = false;
      await loop;
    }
  };
  const event = (phase: string, client: number, iteration: number, index: number): LagoEventInput => ({
    transaction_id: `${phase}-${client}-${iteration}-${index}`,
    external_subscription_id: subscriptions[client]!,
    code: 'nc_api_requests',
    timestamp: Math.floor(Date.now() / 1000),
    properties: { region: index % 2 ? 'ca-central' : 'us-east' },
  });
  const json2Call = async (): Promise<number> => {
    await odoo.searchRead('res.partner', [], ['name'], { limit: 1 });
    return 1;
  };
  // Raw requests, not the official client: this measures the server, and the client shares its 2
  // cores; the official client's extra work per call (about 0.5 ms of client CPU per batch) would
  // be taken from the server. The acceptance suite drives the same routes through the official client.
  const single =
    (client: LagoClient, phase: string) =>
    async (index: number, iteration: number): Promise<number> => {
      okBody(await client.request('POST', '/events', { body: { event: event(phase, index, iteration, 0) } }), 'POST /events');
      return 1;
    };
  const batch =
    (client: LagoClient, phase: string) =>
    async (index: number, iteration: number): Promise<number> => {
      const body = { events: Array.from({ length: batchSize }, (_, position) => event(phase, index, iteration, position)) };
      const { events } = okBody(await client.request<{ events: unknown[] }>('POST', '/events/batch', { body }), 'POST /events/batch');
      if (events.length !== batchSize) throw new Error(`POST /events/batch answered ${events.length} events for ${batchSize}`);
      return batchSize;
    };

  // The generated client (out/client) as an app runs it: typed events through its batching sender,
  // one sender per client loop, each iteration one full batch sent and answered.
  const senders = Array.from({ length: clients }, () =>
    nexacloud.sender(
      nexacloud.client({ baseUrl: `${billing.server.baseUrl}/api/v1`, apiKey: billing.serviceKeys.nexacloud!, fetch: transport }),
      {
        flushIntervalMs: 60_000,
        onRejected: (_events, error) => {
          throw new Error(`the sender's batch was refused: ${JSON.stringify(error)}`);
        },
      },
    ),
  );
  const viaClient =
    (phase: string) =>
    async (index: number, iteration: number): Promise<number> => {
      const sender = senders[index]!;
      for (let position = 0; position < batchSize; position++) {
        await sender.send(
          ncApiRequests({
            transactionId: `${phase}-${index}-${iteration}-${position}`,
            externalSubscriptionId: subscriptions[index]!,
            properties: { region: position % 2 ? 'ca-central' : 'us-east' },
          }),
        );
      }
      const stats = await sender.flush();
      if (stats.queued) throw new Error(`the generated client's sender left ${stats.queued} events unsent`);
      return batchSize;
    };

  log(
    `\nserver mode: ${billing.mode} | clients: ${clients} | batch size: ${batchSize} | ${seconds} s per phase (+${WARMUP_SECONDS} s warm-up) | ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`,
  );
  const phases: Phase[] = [];
  const measure = async (
    label: string,
    unit: Phase['unit'],
    task: (client: number, iteration: number) => Promise<number>,
    warmTask = task,
  ): Promise<Phase> => {
    await runLoad({ clients, seconds: WARMUP_SECONDS, task: warmTask });
    const logStart = billing.server.logs().length;
    const cpuBefore = cpuSnapshot();
    const result = await runLoad({ clients, seconds, task });
    const cpu = cpuBetween(cpuBefore, cpuSnapshot());
    // The last access-log lines of the phase may still be on their way.
    await new Promise((done) => setTimeout(done, 200));
    const phase = { label, unit, result, cpu, server: serverFigures(billing.server.logs().slice(logStart)) };
    phases.push(phase);
    return phase;
  };
  const json2: Phase[] = [];
  const singles: Phase[] = [];
  const batches: Phase[] = [];
  const alerted: Phase[] = [];
  const viaSender: Phase[] = [];
  const singlesDb: Phase[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    const tag = (name: string): string => `${name}${round}`;
    json2.push(await measure(`round ${round}: JSON-2 res.partner search_read limit 1`, 'calls', json2Call));
    singles.push(
      await measure(
        `round ${round}: POST /api/v1/events, 1 event/request`,
        'events',
        single(lago, tag('single')),
        single(lago, tag('warm-single')),
      ),
    );
    batches.push(
      await measure(
        `round ${round}: POST /api/v1/events/batch, ${batchSize} events/request`,
        'events',
        batch(lago, tag('batch')),
        batch(lago, tag('warm-batch')),
      ),
    );
    viaSender.push(
      await measure(`  same, through the generated client's sender`, 'events', viaClient(tag('sender')), viaClient(tag('warm-sender'))),
    );
    alerted.push(
      await withAlertChecks(() =>
        measure(
          `  same, alert checks every ${alertInterval} s`,
          'events',
          batch(lago, tag('alertbatch')),
          batch(lago, tag('warm-alertbatch')),
        ),
      ),
    );
    singlesDb.push(
      await measure(
        '  same, with X-Odoo-Database header',
        'events',
        single(lagoWithDatabase, tag('dbsingle')),
        single(lagoWithDatabase, tag('warm-dbsingle')),
      ),
    );
    await measure(
      '  same, with X-Odoo-Database header',
      'events',
      batch(lagoWithDatabase, tag('dbbatch')),
      batch(lagoWithDatabase, tag('warm-dbbatch')),
    );
  }

  const acknowledged = phases.filter((phase) => phase.unit === 'events').reduce((sum, phase) => sum + phase.result.units, 0);
  const stored = await billing.odoo.searchCount('fusion.billing.usage', [['transaction_id', 'not like', 'warm-%']]);
  const raw = await rawInserts(billing, Math.max(...batches.map((phase) => phase.result.units)), subscriptions);

  const rate = (phase: Phase): number => phase.result.units / phase.result.seconds;
  log('');
  log(
    `${'phase'.padEnd(46)} ${'rate'.padStart(9)}            latency              server per request (werkzeug log)               CPU per request: Odoo + PostgreSQL + client`,
  );
  for (const phase of phases) {
    const { server, cpu, result } = phase;
    const perRequest = server.requests
      ? `${server.queries.toFixed(1)} queries, SQL ${server.sqlMs.toFixed(1)} ms, Python ${server.pythonMs.toFixed(1)} ms`
      : 'n/a';
    const ms = (seconds: number): string => ((seconds * 1000) / result.requests).toFixed(1);
    const cpuPerRequest = cpu
      ? `${ms(cpu.odoo)} + ${ms(cpu.postgres)} + ${ms(cpu.client)} = ${ms(cpu.odoo + cpu.postgres + cpu.client)} ms (steal ${((cpu.steal / cpu.machine) * 100).toFixed(0)}%)`
      : 'n/a (no /proc)';
    log(
      `${phase.label.padEnd(46)} ${formatRate(rate(phase)).padStart(9)} ${phase.unit}/s  ${latencySummary(phase.result).padEnd(20)} ${perRequest.padEnd(47)} ${cpuPerRequest}`,
    );
  }
  log(`${`PostgreSQL COPY, same ${raw.rows} rows`.padEnd(46)} ${formatRate(raw.copyRate).padStart(9)} rows/s    1 session`);
  log(
    `${`PostgreSQL INSERT, ${batchSize} rows/statement`.padEnd(46)} ${formatRate(raw.insertRate).padStart(9)} rows/s    ${clients} sessions, autocommit, ON CONFLICT DO NOTHING`,
  );
  log(`${'  same, without its foreign keys'.padEnd(46)} ${formatRate(raw.insertNoFkRate).padStart(9)} rows/s`);
  log(`stored by the API: ${stored} of ${acknowledged} acknowledged events (warm-up excluded from both)`);
  log('');
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
  const spread = (values: number[]): string => `median ${formatRate(median(values))}, rounds ${values.map(formatRate).join(' / ')}`;
  const batchRates = batches.map(rate);
  const shares = singles.map((phase, index) => rate(phase) / rate(json2[index]!));
  const sharesDb = singlesDb.map((phase, index) => rate(phase) / rate(json2[index]!));
  const percent = (values: number[]): string =>
    `median ${(median(values) * 100).toFixed(1)}%, rounds ${values.map((value) => `${(value * 100).toFixed(0)}%`).join(' / ')}`;
  log(
    `target batch ingestion >= ${formatRate(BATCH_TARGET)} events/s (batch ${batchSize}, ${billing.mode}): ${median(batchRates) >= BATCH_TARGET ? 'MET' : 'MISSED'} (${spread(batchRates)})`,
  );
  log(
    `target single-event rate >= ${SINGLE_TARGET_SHARE * 100}% of the JSON-2 rate: ${median(shares) >= SINGLE_TARGET_SHARE ? 'MET' : 'MISSED'} (${percent(shares)}; with X-Odoo-Database ${percent(sharesDb)})`,
  );
  const alertShares = alerted.map((phase, index) => rate(phase) / rate(batches[index]!));
  const checkMs = [...checks].sort((a, b) => a - b);
  const progressive = await odoo.searchCount('account.move', [['invoice_line_ids.sale_line_ids.fusion_progressive_seq', '>', 0]]);
  log(
    `alert and threshold checks (${subscriptions.length * 2} alerts, ${subscriptions.length} subscriptions with thresholds, ${progressive} progressive invoices written, ${checks.length} checks every ${alertInterval} s, each ${checkMs.length ? `median ${checkMs[Math.floor(checkMs.length / 2)]!.toFixed(0)} ms, max ${checkMs[checkMs.length - 1]!.toFixed(0)} ms` : 'n/a'}, one cron rating once for both; it runs once a minute): batch rate ${percent(alertShares)} of the same round without them; target >= 95%: ${median(alertShares) >= 0.95 ? 'MET' : 'MISSED'}`,
  );
  const senderShares = viaSender.map((phase, index) => rate(phase) / rate(batches[index]!));
  log(
    `generated client (out/client): ${clients} senders, batches of ${batchSize}: median ${formatRate(median(viaSender.map(rate)))} events/s = ${percent(senderShares)} of the raw batch phase of the same round`,
  );
  // The machine's speed drifts within minutes: rates against references of the same round travel.
  const perJson2 = batches.map((phase, index) => rate(phase) / rate(json2[index]!));
  log(
    `batch events/s per JSON-2 call/s of the same round: median ${median(perJson2).toFixed(0)}x, rounds ${perJson2.map((value) => `${value.toFixed(0)}x`).join(' / ')}; median batch rate = ${((median(batchRates) / raw.insertRate) * 100).toFixed(0)}% of PostgreSQL's own INSERT rate`,
  );
  if (stored !== acknowledged) throw new Error(`the API acknowledged ${acknowledged} events but stored ${stored}`);
}

async function createSubscriptions(lago: LagoClient, count: number): Promise<string[]> {
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const customer = `tnt_bench${String(index).padStart(4, '0')}`;
    okBody(
      await lago.upsertCustomer({ external_id: customer, name: `Bench ${index}`, country: 'CA', state: 'ON', timezone: 'UTC' }),
      'POST /customers',
    );
    const external_id = `bench_sub_${index}`;
    okBody(
      await lago.createSubscription({
        external_customer_id: customer,
        plan_code: 'nexacloud_pro',
        external_id,
        subscription_at: monthStart,
      }),
      'POST /subscriptions',
    );
    ids.push(external_id);
  }
  return ids;
}

const ACCESS_LINE = /werkzeug: .*"(?:GET|POST|DELETE) \S+ HTTP\/[\d.]+" \d+ - (\d+) ([\d.]+) ([\d.]+)/;

export function serverFigures(logText: string): ServerFigures {
  let requests = 0;
  let queries = 0;
  let sql = 0;
  let python = 0;
  for (const line of logText.split('\n')) {
    const match = ACCESS_LINE.exec(line);
    if (!match) continue;
    requests += 1;
    queries += Number(match[1]);
    sql += Number(match[2]);
    python += Number(match[3]);
  }
  const mean = (total: number): number => (requests ? total / requests : Number.NaN);
  return { requests, queries: mean(queries), sqlMs: mean(sql) * 1000, pythonMs: mean(python) * 1000 };
}

const COLUMNS = 'service_id, metric_id, external_subscription_id, transaction_id, "timestamp", properties, order_id, late, received_at';

/** The same rows as the batch phase, written by PostgreSQL alone into a scratch copy of the table. */
async function rawInserts(billing: BillingServer, rows: number, subscriptions: string[]) {
  const pg = billing.runtime.postgres;
  const psql = (sql: string, stdin?: string | ((input: NodeJS.WritableStream) => Promise<void>)) =>
    pg.client('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', billing.db, ...(sql ? ['-c', sql] : [])], stdin);
  const [serviceId, metricId] = (
    await psql(
      `SELECT s.id, m.id FROM fusion_billing_service s JOIN fusion_billing_metric m ON m.service_id = s.id AND m.code = 'nc_api_requests' WHERE s.code = 'nexacloud'`,
    )
  )
    .trim()
    .split('|');
  const orderOf = new Map(
    (await psql(`SELECT fusion_external_id || '|' || id FROM sale_order WHERE fusion_external_id LIKE 'bench_sub_%'`))
      .trim()
      .split('\n')
      .map((line) => line.split('|') as [string, string]),
  );
  // Same columns, indexes (the unique idempotency key included) and foreign keys as the real table.
  const foreignKeys = (
    await psql(
      `SELECT 'ALTER TABLE bench_usage ADD CONSTRAINT bench_' || conname || ' ' || pg_get_constraintdef(oid) || ';' FROM pg_constraint WHERE conrelid = 'fusion_billing_usage'::regclass AND contype = 'f'`,
    )
  ).trim();
  const scratch = (withForeignKeys: boolean): string =>
    `DROP TABLE IF EXISTS bench_usage; CREATE TABLE bench_usage (LIKE fusion_billing_usage INCLUDING ALL); ${withForeignKeys ? foreignKeys : ''}`;
  const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
  const values = (index: number) => {
    const subscription = subscriptions[index % subscriptions.length]!;
    return {
      subscription,
      order: orderOf.get(subscription)!,
      transaction: `raw-${index}`,
      properties: JSON.stringify({ region: index % 2 ? 'ca-central' : 'us-east' }),
    };
  };

  await psql(scratch(true));
  const copyStarted = performance.now();
  await psql('', async (input) => {
    input.write(`COPY bench_usage (${COLUMNS}) FROM STDIN WITH (FORMAT csv);\n`);
    let buffer = '';
    for (let index = 0; index < rows; index += 1) {
      const row = values(index);
      buffer += `${serviceId},${metricId},${row.subscription},${row.transaction},${now},"${row.properties.replace(/"/g, '""')}",${row.order},f,${now}\n`;
      if (buffer.length > 1 << 20) {
        if (!input.write(buffer)) await once(input, 'drain');
        buffer = '';
      }
    }
    input.write(`${buffer}\\.\n`);
  });
  const copyRate = rows / ((performance.now() - copyStarted) / 1000);

  const scripts: string[][] = Array.from({ length: clients }, () => []);
  for (let start = 0, statement = 0; start < rows; start += batchSize, statement += 1) {
    const tuples = [];
    for (let index = start; index < Math.min(rows, start + batchSize); index += 1) {
      const row = values(index);
      tuples.push(
        `(${serviceId},${metricId},'${row.subscription}','${row.transaction}','${now}','${row.properties}'::jsonb,${row.order},false,'${now}')`,
      );
    }
    scripts[statement % clients]!.push(`INSERT INTO bench_usage (${COLUMNS}) VALUES ${tuples.join(',')} ON CONFLICT DO NOTHING;\n`);
  }
  const insertAll = async (withForeignKeys: boolean): Promise<number> => {
    await psql(scratch(withForeignKeys));
    const started = performance.now();
    await Promise.all(scripts.map((statements) => psql('', statements.join(''))));
    return rows / ((performance.now() - started) / 1000);
  };
  const insertRate = await insertAll(true);
  const insertNoFkRate = await insertAll(false);
  await psql('DROP TABLE bench_usage');
  return { rows, copyRate, insertRate, insertNoFkRate };
}

await main();

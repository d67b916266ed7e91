// Scenario 1 of issue 14: every Odoo process (the prefork server, its HTTP workers and cron
// runners) is SIGKILLed while concurrent clients post event batches; Odoo is started again on
// the same database and port, and each client resends the batches it got no 200 for. Every
// event acknowledged before the kill is stored, none twice, and each client ends with exactly
// the set it sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LagoClient, LagoEventInput } from '../clients/lago.ts';
import type { BillingServer } from '../runtime/billing-server.ts';
import { chunk } from '../support/events.ts';
import { killOdoo, odooGone } from '../support/odoo-processes.ts';
import { startIngestionTarget } from './ingestion-target.ts';
import { recordFaultRow } from './report.ts';

const CLIENTS = 6;
const BATCHES_PER_CLIENT = 12;
const EVENTS_PER_BATCH = 50;
const WORKERS = 2;
/** The kill comes once this share of all batches is acknowledged: mid-ingestion. */
const KILL_AFTER = 0.3;
const CUSTOMER = 'tnt_sigkill';
const SUBSCRIPTION = 'sub_sigkill';

interface ClientRun {
  batches: LagoEventInput[][];
  acknowledged: Set<number>;
  /** Batches whose request failed (connection reset, refused, 5xx) during the kill. */
  failed: number;
}

describe('SIGKILL of every Odoo process during concurrent batch ingestion', () => {
  let billing: BillingServer;

  beforeAll(async () => {
    billing = await startIngestionTarget({
      db: 'faults_sigkill',
      workers: WORKERS,
      customer: { externalId: CUSTOMER, name: 'Kill Target Inc.' },
      subscription: SUBSCRIPTION,
    });
  });

  afterAll(async () => {
    await billing?.stop();
  });

  it(`${CLIENTS} clients × ${BATCHES_PER_CLIENT} batches of ${EVENTS_PER_BATCH}: what was acknowledged survives, resends store once`, async () => {
    const port = Number(new URL(billing.server.baseUrl).port);
    const now = Math.floor(Date.now() / 1000);
    const runs: ClientRun[] = Array.from({ length: CLIENTS }, (_, c) => ({
      batches: chunk(
        Array.from({ length: BATCHES_PER_CLIENT * EVENTS_PER_BATCH }, (_, i) => ({
          transaction_id: `kill-${c}-${i}`,
          external_subscription_id: SUBSCRIPTION,
          code: 'nc_api_requests',
          timestamp: now - i,
          properties: { region: 'ca-central' },
        })),
        EVENTS_PER_BATCH,
      ),
      acknowledged: new Set<number>(),
      failed: 0,
    }));
    const total = CLIENTS * BATCHES_PER_CLIENT;
    const acknowledgedCount = () => runs.reduce((n, run) => n + run.acknowledged.size, 0);

    // Phase 1: all clients post; the kill comes mid-way. A client stops at its first failure
    // (its connection is gone), as an application's sender would until the server is back.
    let killed: number[] = [];
    let acknowledgedAtKill = 0;
    let finishedClients = 0;
    const send = async (client: LagoClient, run: ClientRun, batch: number): Promise<boolean> => {
      try {
        const answer = await client.createEventsBatch(run.batches[batch]!);
        if (answer.status === 200) {
          run.acknowledged.add(batch);
          return true;
        }
      } catch {
        // No answer: the server died under the request.
      }
      run.failed++;
      return false;
    };
    const client = billing.lago('nexacloud');
    await Promise.all([
      ...runs.map(async (run) => {
        for (let batch = 0; batch < BATCHES_PER_CLIENT; batch++) if (!(await send(client, run, batch))) break;
        finishedClients++;
      }),
      (async () => {
        while (acknowledgedCount() < total * KILL_AFTER) {
          if (finishedClients === CLIENTS)
            throw new Error(`the clients stopped after ${acknowledgedCount()}/${total} batches, before the kill`);
          await new Promise((done) => setTimeout(done, 5));
        }
        acknowledgedAtKill = acknowledgedCount();
        killed = killOdoo(port);
        if (!killed.length) throw new Error(`no Odoo process with --http-port=${port} in /proc: nothing to kill`);
        console.log(
          `  SIGKILL to ${killed.length} Odoo processes (${killed.join(', ')}) after ${acknowledgedAtKill}/${total} batches acknowledged`,
        );
      })(),
    ]);
    await odooGone(port);
    const acknowledgedBeforeRestart = runs.map((run) => new Set(run.acknowledged));
    const failedAtKill = runs.reduce((n, run) => n + run.failed, 0);
    console.log(`  ${acknowledgedCount()}/${total} batches acknowledged, ${failedAtKill} failed; restarting Odoo on port ${port}`);

    // Phase 2: Odoo again, same database and port; every client resends what got no 200.
    billing.server = await billing.runtime.startServer(billing.db, { port, workers: WORKERS });
    const ackedIds = runs.flatMap((run, c) =>
      [...acknowledgedBeforeRestart[c]!].flatMap((b) => run.batches[b]!.map((e) => e.transaction_id)),
    );
    const survivedKill = await billing.odoo.searchCount('fusion.billing.usage', [['transaction_id', '=like', 'kill-%']]);
    const ackedStored = await billing.odoo.searchCount('fusion.billing.usage', [['transaction_id', 'in', ackedIds]]);
    let resent = 0;
    await Promise.all(
      runs.map(async (run) => {
        for (let batch = 0; batch < BATCHES_PER_CLIENT; batch++) {
          if (run.acknowledged.has(batch)) continue;
          resent++;
          const answer = await client.createEventsBatch(run.batches[batch]!);
          if (answer.status !== 200) throw new Error(`resend after restart: ${answer.status} ${JSON.stringify(answer.body)}`);
          run.acknowledged.add(batch);
        }
      }),
    );

    const sent = CLIENTS * BATCHES_PER_CLIENT * EVENTS_PER_BATCH;
    const stored = await billing.odoo.searchCount('fusion.billing.usage', [['transaction_id', '=like', 'kill-%']]);
    const rows = await billing.odoo.searchRead<{ transaction_id: string }>(
      'fusion.billing.usage',
      [['transaction_id', '=like', 'kill-%']],
      ['transaction_id'],
    );
    const distinct = new Set(rows.map((r) => r.transaction_id));
    const lost = ackedIds.length - ackedStored + (sent - distinct.size);
    const doubled = stored - distinct.size;
    console.log(
      `  after the kill: ${survivedKill} events stored, ${ackedStored}/${ackedIds.length} acknowledged ones; after ${resent} resends: ${stored} rows, ${distinct.size} distinct of ${sent} sent`,
    );
    recordFaultRow({
      scenario: '1 SIGKILL during batch ingestion',
      load: `${CLIENTS} clients × ${BATCHES_PER_CLIENT} batches × ${EVENTS_PER_BATCH} events, --workers ${WORKERS}`,
      done: `SIGKILL to all ${killed.length} Odoo processes after ${acknowledgedAtKill}/${total} batches were acknowledged; restart on the same port; clients resend what got no 200`,
      expected: 'every acknowledged event stored; none twice; each client ends with exactly the set it sent',
      measured: `${ackedStored}/${ackedIds.length} acknowledged events stored after the kill (${survivedKill} stored in all); ${failedAtKill} batches failed at the kill, ${resent} resent; ${distinct.size}/${sent} distinct events, ${stored} rows`,
      lost,
      doubled,
      wrongAnswers: 0,
    });
    expect({ lost, doubled, distinct: distinct.size }).toEqual({ lost: 0, doubled: 0, distinct: sent });
  });
});

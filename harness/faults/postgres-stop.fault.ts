// Scenario 2 of issue 14: PostgreSQL is stopped (pg_ctl stop -m fast, then -m immediate) while
// concurrent clients post event batches to a --workers server, kept down for a few seconds while
// they go on posting, then started again on the same port and data. Every answer meanwhile is a
// 200 or Lago's JSON 5xx body (never HTML, never a hang past the client's timeout); Odoo recovers
// without a restart; nothing acknowledged is lost and the clients, resending what got no 200,
// end with exactly the set they sent. One HTTP worker is recycled while PostgreSQL is down (as
// after its request limit): the prefork master must spawn it again once PostgreSQL is back.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LagoClient, type LagoEventInput, type LagoResponse } from '../clients/lago.ts';
import type { BillingServer } from '../runtime/billing-server.ts';
import type { PostgresShutdownMode } from '../runtime/types.ts';
import { chunk } from '../support/events.ts';
import { odooPids } from '../support/odoo-processes.ts';
import { startIngestionTarget } from './ingestion-target.ts';
import { recordFaultRow } from './report.ts';

const CLIENTS = 5;
const BATCHES_PER_CLIENT = 16;
const EVENTS_PER_BATCH = 50;
const WORKERS = 2;
/** PostgreSQL stops once this share of all batches is acknowledged: mid-ingestion. */
const STOP_AFTER = 0.3;
/** How long PostgreSQL stays down while the clients go on posting. */
const DOWN_MS = 6_000;
/** A client's wait for an answer; past it the answer is a hang. */
const CLIENT_TIMEOUT_MS = 30_000;
/** A client's pause before resending a batch that got no 200. */
const RESEND_PAUSE_MS = 250;
/** Once PostgreSQL is back, the clients must be done within this. */
const RECOVERY_TIMEOUT_MS = 180_000;
const CUSTOMER = 'tnt_pgstop';
const SUBSCRIPTION = 'sub_pgstop';

/** What an answer was: the only acceptable ones are 200, a duplicate refusal of a resend, and Lago's JSON 5xx. */
type AnswerKind = 'acknowledged' | 'already stored' | 'lago 5xx' | 'other' | 'hang' | 'no answer';

interface Answer {
  kind: AnswerKind;
  status?: number;
  startedAt: number;
  ms: number;
  /** The first characters of an unexpected answer, for the log. */
  sample?: string;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function classify(answer: LagoResponse<unknown>, resend: boolean): { kind: AnswerKind; sample?: string } {
  const { status, body } = answer;
  if (status === 200) return { kind: 'acknowledged' };
  const lagoShaped =
    typeof body === 'object' &&
    body !== null &&
    (body as { status?: unknown }).status === status &&
    typeof (body as { error?: unknown }).error === 'string';
  if (lagoShaped && status >= 500) return { kind: 'lago 5xx' };
  // A resend of a batch whose commit went through but whose answer was lost: every event is a duplicate.
  const details = lagoShaped && status === 422 ? (body as { error_details?: Record<string, unknown> }).error_details : undefined;
  if (resend && details && Object.values(details).every((d) => JSON.stringify(d) === '{"transaction_id":["value_already_exist"]}'))
    return { kind: 'already stored' };
  return { kind: 'other', sample: `${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`.slice(0, 200) };
}

describe('PostgreSQL stopped and started again during concurrent batch ingestion', () => {
  let billing: BillingServer;

  beforeAll(async () => {
    billing = await startIngestionTarget({
      db: 'faults_pgstop',
      workers: WORKERS,
      customer: { externalId: CUSTOMER, name: 'Outage Target Inc.' },
      subscription: SUBSCRIPTION,
    });
    // The harness's cluster runs with synchronous_commit=off (fast installs), which by design
    // loses the last few hundred milliseconds of commits to a crash (an immediate shutdown): a
    // billing deployment commits synchronously, and so does this database. Odoo is restarted
    // so that every connection of its pool has the setting.
    await billing.runtime.postgres.client('psql', ['-d', 'postgres', '-c', `ALTER DATABASE ${billing.db} SET synchronous_commit = on`]);
    const port = Number(new URL(billing.server.baseUrl).port);
    await billing.server.stop();
    billing.server = await billing.runtime.startServer(billing.db, { port, workers: WORKERS });
    console.log(`  setup: synchronous_commit on for ${billing.db}; Odoo restarted on port ${port}`);
  });

  afterAll(async () => {
    await billing?.stop();
  });

  for (const mode of ['fast', 'immediate'] as PostgresShutdownMode[]) {
    it(`pg_ctl stop -m ${mode}: ${CLIENTS} clients × ${BATCHES_PER_CLIENT} batches of ${EVENTS_PER_BATCH}: JSON 5xx while down, recovery, nothing lost or doubled`, async () => {
      const port = Number(new URL(billing.server.baseUrl).port);
      const client = new LagoClient({
        baseUrl: billing.server.baseUrl,
        apiKey: billing.serviceKeys.nexacloud!,
        timeoutMs: CLIENT_TIMEOUT_MS,
      });
      const prefix = `pgstop-${mode}-`;
      const now = Math.floor(Date.now() / 1000);
      const batchesOf = Array.from({ length: CLIENTS }, (_, c) =>
        chunk(
          Array.from(
            { length: BATCHES_PER_CLIENT * EVENTS_PER_BATCH },
            (_, i): LagoEventInput => ({
              transaction_id: `${prefix}${c}-${i}`,
              external_subscription_id: SUBSCRIPTION,
              code: 'nc_api_requests',
              timestamp: now - i,
              properties: { region: 'ca-central' },
            }),
          ),
          EVENTS_PER_BATCH,
        ),
      );
      const total = CLIENTS * BATCHES_PER_CLIENT;
      const acknowledged: Set<string>[] = batchesOf.map(() => new Set());
      const answers: Answer[] = [];
      let acknowledgedBatches = 0;
      let abandoned = false;
      const pidsBefore = odooPids(port);
      const masterBefore = prefork(port).master;

      // Each client posts its batches in order and resends one that got no 200 until it does,
      // as an application's sender with a retry loop would.
      const post = async (c: number) => {
        for (const batch of batchesOf[c]!) {
          for (let attempt = 0; !abandoned; attempt++) {
            const startedAt = performance.now();
            let answer: Omit<Answer, 'startedAt' | 'ms'>;
            try {
              const response = await client.createEventsBatch(batch);
              answer = { status: response.status, ...classify(response, attempt > 0) };
            } catch (error) {
              const name = (error as Error).name;
              answer = {
                kind: name === 'TimeoutError' || name === 'AbortError' ? 'hang' : 'no answer',
                sample: String((error as Error).message).slice(0, 200),
              };
            }
            answers.push({ ...answer, startedAt, ms: performance.now() - startedAt });
            if (answer.kind === 'acknowledged' || answer.kind === 'already stored') {
              if (answer.kind === 'acknowledged') for (const event of batch) acknowledged[c]!.add(event.transaction_id);
              acknowledgedBatches++;
              break;
            }
            await sleep(RESEND_PAUSE_MS);
          }
        }
      };

      // The outage: stop PostgreSQL mid-way, keep it down while the clients go on, start it again.
      let stoppedAt = 0;
      let stopDoneAt = 0;
      let startedAgainAt = 0;
      let acknowledgedAtStop = 0;
      let probe: Probe | undefined;
      let recycled: number | undefined;
      const outage = async () => {
        const giveUpAt = Date.now() + RECOVERY_TIMEOUT_MS;
        while (acknowledgedBatches < total * STOP_AFTER) {
          if (Date.now() > giveUpAt) {
            abandoned = true;
            throw new Error(`only ${acknowledgedBatches}/${total} batches acknowledged before the stop`);
          }
          await sleep(10);
        }
        acknowledgedAtStop = acknowledgedBatches;
        console.log(`  ${mode}: stopping PostgreSQL after ${acknowledgedAtStop}/${total} batches acknowledged`);
        stoppedAt = performance.now();
        await billing.runtime.stopPostgres(mode);
        stopDoneAt = performance.now();
        console.log(
          `  ${mode}: PostgreSQL down (pg_ctl took ${((stopDoneAt - stoppedAt) / 1000).toFixed(1)} s); down for ${DOWN_MS / 1000} s`,
        );
        await sleep(DOWN_MS / 2);
        probe = await probeWhileDown(billing.server.baseUrl, billing.serviceKeys.nexacloud!);
        console.log(`  ${mode}: probe while down: ${probe.line}`);
        // SIGINT is a worker's graceful stop: it ends its request and exits, as at its request limit.
        recycled = prefork(port).workers[0];
        if (recycled === undefined) throw new Error(`no HTTP worker found under the server on port ${port}`);
        process.kill(recycled, 'SIGINT');
        console.log(`  ${mode}: HTTP worker ${recycled} recycled (SIGINT) while PostgreSQL is down`);
        await sleep(DOWN_MS / 2);
        await billing.runtime.startPostgres();
        startedAgainAt = performance.now();
        console.log(`  ${mode}: PostgreSQL started again; ${acknowledgedBatches}/${total} batches acknowledged so far`);
      };
      const clientsDone = Promise.all(batchesOf.map((_, c) => post(c)));
      await outage();
      await Promise.race([
        clientsDone,
        sleep(RECOVERY_TIMEOUT_MS).then(() => {
          abandoned = true;
          throw new Error(
            `the clients were not done ${RECOVERY_TIMEOUT_MS / 1000} s after PostgreSQL came back (${acknowledgedBatches}/${total})`,
          );
        }),
      ]);
      const recoveredAt = performance.now();
      // The master spawns the recycled worker again at one of its beats once PostgreSQL is back.
      const respawnDeadline = Date.now() + 60_000;
      while (odooPids(port).length < pidsBefore.length && Date.now() < respawnDeadline) await sleep(250);
      const pidsAfter = odooPids(port);
      const after = prefork(port);
      const respawned = after.workers.length === WORKERS && recycled !== undefined && !after.workers.includes(recycled);

      // What the database holds.
      const sent = CLIENTS * BATCHES_PER_CLIENT * EVENTS_PER_BATCH;
      const rows = await billing.odoo.searchRead<{ transaction_id: string }>(
        'fusion.billing.usage',
        [['transaction_id', '=like', `${prefix}%`]],
        ['transaction_id'],
      );
      const distinct = new Set(rows.map((r) => r.transaction_id));
      const ackedIds = acknowledged.flatMap((ids) => [...ids]);
      const ackedLost = ackedIds.filter((id) => !distinct.has(id)).length;
      // Every batch ends acknowledged (or refused as already stored): an event not stored is lost.
      const lost = sent - distinct.size;
      const doubled = rows.length - distinct.size;

      // The answers, during the outage (from the stop to the start again) and overall.
      const during = answers.filter((a) => a.startedAt + a.ms >= stoppedAt && a.startedAt <= startedAgainAt);
      const count = (list: Answer[], kind: AnswerKind) => list.filter((a) => a.kind === kind).length;
      const wrong = answers.filter((a) => a.kind === 'other' || a.kind === 'hang' || a.kind === 'no answer');
      const probeWrong = probe?.lagoUnavailable ? 0 : 1;
      const maxDownMs = Math.max(0, ...during.map((a) => a.ms));
      const afterStart = answers.filter((a) => a.startedAt > startedAgainAt);
      const firstOkAfterStart = afterStart.find((a) => a.kind === 'acknowledged');
      const recoveryMs = firstOkAfterStart ? firstOkAfterStart.startedAt + firstOkAfterStart.ms - startedAgainAt : NaN;
      const sameProcesses = masterBefore !== undefined && masterBefore === after.master;
      for (const a of wrong.slice(0, 5)) console.log(`  ${mode}: unexpected answer (${a.kind}, ${Math.round(a.ms)} ms): ${a.sample}`);
      console.log(
        `  ${mode}: ${answers.length} answers; during the outage ${during.length}: ${count(during, 'lago 5xx')} Lago JSON 5xx, ${count(during, 'acknowledged')} 200, ` +
          `${during.length - count(during, 'lago 5xx') - count(during, 'acknowledged')} other; max latency ${Math.round(maxDownMs)} ms; ` +
          `after the start: ${count(afterStart, 'lago 5xx')} 5xx, first 200 after ${Math.round(recoveryMs)} ms; done ${((recoveredAt - startedAgainAt) / 1000).toFixed(1)} s after the start`,
      );
      console.log(
        `  ${mode}: Odoo processes before ${pidsBefore.join(',')}, after ${pidsAfter.join(',')}; ${rows.length} rows, ${distinct.size} distinct of ${sent} sent, ${ackedIds.length - ackedLost}/${ackedIds.length} acknowledged stored`,
      );
      recordFaultRow({
        scenario: `2 PostgreSQL stop -m ${mode} during ingestion`,
        load: `${CLIENTS} clients × ${BATCHES_PER_CLIENT} batches × ${EVENTS_PER_BATCH} events, --workers ${WORKERS}`,
        done: `pg_ctl stop -m ${mode} after ${acknowledgedAtStop}/${total} batches acknowledged; down ${DOWN_MS / 1000} s while clients go on posting and one HTTP worker is recycled; started again (same port and data), Odoo not restarted; clients resend what got no 200`,
        expected: `while down: Lago's JSON 5xx, no HTML, no hang past ${CLIENT_TIMEOUT_MS / 1000} s; recovery without an Odoo restart; every acknowledged event stored, none twice`,
        measured:
          `${during.length} answers during the outage: ${count(during, 'lago 5xx')} Lago JSON 5xx (Retry-After ${probe?.retryAfter ?? '?'}), ` +
          `${count(during, 'acknowledged')} 200 before the stop took, ${during.length - count(during, 'lago 5xx') - count(during, 'acknowledged')} other; ` +
          `max latency ${(maxDownMs / 1000).toFixed(1)} s; first 200 ${(recoveryMs / 1000).toFixed(1)} s after PostgreSQL was back; ` +
          `${sameProcesses ? 'same Odoo master' : 'Odoo master changed'}, ${respawned ? 'recycled worker spawned again' : 'recycled worker NOT spawned again'}; ` +
          `${ackedIds.length - ackedLost}/${ackedIds.length} acknowledged events stored, ${count(answers, 'already stored')} resends refused as already stored; ` +
          `${rows.length} rows, ${distinct.size} distinct of ${sent} sent`,
        lost,
        doubled,
        wrongAnswers: wrong.length + probeWrong,
      });
      expect({ lost, doubled, wrong: wrong.length + probeWrong, distinct: distinct.size, sameProcesses, respawned }).toEqual({
        lost: 0,
        doubled: 0,
        wrong: 0,
        distinct: sent,
        sameProcesses: true,
        respawned: true,
      });
    });
  }
});

/** The prefork master serving the port (the process whose parent is not one of them) and its HTTP workers (its forks; the gevent process is another program). */
function prefork(port: number): { master?: number; workers: number[] } {
  const pids = odooPids(port);
  const parentOf = (pid: number) =>
    Number(
      readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ')[1],
    );
  const commandOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  try {
    const master = pids.find((pid) => !pids.includes(parentOf(pid)));
    const workers = pids.filter((pid) => pid !== master && parentOf(pid) === master && !commandOf(pid).includes('gevent'));
    return { master, workers };
  } catch {
    // A process ended between the listing and the read: list again.
    return prefork(port);
  }
}

interface Probe {
  line: string;
  retryAfter?: string;
  /** Lago's JSON 503 body, with a Retry-After. */
  lagoUnavailable: boolean;
}

/** One batch posted by hand while PostgreSQL is down, for what the client above cannot see: the headers. */
async function probeWhileDown(baseUrl: string, apiKey: string): Promise<Probe> {
  try {
    const response = await fetch(`${baseUrl}/api/v1/events/batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        events: [{ transaction_id: 'pgstop-probe', external_subscription_id: SUBSCRIPTION, code: 'nc_api_requests' }],
      }),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? 'no content type';
    const retryAfter = response.headers.get('retry-after') ?? undefined;
    let body: { status?: unknown; error?: unknown } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return {
      line: `${response.status} ${contentType}, Retry-After ${retryAfter ?? 'none'}: ${text.slice(0, 120)}`,
      retryAfter,
      lagoUnavailable: response.status === 503 && body?.status === 503 && typeof body.error === 'string' && retryAfter !== undefined,
    };
  } catch (error) {
    return { line: `no answer (${(error as Error).message})`, lagoUnavailable: false };
  }
}

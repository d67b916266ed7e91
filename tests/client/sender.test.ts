// The generated client's batching sender against a local HTTP server speaking the API's batch
// endpoint: batch limits and order, the flush interval, retries (5xx, 429, network) with bounded
// backoff, no retry on 4xx, idempotent transaction ids, back-pressure, and nothing lost when a
// flush gives up.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventSender, nexacloud, ncApiRequests, type LagoErrorBody, type NexacloudEvent } from '../../out/client/src/index.ts';
import { LagoDouble } from '../../harness/lago/double.ts';

type Answer = { status: number; body?: unknown; delayMs?: number } | 'drop';

const REPO = new URL('../..', import.meta.url).pathname;
let server: Server;
let baseUrl: string;
/** Each request's events, in arrival order. */
let requests: NexacloudEvent[][];
/** Answers for the next requests (then 200). */
let script: Answer[];
/** Transaction ids stored once each, as the API stores them. */
let stored: Set<string>;

function handle(req: IncomingMessage, res: ServerResponse): void {
  let text = '';
  req.on('data', (chunk) => (text += chunk));
  req.on('end', () => {
    const { events } = JSON.parse(text) as { events: NexacloudEvent[] };
    requests.push(events);
    const answer = script.shift() ?? { status: 200 };
    if (answer === 'drop') {
      req.socket.destroy();
      return;
    }
    setTimeout(() => {
      if (answer.status === 200) for (const event of events) stored.add(event.transaction_id);
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer.body ?? (answer.status === 200 ? { events } : { status: answer.status, error: 'Server error' })));
    }, answer.delayMs ?? 0);
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(() => new Promise<void>((closed) => server.close(() => closed())));
beforeEach(() => {
  requests = [];
  script = [];
  stored = new Set();
});

const events = (count: number, prefix = 'tx') =>
  Array.from({ length: count }, (_, index) =>
    ncApiRequests({ transactionId: `${prefix}-${index}`, externalSubscriptionId: 'sub_1', timestamp: 1_700_000_000 + index }),
  );
const api = () => nexacloud.client({ baseUrl, apiKey: 'key', timeoutMs: 2000 });
const noWait = { sleep: async () => {}, flushIntervalMs: 60_000 };

describe('the generated client’s event sender', () => {
  it('sends batches of at most the API’s limit, in order, each event once', async () => {
    const sender = nexacloud.sender(api(), { ...noWait, batchSize: 500 });
    for (const event of events(250)) await sender.send(event);
    const stats = await sender.close();
    expect(requests.map((batch) => batch.length)).toEqual([100, 100, 50]);
    expect(requests.flat().map((e) => e.transaction_id)).toEqual(events(250).map((e) => e.transaction_id));
    expect(stats).toMatchObject({ sent: 250, rejected: 0, retries: 0, queued: 0 });
    await expect(sender.send(events(1)[0]!)).rejects.toThrow(/closed/);
  });

  it('sends a partial batch when its interval has passed', async () => {
    const sender = nexacloud.sender(api(), { flushIntervalMs: 50 });
    for (const event of events(3)) await sender.send(event);
    expect(requests).toEqual([]);
    await new Promise((done) => setTimeout(done, 300));
    expect(requests.map((batch) => batch.length)).toEqual([3]);
    await sender.close();
  });

  it('retries network errors, 5xx and 429 with the same transaction ids: stored once', async () => {
    script = ['drop', { status: 503 }, { status: 429, body: { status: 429, error: 'Too Many Requests' } }, { status: 500 }];
    const waits: number[] = [];
    const sender = nexacloud.sender(api(), {
      ...noWait,
      sleep: async (ms) => void waits.push(ms),
      random: () => 0.999,
      baseDelayMs: 100,
      maxDelayMs: 250,
    });
    for (const event of events(10)) await sender.send(event);
    const stats = await sender.close();
    expect(requests).toHaveLength(5);
    expect(new Set(requests.map((batch) => JSON.stringify(batch.map((e) => e.transaction_id)))).size).toBe(1);
    expect(stored.size).toBe(10);
    expect(stats).toMatchObject({ sent: 10, retries: 4, queued: 0 });
    // Full jitter under 100 × 2^(n−1), capped at 250.
    expect(waits).toEqual([99, 199, 249, 249]);
  });

  it('never retries a refusal (4xx): the events and Lago’s error go back to the caller', async () => {
    // A refusal that names no event (here the key): the whole batch goes back.
    const refusal: LagoErrorBody = { status: 401, error: 'Unauthorized' };
    script = [{ status: 401, body: refusal }];
    const rejected: [string[], LagoErrorBody][] = [];
    const sender = nexacloud.sender(api(), {
      ...noWait,
      onRejected: (batch, error) => rejected.push([batch.map((e) => e.transaction_id), error]),
    });
    for (const event of events(2)) await sender.send(event);
    const stats = await sender.close();
    expect(requests).toHaveLength(1);
    expect(rejected).toEqual([[['tx-0', 'tx-1'], refusal]]);
    expect(stats).toMatchObject({ sent: 0, rejected: 2, retries: 0 });
  });

  it('returns only the events a refusal names, sends the batch’s others again, and halves a batch too large', async () => {
    script = [
      {
        status: 422,
        body: {
          status: 422,
          error: 'Unprocessable Entity',
          code: 'validation_errors',
          error_details: { 1: { code: ['metric_not_found'] } },
        },
      },
      { status: 200 },
      { status: 413, body: { status: 413, error: 'Payload Too Large' } },
    ];
    const rejected: [string[], LagoErrorBody][] = [];
    const sender = nexacloud.sender(api(), {
      ...noWait,
      batchSize: 3,
      onRejected: (batch, error) => rejected.push([batch.map((e) => e.transaction_id), error]),
    });
    for (const event of events(3, 'named')) await sender.send(event);
    for (const event of events(3, 'large')) await sender.send(event);
    const stats = await sender.close();
    expect(rejected).toEqual([
      [
        ['named-1'],
        { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { 0: { code: ['metric_not_found'] } } },
      ],
    ]);
    // 3 (refused), 2 (the others again), 3 (too large), then halves of 2 and 1.
    expect(requests.map((batch) => batch.map((e) => e.transaction_id))).toEqual([
      ['named-0', 'named-1', 'named-2'],
      ['named-0', 'named-2'],
      ['large-0', 'large-1', 'large-2'],
      ['large-0', 'large-1'],
      ['large-2'],
    ]);
    expect([...stored].sort()).toEqual(['large-0', 'large-1', 'large-2', 'named-0', 'named-2']);
    expect(stats).toMatchObject({ sent: 5, rejected: 1, queued: 0 });
  });

  it('holds at most maxQueue events: send waits while the API is slow (back-pressure)', async () => {
    script = [{ status: 200, delayMs: 300 }];
    const sender = new EventSender({ api: api(), batchSize: 10, maxQueue: 10, flushIntervalMs: 60_000 });
    const started = Date.now();
    let peak = 0;
    for (const event of events(25)) {
      await sender.send(event);
      peak = Math.max(peak, sender.stats.queued);
    }
    const waited = Date.now() - started;
    await sender.close();
    expect(peak).toBeLessThanOrEqual(10);
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(stored.size).toBe(25);
    expect(requests.flat().map((e) => e.transaction_id)).toEqual(events(25).map((e) => e.transaction_id));
  });

  it('keeps a batch that ran out of attempts queued, and sends it at the next flush', async () => {
    script = [{ status: 502 }, { status: 502 }, { status: 502 }];
    const sender = nexacloud.sender(api(), { ...noWait, maxAttempts: 3 });
    for (const event of events(5)) await sender.send(event);
    expect(await sender.flush()).toMatchObject({ sent: 0, queued: 5 });
    expect(stored.size).toBe(0);
    expect(await sender.close()).toMatchObject({ sent: 5, queued: 0 });
    expect(stored.size).toBe(5);
  });

  it('loses nothing when the application is killed: a sender on the same spool file sends what was handed', async () => {
    const spool = join(mkdtempSync(join(tmpdir(), 'fb-spool-')), 'events.spool');
    // The first batch is never answered before the kill (the request hangs).
    script = [{ status: 200, delayMs: 30_000 }];
    const child = spawnSync(
      join(REPO, 'node_modules/.bin/tsx'),
      [join(REPO, 'tests/client/fixtures/spool-child.ts'), baseUrl, spool, '35'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    // Killed (tsx reports its child's SIGKILL as exit status 137).
    expect([child.signal, child.status], child.stderr).toSatisfy(
      ([signal, status]: [string | null, number | null]) => signal === 'SIGKILL' || status === 137,
    );
    expect(child.stdout).toBe('handed\n');
    expect(readFileSync(spool, 'utf8').trim().split('\n')).toHaveLength(35);
    const restarted = nexacloud.sender(api(), { ...noWait, spoolPath: spool });
    expect(restarted.stats.queued).toBe(35);
    expect(await restarted.close()).toMatchObject({ sent: 35, queued: 0 });
    // All 35, the batch that was in flight at the kill included; the spool is empty again.
    expect([...stored].sort()).toEqual(Array.from({ length: 35 }, (_, index) => `spooled-${index}`).sort());
    expect(existsSync(spool) && readFileSync(spool, 'utf8')).toBe('');
  }, 40_000);

  it('mirrors every event to Lago during a shadow run (the Lago double, as Lago stores them: once each)', async () => {
    const lago = await new LagoDouble({ metrics: [], plans: [], customers: [], subscriptions: [], events: [], invoices: [] }).start();
    try {
      script = [{ status: 503 }];
      const sender = nexacloud.sender(api(), { ...noWait, mirror: nexacloud.client({ baseUrl: lago.url, apiKey: lago.apiKey }) });
      for (const event of events(120, 'mirrored')) await sender.send(event);
      const stats = await sender.close();
      expect(stats).toMatchObject({ sent: 120, retries: 1 });
      expect(sender.mirror!.stats).toMatchObject({ sent: 120, rejected: 0 });
      expect(stored.size).toBe(120);
      const inLago = (await (
        await fetch(`${lago.url}/events?per_page=500`, { headers: { Authorization: `Bearer ${lago.apiKey}` } })
      ).json()) as { events: { transaction_id: string }[] };
      expect(inLago.events.map((e) => e.transaction_id).sort()).toEqual(
        events(120, 'mirrored')
          .map((e) => e.transaction_id)
          .sort(),
      );
    } finally {
      await lago.stop();
    }
  });

  it('builds Lago’s wire event from a typed one', () => {
    expect(
      ncApiRequests({
        transactionId: 't',
        externalSubscriptionId: 's',
        timestamp: new Date('2026-12-01T00:00:00Z'),
        properties: { region: 'us-east' },
      }),
    ).toEqual({
      transaction_id: 't',
      external_subscription_id: 's',
      code: 'nc_api_requests',
      timestamp: 1_796_083_200,
      properties: { region: 'us-east' },
    });
    expect(() => ncApiRequests({ transactionId: '', externalSubscriptionId: 's' })).toThrow(/transactionId/);
  });
});

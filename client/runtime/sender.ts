// A batching sender for usage events: batches up to the API's limit, flushed on size and on an
// interval; a bounded queue (a full queue makes `send` wait: back-pressure, never unbounded memory);
// retries with exponential backoff and full jitter on network errors, 5xx and 429, never on 4xx
// (refused events go back to the caller, each alone when the API names it; a batch too large is
// sent in halves). Transaction ids travel unchanged, so the API counts an
// event once however often it was retried.
//
// Optional: a spool file (events handed to the sender survive a crash of the application: they are
// written before `send` returns and sent again by the next sender on the same file), and a mirror
// (the shadow phase of a migration: the same events also go to Lago, through their own queue, so
// that one side's outage never blocks the other's until its queue is full).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ApiResult, LagoErrorBody } from './api.ts';
import type { UsageEvent } from './events.ts';

export interface BatchApi<Code extends string> {
  sendEvents(events: UsageEvent<Code>[]): Promise<ApiResult<unknown>>;
}

export interface SenderOptions<Code extends string> {
  api: BatchApi<Code>;
  /** Events per request; at most the API's batch limit. */
  batchSize?: number;
  /** A partial batch is sent this long after its first event. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Events held at most; `send` waits beyond. Default 10,000. */
  maxQueue?: number;
  /** Attempts per batch before a flush gives up (the batch stays queued). Default 8. */
  maxAttempts?: number;
  /** Backoff: attempt n waits a random time up to min(maxDelayMs, baseDelayMs × 2^(n-1)). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Events the API refused (4xx), with its error: they are not retried. A refusal that names its
   * events (422 with error_details by index) returns each alone with its own detail (under index 0),
   * and the batch's other events are sent again. */
  onRejected?: (events: UsageEvent<Code>[], error: LagoErrorBody) => void;
  /** A file holding the events not yet answered: a sender started on it sends them first. */
  spoolPath?: string;
  /** Also send every event to this API (Lago's, during a shadow run), with the same retries. */
  mirror?: BatchApi<Code>;
  /** For tests: the jitter source and the clock's sleep. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SenderStats {
  sent: number;
  rejected: number;
  retries: number;
  queued: number;
}

/** The API's batch limit (spec/nexa.yaml: api.events_batch_limit), the most a batch may hold. */
export const DEFAULT_BATCH_LIMIT = 100;

export class EventSender<Code extends string = string> {
  readonly #api: BatchApi<Code>;
  readonly #batchSize: number;
  readonly #intervalMs: number;
  readonly #maxQueue: number;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onRejected: SenderOptions<Code>['onRejected'];
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #queue: UsageEvent<Code>[] = [];
  readonly #waiting: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #draining: Promise<void> | undefined;
  #closed = false;
  readonly stats: SenderStats = { sent: 0, rejected: 0, retries: 0, queued: 0 };
  readonly #spool: Spool<Code> | undefined;
  /** The mirror's own sender (no spool: Odoo's side holds the events). */
  readonly mirror: EventSender<Code> | undefined;

  constructor(options: SenderOptions<Code>, batchLimit = DEFAULT_BATCH_LIMIT) {
    this.#api = options.api;
    this.#batchSize = Math.min(options.batchSize ?? batchLimit, batchLimit);
    if (!(this.#batchSize >= 1)) throw new RangeError(`batchSize must be between 1 and ${batchLimit}`);
    this.#intervalMs = options.flushIntervalMs ?? 1000;
    this.#maxQueue = Math.max(options.maxQueue ?? 10_000, this.#batchSize);
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#baseDelayMs = options.baseDelayMs ?? 200;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#onRejected = options.onRejected;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
    const { mirror, spoolPath, ...rest } = options;
    this.mirror = mirror ? new EventSender({ ...rest, api: mirror }, batchLimit) : undefined;
    if (spoolPath) {
      this.#spool = new Spool<Code>(spoolPath);
      // What an earlier sender on this file was handed and never got an answer for goes first.
      this.#queue.push(...this.#spool.pending());
      this.stats.queued = this.#queue.length;
      if (this.#queue.length) this.#timer = setTimeout(() => this.#drain(), 0);
    }
  }

  /** Queues one event; waits while the queue is full. */
  async send(event: UsageEvent<Code>): Promise<void> {
    if (this.#closed) throw new Error('the sender is closed');
    while (this.#queue.length >= this.#maxQueue) {
      this.#drain();
      await new Promise<void>((resume) => this.#waiting.push(resume));
    }
    this.#spool?.written(event);
    this.#queue.push(event);
    this.stats.queued = this.#queue.length;
    if (this.mirror) await this.mirror.send(event);
    if (this.#queue.length >= this.#batchSize) this.#drain();
    else this.#timer ??= setTimeout(() => this.#drain(), this.#intervalMs);
  }

  /** Sends everything queued; resolves when the queue is empty or a batch ran out of attempts. */
  async flush(): Promise<SenderStats> {
    const mirrored = this.mirror?.flush();
    do {
      await this.#drain();
    } while (this.#queue.length && !this.#gaveUp);
    this.#gaveUp = false;
    await mirrored;
    return { ...this.stats, queued: this.#queue.length };
  }

  /** Flushes and refuses further events; returns what is left unsent (0 when all went through). */
  async close(): Promise<SenderStats> {
    this.#closed = true;
    const mirrored = this.mirror?.close();
    const stats = await this.flush();
    await mirrored;
    return stats;
  }

  #gaveUp = false;

  #drain(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#draining ??= this.#sendAll().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  async #sendAll(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.slice(0, this.#batchSize);
      const outcome = await this.#sendWithRetries(batch);
      if (outcome === 'gave-up') {
        this.#gaveUp = true;
        return;
      }
      this.#queue.splice(0, batch.length);
      this.stats.queued = this.#queue.length;
      this.#spool?.answered(batch, this.#queue.length === 0);
      // Room in the queue: producers waiting on back-pressure resume, in order.
      for (const resume of this.#waiting.splice(0)) resume();
    }
  }

  async #sendWithRetries(batch: UsageEvent<Code>[]): Promise<'sent' | 'rejected' | 'gave-up'> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.#api.sendEvents(batch);
      if (result.ok) {
        this.stats.sent += batch.length;
        return 'sent';
      }
      if (!retryable(result.status)) return this.#refused(batch, result.status, result.error as LagoErrorBody);
      if (attempt >= this.#maxAttempts) return 'gave-up';
      this.stats.retries += 1;
      await this.#sleep(this.backoffMs(attempt));
    }
  }

  /** A refused batch stores nothing. When the refusal names its events (Lago's 422 with
   * error_details under each refused event's index), only those go back to the caller and the
   * others are sent again; a batch too large (413) is sent in halves; otherwise all go back. */
  async #refused(batch: UsageEvent<Code>[], status: number, error: LagoErrorBody): Promise<'sent' | 'rejected' | 'gave-up'> {
    if (status === 413 && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      const first = await this.#sendWithRetries(batch.slice(0, half));
      if (first === 'gave-up') return first;
      const second = await this.#sendWithRetries(batch.slice(half));
      return second === 'gave-up' ? second : 'sent';
    }
    const details = status === 422 && error.error_details ? Object.entries(error.error_details) : [];
    const named = details.every(([key]) => /^\d+$/.test(key) && Number(key) < batch.length) ? details : [];
    if (!named.length) {
      this.stats.rejected += batch.length;
      this.#onRejected?.(batch, error);
      return 'rejected';
    }
    const refusedAt = new Set(named.map(([key]) => Number(key)));
    for (const [key, detail] of named) {
      this.stats.rejected += 1;
      this.#onRejected?.([batch[Number(key)]!], { ...error, error_details: { 0: detail } });
    }
    const rest = batch.filter((_, index) => !refusedAt.has(index));
    return rest.length ? this.#sendWithRetries(rest) : 'rejected';
  }

  /** The wait after failed attempt `attempt` (1-based): full jitter under the exponential cap. */
  backoffMs(attempt: number): number {
    const cap = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(this.#random() * cap);
  }
}

/** Network errors (status 0), throttling and server errors are retried; other refusals are final. */
export function retryable(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

/** The spool file: one JSON line per event handed to the sender, then one line per answered batch
 * (its transaction ids). Written synchronously, so an event `send` accepted is on disk when it
 * returns; emptied whenever nothing is left unanswered. */
class Spool<Code extends string> {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  pending(): UsageEvent<Code>[] {
    if (!existsSync(this.#path)) return [];
    const events = new Map<string, UsageEvent<Code>>();
    for (const line of readFileSync(this.#path, 'utf8').split('\n')) {
      if (!line) continue;
      let entry: { e?: UsageEvent<Code>; a?: string[] };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue; // a line cut short by the crash: its event was never accepted
      }
      if (entry.e) events.set(entry.e.transaction_id, entry.e);
      for (const id of entry.a ?? []) events.delete(id);
    }
    const pending = [...events.values()];
    writeFileSync(this.#path, pending.map((event) => `${JSON.stringify({ e: event })}\n`).join(''));
    return pending;
  }

  written(event: UsageEvent<Code>): void {
    appendFileSync(this.#path, `${JSON.stringify({ e: event })}\n`);
  }

  answered(batch: UsageEvent<Code>[], empty: boolean): void {
    if (empty) writeFileSync(this.#path, '');
    else appendFileSync(this.#path, `${JSON.stringify({ a: batch.map((event) => event.transaction_id) })}\n`);
  }
}

// The soak scenario's load and its per-minute figures (harness/faults/soak.fault.ts), kept pure
// for the unit test (tests/harness/faults-soak.test.ts): the request mix, the open-loop schedule,
// each window's rate and latency percentiles, and the stability and memory checks.
import { percentile } from '../bench/load.ts';

export type SoakKind = 'event' | 'batch' | 'current_usage' | 'customer_upsert' | 'customer_get' | 'customer_list';

/**
 * One client's cycle of 20 requests: 8 single events, 2 batches of 100, 5 current usage, 3
 * customer upserts, 1 customer read and 1 customer list, interleaved. Client c starts its cycle
 * 5·c requests in, so that the clients are not all on the same kind at once.
 */
export const SOAK_MIX: readonly SoakKind[] = [
  'event',
  'current_usage',
  'event',
  'customer_upsert',
  'event',
  'batch',
  'current_usage',
  'event',
  'customer_get',
  'event',
  'current_usage',
  'customer_upsert',
  'event',
  'batch',
  'current_usage',
  'event',
  'customer_list',
  'event',
  'current_usage',
  'customer_upsert',
];

export function mixKind(client: number, iteration: number): SoakKind {
  return SOAK_MIX[(iteration + client * 5) % SOAK_MIX.length]!;
}

/** The mix as a line: "8 single events, 2 batches, … per 20 requests". */
export function describeMix(batchSize: number): string {
  const count = (kinds: SoakKind[]) => SOAK_MIX.filter((kind) => kinds.includes(kind)).length;
  return (
    `per ${SOAK_MIX.length} requests ${count(['event'])} single events, ${count(['batch'])} batches of ${batchSize}, ` +
    `${count(['current_usage'])} current usage, ${count(['customer_upsert'])} customer upserts, ` +
    `${count(['customer_get', 'customer_list'])} customer reads (one by id, one list)`
  );
}

/**
 * Open-loop schedule: when client `client` of `clients` is meant to send its request
 * `iteration` (ms after `start`), for a total of `rate` requests per second. Each client sends
 * every clients/rate seconds, the clients staggered evenly within that interval. The time does not
 * depend on when earlier answers came, so a slow answer delays what follows without hiding it:
 * latency is measured from this time (no coordinated omission).
 */
export function intendedSendTime(client: number, iteration: number, clients: number, rate: number, start = 0): number {
  const intervalMs = (clients * 1000) / rate;
  return start + (iteration + client / clients) * intervalMs;
}

export interface Sample {
  /** When the request was meant to be sent (ms, same clock as doneAt). */
  intendedAt: number;
  /** When it was sent: intendedAt, or later when the client was still waiting for its previous answer. */
  sentAt: number;
  doneAt: number;
  /** A 2xx answer with the body expected. */
  ok: boolean;
}

export interface WindowStats {
  /** 0-based window (minute) number. */
  index: number;
  /** Answers that came in the window. */
  requests: number;
  /** requests per second of the window. */
  rate: number;
  /** Latency from the intended send time, of the answers of the window (ms). */
  p50: number;
  p99: number;
  max: number;
  errors: number;
  /** The largest delay of a send behind its schedule in the window (ms). */
  maxLag: number;
}

/**
 * Figures per window of `windowMs` from `start`, `windows` of them; a sample belongs to the
 * window its answer came in. Answers after the last window (the last requests' stragglers) count
 * in the last window; answers before `start` are ignored.
 */
export function windowStats(samples: readonly Sample[], start: number, windowMs: number, windows: number): WindowStats[] {
  const buckets: Sample[][] = Array.from({ length: windows }, () => []);
  for (const sample of samples) {
    if (sample.doneAt < start) continue;
    buckets[Math.min(windows - 1, Math.floor((sample.doneAt - start) / windowMs))]!.push(sample);
  }
  return buckets.map((bucket, index) => {
    const latencies = bucket.map((sample) => sample.doneAt - sample.intendedAt);
    return {
      index,
      requests: bucket.length,
      rate: bucket.length / (windowMs / 1000),
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies.length ? Math.max(...latencies) : Number.NaN,
      errors: bucket.filter((sample) => !sample.ok).length,
      maxLag: bucket.length ? Math.max(...bucket.map((sample) => sample.sentAt - sample.intendedAt)) : Number.NaN,
    };
  });
}

/** The windows whose rate is off the target by more than `tolerance` (a share: 0.15 = ±15 %). */
export function unstableWindows(windows: readonly WindowStats[], targetRate: number, tolerance: number): WindowStats[] {
  return windows.filter((window) => Math.abs(window.rate - targetRate) > tolerance * targetRate);
}

export interface MemoryBound {
  /** Growth allowed as a share of the first figure... */
  ratio: number;
  /** ...or in bytes: either suffices. */
  bytes: number;
}

/** Whether memory grew from `first` to `last` by less than the bound (either of its limits). */
export function memoryWithin(first: number, last: number, bound: MemoryBound): boolean {
  const growth = last - first;
  return growth < bound.bytes || growth < first * bound.ratio;
}

// Closed-loop load: `clients` concurrent loops, each sending its next request as soon as the
// previous one answered, for a fixed time. Rates are per wall second over the whole run.

export interface LoadResult {
  requests: number;
  /** What the requests carried (events), as counted by `task`. */
  units: number;
  seconds: number;
  latenciesMs: number[];
}

export interface LoadOptions {
  clients: number;
  seconds: number;
  /** One request of client `client`; resolves with the units it carried, rejects on failure. */
  task: (client: number, iteration: number) => Promise<number>;
}

export async function runLoad({ clients, seconds, task }: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const latenciesMs: number[] = [];
  let requests = 0;
  let units = 0;
  const loop = async (client: number): Promise<void> => {
    for (let iteration = 0; performance.now() < deadline; iteration += 1) {
      const sent = performance.now();
      // Not `units += await ...`: that reads `units` before awaiting and loses the other loops' counts.
      const carried = await task(client, iteration);
      units += carried;
      latenciesMs.push(performance.now() - sent);
      requests += 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, client) => loop(client)));
  return { requests, units, seconds: (performance.now() - started) / 1000, latenciesMs };
}

export function percentile(values: number[], fraction: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

export function formatRate(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 1 : 0 });
}

export function latencySummary(result: LoadResult): string {
  return `p50 ${percentile(result.latenciesMs, 0.5).toFixed(0)} ms, p99 ${percentile(result.latenciesMs, 0.99).toFixed(0)} ms`;
}

export function numberOption(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(args[index + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} expects a number, got ${args[index + 1]}`);
  return value;
}

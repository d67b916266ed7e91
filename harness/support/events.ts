// Sending usage the way an application does: batches of at most the API's limit, a few in flight.
import type { LagoClient, LagoEvent, LagoEventInput, LagoResponse } from '../clients/lago.ts';

/** The spec's module.api.events_batch_limit. */
export const EVENTS_BATCH_LIMIT = 100;

export function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Posts `events` to /events/batch in chunks of `batchSize`, `concurrency` requests in flight;
 * the responses in chunk order. Never throws on an HTTP error: callers assert on statuses.
 */
export async function sendInBatches(
  lago: LagoClient,
  events: LagoEventInput[],
  { batchSize = EVENTS_BATCH_LIMIT, concurrency = 4 } = {},
): Promise<LagoResponse<{ events: LagoEvent[] }>[]> {
  const chunks = chunk(events, batchSize);
  const responses: LagoResponse<{ events: LagoEvent[] }>[] = new Array(chunks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < chunks.length; index = next++) {
      responses[index] = await lago.createEventsBatch(chunks[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  return responses;
}

/**
 * `count` whole-second Unix timestamps spread evenly over [startMs, endMs): the i-th is
 * start + floor(i × length / count) seconds, so the first is the start itself.
 */
export function spreadSeconds(startMs: number, endMs: number, count: number): number[] {
  const start = startMs / 1000;
  const length = (endMs - startMs) / 1000;
  return Array.from({ length: count }, (_, index) => start + Math.floor((index * length) / count));
}

// The soak scenario's pure parts (harness/faults/soak-load.ts): its mix, its open-loop schedule,
// the per-minute figures and the stability and memory checks the scenario judges by.
import { describe, expect, it } from 'vitest';
import {
  describeMix,
  intendedSendTime,
  memoryWithin,
  mixKind,
  SOAK_MIX,
  type Sample,
  unstableWindows,
  windowStats,
} from '../../harness/faults/soak-load.ts';

const sample = (intendedAt: number, doneAt: number, ok = true, sentAt = intendedAt): Sample => ({ intendedAt, sentAt, doneAt, ok });

describe('fault suite: soak load and figures', () => {
  it('mixes 8 single events, 2 batches, 5 current usage, 3 upserts and 2 reads per 20 requests, clients out of step', () => {
    const counts = new Map<string, number>();
    for (const kind of SOAK_MIX) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({
      event: 8,
      batch: 2,
      current_usage: 5,
      customer_upsert: 3,
      customer_get: 1,
      customer_list: 1,
    });
    // Every client goes through the whole cycle, each from another point of it.
    for (let client = 0; client < 8; client++)
      expect(Array.from({ length: 20 }, (_, i) => mixKind(client, i)).sort()).toEqual([...SOAK_MIX].sort());
    expect(mixKind(0, 0)).toBe('event');
    expect(mixKind(1, 0)).toBe(SOAK_MIX[5]);
    expect(describeMix(100)).toBe(
      'per 20 requests 8 single events, 2 batches of 100, 5 current usage, 3 customer upserts, 2 customer reads (one by id, one list)',
    );
  });

  it('schedules the clients evenly for the total rate, independent of answers', () => {
    // 8 clients at 40 req/s in all: each every 200 ms, staggered by 25 ms.
    expect(intendedSendTime(0, 0, 8, 40)).toBe(0);
    expect(intendedSendTime(1, 0, 8, 40)).toBe(25);
    expect(intendedSendTime(0, 1, 8, 40)).toBe(200);
    expect(intendedSendTime(7, 2, 8, 40, 1000)).toBe(1000 + 2 * 200 + 175);
    const times = [];
    for (let client = 0; client < 8; client++)
      for (let i = 0; intendedSendTime(client, i, 8, 40) < 60_000; i++) times.push(intendedSendTime(client, i, 8, 40));
    expect(times).toHaveLength(40 * 60);
  });

  it('counts each answer in the minute it came, latency from the intended send time', () => {
    const samples = [
      sample(0, 10),
      sample(100, 130),
      sample(200, 60_500, true, 59_000), // sent late (the client waited), answered in the second window
      sample(60_000, 60_020, false),
      sample(119_990, 120_050), // a straggler after the last window: counted in the last
      sample(-500, -100), // before the start: ignored
    ];
    const [first, second] = windowStats(samples, 0, 60_000, 2);
    expect(first).toMatchObject({ index: 0, requests: 2, rate: 2 / 60, errors: 0, max: 30, maxLag: 0 });
    expect(second).toMatchObject({ index: 1, requests: 3, errors: 1, max: 60_300, maxLag: 58_800 });
    expect(second!.p50).toBe(60);
    expect(second!.p99).toBe(60_300);
  });

  it('gives percentiles over the window and NaN for an empty one', () => {
    const samples = Array.from({ length: 100 }, (_, i) => sample(i * 5, i * 5 + i + 1));
    const [window, empty] = windowStats(samples, 0, 1000, 2);
    expect(window).toMatchObject({ requests: 100, rate: 100, p50: 51, p99: 100, max: 100 });
    expect(empty!.requests).toBe(0);
    expect(Number.isNaN(empty!.p99)).toBe(true);
  });

  it('calls a window unstable when its rate is off the target by more than the tolerance, either way', () => {
    const windows = [40, 35, 46, 33.9, 46.1].map((rate, index) => ({
      index,
      requests: rate * 60,
      rate,
      p50: 1,
      p99: 2,
      max: 3,
      errors: 0,
      maxLag: 0,
    }));
    expect(unstableWindows(windows, 40, 0.15).map((window) => window.index)).toEqual([3, 4]);
  });

  it('bounds memory growth by a share or a number of bytes, whichever is larger', () => {
    const bound = { ratio: 0.25, bytes: 100 * 2 ** 20 };
    expect(memoryWithin(200 * 2 ** 20, 290 * 2 ** 20, bound)).toBe(true); // +90 MB: under 100 MB
    expect(memoryWithin(600 * 2 ** 20, 740 * 2 ** 20, bound)).toBe(true); // +140 MB: under 25 %
    expect(memoryWithin(600 * 2 ** 20, 760 * 2 ** 20, bound)).toBe(false); // +160 MB, 26.7 %
    expect(memoryWithin(300 * 2 ** 20, 250 * 2 ** 20, bound)).toBe(true);
  });
});

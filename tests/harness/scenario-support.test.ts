import { describe, expect, it } from 'vitest';
import { runLoad } from '../../harness/bench/load.ts';
import { chunk, spreadSeconds } from '../../harness/support/events.ts';
import {
  add,
  centsOfOdooAmount,
  compare,
  dec,
  divCeil,
  divRoundHalfUp,
  formatCents,
  mul,
  ratioToFixed,
  toCents,
} from '../../harness/support/money.ts';
import { isoSeconds, localDate, localMidnightUtc, monthPeriod } from '../../harness/support/zoned-time.ts';

describe('money helpers (exact, half-up)', () => {
  it('adds and multiplies decimal strings exactly', () => {
    // 0.1 + 0.2 is exactly 0.3 here, unlike in floats.
    expect(compare(add(dec('0.1'), dec('0.2')), dec('0.3'))).toBe(0);
    expect(add(dec('12.5'), dec(30), dec('7.25'))).toEqual({ coefficient: 4975n, scale: 2 });
    expect(toCents(mul(dec('3000'), dec('0.0004')))).toBe(120n);
    expect(() => dec(0.1)).toThrow(/decimal strings/);
    expect(() => dec('1e3')).toThrow(/not a decimal/);
  });

  it('rounds half up, away from zero, like the module and Lago', () => {
    expect(divRoundHalfUp(5n, 2n)).toBe(3n);
    expect(divRoundHalfUp(-5n, 2n)).toBe(-3n);
    expect(divRoundHalfUp(149n, 100n)).toBe(1n);
    expect(toCents(dec('9.9346'))).toBe(993n);
    expect(toCents(dec('0.005'))).toBe(1n);
    expect(toCents(dec('-0.005'))).toBe(-1n);
    expect(divCeil(225n, 100n)).toBe(3n);
    expect(divCeil(-1n, 100n)).toBe(0n);
  });

  it('reads Odoo monetary numbers into cents without float arithmetic, refusing non-cent values', () => {
    expect(centsOfOdooAmount(146.2)).toBe(14620n);
    expect(centsOfOdooAmount(0)).toBe(0n);
    expect(centsOfOdooAmount(-24.75)).toBe(-2475n);
    expect(centsOfOdooAmount(1234567.89)).toBe(123456789n);
    expect(() => centsOfOdooAmount(0.1 + 0.2)).toThrow(/not a whole number of cents/);
  });

  it('formats cents and truncated ratios', () => {
    expect(formatCents(23729n)).toBe('237.29');
    expect(formatCents(-5n)).toBe('-0.05');
    // 3820 / 31 = 123.2258064516…
    expect(ratioToFixed(3820n, 31n, 6)).toBe('123.225806');
  });
});

describe('zoned time (customer billing months)', () => {
  it('finds local midnights in UTC, across daylight saving time', () => {
    expect(isoSeconds(localMidnightUtc('America/Toronto', 2026, 1))).toBe('2026-01-01T05:00:00Z');
    expect(isoSeconds(localMidnightUtc('America/Toronto', 2026, 7))).toBe('2026-07-01T04:00:00Z');
    expect(isoSeconds(localMidnightUtc('America/Toronto', 2026, 13))).toBe('2027-01-01T05:00:00Z');
    expect(isoSeconds(localMidnightUtc('UTC', 2026, 0))).toBe('2025-12-01T00:00:00Z');
  });

  it('gives month lengths in seconds: March loses an hour, November gains one', () => {
    const march = Date.UTC(2026, 2, 15);
    expect(monthPeriod('America/Toronto', march).seconds).toBe(31 * 86_400 - 3600);
    expect(monthPeriod('America/Toronto', Date.UTC(2026, 10, 15)).seconds).toBe(30 * 86_400 + 3600);
    expect(monthPeriod('America/Toronto', march, -1)).toEqual({
      startMs: Date.UTC(2026, 1, 1, 5),
      endMs: Date.UTC(2026, 2, 1, 5),
      seconds: 28 * 86_400,
    });
  });

  it('knows the local date of an instant', () => {
    // 03:00 UTC on July 1st is still June 30th in Toronto.
    expect(localDate('America/Toronto', Date.UTC(2026, 6, 1, 3))).toEqual({ year: 2026, month: 6, day: 30 });
    expect(monthPeriod('America/Toronto', Date.UTC(2026, 6, 1, 3)).startMs).toBe(Date.UTC(2026, 5, 1, 4));
  });
});

describe('event helpers', () => {
  it('spreads whole-second timestamps over a period, starting at its start', () => {
    const start = Date.UTC(2026, 0, 1);
    const seconds = spreadSeconds(start, start + 10_000, 4);
    expect(seconds).toEqual([start / 1000, start / 1000 + 2, start / 1000 + 5, start / 1000 + 7]);
    expect(
      spreadSeconds(start, start + 31 * 86_400_000, 103_000).every((value, index, all) => index === 0 || value >= all[index - 1]!),
    ).toBe(true);
  });

  it('chunks', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});

describe('closed-loop load', () => {
  it('counts every unit of concurrent loops (no lost updates across awaits)', async () => {
    const result = await runLoad({
      clients: 8,
      seconds: 0.2,
      task: async () => {
        await new Promise((done) => setTimeout(done, 1));
        return 100;
      },
    });
    expect(result.requests).toBeGreaterThan(8);
    expect(result.units).toBe(result.requests * 100);
    expect(result.latenciesMs).toHaveLength(result.requests);
  });
});

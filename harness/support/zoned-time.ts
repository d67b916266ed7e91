// Billing periods are calendar months in the customer's timezone: the scenarios need the UTC
// instants of local midnights (Intl knows the zone rules; no dependency).

/** Offset of `timeZone` from UTC at `instantMs`, in ms (e.g. -4 h for Toronto in summer). */
export function zoneOffsetMs(timeZone: string, instantMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instantMs));
  const field = (type: string): number => Number(parts.find((part) => part.type === type)?.value);
  const wall = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
  return wall - Math.floor(instantMs / 1000) * 1000;
}

/** UTC ms of local midnight starting day `day` of `month` (1-12, may overflow into the next year). */
export function localMidnightUtc(timeZone: string, year: number, month: number, day = 1): number {
  const wall = Date.UTC(year, month - 1, day);
  // Two passes: the offset at the guessed instant may differ from the one at the answer (DST).
  let instant = wall - zoneOffsetMs(timeZone, wall);
  instant = wall - zoneOffsetMs(timeZone, instant);
  return instant;
}

/** The local calendar date of an instant. */
export function localDate(timeZone: string, instantMs: number): { year: number; month: number; day: number } {
  const shifted = new Date(instantMs + zoneOffsetMs(timeZone, instantMs));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

export interface MonthPeriod {
  /** UTC ms of the local midnight starting the month. */
  startMs: number;
  /** UTC ms of the local midnight starting the next month. */
  endMs: number;
  /** Length in seconds (DST months are an hour shorter or longer). */
  seconds: number;
}

/** The local calendar month containing `instantMs`, shifted by `offset` months. */
export function monthPeriod(timeZone: string, instantMs: number, offset = 0): MonthPeriod {
  const { year, month } = localDate(timeZone, instantMs);
  const startMs = localMidnightUtc(timeZone, year, month + offset);
  const endMs = localMidnightUtc(timeZone, year, month + offset + 1);
  return { startMs, endMs, seconds: (endMs - startMs) / 1000 };
}

/** ISO 8601 UTC to the second, as the API writes dates ("2026-03-01T05:00:00Z"). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

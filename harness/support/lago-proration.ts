// Lago's proration of a base fee, by hand for the scenarios (integer cents, BigInt): the local
// days billed over the days of the period, every day touched counting whole
// (Fees::SubscriptionService#first_subscription_amount, Utils::Datetime.date_diff_with_timezone).
import { divRoundHalfUp } from './money.ts';
import { localDate, type MonthPeriod } from './zoned-time.ts';

const DAY_MS = 86_400_000;

/** The local days of a month (its last day's number). */
export function daysOf(timeZone: string, month: MonthPeriod): number {
  return localDate(timeZone, month.endMs - 1).day;
}

/** A monthly fee of `amountCents` for a subscription that started as `month` began, with a trial of
 * `trialDays`: the days from the trial's end to the month's end. */
export function feeAfterTrialCents(timeZone: string, month: MonthPeriod, trialDays: number, amountCents: bigint): bigint {
  const days = daysOf(timeZone, month);
  const billed = BigInt(days - localDate(timeZone, month.startMs + trialDays * DAY_MS).day + 1);
  return divRoundHalfUp(amountCents * billed, BigInt(days));
}

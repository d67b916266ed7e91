"""What a subscription bills and when: base fees (arrears, advance, trials, proration), usage
periods (bill_charges_monthly), credits of unused days, upgrade or downgrade.

Cases marked "Lago" come from getlago/lago-api's own specs; their line numbers are given. Lago
works in cents with floats (precise_amount_cents); here amounts are exact Decimals in units."""

import unittest
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from fusion_billing.rating.money import round_amount
from fusion_billing.rating.periods import Period
from fusion_billing.rating.schedule import (
    Terms, charges_interval, fees_due, trial_end, unused_credit, usage_due, yearly_amount)

UTC = timezone.utc
TORONTO = ZoneInfo("America/Toronto")


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def toronto(*parts):
    return datetime(*parts, tzinfo=TORONTO).astimezone(UTC)


def cents(amount):
    return round_amount(amount, 2)


def first_fee(terms, until):
    return fees_due(terms, None, until)[0]


class LagoSubscriptionFeeCases(unittest.TestCase):
    """spec/services/fees/subscription_service_spec.rb (plan amount_cents 100, i.e. 1.00)."""

    def test_trial_ending_inside_the_period_bills_the_days_after_it(self):
        # line 97-107: monthly, started 2022-03-01, trial 3 days → 90.32258064516128 cents (28/31).
        terms = Terms("monthly", Decimal("1.00"), started_at=utc(2022, 3, 1), trial_days=3)
        fee = first_fee(terms, utc(2022, 4, 1))
        self.assertEqual((fee.days_billed, fee.days_in_period), (28, 31))
        self.assertEqual(fee.amount * 100, Decimal(100) * 28 / 31)
        self.assertEqual(cents(fee.amount), Decimal("0.90"))

    def test_trial_covering_the_period_bills_nothing(self):
        # line 114-123: trial 45 days → amount_cents 0.
        terms = Terms("monthly", Decimal("1.00"), started_at=utc(2022, 3, 1), trial_days=45)
        self.assertEqual(first_fee(terms, utc(2022, 4, 1)).amount, 0)

    def test_weekly_from_monday_with_a_trial(self):
        # line 321-351: weekly, started Monday 2022-06-20 00:01, trial 3 days → 57.14285714285714 cents (4/7).
        terms = Terms("weekly", Decimal("1.00"), started_at=utc(2022, 6, 20, 0, 1), trial_days=3)
        self.assertEqual(first_fee(terms, utc(2022, 6, 27)).amount, Decimal("1.00") * 4 / 7)
        # line 321-333: without a trial, from Monday 00:01 the whole week (100 cents).
        self.assertEqual(first_fee(Terms("weekly", Decimal("1.00"), started_at=utc(2022, 6, 20, 0, 1)), utc(2022, 6, 27)).amount, Decimal("1.00"))

    def test_weekly_from_wednesday(self):
        # line 414-424: started Wednesday 2022-06-22 → 71.42857142857143 cents (5/7).
        terms = Terms("weekly", Decimal("1.00"), started_at=utc(2022, 6, 22))
        self.assertEqual(first_fee(terms, utc(2022, 6, 27)).amount, Decimal("1.00") * 5 / 7)
        # line 430-441: with a 3-day trial → 28.57142857142857 cents (2/7).
        trial = Terms("weekly", Decimal("1.00"), started_at=utc(2022, 6, 22), trial_days=3)
        self.assertEqual(first_fee(trial, utc(2022, 6, 27)).amount, Decimal("1.00") * 2 / 7)

    def test_pay_in_advance_first_week_is_billed_when_it_starts(self):
        # line 460-468: pay in advance from Wednesday → the same 5/7, due at the start.
        terms = Terms("weekly", Decimal("1.00"), started_at=utc(2022, 6, 22), pay_in_advance=True)
        fee = first_fee(terms, utc(2022, 6, 22))
        self.assertEqual((fee.due_at, fee.amount, fee.in_advance), (utc(2022, 6, 22), Decimal("1.00") * 5 / 7, True))

    def test_pay_in_advance_trial_fee_is_due_when_the_trial_ends(self):
        # line 472-483 (2/7), billed at the trial's end: Subscriptions::FreeTrialBillingService.
        terms = Terms("weekly", Decimal("1.00"), started_at=utc(2022, 6, 22), pay_in_advance=True, trial_days=3)
        self.assertEqual(fees_due(terms, None, utc(2022, 6, 24, 23)), [])
        fee = first_fee(terms, utc(2022, 6, 25))
        self.assertEqual((fee.due_at, fee.amount), (utc(2022, 6, 25), Decimal("1.00") * 2 / 7))

    def test_terminated_subscription_bills_days_up_to_its_termination(self):
        # line 1110-1147: monthly in arrears, terminated 2022-03-20 (end of day) → 64.51612903225806 cents (20/31).
        terms = Terms("monthly", Decimal("1.00"), started_at=utc(2022, 1, 1, 0, 1),
                      terminated_at=utc(2022, 3, 20, 23, 59, 59))
        fee = fees_due(terms, utc(2022, 3, 1), utc(2022, 3, 20, 23, 59, 59))[0]
        self.assertEqual((fee.period.end, fee.days_billed), (utc(2022, 3, 20, 23, 59, 59), 20))
        self.assertEqual(fee.amount, Decimal("1.00") * 20 / 31)

    def test_upgraded_subscription_bills_from_the_switch_to_the_period_end(self):
        # line 1269-1322: the new plan's subscription started 2022-03-15 → 54.83870967741935 cents (17/31).
        terms = Terms("monthly", Decimal("1.00"), started_at=utc(2022, 3, 15), subscription_at=utc(2021, 9, 15))
        fee = first_fee(terms, utc(2022, 4, 1))
        self.assertEqual((fee.period.start, fee.days_billed), (utc(2022, 3, 15), 17))
        self.assertEqual(fee.amount, Decimal("1.00") * 17 / 31)


class Schedules(unittest.TestCase):
    def test_in_arrears_each_fee_is_due_when_its_period_ends(self):
        terms = Terms("monthly", Decimal("99.00"), started_at=utc(2026, 1, 10))
        self.assertEqual(fees_due(terms, None, utc(2026, 1, 31)), [])
        due = fees_due(terms, None, utc(2026, 3, 1))
        self.assertEqual([fee.period.start for fee in due], [utc(2026, 1, 10), utc(2026, 2, 1)])
        self.assertEqual([fee.amount for fee in due], [Decimal("99.00") * 22 / 31, Decimal("99.00")])
        # Already billed up to February's end: nothing until March ends.
        self.assertEqual(fees_due(terms, utc(2026, 3, 1), utc(2026, 3, 31)), [])

    def test_in_advance_the_period_in_progress_is_due(self):
        terms = Terms("monthly", Decimal("29.00"), started_at=utc(2026, 1, 10), pay_in_advance=True)
        due = fees_due(terms, None, utc(2026, 1, 10))
        self.assertEqual([(fee.period.start, fee.period.end) for fee in due], [(utc(2026, 1, 10), utc(2026, 2, 1))])
        self.assertEqual(due[0].amount, Decimal("29.00") * 22 / 31)
        # On February 1st: February's fee in full; usage of January in arrears.
        nxt = fees_due(terms, utc(2026, 2, 1), utc(2026, 2, 1))
        self.assertEqual([(fee.period.start, fee.amount) for fee in nxt], [(utc(2026, 2, 1), Decimal("29.00"))])
        self.assertEqual(usage_due(terms, None, utc(2026, 2, 1)), [Period(utc(2026, 1, 10), utc(2026, 2, 1), 31 * 86400)])

    def test_yearly_with_monthly_charges(self):
        terms = Terms("yearly", Decimal("990.00"), started_at=utc(2026, 1, 1), pay_in_advance=True, bill_charges_monthly=True)
        self.assertEqual(charges_interval(terms), "monthly")
        self.assertEqual([fee.amount for fee in fees_due(terms, None, utc(2026, 6, 1))], [Decimal("990.00")])
        self.assertEqual(fees_due(terms, utc(2027, 1, 1), utc(2026, 12, 31)), [])
        months = usage_due(terms, None, utc(2026, 4, 1))
        self.assertEqual([period.start for period in months], [utc(2026, 1, 1), utc(2026, 2, 1), utc(2026, 3, 1)])
        # Without the flag a yearly plan's usage waits for the year's end.
        self.assertEqual(usage_due(Terms("yearly", Decimal("990.00"), started_at=utc(2026, 1, 1)), None, utc(2026, 12, 31)), [])
        # Monthly plans ignore it (the validator refuses it there).
        self.assertEqual(charges_interval(Terms("monthly", Decimal(1), started_at=utc(2026, 1, 1), bill_charges_monthly=True)), "monthly")

    def test_anniversary_yearly_with_monthly_charges_counts_months_from_the_start_day(self):
        terms = Terms("yearly", Decimal("990.00"), started_at=utc(2024, 1, 31), billing_time="anniversary", bill_charges_monthly=True)
        months = usage_due(terms, None, utc(2024, 4, 30))
        # Jan 31 → Feb 29 (leap year) → Mar 31 → Apr 30: Lago's end-of-month rule.
        self.assertEqual([(p.start, p.end) for p in months],
                         [(utc(2024, 1, 31), utc(2024, 2, 29)), (utc(2024, 2, 29), utc(2024, 3, 31)), (utc(2024, 3, 31), utc(2024, 4, 30))])
        fee = fees_due(terms, None, utc(2025, 1, 31))[0]
        self.assertEqual((fee.period.end, fee.days_in_period, fee.amount), (utc(2025, 1, 31), 366, Decimal("990.00")))

    def test_leap_day_anniversary_yearly(self):
        terms = Terms("yearly", Decimal("100"), started_at=utc(2024, 2, 29), billing_time="anniversary")
        fee = first_fee(terms, utc(2025, 3, 1))
        self.assertEqual((fee.period.end, fee.amount), (utc(2025, 2, 28), Decimal("100")))

    def test_toronto_daylight_saving_counts_local_days(self):
        # Toronto moves to EDT on 2026-03-08: March still has 31 local days.
        terms = Terms("monthly", Decimal("31.00"), started_at=toronto(2026, 3, 10, 9), tz="America/Toronto", pay_in_advance=True)
        fee = first_fee(terms, toronto(2026, 3, 10, 9))
        self.assertEqual((fee.period.end, fee.days_billed, fee.days_in_period), (toronto(2026, 4, 1), 22, 31))
        self.assertEqual(fee.amount, Decimal("22.00"))
        # November: back to EST on the 1st; a trial ending on the 5th at 09:00 local.
        trial = Terms("monthly", Decimal("30.00"), started_at=toronto(2026, 10, 22, 9), tz="America/Toronto", trial_days=14)
        self.assertEqual(trial_end(trial), toronto(2026, 10, 22, 9) + timedelta(days=14))
        fees = fees_due(trial, None, toronto(2026, 12, 1))
        self.assertEqual([fee.amount for fee in fees], [Decimal(0), Decimal("30.00") * 26 / 30])

    def test_change_of_plan_on_a_periods_first_second(self):
        boundary = toronto(2026, 4, 1)
        old = Terms("monthly", Decimal("99.00"), started_at=toronto(2026, 1, 5), tz="America/Toronto", terminated_at=boundary)
        new = Terms("monthly", Decimal("29.00"), started_at=boundary, subscription_at=toronto(2026, 1, 5), tz="America/Toronto")
        # The old plan's March is whole; nothing of April.
        self.assertEqual([fee.amount for fee in fees_due(old, toronto(2026, 3, 1), boundary)], [Decimal("99.00")])
        self.assertEqual(fees_due(old, boundary, toronto(2026, 5, 1)), [])
        self.assertEqual([fee.amount for fee in fees_due(new, None, toronto(2026, 5, 1))], [Decimal("29.00")])

    def test_change_of_plan_on_a_periods_last_second(self):
        last_second = toronto(2026, 3, 31, 23, 59, 59)
        old = Terms("monthly", Decimal("99.00"), started_at=toronto(2026, 1, 5), tz="America/Toronto", terminated_at=last_second)
        new = Terms("monthly", Decimal("310.00"), started_at=last_second, subscription_at=toronto(2026, 1, 5), tz="America/Toronto")
        self.assertEqual(fees_due(old, toronto(2026, 3, 1), last_second)[0].amount, Decimal("99.00"))
        # The last day counts on both plans, as in Lago (date_diff_with_timezone rounds up).
        fee = first_fee(new, toronto(2026, 4, 1))
        self.assertEqual((fee.days_billed, fee.amount), (1, Decimal("10.00")))

    def test_usage_periods_stop_at_termination(self):
        terms = Terms("monthly", Decimal(0), started_at=utc(2026, 1, 1), terminated_at=utc(2026, 2, 10, 12))
        periods = usage_due(terms, utc(2026, 2, 1), utc(2026, 3, 1))
        self.assertEqual([(p.start, p.end) for p in periods], [(utc(2026, 2, 1), utc(2026, 2, 10, 12))])


class UnusedDays(unittest.TestCase):
    """CreditNotes::CreateFromTermination#remaining_duration: pay-in-advance plans owe back the days after termination."""

    def terms(self, **kw):
        return Terms("monthly", Decimal("31.00"), started_at=utc(2026, 1, 1), pay_in_advance=True, terminated_at=utc(2026, 3, 10, 12), **kw)

    def test_termination_keeps_its_day(self):
        self.assertEqual(unused_credit(self.terms(), Decimal("31.00")), Decimal("21.00"))

    def test_an_upgrade_credits_its_day_too(self):
        # `billed_from -= 1.day if upgrade`: the new plan bills the switch day.
        self.assertEqual(unused_credit(self.terms(), Decimal("31.00"), upgrade=True), Decimal("22.00"))

    def test_never_more_than_billed(self):
        self.assertEqual(unused_credit(self.terms(), Decimal("5.00")), Decimal("5.00"))
        self.assertEqual(unused_credit(self.terms(), Decimal(0)), Decimal(0))

    def test_on_a_boundary_nothing_is_owed(self):
        terms = Terms("monthly", Decimal("31.00"), started_at=utc(2026, 1, 1), pay_in_advance=True, terminated_at=utc(2026, 4, 1))
        self.assertEqual(unused_credit(terms, Decimal("30.00")), Decimal(0))

    def test_in_arrears_nothing_was_paid_ahead(self):
        terms = Terms("monthly", Decimal("31.00"), started_at=utc(2026, 1, 1), terminated_at=utc(2026, 3, 10, 12))
        self.assertEqual(unused_credit(terms, Decimal("31.00")), Decimal(0))


class UpgradeOrDowngrade(unittest.TestCase):
    def test_yearly_amounts_decide(self):
        # app/models/plan.rb#yearly_amount_cents; Subscriptions::CreateService#upgrade? (>=).
        self.assertEqual(yearly_amount("monthly", Decimal("29.00")), Decimal("348.00"))
        self.assertEqual(yearly_amount("weekly", Decimal("10")), Decimal("520"))
        self.assertLess(yearly_amount("monthly", Decimal("99.00")), yearly_amount("yearly", Decimal("1200")))
        self.assertGreater(yearly_amount("monthly", Decimal("99.00")), yearly_amount("yearly", Decimal("990.00")))


if __name__ == "__main__":
    unittest.main()

"""Billing periods: calendar and anniversary, every interval, timezones and DST, clamping."""

import unittest
from datetime import datetime, timezone

from fusion_billing.rating.periods import period_containing, subscription_periods

UTC = timezone.utc


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


class CalendarPeriods(unittest.TestCase):
    def test_monthly_calendar_in_utc(self):
        period = period_containing(utc(2026, 2, 14, 12), interval="monthly")
        self.assertEqual((period.start, period.end), (utc(2026, 2, 1), utc(2026, 3, 1)))
        self.assertEqual(period.full_seconds, 28 * 86400)

    def test_boundaries_are_local_midnights_of_the_customer(self):
        # 2026-03-01 03:00 UTC is still February in Toronto (UTC-5).
        period = period_containing(utc(2026, 3, 1, 3), interval="monthly", tz="America/Toronto")
        self.assertEqual((period.start, period.end), (utc(2026, 2, 1, 5), utc(2026, 3, 1, 5)))

    def test_daylight_saving_moves_the_utc_instant_not_the_local_day(self):
        # Toronto switches to EDT (UTC-4) on 2026-03-08: March lasts 31 days minus one hour.
        period = period_containing(utc(2026, 3, 15), interval="monthly", tz="America/Toronto")
        self.assertEqual((period.start, period.end), (utc(2026, 3, 1, 5), utc(2026, 4, 1, 4)))
        self.assertEqual(period.full_seconds, 31 * 86400 - 3600)

    def test_weekly_quarterly_semiannual_yearly(self):
        at = utc(2026, 8, 13)  # a Thursday
        self.assertEqual(period_containing(at, interval="weekly").start, utc(2026, 8, 10))
        self.assertEqual(period_containing(at, interval="quarterly").start, utc(2026, 7, 1))
        self.assertEqual(period_containing(at, interval="quarterly").end, utc(2026, 10, 1))
        self.assertEqual(period_containing(at, interval="semiannual").start, utc(2026, 7, 1))
        self.assertEqual(period_containing(at, interval="yearly").end, utc(2027, 1, 1))


class AnniversaryPeriods(unittest.TestCase):
    def test_monthly_anniversary_follows_the_start_day(self):
        period = period_containing(utc(2026, 5, 20), interval="monthly", billing_time="anniversary", anchor=utc(2026, 1, 17))
        self.assertEqual((period.start, period.end), (utc(2026, 5, 17), utc(2026, 6, 17)))
        before = period_containing(utc(2026, 5, 16), interval="monthly", billing_time="anniversary", anchor=utc(2026, 1, 17))
        self.assertEqual(before.start, utc(2026, 4, 17))

    def test_31st_anniversary_clamps_to_short_months_and_comes_back(self):
        anchor = utc(2026, 1, 31)
        feb = period_containing(utc(2026, 2, 28, 12), interval="monthly", billing_time="anniversary", anchor=anchor)
        self.assertEqual((feb.start, feb.end), (utc(2026, 2, 28), utc(2026, 3, 31)))
        jan = period_containing(utc(2026, 2, 27), interval="monthly", billing_time="anniversary", anchor=anchor)
        self.assertEqual((jan.start, jan.end), (utc(2026, 1, 31), utc(2026, 2, 28)))

    def test_weekly_anniversary_uses_the_start_weekday(self):
        anchor = utc(2026, 8, 13)  # Thursday
        period = period_containing(utc(2026, 8, 25), interval="weekly", billing_time="anniversary", anchor=anchor)
        self.assertEqual((period.start, period.end), (utc(2026, 8, 20), utc(2026, 8, 27)))

    def test_yearly_anniversary_on_29_february(self):
        period = period_containing(utc(2029, 3, 1), interval="yearly", billing_time="anniversary", anchor=utc(2028, 2, 29))
        self.assertEqual((period.start, period.end), (utc(2029, 2, 28), utc(2030, 2, 28)))


class SubscriptionPeriods(unittest.TestCase):
    def test_first_period_is_clamped_to_the_start_and_only_complete_periods_count(self):
        periods = list(subscription_periods(utc(2026, 1, 15, 10), utc(2026, 4, 1), interval="monthly"))
        self.assertEqual([(p.start, p.end) for p in periods], [
            (utc(2026, 1, 15, 10), utc(2026, 2, 1)),
            (utc(2026, 2, 1), utc(2026, 3, 1)),
            (utc(2026, 3, 1), utc(2026, 4, 1)),
        ])
        self.assertTrue(periods[0].is_partial)
        self.assertEqual(periods[0].full_seconds, 31 * 86400)
        self.assertFalse(periods[1].is_partial)

    def test_open_period_is_not_yielded(self):
        self.assertEqual(list(subscription_periods(utc(2026, 1, 1), utc(2026, 1, 31), interval="monthly")), [])

    def test_termination_ends_the_last_period_early(self):
        periods = list(subscription_periods(
            utc(2026, 1, 1), utc(2026, 12, 31), interval="monthly", terminated_at=utc(2026, 2, 10, 8)))
        self.assertEqual([(p.start, p.end) for p in periods], [
            (utc(2026, 1, 1), utc(2026, 2, 1)),
            (utc(2026, 2, 1), utc(2026, 2, 10, 8)),
        ])

    def test_naive_datetimes_are_utc(self):
        periods = list(subscription_periods(datetime(2026, 1, 1), datetime(2026, 2, 1), interval="monthly"))
        self.assertEqual(len(periods), 1)
        self.assertEqual(periods[0].end, utc(2026, 2, 1))

    def test_bad_interval_is_refused(self):
        with self.assertRaises(ValueError):
            period_containing(utc(2026, 1, 1), interval="daily")


if __name__ == "__main__":
    unittest.main()


class LagoAnniversaryCases(unittest.TestCase):
    """Cases of getlago/lago-api spec/services/subscriptions/dates/monthly_service_spec.rb. Lago bills
    a period on the day after it ends and finds its start from `billing_at - 1 month`
    (MonthlyService#compute_base_date, #previous_anniversary_day): that start is the start of the
    period containing that base date. Periods here are half-open, so Lago's inclusive to_date
    (23:59:59) is the day before `end`."""

    def period(self, base, anchor):
        return period_containing(base, interval="monthly", billing_time="anniversary", anchor=anchor)

    def test_from_date_is_the_anniversary_before_the_base_date(self):
        # spec line 94-99: subscription_at 02 Feb 2021, billing_at 02 Mar 2022 → from 2022-02-02.
        self.assertEqual(self.period(utc(2022, 2, 2), utc(2021, 2, 2)).start, utc(2022, 2, 2))
        # spec line 268-273: the same subscription's to_date is 2022-03-01 23:59:59.
        self.assertEqual(self.period(utc(2022, 2, 2), utc(2021, 2, 2)).end, utc(2022, 3, 2))

    def test_a_31st_in_a_28_day_month_starts_on_the_28th(self):
        # spec line 127-132: subscription_at 31 Mar 2021, billing_at 29 Mar 2022 (base 28 Feb 2022) → from 2022-02-28.
        self.assertEqual(self.period(utc(2022, 2, 28), utc(2021, 3, 31)).start, utc(2022, 2, 28))

    def test_the_year_turns(self):
        # spec line 136-143: subscription_at 27 Mar 2021, billing_at 28 Jan 2022 (base 28 Dec 2021) → from 2021-12-27.
        self.assertEqual(self.period(utc(2021, 12, 28), utc(2021, 3, 27)).start, utc(2021, 12, 27))

    def test_in_arrears_on_the_last_day_of_a_shorter_month(self):
        # spec line 168-173: subscription_at 31 Mar 2021, billing_at 30 Apr 2021 (base 31 Mar) → from 2021-03-31;
        # MonthlyService#compute_to_date: the period ends the day before the next anniversary (29 Apr 23:59:59).
        period = self.period(utc(2021, 3, 31), utc(2021, 3, 31))
        self.assertEqual((period.start, period.end), (utc(2021, 3, 31), utc(2021, 4, 30)))

    def test_a_30th_in_a_leap_february(self):
        # spec line 176-181: subscription_at 30 Apr 2019, billing_at 30 Mar 2020 (base 29 Feb 2020) → from 2020-02-29.
        self.assertEqual(self.period(utc(2020, 2, 29), utc(2019, 4, 30)).start, utc(2020, 2, 29))

    def test_an_anniversary_across_toronto_dst_keeps_local_midnights(self):
        # Toronto leaves EDT on 2026-11-01: a period from 15 Oct to 15 Nov lasts 31 days and one hour.
        period = period_containing(utc(2026, 11, 1, 12), interval="monthly", billing_time="anniversary",
                                   anchor=utc(2026, 1, 15, 5), tz="America/Toronto")
        self.assertEqual((period.start, period.end), (utc(2026, 10, 15, 4), utc(2026, 11, 15, 5)))
        self.assertEqual(period.full_seconds, 31 * 86400 + 3600)

"""Aggregations (lago-anchors.md §2.1) and PostgreSQL numeric division.

Weighted-sum cases port spec/services/billable_metrics/aggregations/weighted_sum_service_spec.rb.
"""

from __future__ import annotations

import unittest
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

from fusion_billing.rating import aggregate
from fusion_billing.rating.aggregation import to_timestamp
from fusion_billing.rating.pg_numeric import pg_divide, select_div_scale

UTC = timezone.utc
DAY = 86_400


def event(timestamp, **properties) -> dict:
    return {"timestamp": timestamp, "properties": properties}


class DocsExampleTest(unittest.TestCase):
    """getlago.com/docs aggregation examples: two events, pageviews 10 and 20, same user."""

    FROM = D(1_700_000_000)
    TO = FROM + 30 * DAY
    EVENTS = [event(FROM + 10, pageviews=10, user="u1"), event(FROM + 20, pageviews=20, user="u1")]

    def run_agg(self, kind: str, field: str | None = None):
        return aggregate(kind, self.EVENTS, from_ts=self.FROM, to_ts=self.TO, field_name=field)

    def test_docs_values(self) -> None:
        self.assertEqual(self.run_agg("count").units, 2)
        self.assertEqual(self.run_agg("sum", "pageviews").units, 30)
        self.assertEqual(self.run_agg("max", "pageviews").units, 20)
        self.assertEqual(self.run_agg("unique_count", "user").units, 1)
        self.assertEqual(self.run_agg("latest", "pageviews").units, 20)

    def test_events_count_and_event_values(self) -> None:
        summed = self.run_agg("sum", "pageviews")
        self.assertEqual((summed.events_count, summed.event_values), (2, (D(10), D(20))))
        self.assertEqual(self.run_agg("count").event_values, (D(1), D(1)))
        self.assertEqual(self.run_agg("max", "pageviews").event_values, (D(0), D(20)))
        self.assertEqual(self.run_agg("unique_count", "user").events_count, 1, "Lago reports count = unique values")

    def test_lago_agg_spellings(self) -> None:
        self.assertEqual(aggregate("sum_agg", self.EVENTS, from_ts=self.FROM, to_ts=self.TO, field_name="pageviews").units, 30)


class PeriodAndFiltersTest(unittest.TestCase):
    FROM = D(1_000_000)
    TO = FROM + DAY

    def test_both_bounds_inclusive(self) -> None:
        events = [event(self.FROM - 1, v=1), event(self.FROM, v=2), event(self.TO, v=4), event(self.TO + D("0.001"), v=8)]
        result = aggregate("sum", events, from_ts=self.FROM, to_ts=self.TO, field_name="v")
        self.assertEqual((result.units, result.events_count), (D(6), 2))

    def test_only_plain_decimal_values_count_as_numbers(self) -> None:
        # PostgresStore#numeric_condition: ^-?\d+(\.\d+)?$
        events = [
            event(self.FROM, v="2.5"),
            event(self.FROM, v="abc"),
            event(self.FROM, v="1e3"),
            event(self.FROM),
            event(self.FROM, v=None),
            event(self.FROM, v=D("-1.5")),
        ]
        result = aggregate("sum", events, from_ts=self.FROM, to_ts=self.TO, field_name="v")
        self.assertEqual((result.units, result.events_count), (D("1.0"), 2))
        self.assertEqual(aggregate("count", events, from_ts=self.FROM, to_ts=self.TO).units, 6)

    def test_property_filters(self) -> None:
        events = [
            event(self.FROM, v=1, region="eu"),
            event(self.FROM, v=2, region="us"),
            event(self.FROM, v=4, region="eu", cloud="aws"),
            event(self.FROM, v=8),
        ]
        summed = aggregate("sum", events, from_ts=self.FROM, to_ts=self.TO, field_name="v", filters={"region": ["eu"]})
        self.assertEqual(summed.units, 5)
        default_bucket = aggregate(
            "sum", events, from_ts=self.FROM, to_ts=self.TO, field_name="v", ignored_filters=[{"region": ["eu"], "cloud": ["aws"]}, {"region": ["us"]}]
        )
        self.assertEqual(default_bucket.units, 1 + 8)

    def test_filter_values_compare_as_text(self) -> None:
        events = [event(self.FROM, size=10), event(self.FROM, size="10"), event(self.FROM, size=True)]
        self.assertEqual(aggregate("count", events, from_ts=self.FROM, to_ts=self.TO, filters={"size": ["10"]}).units, 2)
        self.assertEqual(aggregate("count", events, from_ts=self.FROM, to_ts=self.TO, filters={"size": ["true"]}).units, 1)

    def test_datetime_timestamps(self) -> None:
        start = datetime(2024, 3, 1, tzinfo=UTC)
        events = [event(start, v=1), event(datetime(2024, 3, 31, 23, 59, 59, 999999), v=2), event(datetime(2024, 4, 1, tzinfo=UTC), v=4)]
        result = aggregate("sum", events, from_ts=start, to_ts=datetime(2024, 3, 31, 23, 59, 59, 999999, tzinfo=UTC), field_name="v")
        self.assertEqual(result.units, 3)
        self.assertEqual(to_timestamp(datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)), D("1.500000"))

    def test_rounding_function(self) -> None:
        events = [event(self.FROM, v="1.235"), event(self.FROM, v="10")]

        def run(function, precision=0):
            return aggregate("sum", events, from_ts=self.FROM, to_ts=self.TO, field_name="v",
                             rounding_function=function, rounding_precision=precision).units

        self.assertEqual(run("round", 2), D("11.24"))
        self.assertEqual(run("ceil", 1), D("11.3"))
        self.assertEqual(run("floor"), D("11"))
        self.assertEqual(run("round", -1), D("10"))

    def test_input_errors(self) -> None:
        with self.assertRaisesRegex(ValueError, "cannot be recurring"):
            aggregate("count", [], from_ts=self.FROM, to_ts=self.TO, recurring=True)
        with self.assertRaisesRegex(ValueError, "requires field_name"):
            aggregate("sum", [], from_ts=self.FROM, to_ts=self.TO)
        with self.assertRaisesRegex(ValueError, "unknown 'median'"):
            aggregate("median", [], from_ts=self.FROM, to_ts=self.TO, field_name="v")
        with self.assertRaises(TypeError):
            aggregate("sum", [event(self.FROM, v=1.5)], from_ts=self.FROM, to_ts=self.TO, field_name="v")
        with self.assertRaises(TypeError):
            aggregate("count", [event(1.5)], from_ts=self.FROM, to_ts=self.TO)
        with self.assertRaisesRegex(ValueError, "before from_ts"):
            aggregate("count", [], from_ts=self.TO, to_ts=self.FROM)


class MaxLatestTest(unittest.TestCase):
    FROM = D(0)
    TO = D(DAY)

    def test_max_of_nothing_is_zero(self) -> None:
        result = aggregate("max", [], from_ts=self.FROM, to_ts=self.TO, field_name="v")
        self.assertEqual((result.units, result.events_count), (0, 0))

    def test_latest_follows_timestamps_not_list_order(self) -> None:
        events = [event(D(20), v=6), event(D(10), v=7), event(D(5), v=5)]
        self.assertEqual(aggregate("latest", events, from_ts=self.FROM, to_ts=self.TO, field_name="v").units, 6)

    def test_latest_is_clamped_at_zero(self) -> None:
        events = [event(D(10), v=7), event(D(20), v=-3)]
        result = aggregate("latest", events, from_ts=self.FROM, to_ts=self.TO, field_name="v")
        self.assertEqual((result.units, result.events_count), (0, 2))

    def test_latest_ties_keep_arrival_order(self) -> None:
        events = [event(D(10), v=1), event(D(10), v=2)]
        self.assertEqual(aggregate("latest", events, from_ts=self.FROM, to_ts=self.TO, field_name="v").units, 2)


class UniqueCountTest(unittest.TestCase):
    FROM = D(100)
    TO = D(100 + 30 * DAY)

    def count(self, events, recurring=False) -> D:
        return aggregate("unique_count", events, from_ts=self.FROM, to_ts=self.TO, field_name="id", recurring=recurring).units

    def test_add_and_remove(self) -> None:
        events = [
            event(D(200), id="a"),
            event(D(300), id="a", operation_type="add"),  # already active: no effect
            event(D(400), id="a", operation_type="remove"),
            event(D(500), id="b"),
            event(D(600), id="c", operation_type="remove"),  # first-ever remove is ignored
            event(D(700), id="c"),
        ]
        self.assertEqual(self.count(events), 2)

    def test_remove_then_add_again(self) -> None:
        events = [event(D(200), id="a"), event(D(300), id="a", operation_type="remove"), event(D(400), id="a")]
        self.assertEqual(self.count(events), 1)

    def test_values_compare_as_text_and_missing_values_are_skipped(self) -> None:
        self.assertEqual(self.count([event(D(200), id=1), event(D(300), id="1"), event(D(400))]), 1)

    def test_recurring_keeps_values_from_before_the_period(self) -> None:
        events = [event(D(50), id="old"), event(D(200), id="new")]
        self.assertEqual(self.count(events), 1)
        self.assertEqual(self.count(events, recurring=True), 2)
        self.assertEqual(self.count(events + [event(D(60), id="old", operation_type="remove")], recurring=True), 1)

    def test_recurring_sum_drops_the_lower_bound(self) -> None:
        events = [event(D(50), v=5), event(D(200), v=1)]
        recurring = aggregate("sum", events, from_ts=self.FROM, to_ts=self.TO, field_name="v", recurring=True)
        self.assertEqual(recurring.units, 6)
        self.assertEqual(recurring.event_values, (D(1),), "per-event values stay inside the period")


class WeightedSumTest(unittest.TestCase):
    def test_docs_example(self) -> None:
        # 31-day month: +20 GB at 00:00 on day 1 (held 86,400 s), +10 GB on day 2
        # (30 GB held 1,296,000 s), -30 GB 15 days later. Docs: 15.1612903226.
        start = datetime(2024, 1, 1, tzinfo=UTC)
        end = datetime(2024, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)
        events = [event(start, gb=20), event(start + timedelta(days=1), gb=10), event(start + timedelta(days=16), gb=-30)]
        result = aggregate("weighted_sum", events, from_ts=start, to_ts=end, field_name="gb", charges_duration_days=31)
        self.assertEqual(result.units.quantize(D("1e-10")), D("15.1612903226"))
        # Exactly what Lago's Postgres query returns: 0.64516129032258064516 (20 decimals)
        # + 14.5161290322580645 (16 decimals), per PostgreSQL numeric division.
        self.assertEqual(result.units, D("15.16129032258064514516"))
        self.assertEqual(result.events_count, 3)
        self.assertEqual(result.total_aggregated_units, 0)
        # The engine divides the exact value-seconds once: 470/31 rounded up at 20 decimals.
        exact = aggregate("weighted_sum", events, from_ts=start, to_ts=end, field_name="gb", charges_duration_days=31,
                          weighted_sum_division="exact")
        self.assertEqual(exact.units, D("15.16129032258064516130"))
        self.assertLess(abs(exact.units - result.units), D("1e-15"))
        # Without charges_duration_days the period is ceil(to) - from = 31 days too.
        same = aggregate("weighted_sum", events, from_ts=start, to_ts=end, field_name="gb")
        self.assertEqual(same.units, result.units)

    FROM = datetime(2023, 8, 1, tzinfo=UTC)
    TO = datetime(2023, 8, 31, 23, 59, 59, 999000, tzinfo=UTC)
    SPEC_EVENTS = [
        event(datetime(2023, 8, 1, 0, 0, tzinfo=UTC), value=2),
        event(datetime(2023, 8, 1, 1, 0, tzinfo=UTC), value=3),
        event(datetime(2023, 8, 1, 1, 30, tzinfo=UTC), value=1),
        event(datetime(2023, 8, 1, 2, 0, tzinfo=UTC), value=-4),
        event(datetime(2023, 8, 1, 4, 0, tzinfo=UTC), value=-2),
        event(datetime(2023, 8, 1, 5, 0, tzinfo=UTC), value=10),
        event(datetime(2023, 8, 1, 5, 30, tzinfo=UTC), value=-10),
    ]

    def weighted(self, events, **kwargs):
        return aggregate("weighted_sum", events, from_ts=self.FROM, to_ts=self.TO, field_name="value", charges_duration_days=31, **kwargs)

    def test_lago_spec_events(self) -> None:
        result = self.weighted(self.SPEC_EVENTS)
        self.assertEqual(result.units.quantize(D("0.00001")), D("0.02218"))
        self.assertEqual(result.events_count, 7)

    def test_single_event_held_all_period(self) -> None:
        self.assertEqual(self.weighted([event(self.FROM, value=1000)]).units, 1000)

    def test_no_events(self) -> None:
        result = self.weighted([])
        self.assertEqual((result.units, result.events_count), (0, 0))

    def test_events_with_the_same_timestamp(self) -> None:
        self.assertEqual(self.weighted([event(self.FROM, value=3), event(self.FROM, value=3)]).units, 6)

    def test_recurring_initial_value(self) -> None:
        result = self.weighted([], recurring=True, initial_value="1000")
        self.assertEqual((result.units, result.total_aggregated_units), (1000, 1000))
        with_events = self.weighted(self.SPEC_EVENTS, recurring=True, initial_value="1000")
        self.assertEqual(with_events.units.quantize(D("0.00001")), D("1000.02218"))
        self.assertEqual(with_events.total_aggregated_units, 1000)

    def test_recurring_initial_value_from_earlier_events(self) -> None:
        earlier = event(datetime(2023, 3, 1, 22, 22, 22, tzinfo=UTC), value=10)
        result = self.weighted([earlier], recurring=True)
        self.assertEqual((result.units, result.events_count, result.total_aggregated_units), (10, 0, 10))
        self.assertEqual(self.weighted([earlier]).units, 0, "non-recurring metrics start from 0")

    def test_initial_value_needs_a_recurring_metric(self) -> None:
        with self.assertRaises(ValueError):
            self.weighted([], initial_value="5")


class PostgresNumericTest(unittest.TestCase):
    def test_known_postgres_results(self) -> None:
        self.assertEqual(str(pg_divide(D(1), D(3))), "0.33333333333333333333")  # SELECT 1::numeric / 3
        self.assertEqual(str(pg_divide(D(2), D(3))), "0.66666666666666666667")
        self.assertEqual(str(pg_divide(D(10), D(4))), "2.5000000000000000")
        self.assertEqual(str(pg_divide(D(-2), D(3))), "-0.66666666666666666667")
        self.assertEqual(str(pg_divide(D("1728000.000000"), D(2678400))), "0.64516129032258064516")
        self.assertEqual(str(pg_divide(D("38880000.000000"), D(2678400))), "14.5161290322580645")

    def test_scale_never_drops_below_operand_scales(self) -> None:
        self.assertEqual(select_div_scale(D("1.0000000000000000000000"), D(1)), 22)
        self.assertEqual(str(pg_divide(D(0), D(7))), "0E-20")

    def test_division_by_zero(self) -> None:
        with self.assertRaises(ZeroDivisionError):
            pg_divide(D(1), D(0))


if __name__ == "__main__":
    unittest.main()

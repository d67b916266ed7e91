"""The percentage model: docs examples and a port of
spec/services/charge_models/percentage_service_spec.rb.

Lago's spec feeds a synthetic running_total; here the same totals come from
event values (running totals [50, 150, 400] <- values [50, 100, 250, 400]).
"""

from __future__ import annotations

import unittest
from decimal import Decimal as D

from fusion_billing.rating import compute_charge

SPEC_VALUES = ["50", "100", "250", "400"]  # units 800, 4 events
SPEC_PROPERTIES = {
    "rate": "1.3",
    "fixed_amount": "2.0",
    "free_units_per_events": 3,
    "free_units_per_total_aggregation": "250.0",
}


def percentage(properties: dict, units, **kwargs):
    return compute_charge("percentage", properties, units, **kwargs)


class LagoSpecTest(unittest.TestCase):
    def test_free_events_and_free_amount(self) -> None:
        result = percentage(SPEC_PROPERTIES, 800, event_values=SPEC_VALUES)
        self.assertEqual(result.precise_amount, D("11.15"))  # (800-250) x 1.3% + (4-2) x 2
        self.assertEqual(
            result.amount_details,
            {
                "units": "800",
                "free_units": "250",
                "free_events": 2,
                "paid_units": "550",
                "rate": "1.3",
                "per_unit_total_amount": "7.15",
                "paid_events": 2,
                "fixed_fee_unit_amount": "2",
                "fixed_fee_total_amount": "4",
                "min_max_adjustment_total_amount": "0",
            },
        )
        self.assertEqual(result.unit_amount, D("0.0139375"))

    def test_aggregation_zero(self) -> None:
        result = percentage(SPEC_PROPERTIES, 0, events_count=4, event_values=SPEC_VALUES)
        self.assertEqual(result.precise_amount, 0)
        self.assertEqual(result.amount_details["fixed_fee_total_amount"], "0")

    def test_free_units_per_events_nil(self) -> None:
        properties = {**SPEC_PROPERTIES, "free_units_per_events": None}
        self.assertEqual(percentage(properties, 800, event_values=SPEC_VALUES).precise_amount, D("11.15"))

    def test_free_units_per_total_aggregation_nil(self) -> None:
        properties = {**SPEC_PROPERTIES, "free_units_per_total_aggregation": None}
        result = percentage(properties, 800, event_values=SPEC_VALUES)
        self.assertEqual(result.precise_amount, D("7.2"))  # (800-400) x 1.3% + (4-3) x 2
        self.assertEqual(result.amount_details["free_events"], 3)
        self.assertEqual(result.amount_details["free_units"], "400")

    def test_free_total_above_last_running_total(self) -> None:
        properties = {**SPEC_PROPERTIES, "free_units_per_total_aggregation": "500.0"}
        self.assertEqual(percentage(properties, 800, event_values=SPEC_VALUES).precise_amount, D("7.2"))

    def test_no_free_units(self) -> None:
        properties = {"rate": "1.3", "fixed_amount": "2.0"}
        self.assertEqual(percentage(properties, 800, events_count=4).precise_amount, D("18.4"))

    def test_rate_zero(self) -> None:
        self.assertEqual(percentage({"rate": "0", "fixed_amount": "2.0"}, 800, events_count=4).precise_amount, D("8"))

    def test_small_units(self) -> None:
        result = percentage({"rate": "2.9"}, 4, events_count=4)
        self.assertEqual(result.precise_amount, D("0.116"))
        self.assertEqual(result.amount, D("0.12"))
        self.assertEqual(result.unit_amount, D("0.029"))

    def test_more_free_events_than_events(self) -> None:
        properties = {**SPEC_PROPERTIES, "free_units_per_events": 5, "free_units_per_total_aggregation": None}
        self.assertEqual(percentage(properties, 400, event_values=["50", "100", "250", "0"]).precise_amount, 0)


class PerTransactionMinMaxTest(unittest.TestCase):
    """percentage_service_spec.rb "when applying min / max amount per transaction" (premium).

    Lago only clamps with a premium licence; fusion_billing always honours the
    properties when they are set.
    """

    VALUES = ["10", "80", "10000"]
    BASE = {
        "rate": "2.99",
        "fixed_amount": "0",
        "free_units_per_total_aggregation": "0",
        "per_transaction_max_amount": "12",
        "per_transaction_min_amount": "1.75",
    }

    def run_case(self, **overrides) -> D:
        return percentage({**self.BASE, **overrides}, 10090, event_values=self.VALUES).precise_amount

    def test_clamps_each_transaction(self) -> None:
        self.assertEqual(self.run_case(), D("16.142"))  # 1.75 + 2.392 + 12

    def test_with_fixed_amount(self) -> None:
        self.assertEqual(self.run_case(fixed_amount="2.0"), D("18.691"))

    def test_with_free_events(self) -> None:
        self.assertEqual(self.run_case(free_units_per_events=2), D("12"))

    def test_with_free_amount(self) -> None:
        self.assertEqual(self.run_case(free_units_per_total_aggregation="30"), D("13.794"))

    def test_with_free_events_and_free_amount(self) -> None:
        # Lago quirk kept: the free amount keeps being consumed after the free events.
        self.assertEqual(self.run_case(free_units_per_events=3, free_units_per_total_aggregation="10000"), D("2.691"))

    def test_adjustment_is_reported(self) -> None:
        result = percentage(self.BASE, 10090, event_values=self.VALUES)
        # 16.142 - 10090 x 2.99%
        self.assertEqual(result.amount_details["min_max_adjustment_total_amount"], "-285.549")

    def test_docs_min_max_example(self) -> None:
        # Lago product update: 1% + $0.50, min $1, max $5: $20 -> $1, $600 -> $5.
        properties = {"rate": "1", "fixed_amount": "0.50", "per_transaction_min_amount": "1", "per_transaction_max_amount": "5"}
        self.assertEqual(percentage(properties, 20, event_values=["20"]).precise_amount, D("1"))
        self.assertEqual(percentage(properties, 600, event_values=["600"]).precise_amount, D("5"))
        self.assertEqual(percentage(properties, 620, event_values=["20", "600"]).precise_amount, D("6"))

    def test_event_values_are_required(self) -> None:
        with self.assertRaisesRegex(ValueError, "event_values"):
            percentage(self.BASE, 10090, events_count=3)

    def test_blank_min_max_means_unset(self) -> None:
        properties = {"rate": "1", "per_transaction_min_amount": "", "per_transaction_max_amount": None}
        self.assertEqual(percentage(properties, 100, events_count=2).precise_amount, D("1"))


class DocsExampleTest(unittest.TestCase):
    PROPERTIES = {"rate": "1.2", "fixed_amount": "0.10", "free_units_per_events": 3, "free_units_per_total_aggregation": "500"}

    def test_fourth_transaction_costs_seventy_cents(self) -> None:
        # Docs: $200, $100, $100 free (3 free events / $500); the 4th, $50, costs
        # $0.10 + 1.2% x $50 = $0.70. As a period total it is the whole fee.
        after_three = percentage(self.PROPERTIES, 400, event_values=["200", "100", "100"])
        after_four = percentage(self.PROPERTIES, 450, event_values=["200", "100", "100", "50"])
        self.assertEqual(after_three.amount, D("0.00"))
        self.assertEqual(after_four.amount, D("0.70"))
        self.assertEqual(after_four.amount_details["free_units"], "400")
        self.assertEqual(after_four.amount_details["paid_events"], 1)

    def test_free_units_need_event_values(self) -> None:
        with self.assertRaisesRegex(ValueError, "event_values"):
            percentage(self.PROPERTIES, 450, events_count=4)

    def test_events_count_defaults_to_number_of_values(self) -> None:
        result = percentage({"rate": "0", "fixed_amount": "1"}, 30, event_values=["10", "20"])
        self.assertEqual(result.events_count, 2)
        self.assertEqual(result.precise_amount, D("2"))

    def test_no_fixed_fee_without_units(self) -> None:
        self.assertEqual(percentage({"rate": "1", "fixed_amount": "1"}, 0, events_count=5).precise_amount, 0)

    def test_free_amount_only(self) -> None:
        properties = {"rate": "10", "fixed_amount": "1", "free_units_per_total_aggregation": "100"}
        # running totals 60, 120 (stop: 120 > 100): free 100; events fully inside the free amount: 1
        result = percentage(properties, 180, event_values=["60", "60", "60"])
        self.assertEqual(result.amount_details["free_units"], "100")
        self.assertEqual(result.amount_details["free_events"], 1)
        self.assertEqual(result.precise_amount, D("8") + D("2"))


if __name__ == "__main__":
    unittest.main()

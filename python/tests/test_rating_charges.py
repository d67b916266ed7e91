"""Charge models: lago-anchors.md §2.3 worked examples and ports of lago-api specs."""

from __future__ import annotations

import json
import unittest
from decimal import Context, Decimal as D

from fusion_billing.rating import compute_charge
from fusion_billing.rating.money import round_amount
from fusion_billing.rating.tiers import Tier, units_in_tier, uses_adjacent_bounds, parse_tiers

# spec/services/charge_models/graduated_service_spec.rb
GRADUATED = {
    "graduated_ranges": [
        {"from_value": 0, "to_value": 10, "per_unit_amount": "10", "flat_amount": "2"},
        {"from_value": 11, "to_value": 20, "per_unit_amount": "5", "flat_amount": "3"},
        {"from_value": 21, "to_value": None, "per_unit_amount": "5", "flat_amount": "3"},
    ]
}
DECIMAL_ADJACENT = {
    "graduated_ranges": [
        {"from_value": 0, "to_value": D("0.1"), "per_unit_amount": "10", "flat_amount": "0"},
        {"from_value": D("0.1"), "to_value": 1, "per_unit_amount": "5", "flat_amount": "0"},
        {"from_value": 1, "to_value": None, "per_unit_amount": "2", "flat_amount": "0"},
    ]
}
# spec/services/charge_models/volume_service_spec.rb
VOLUME = {
    "volume_ranges": [
        {"from_value": 0, "to_value": 100, "per_unit_amount": "2", "flat_amount": "10"},
        {"from_value": 101, "to_value": 200, "per_unit_amount": "1", "flat_amount": "0"},
        {"from_value": 201, "to_value": None, "per_unit_amount": "0.5", "flat_amount": "50"},
    ]
}
# spec/services/charge_models/graduated_percentage_service_spec.rb
GRADUATED_PERCENTAGE = {
    "graduated_percentage_ranges": [
        {"from_value": 0, "to_value": 10, "flat_amount": "200", "rate": "1"},
        {"from_value": 11, "to_value": 20, "flat_amount": "300", "rate": "2"},
        {"from_value": 21, "to_value": None, "flat_amount": "400", "rate": "3"},
    ]
}


def amount(model: str, properties: dict, units, **kwargs) -> D:
    return compute_charge(model, properties, units, **kwargs).precise_amount


class StandardTest(unittest.TestCase):
    def test_docs_example(self) -> None:
        # getlago.com/docs standard: $0.05 x 1,000 = $50
        result = compute_charge("standard", {"amount": "0.05"}, 1000)
        self.assertEqual(result.amount, D("50.00"))
        self.assertEqual(result.amount_cents, 5000)
        self.assertEqual(result.amount_details, {})

    def test_lago_spec_keeps_precision_until_rounding(self) -> None:
        # spec/services/charge_models/standard_service_spec.rb: 10 x 5.12345
        result = compute_charge("standard", {"amount": "5.12345"}, 10)
        self.assertEqual(result.precise_amount, D("51.2345"))
        self.assertEqual(result.amount, D("51.23"))
        self.assertEqual(result.unit_amount, D("5.12345"))

    def test_units_may_be_decimal_strings(self) -> None:
        self.assertEqual(amount("standard", {"amount": "2"}, "123.4"), D("246.8"))


class GraduatedTest(unittest.TestCase):
    def test_anchor_table(self) -> None:
        # lago-anchors.md §2.3 / graduated_service_spec.rb
        for units, expected in [(0, 2), (1, 12), (10, 102), (11, 110), (12, 115), (21, 163)]:
            with self.subTest(units=units):
                self.assertEqual(amount("graduated", GRADUATED, units), D(expected))

    def test_first_tier_flat_fee_is_charged_at_zero_units(self) -> None:
        result = compute_charge("graduated", GRADUATED, 0)
        self.assertEqual(
            result.amount_details,
            {
                "graduated_ranges": [
                    {
                        "from_value": "0",
                        "to_value": "10",
                        "flat_unit_amount": "2",
                        "per_unit_amount": "0",
                        "units": "0",
                        "per_unit_total_amount": "0",
                        "total_with_flat_amount": "2",
                    }
                ]
            },
        )
        self.assertEqual(result.unit_amount, 0)

    def test_details_for_21_units_stop_at_the_tier_holding_the_total(self) -> None:
        rows = compute_charge("graduated", GRADUATED, 21).amount_details["graduated_ranges"]
        self.assertEqual([row["units"] for row in rows], ["10", "10", "1"])
        self.assertEqual([row["total_with_flat_amount"] for row in rows], ["102", "53", "8"])
        self.assertIsNone(rows[2]["to_value"])
        rows = compute_charge("graduated", GRADUATED, 10).amount_details["graduated_ranges"]
        self.assertEqual(len(rows), 1, "the 11-20 tier and its flat fee must not be billed at 10 units")

    def test_zero_first_tier_flat_amount_gives_zero(self) -> None:
        # graduated_service_spec.rb "when first tier flat amount is zero" (mixed seams -> classic)
        properties = {
            "graduated_ranges": [
                {"from_value": 0, "to_value": D("0.01"), "per_unit_amount": "0", "flat_amount": "0"},
                {"from_value": D("0.01"), "to_value": 10, "per_unit_amount": "10", "flat_amount": "2"},
                {"from_value": 11, "to_value": None, "per_unit_amount": "5", "flat_amount": "3"},
            ]
        }
        self.assertEqual(amount("graduated", properties, 0), 0)

    def test_decimal_adjacent_tiers(self) -> None:
        # anchors: [0-0.1 @10], [0.1-1 @5]; 0.05 -> 0.5
        self.assertEqual(amount("graduated", DECIMAL_ADJACENT, "0.05"), D("0.5"))
        result = compute_charge("graduated", DECIMAL_ADJACENT, "0.5")
        self.assertEqual(result.precise_amount, D("3.0"))
        self.assertEqual([row["units"] for row in result.amount_details["graduated_ranges"]], ["0.1", "0.4"])
        self.assertEqual(amount("graduated", DECIMAL_ADJACENT, "1.5"), D("1") + D("4.5") + D("1"))

    def test_integer_adjacent_tiers_follow_the_touching_model(self) -> None:
        # lago-front PR #3489 UI convention: 0-250, 250-inf; 250 units are all in tier 0.
        properties = {
            "graduated_ranges": [
                {"from_value": 0, "to_value": 250, "per_unit_amount": "1", "flat_amount": "0"},
                {"from_value": 250, "to_value": None, "per_unit_amount": "0.5", "flat_amount": "0"},
            ]
        }
        self.assertEqual(amount("graduated", properties, 250), D("250"))
        self.assertEqual(amount("graduated", properties, 260), D("255"))

    def test_docs_example(self) -> None:
        # docs: $1 for the first 100, $0.50 for the next 100, $0.10 after.
        properties = {
            "graduated_ranges": [
                {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"},
                {"from_value": 101, "to_value": 200, "per_unit_amount": "0.50", "flat_amount": "0"},
                {"from_value": 201, "to_value": None, "per_unit_amount": "0.10", "flat_amount": "0"},
            ]
        }
        self.assertEqual(amount("graduated", properties, 250), D("155"))

    def test_classic_tiers_with_first_from_one(self) -> None:
        properties = {
            "graduated_ranges": [
                {"from_value": 1, "to_value": 10, "per_unit_amount": "1", "flat_amount": "5"},
                {"from_value": 11, "to_value": None, "per_unit_amount": "2", "flat_amount": "0"},
            ]
        }
        self.assertEqual(amount("graduated", properties, 0), D("5"))
        self.assertEqual(amount("graduated", properties, 10), D("15"))
        self.assertEqual(amount("graduated", properties, 12), D("19"))

    def test_amount_details_are_json_serialisable(self) -> None:
        json.dumps(compute_charge("graduated", DECIMAL_ADJACENT, "0.5").to_dict())


class TierUnitsTest(unittest.TestCase):
    """spec/services/charge_models/amount_details/range_graduated_service_spec.rb"""

    @staticmethod
    def tier(from_value, to_value) -> Tier:
        return Tier(0, D(str(from_value)), None if to_value is None else D(str(to_value)), {})

    def test_classic(self) -> None:
        self.assertEqual(units_in_tier(self.tier(0, 10), D(15), adjacent=False), 10)
        self.assertEqual(units_in_tier(self.tier(11, 20), D(15), adjacent=False), 5)
        self.assertEqual(units_in_tier(self.tier(7, 10), D(15), adjacent=False), 4)  # range_graduated_percentage spec

    def test_adjacent(self) -> None:
        self.assertEqual(units_in_tier(self.tier("0.1", 1), D("1.5"), adjacent=True), D("0.9"))
        self.assertEqual(units_in_tier(self.tier("0.1", 2), D("0.5"), adjacent=True), D("0.4"))
        self.assertEqual(units_in_tier(self.tier(0, "0.1"), D("0.05"), adjacent=True), D("0.05"))

    def test_adjacent_detection(self) -> None:
        self.assertTrue(uses_adjacent_bounds(parse_tiers(DECIMAL_ADJACENT["graduated_ranges"], "graduated_ranges")))
        self.assertFalse(uses_adjacent_bounds(parse_tiers(GRADUATED["graduated_ranges"], "graduated_ranges")))
        single = [{"from_value": 0, "to_value": None}]
        self.assertFalse(uses_adjacent_bounds(parse_tiers(single, "graduated_ranges")))


class VolumeTest(unittest.TestCase):
    def test_lago_spec_cases(self) -> None:
        cases = [(0, "10"), (1, "12"), (100, "210"), ("100.5", "100.5"), (101, "101"), (200, "200"), (300, "200"), (210, "155")]
        for units, expected in cases:
            with self.subTest(units=units):
                self.assertEqual(amount("volume", VOLUME, units), D(expected))

    def test_zero_first_tier_flat_amount(self) -> None:
        properties = {
            "volume_ranges": [
                {"from_value": 0, "to_value": 1, "per_unit_amount": "0", "flat_amount": "0"},
                {"from_value": 2, "to_value": 100, "per_unit_amount": "2", "flat_amount": "10"},
                {"from_value": 101, "to_value": None, "per_unit_amount": "0.5", "flat_amount": "50"},
            ]
        }
        result = compute_charge("volume", properties, 0)
        self.assertEqual(result.precise_amount, 0)
        self.assertEqual(result.amount_details["per_unit_amount"], "0")

    def test_docs_example(self) -> None:
        # anchors: 65,000 calls -> 65,000 x $0.0006 + $10 = $49
        properties = {
            "volume_ranges": [
                {"from_value": 0, "to_value": 10000, "per_unit_amount": "0.0010", "flat_amount": "10"},
                {"from_value": 10001, "to_value": 50000, "per_unit_amount": "0.0008", "flat_amount": "10"},
                {"from_value": 50001, "to_value": 100000, "per_unit_amount": "0.0006", "flat_amount": "10"},
                {"from_value": 100001, "to_value": None, "per_unit_amount": "0.0004", "flat_amount": "10"},
            ]
        }
        result = compute_charge("volume", properties, 65000)
        self.assertEqual(result.amount, D("49.00"))
        self.assertEqual(result.amount_details["per_unit_total_amount"], "39")

    def test_tiers_are_sorted_by_from_value(self) -> None:
        shuffled = {"volume_ranges": list(reversed(VOLUME["volume_ranges"]))}
        self.assertEqual(amount("volume", shuffled, 150), D("150"))

    def test_zero_units_with_first_tier_from_one_uses_first_tier(self) -> None:
        properties = {
            "volume_ranges": [
                {"from_value": 1, "to_value": 10, "per_unit_amount": "1", "flat_amount": "7"},
                {"from_value": 11, "to_value": None, "per_unit_amount": "0.5", "flat_amount": "0"},
            ]
        }
        self.assertEqual(amount("volume", properties, 0), D("7"))


class PackageTest(unittest.TestCase):
    def test_docs_example(self) -> None:
        # anchors: $5 per 100 units, first 100 free, 201 units -> $10
        result = compute_charge("package", {"amount": "5", "package_size": 100, "free_units": 100}, 201)
        self.assertEqual(result.amount, D("10.00"))
        self.assertEqual(result.amount_details["packages_count"], 2)

    def test_lago_spec_cases(self) -> None:
        # spec/services/charge_models/package_service_spec.rb
        base = {"amount": "100", "package_size": 10, "free_units": 0}
        self.assertEqual(amount("package", base, 121), D("1300"))
        self.assertEqual(amount("package", {**base, "free_units": 10}, 121), D("1200"))
        result = compute_charge("package", {**base, "free_units": 200}, 121)
        self.assertEqual(result.precise_amount, 0)
        self.assertEqual(result.amount_details["paid_units"], "0")
        self.assertEqual(result.unit_amount, 0)

    def test_package_counts_from_its_first_unit(self) -> None:
        properties = {"amount": "5", "package_size": 100, "free_units": 0}
        self.assertEqual(amount("package", properties, 0), 0)
        self.assertEqual(amount("package", properties, 1), D("5"))
        self.assertEqual(amount("package", properties, 100), D("5"))
        self.assertEqual(amount("package", properties, "100.0001"), D("10"))

    def test_free_units_default_to_zero_when_computing(self) -> None:
        self.assertEqual(amount("package", {"amount": "5", "package_size": 10}, 15), D("10"))

    def test_package_size_must_be_positive(self) -> None:
        with self.assertRaises(ValueError):
            compute_charge("package", {"amount": "5", "package_size": 0, "free_units": 0}, 15)


class GraduatedPercentageTest(unittest.TestCase):
    def test_lago_spec_cases(self) -> None:
        cases = [(0, "200"), (1, "200.01"), (10, "200.1"), (11, "500.12"), (12, "500.14"), (21, "900.33")]
        for units, expected in cases:
            with self.subTest(units=units):
                self.assertEqual(amount("graduated_percentage", GRADUATED_PERCENTAGE, units), D(expected))

    def test_details(self) -> None:
        rows = compute_charge("graduated_percentage", GRADUATED_PERCENTAGE, 12).amount_details["graduated_percentage_ranges"]
        self.assertEqual(
            rows[1],
            {
                "from_value": "11",
                "to_value": "20",
                "flat_unit_amount": "300",
                "rate": "2",
                "units": "2",
                "per_unit_total_amount": "0.04",
                "total_with_flat_amount": "300.04",
            },
        )

    def test_docs_example_as_period_totals(self) -> None:
        # Docs describe per-transaction (pay-in-advance) fees: 205, then 306, then 80.
        # Lago bills an event as cost(total with it) - cost(total without it), so the
        # period totals after each transaction are 205, 511 and 591.
        docs = {
            "graduated_percentage_ranges": [
                {"from_value": 0, "to_value": 1000, "rate": "1", "flat_amount": "200"},
                {"from_value": 1001, "to_value": 10000, "rate": "2", "flat_amount": "300"},
                {"from_value": 10001, "to_value": None, "rate": "3", "flat_amount": "400"},
            ]
        }
        totals = [amount("graduated_percentage", docs, units) for units in (500, 1050, 5050)]
        self.assertEqual(totals, [D("205"), D("511"), D("591")])
        self.assertEqual(totals[1] - totals[0], D("306"))
        self.assertEqual(totals[2] - totals[1], D("80"))

    def test_zero_first_tier_flat_amount(self) -> None:
        properties = {
            "graduated_percentage_ranges": [
                {"from_value": 0, "to_value": D("0.01"), "flat_amount": "0", "rate": "0"},
                {"from_value": D("0.01"), "to_value": 10, "flat_amount": "200", "rate": "1"},
                {"from_value": 11, "to_value": None, "flat_amount": "300", "rate": "2"},
            ]
        }
        self.assertEqual(amount("graduated_percentage", properties, 0), 0)

    def test_adjacent_bounds_do_not_bill_an_extra_unit(self) -> None:
        # Deliberate: Lago's RangeGraduatedPercentageService always adds +1 and would
        # bill 501 units in tier 2 here (520.02); we detect adjacent bounds as graduated does.
        properties = {
            "graduated_percentage_ranges": [
                {"from_value": 0, "to_value": 1000, "rate": "1", "flat_amount": "200"},
                {"from_value": 1000, "to_value": None, "rate": "2", "flat_amount": "300"},
            ]
        }
        self.assertEqual(amount("graduated_percentage", properties, 1500), D("520"))


class RoundingTest(unittest.TestCase):
    def test_half_up_at_the_cent(self) -> None:
        self.assertEqual(compute_charge("standard", {"amount": "0.005"}, 1).amount, D("0.01"))
        self.assertEqual(compute_charge("standard", {"amount": "0.0049"}, 1).amount, D("0.00"))
        self.assertEqual(compute_charge("standard", {"amount": "0.015"}, 1).amount, D("0.02"))
        self.assertEqual(compute_charge("standard", {"amount": "0.025"}, 1).amount, D("0.03"), "not banker's rounding")

    def test_half_away_from_zero_for_negatives(self) -> None:
        self.assertEqual(round_amount(D("-0.005"), 2), D("-0.01"))
        self.assertEqual(round_amount(D("-0.004"), 2), D("0.00"))

    def test_zero_exponent_currency(self) -> None:
        result = compute_charge("standard", {"amount": "0.5"}, 5, currency_exponent=0)
        self.assertEqual(result.amount, D("3"))
        self.assertEqual(result.amount_cents, 3)
        self.assertEqual(result.to_dict()["amount"], "3")
        self.assertEqual(compute_charge("standard", {"amount": "0.5"}, 1, currency_exponent=0).amount, D("1"))

    def test_three_decimal_currency(self) -> None:
        result = compute_charge("standard", {"amount": "0.0005"}, 1, currency_exponent=3)
        self.assertEqual(result.amount, D("0.001"))
        self.assertEqual(result.amount_cents, 1)

    def test_cents(self) -> None:
        self.assertEqual(compute_charge("standard", {"amount": "1.234"}, 10).amount_cents, 1234)
        self.assertEqual(compute_charge("standard", {"amount": "0.125"}, 1).amount_cents, 13)

    def test_negative_zero_is_never_printed(self) -> None:
        result = compute_charge("standard", {"amount": "-5"}, 0)
        self.assertFalse(result.precise_amount.is_signed())
        self.assertEqual(result.to_dict()["amount"], "0.00")
        self.assertEqual(result.to_dict()["precise_amount"], "0")
        small_negative = compute_charge("standard", {"amount": "-0.001"}, 1)
        self.assertEqual(small_negative.to_dict()["amount"], "0.00")
        self.assertNotIn("-", json.dumps(small_negative.to_dict()["amount"]))

    def test_no_precision_lost_on_long_products(self) -> None:
        units = D("15.16129032258064514516")
        result = compute_charge("standard", {"amount": "0.123456789012345678"}, units)
        exact_product = Context(prec=100).multiply(units, D("0.123456789012345678"))
        self.assertEqual(result.precise_amount, exact_product)
        self.assertEqual(len(result.precise_amount.as_tuple().digits), 39)  # beyond the default 28

    def test_currency_exponent_is_checked(self) -> None:
        with self.assertRaises(ValueError):
            compute_charge("standard", {"amount": "1"}, 1, currency_exponent=-1)
        with self.assertRaises(TypeError):
            compute_charge("standard", {"amount": "1"}, 1, currency_exponent="2")


class InputTypesTest(unittest.TestCase):
    def test_float_units_are_rejected(self) -> None:
        with self.assertRaisesRegex(TypeError, "units: float 1.5 is not accepted"):
            compute_charge("standard", {"amount": "1"}, 1.5)

    def test_float_amounts_are_rejected(self) -> None:
        with self.assertRaisesRegex(TypeError, r"properties.amount: float"):
            compute_charge("standard", {"amount": 0.1}, 1)
        bad = {"graduated_ranges": [{"from_value": 0, "to_value": None, "per_unit_amount": 0.5, "flat_amount": "0"}]}
        with self.assertRaisesRegex(TypeError, r"graduated_ranges\[0\].per_unit_amount: float"):
            compute_charge("graduated", bad, 1)

    def test_float_bounds_and_event_values_are_rejected(self) -> None:
        bad = {
            "graduated_ranges": [
                {"from_value": 0, "to_value": 0.1, "per_unit_amount": "1", "flat_amount": "0"},
                {"from_value": 0.1, "to_value": None, "per_unit_amount": "1", "flat_amount": "0"},
            ]
        }
        with self.assertRaisesRegex(TypeError, r"to_value: float"):
            compute_charge("graduated", bad, 1)
        with self.assertRaisesRegex(TypeError, r"event_values\[1\]: float"):
            compute_charge("percentage", {"rate": "1"}, 3, event_values=["1", 2.0])

    def test_bool_is_not_a_number(self) -> None:
        with self.assertRaises(TypeError):
            compute_charge("standard", {"amount": "1"}, True)

    def test_int_str_and_decimal_are_accepted(self) -> None:
        for price in ("2", 2, D("2")):
            self.assertEqual(amount("standard", {"amount": price}, "3"), D("6"))

    def test_unknown_model_and_bad_values(self) -> None:
        with self.assertRaisesRegex(ValueError, "unknown charge model 'dynamic'"):
            compute_charge("dynamic", {}, 1)
        with self.assertRaisesRegex(ValueError, "not a decimal number"):
            compute_charge("standard", {"amount": "ten"}, 1)
        with self.assertRaisesRegex(ValueError, "must be a finite number"):
            compute_charge("standard", {"amount": "NaN"}, 1)
        with self.assertRaisesRegex(ValueError, r"properties.amount is required"):
            compute_charge("standard", {}, 1)
        with self.assertRaisesRegex(ValueError, r"graduated_ranges\[1\].flat_amount is required"):
            compute_charge(
                "graduated",
                {
                    "graduated_ranges": [
                        {"from_value": 0, "to_value": 1, "per_unit_amount": "1", "flat_amount": "0"},
                        {"from_value": 2, "to_value": None, "per_unit_amount": "1"},
                    ]
                },
                5,
            )


if __name__ == "__main__":
    unittest.main()

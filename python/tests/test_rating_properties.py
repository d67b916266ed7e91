"""validate_properties: Lago's input rules (charges/validators/*) as path-first messages."""

from __future__ import annotations

import unittest
from decimal import Decimal as D

from fusion_billing.rating import validate_properties


def graduated(*ranges) -> dict:
    return {"graduated_ranges": [dict(zip(("from_value", "to_value", "per_unit_amount", "flat_amount"), r)) for r in ranges]}


def volume(*ranges) -> dict:
    return {"volume_ranges": [dict(zip(("from_value", "to_value", "per_unit_amount", "flat_amount"), r)) for r in ranges]}


VALID = {
    "standard": {"amount": "0.05"},
    "graduated": graduated((0, 10, "10", "2"), (11, 20, "5", "3"), (21, None, "5", "3")),
    "volume": volume((0, 100, "2", "10"), (101, None, "1", "0")),
    "package": {"amount": "5", "package_size": 100, "free_units": 0},
    "percentage": {"rate": "1.2", "fixed_amount": "0.10", "free_units_per_events": 3, "free_units_per_total_aggregation": "500"},
    "graduated_percentage": {
        "graduated_percentage_ranges": [
            {"from_value": 0, "to_value": 1000, "rate": "1", "flat_amount": "200"},
            {"from_value": 1001, "to_value": None, "rate": "2", "flat_amount": "300"},
        ]
    },
}


class ValidPropertiesTest(unittest.TestCase):
    def test_valid_sets_have_no_problems(self) -> None:
        for model, properties in VALID.items():
            with self.subTest(model=model):
                self.assertEqual(validate_properties(model, properties), [])

    def test_decimal_adjacent_and_integer_adjacent_tiers(self) -> None:
        self.assertEqual(validate_properties("graduated", graduated((0, D("0.1"), "10", "0"), (D("0.1"), 1, "5", "0"), (1, None, "2", "0"))), [])
        self.assertEqual(validate_properties("graduated", graduated((0, 250, "1", "0"), (250, None, "0.5", "0"))), [])

    def test_first_range_may_start_at_one(self) -> None:
        self.assertEqual(validate_properties("graduated", graduated((1, 10, "1", "0"), (11, None, "1", "0"))), [])

    def test_grouping_keys_are_allowed(self) -> None:
        self.assertEqual(validate_properties("standard", {"amount": "1", "pricing_group_keys": ["region"]}), [])
        self.assertEqual(
            validate_properties("standard", {"amount": "1", "pricing_group_keys": "region"}),
            ["pricing_group_keys: expected a list of non-empty strings, got string 'region'"],
        )

    def test_percentage_optional_fields(self) -> None:
        self.assertEqual(validate_properties("percentage", {"rate": "0"}), [])
        self.assertEqual(validate_properties("percentage", {"rate": "1", "per_transaction_min_amount": "", "per_transaction_max_amount": "5"}), [])


class RangeProblemsTest(unittest.TestCase):
    def test_gap_message_names_both_accepted_bounds(self) -> None:
        problems = validate_properties("graduated", graduated((0, 10, "1", "0"), (12, None, "1", "0")))
        self.assertEqual(problems, ["graduated_ranges[1].from_value: expected 11 or 10 (previous to_value 10), got 12"])

    def test_overlap(self) -> None:
        problems = validate_properties("graduated", graduated((0, 10, "1", "0"), (5, None, "1", "0")))
        self.assertEqual(problems, ["graduated_ranges[1].from_value: expected 11 or 10 (previous to_value 10), got 5"])

    def test_first_from_value(self) -> None:
        problems = validate_properties("graduated", graduated((2, 10, "1", "0"), (11, None, "1", "0")))
        self.assertEqual(problems, ["graduated_ranges[0].from_value: expected 0 or 1, got 2"])

    def test_to_value_must_exceed_from_value(self) -> None:
        problems = validate_properties("graduated", graduated((0, 10, "1", "0"), (11, 11, "1", "0"), (12, None, "1", "0")))
        self.assertIn("graduated_ranges[1].to_value: must be greater than from_value 11, got 11", problems)

    def test_only_last_range_is_open(self) -> None:
        problems = validate_properties("graduated", graduated((0, None, "1", "0"), (11, None, "1", "0")))
        self.assertIn("graduated_ranges[0].to_value: only the last range may be open-ended (null)", problems)

    def test_last_range_must_be_open(self) -> None:
        problems = validate_properties("graduated", graduated((0, 10, "1", "0"), (11, 20, "1", "0")))
        self.assertEqual(problems, ["graduated_ranges[1].to_value: the last range must be open-ended (null), got number 20"])

    def test_empty_ranges(self) -> None:
        self.assertEqual(validate_properties("graduated", {"graduated_ranges": []}), ["graduated_ranges: at least one range is required (a non-empty list)"])
        self.assertEqual(validate_properties("volume", {}), ["volume_ranges: at least one range is required (a non-empty list)"])

    def test_numeric_money_is_rejected(self) -> None:
        problems = validate_properties("graduated", graduated((0, None, 10, "0")))
        self.assertEqual(
            problems,
            ['graduated_ranges[0].per_unit_amount: expected a decimal string such as "0.5" (Lago rejects numeric amounts), got number 10'],
        )
        problems = validate_properties("standard", {"amount": D("0.5")})
        self.assertEqual(problems, ['amount: expected a decimal string such as "0.5" (Lago rejects numeric amounts), got number 0.5'])
        problems = validate_properties("standard", {"amount": 0.5})
        self.assertTrue(problems[0].endswith("got number 0.5 (binary floats are inexact)"))

    def test_missing_and_malformed_money(self) -> None:
        problems = validate_properties("graduated", {"graduated_ranges": [{"from_value": 0, "to_value": None, "per_unit_amount": "abc"}]})
        self.assertEqual(
            problems,
            [
                "graduated_ranges[0].per_unit_amount: not a decimal number: 'abc'",
                'graduated_ranges[0].flat_amount: required (a decimal string such as "0")',
            ],
        )
        self.assertEqual(validate_properties("standard", {"amount": "-1"}), ["amount: must be >= 0, got '-1'"])
        self.assertEqual(validate_properties("standard", {"amount": "Infinity"}), ["amount: not a decimal number: 'Infinity'"])

    def test_bounds_must_be_numbers(self) -> None:
        problems = validate_properties("graduated", graduated(("0", None, "1", "0")))
        self.assertEqual(problems, ["graduated_ranges[0].from_value: expected a number, got string '0'"])
        problems = validate_properties("graduated", graduated((0, 0.1, "1", "0"), (0.1, None, "1", "0")))
        self.assertIn("graduated_ranges[0].to_value: binary float 0.1 is inexact; parse JSON with parse_float=decimal.Decimal", problems)

    def test_mixed_adjacent_and_classic_seams(self) -> None:
        problems = validate_properties("graduated", graduated((0, 10, "1", "0"), (10, 20, "1", "0"), (21, None, "1", "0")))
        self.assertEqual(len(problems), 1)
        self.assertTrue(problems[0].startswith("graduated_ranges: mixes adjacent bounds"), problems[0])

    def test_range_item_must_be_an_object(self) -> None:
        self.assertEqual(validate_properties("graduated", {"graduated_ranges": ["x"]}), ["graduated_ranges[0]: expected an object, got string 'x'"])

    def test_unknown_range_key(self) -> None:
        problems = validate_properties(
            "graduated",
            {"graduated_ranges": [{"from_value": 0, "to_value": None, "per_unit_amount": "1", "flat_amount": "0", "rate": "1"}]},
        )
        self.assertEqual(problems, ["graduated_ranges[0].rate: unknown property (allowed: flat_amount, from_value, per_unit_amount, to_value)"])


class VolumeProblemsTest(unittest.TestCase):
    def test_volume_ranges_are_integer_contiguous(self) -> None:
        problems = validate_properties("volume", volume((0, 100, "1", "0"), (100, None, "1", "0")))
        self.assertEqual(problems, ["volume_ranges[1].from_value: expected 101 (previous to_value 100 + 1), got 100"])

    def test_lago_prev_plus_two_quirk_is_not_copied(self) -> None:
        problems = validate_properties("volume", volume((0, 100, "1", "0"), (102, None, "1", "0")))
        self.assertEqual(problems, ["volume_ranges[1].from_value: expected 101 (previous to_value 100 + 1), got 102"])

    def test_volume_bounds_are_whole(self) -> None:
        problems = validate_properties("volume", volume((0, D("10.5"), "1", "0"), (D("11.5"), None, "1", "0")))
        self.assertIn("volume_ranges[0].to_value: volume bounds must be whole numbers, got 10.5", problems)


class ModelProblemsTest(unittest.TestCase):
    def test_unknown_model(self) -> None:
        self.assertEqual(
            validate_properties("tiered", {}),
            ["charge_model: unknown charge model 'tiered'; expected one of: standard, graduated, volume, package, percentage, graduated_percentage"],
        )
        self.assertIn("does not price", validate_properties("dynamic", {})[0])

    def test_properties_must_be_an_object(self) -> None:
        self.assertEqual(validate_properties("standard", ["1"]), ["properties: expected an object, got list"])

    def test_unknown_property(self) -> None:
        problems = validate_properties("package", {"amount": "5", "package_sise": 100, "package_size": 100, "free_units": 0})
        self.assertEqual(
            problems,
            ["package_sise: unknown property (allowed: amount, free_units, grouped_by, package_size, presentation_group_keys, pricing_group_keys)"],
        )

    def test_package_size(self) -> None:
        base = {"amount": "5", "free_units": 0}
        self.assertEqual(validate_properties("package", {**base, "package_size": 0}), ["package_size: must be an integer >= 1, got 0"])
        self.assertEqual(validate_properties("package", {**base, "package_size": "10"}), ["package_size: expected an integer >= 1, got string '10'"])
        self.assertEqual(validate_properties("package", {**base, "package_size": D("1.5")}), ["package_size: expected an integer >= 1, got number 1.5"])
        self.assertEqual(validate_properties("package", {**base, "package_size": True}), ["package_size: expected an integer >= 1, got boolean true"])
        self.assertEqual(validate_properties("package", {"amount": "5", "package_size": 10}), ["free_units: required (an integer >= 0)"])

    def test_percentage_rules(self) -> None:
        self.assertEqual(validate_properties("percentage", {"rate": "-1"}), ["rate: must be >= 0, got '-1'"])
        self.assertEqual(validate_properties("percentage", {}), ['rate: required (a decimal string such as "0")'])
        self.assertEqual(
            validate_properties("percentage", {"rate": "1", "free_units_per_events": 0}),
            ["free_units_per_events: must be an integer >= 1, got 0"],
        )
        self.assertEqual(
            validate_properties("percentage", {"rate": "1", "per_transaction_min_amount": "5", "per_transaction_max_amount": "2"}),
            ["per_transaction_max_amount: must be >= per_transaction_min_amount 5, got 2"],
        )
        self.assertEqual(
            validate_properties("percentage", {"rate": "1", "free_units_per_total_aggregation": 500}),
            ['free_units_per_total_aggregation: expected a decimal string such as "0.5" (Lago rejects numeric amounts), got number 500'],
        )

    def test_graduated_percentage_rules(self) -> None:
        properties = {"graduated_percentage_ranges": [{"from_value": 0, "to_value": None, "rate": "-2", "flat_amount": "0", "fixed_amount": "0"}]}
        self.assertEqual(validate_properties("graduated_percentage", properties), ["graduated_percentage_ranges[0].rate: must be >= 0, got '-2'"])


if __name__ == "__main__":
    unittest.main()

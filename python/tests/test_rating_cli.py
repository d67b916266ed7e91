"""End-to-end: ``python3 -m fusion_billing.rating price`` run as a subprocess."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import unittest
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = PYTHON_DIR.parent
PACKAGE_DIR = PYTHON_DIR / "fusion_billing" / "rating"

GRADUATED = {
    "graduated_ranges": [
        {"from_value": 0, "to_value": 10, "per_unit_amount": "10", "flat_amount": "2"},
        {"from_value": 11, "to_value": 20, "per_unit_amount": "5", "flat_amount": "3"},
        {"from_value": 21, "to_value": None, "per_unit_amount": "5", "flat_amount": "3"},
    ]
}
REQUEST = {
    "currency": "CAD",
    "currency_exponent": 2,
    "plan": {
        "code": "nexa_pro",
        "charges": [
            {"code": "api_calls", "metric_code": "calls", "charge_model": "graduated", "properties": GRADUATED},
            {"code": "storage", "metric_code": "gb", "charge_model": "package", "properties": {"amount": "5", "package_size": 100, "free_units": 100}},
            {
                "code": "payments",
                "metric_code": "tx",
                "charge_model": "percentage",
                "properties": {"rate": "1.2", "fixed_amount": "0.10", "free_units_per_events": 3, "free_units_per_total_aggregation": "500"},
            },
            {"code": "seats", "metric_code": "seats", "charge_model": "standard", "properties": {"amount": "0.005"}},
        ],
    },
    "usage": {
        "calls": {"units": "12", "events_count": 12},
        "gb": {"units": "201"},
        "tx": {"units": "450", "events_count": 4, "event_values": ["200", "100", "100", "50"]},
        "seats": {"units": 1},
    },
}


def run_cli(arguments: list[str], stdin: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(PYTHON_DIR)}
    return subprocess.run(
        [sys.executable, "-m", "fusion_billing.rating", *arguments],
        check=False,  # the tests read the exit status
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=environment,
        timeout=60,
    )


class PriceCommandTest(unittest.TestCase):
    def assert_bad_input(self, completed: subprocess.CompletedProcess, fragment: str) -> None:
        self.assertEqual(completed.returncode, 2, completed.stderr)
        self.assertEqual(completed.stdout, "")
        lines = completed.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, completed.stderr)
        self.assertNotIn("Traceback", completed.stderr)
        self.assertIn(fragment, json.loads(lines[0])["error"])

    def test_prices_a_plan(self) -> None:
        completed = run_cli(["price"], json.dumps(REQUEST))
        self.assertEqual(completed.returncode, 0, completed.stderr)
        output = json.loads(completed.stdout)
        self.assertEqual(set(output), {"plan", "currency", "fees", "total_amount", "total_amount_cents"})
        self.assertEqual((output["plan"], output["currency"]), ("nexa_pro", "CAD"))
        fees = {fee["charge_code"]: fee for fee in output["fees"]}
        self.assertEqual(
            set(fees["api_calls"]),
            {"charge_code", "metric_code", "units", "events_count", "amount", "precise_amount", "amount_cents", "amount_details"},
        )
        self.assertEqual((fees["api_calls"]["amount"], fees["api_calls"]["amount_cents"]), ("115.00", 11500))
        self.assertEqual(len(fees["api_calls"]["amount_details"]["graduated_ranges"]), 2)
        self.assertEqual(fees["storage"]["amount"], "10.00")
        self.assertEqual(fees["payments"]["amount"], "0.70")
        self.assertEqual((fees["seats"]["amount"], fees["seats"]["precise_amount"], fees["seats"]["amount_cents"]), ("0.01", "0.005", 1))
        self.assertEqual(output["total_amount"], "125.71")
        self.assertEqual(output["total_amount_cents"], 12571)
        for fee in output["fees"]:
            self.assertIsInstance(fee["amount"], str)
            self.assertIsInstance(fee["precise_amount"], str)
            self.assertIsInstance(fee["units"], str)
            self.assertIsInstance(fee["amount_cents"], int)

    def test_missing_metric_means_zero_units(self) -> None:
        request = {"currency": "CAD", "plan": {"code": "p", "charges": [REQUEST["plan"]["charges"][0]]}, "usage": {}}
        completed = run_cli(["price"], json.dumps(request))
        self.assertEqual(completed.returncode, 0, completed.stderr)
        fee = json.loads(completed.stdout)["fees"][0]
        self.assertEqual((fee["units"], fee["events_count"], fee["amount"]), ("0", 0, "2.00"))  # first-tier flat fee

    def test_currency_exponent_defaults_from_currency(self) -> None:
        request = {
            "currency": "JPY",
            "plan": {"code": "p", "charges": [{"metric_code": "m", "charge_model": "standard", "properties": {"amount": "0.5"}}]},
            "usage": {"m": {"units": "5"}},
        }
        output = json.loads(run_cli(["price"], json.dumps(request)).stdout)
        self.assertEqual((output["fees"][0]["amount"], output["total_amount"], output["total_amount_cents"]), ("3", "3", 3))
        self.assertEqual(output["fees"][0]["charge_code"], "m", "charge code defaults to the metric code")

    def test_decimal_bounds_in_json_are_exact(self) -> None:
        properties = (
            '{"graduated_ranges": [{"from_value": 0, "to_value": 0.1, "per_unit_amount": "10", "flat_amount": "0"}, {"from_value": 0.1, "to_value": null, '
            '"per_unit_amount": "5", "flat_amount": "0"}]}'
        )
        text = (
            '{"currency": "CAD", "plan": {"code": "p", "charges": [{"metric_code": "m", "charge_model": "graduated", "properties": %s}]}, "usage": {"m": '
            '{"units": "0.05"}}}'
        ) % properties
        completed = run_cli(["price"], text)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertEqual(json.loads(completed.stdout)["fees"][0]["precise_amount"], "0.5")

    def test_negative_usage_gives_a_zero_fee(self) -> None:
        request = {
            "currency": "CAD",
            "plan": {"code": "p", "charges": [{"metric_code": "m", "charge_model": "standard", "properties": {"amount": "2"}}]},
            "usage": {"m": {"units": "-3"}},
        }
        fee = json.loads(run_cli(["price"], json.dumps(request)).stdout)["fees"][0]
        self.assertEqual((fee["units"], fee["amount"], fee["amount_cents"]), ("0", "0.00", 0))

    def test_invalid_json(self) -> None:
        self.assert_bad_input(run_cli(["price"], "{not json"), "invalid JSON")

    def test_invalid_properties_name_the_path(self) -> None:
        request = json.loads(json.dumps(REQUEST))
        request["plan"]["charges"][0]["properties"]["graduated_ranges"][1]["from_value"] = 12
        self.assert_bad_input(
            run_cli(["price"], json.dumps(request)),
            "plan.charges[0].properties.graduated_ranges[1].from_value: expected 11 or 10 (previous to_value 10), got 12",
        )

    def test_numeric_money_is_bad_input(self) -> None:
        request = {"currency": "CAD", "plan": {"code": "p", "charges": [{"metric_code": "m", "charge_model": "standard", "properties": {"amount": 0.5}}]}}
        self.assert_bad_input(run_cli(["price"], json.dumps(request)), "plan.charges[0].properties.amount: expected a decimal string")

    def test_percentage_without_event_values(self) -> None:
        request = json.loads(json.dumps(REQUEST))
        del request["usage"]["tx"]["event_values"]
        self.assert_bad_input(run_cli(["price"], json.dumps(request)), "plan.charges[2] (tx): percentage: event_values")

    def test_other_bad_inputs(self) -> None:
        self.assert_bad_input(run_cli(["price"], "[]"), "request: expected an object")
        self.assert_bad_input(run_cli(["price"], json.dumps({"plan": {}})), "currency")
        self.assert_bad_input(run_cli(["price"], json.dumps({"currency": "CAD", "plan": {"code": "p", "charges": {}}})), "plan.charges: expected a list")
        bad_units = {"currency": "CAD", "plan": {"code": "p", "charges": [REQUEST["plan"]["charges"][3]]}, "usage": {"seats": {"units": "lots"}}}
        self.assert_bad_input(run_cli(["price"], json.dumps(bad_units)), "units: not a decimal number")
        self.assert_bad_input(run_cli(["price"], '{"currency": "CAD", "x": NaN}'), "invalid JSON number NaN")
        self.assert_bad_input(run_cli(["price"], json.dumps({**REQUEST, "currency_exponent": -1})), "currency_exponent")

    def test_usage_errors(self) -> None:
        self.assert_bad_input(run_cli([], "{}"), "usage:")
        self.assert_bad_input(run_cli(["quote"], "{}"), "usage:")
        self.assert_bad_input(run_cli(["price", "--bogus"], "{}"), "usage:")


class ExamplesCommandTest(unittest.TestCase):
    EXAMPLES = {
        "examples": [
            {"charge_model": "graduated", "properties": GRADUATED, "units": "12", "expected_amount": "115", "where": "spec/nexa.yaml:41:7"},
            {
                "charge_model": "package",
                "properties": {"amount": "5", "package_size": 100, "free_units": 100},
                "units": 201,
                "expected_amount": "10.00",
                "where": "spec/nexa.yaml:50:7",
            },
            {
                "charge_model": "percentage",
                "properties": {"rate": "2.9"},
                "units": "4",
                "events_count": 4,
                "expected_amount": "0.116",
                "where": "spec/nexa.yaml:60:7",
            },
            {
                "charge_model": "standard",
                "properties": {"amount": "0.5"},
                "units": "5",
                "currency_exponent": 0,
                "expected_amount": "3",
                "where": "spec/nexa.yaml:70:7",
            },
        ]
    }

    def test_all_examples_pass(self) -> None:
        completed = run_cli(["price", "--examples"], json.dumps(self.EXAMPLES))
        self.assertEqual(completed.returncode, 0, completed.stdout + completed.stderr)
        self.assertIn("ok   spec/nexa.yaml:41:7: graduated 12 units -> 115.00", completed.stdout)
        self.assertTrue(completed.stdout.rstrip().endswith("4 examples, 0 failed"))

    def test_a_mismatch_exits_one_and_names_the_spec_line(self) -> None:
        examples = json.loads(json.dumps(self.EXAMPLES))
        examples["examples"][0]["expected_amount"] = "110"
        examples["examples"].append(
            {"charge_model": "standard", "properties": {"amount": 1}, "units": "1", "expected_amount": "1", "where": "spec/nexa.yaml:80:7"}
        )
        completed = run_cli(["price", "--examples"], json.dumps(examples))
        self.assertEqual(completed.returncode, 1)
        self.assertIn("FAIL spec/nexa.yaml:41:7: graduated 12 units: expected 110, got 115.00 (precise 115)", completed.stdout)
        self.assertIn("FAIL spec/nexa.yaml:80:7: invalid properties: amount: expected a decimal string", completed.stdout)
        self.assertTrue(completed.stdout.rstrip().endswith("5 examples, 2 failed"))

    def test_malformed_examples_input(self) -> None:
        completed = run_cli(["price", "--examples"], json.dumps({"cases": []}))
        self.assertEqual(completed.returncode, 2)
        self.assertEqual(json.loads(completed.stderr)["error"], "examples: expected a list")


class PackagingTest(unittest.TestCase):
    """The package is copied into the Odoo addon: stdlib only, relative imports only."""

    def test_no_package_init_above_rating(self) -> None:
        self.assertFalse((PYTHON_DIR / "fusion_billing" / "__init__.py").exists())

    def test_imports_are_relative_or_stdlib(self) -> None:
        for module in sorted(PACKAGE_DIR.glob("*.py")):
            tree = ast.parse(module.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                for name in names:
                    with self.subTest(module=module.name, imported=name):
                        self.assertIn(name.split(".")[0], sys.stdlib_module_names | {"__future__"})


if __name__ == "__main__":
    unittest.main()

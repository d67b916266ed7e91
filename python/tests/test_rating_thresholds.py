"""Progressive billing thresholds: the cases of getlago/lago-api
spec/services/lifetime_usages/usage_thresholds/check_service_spec.rb, each a mapping of
(invoiced, current) usage in cents to the threshold amounts passed, in Lago's order."""

import unittest

from fusion_billing.rating.thresholds import passed_thresholds, threshold_progress, thresholds_error


def plan(fixed, recurring=None):
    thresholds = [{"amount_cents": amount, "recurring": False} for amount in fixed]
    if recurring:
        thresholds.append({"amount_cents": recurring, "recurring": True})
    return thresholds


CASES = [
    # (fixed, recurring, progressive_billed, historical, {(invoiced, current): passed amounts})
    ([], None, 0, 0, {(0, 7): [], (0, 10): [], (9, 2): [], (11, 1): [], (11, 10): []}),
    ([10], None, 0, 0, {(0, 7): [], (0, 10): [10], (9, 2): [10], (11, 1): [], (11, 10): []}),
    ([10, 20, 31, 40], None, 0, 0, {
        (0, 7): [], (0, 10): [10], (0, 31): [10, 20, 31], (9, 2): [10], (9, 20): [10, 20], (9, 31): [10, 20, 31, 40],
        (11, 1): [], (11, 10): [20], (21, 20): [31, 40], (40, 2): [], (50, 0): []}),
    ([], 10, 0, 0, {
        (0, 7): [], (0, 10): [10], (9, 2): [10], (11, 1): [], (11, 8): [], (11, 9): [10], (11, 10): [10], (11, 20): [10],
        (202, 7): [], (202, 8): [10]}),
    ([10], 5, 0, 0, {
        (0, 7): [], (0, 10): [10], (0, 15): [10, 5], (0, 20): [10, 5], (9, 2): [10], (9, 6): [10, 5], (9, 20): [10, 5],
        (11, 3): [], (11, 4): [5], (11, 20): [5]}),
    ([10, 20, 31, 40], 5, 0, 0, {
        (0, 7): [], (0, 10): [10], (0, 31): [10, 20, 31], (0, 44): [10, 20, 31, 40], (0, 45): [10, 20, 31, 40, 5],
        (9, 2): [10], (9, 20): [10, 20], (9, 31): [10, 20, 31, 40], (9, 37): [10, 20, 31, 40, 5], (11, 1): [],
        (11, 10): [20], (21, 20): [31, 40], (21, 24): [31, 40, 5], (40, 2): [], (40, 5): [5], (41, 4): [5],
        (49, 1): [5], (50, 0): [], (50, 5): [5]}),
    ([], None, 10, 0, {(0, 7): [], (0, 10): [], (9, 2): [], (11, 1): [], (11, 10): []}),
    ([10], None, 10, 0, {(9, 2): [], (9, 20): [], (11, 10): [], (11, 20): []}),
    ([10, 20, 31, 40], None, 10, 0, {
        (0, 10): [], (0, 31): [20, 31], (9, 10): [], (9, 12): [20], (9, 20): [20], (9, 31): [20, 31, 40],
        (11, 11): [], (11, 20): [31], (21, 20): [40], (30, 12): [], (50, 10): []}),
    ([], 10, 10, 0, {(0, 10): [], (11, 10): [], (11, 19): [10], (202, 17): [], (202, 18): [10], (202, 28): [10]}),
    ([10], 5, 10, 0, {
        (0, 7): [], (0, 10): [], (0, 15): [5], (0, 20): [5], (9, 2): [], (9, 6): [], (9, 16): [5], (11, 3): [],
        (11, 4): [], (11, 14): [5], (11, 24): [5]}),
    ([10, 20, 31, 40], 5, 10, 0, {
        (0, 7): [], (0, 10): [], (0, 31): [20, 31], (0, 44): [20, 31, 40], (0, 45): [20, 31, 40, 5], (9, 2): [],
        (9, 20): [20], (9, 31): [20, 31, 40], (9, 37): [20, 31, 40, 5], (11, 1): [], (11, 10): [], (20, 20): [31, 40],
        (21, 20): [40], (21, 24): [40, 5], (40, 14): [], (40, 15): [5], (41, 14): [5], (49, 1): [], (49, 11): [5],
        (50, 5): [], (50, 15): [5]}),
    ([10, 20, 31, 40], None, 0, 11, {
        (0, 7): [], (0, 9): [20], (0, 10): [20], (9, 0): [], (0, 31): [20, 31, 40], (8, 2): [20], (8, 20): [20, 31],
        (8, 31): [20, 31, 40], (11, 1): [], (11, 10): [31], (21, 20): [40], (40, 2): [], (50, 0): []}),
]


class LagoCases(unittest.TestCase):
    def test_every_case_of_lagos_check_service_spec(self):
        checked = 0
        for fixed, recurring, progressive_billed, historical, mapping in CASES:
            for (invoiced, current), expected in mapping.items():
                with self.subTest(fixed=fixed, recurring=recurring, progressive_billed=progressive_billed,
                                  historical=historical, invoiced=invoiced, current=current):
                    passed = passed_thresholds(plan(fixed, recurring), invoiced=invoiced, current=current,
                                               progressive_billed=progressive_billed, historical=historical)
                    self.assertEqual([t["amount_cents"] for t in passed], expected)
                checked += 1
        self.assertEqual(checked, 131)

    def test_thresholds_come_back_as_given(self):
        thresholds = [{"amount_cents": 5000, "recurring": False, "threshold_display_name": "Fifty"}]
        self.assertIs(passed_thresholds(thresholds, invoiced=0, current=5000)[0], thresholds[0])


class Progress(unittest.TestCase):
    """getlago/lago-api spec/services/lifetime_usages/usage_thresholds_completion_service_spec.rb."""

    def ratios(self, thresholds, total):
        return [(step["amount_cents"], step["completion_ratio"]) for step in threshold_progress(thresholds, total)]

    def test_lagos_completion_cases(self):
        self.assertEqual(self.ratios(plan([100]), 0), [(100, 0.0)])
        self.assertEqual(self.ratios(plan([100]), 23), [(100, 0.23)])
        self.assertEqual(self.ratios(plan([100, 200]), 120), [(100, 1.0), (200, 0.2)])
        self.assertEqual(self.ratios(plan([100, 200]), 223), [(100, 1.0), (200, 1.0)])
        self.assertEqual(self.ratios(plan([100], 200), 120), [(100, 1.0), (300, 0.1)])
        self.assertEqual(self.ratios(plan([100], 200), 723), [(100, 1.0), (300, 1.0), (500, 1.0), (700, 1.0), (900, 0.115)])

    def test_reached_at_of_passed_steps_only(self):
        steps = threshold_progress(plan([100], 200), 350, reached_at=lambda t, amount: f"at {amount}")
        self.assertEqual([s["reached_at"] for s in steps], ["at 100", "at 300", None])


class Validation(unittest.TestCase):
    def test_lagos_validations(self):
        self.assertIsNone(thresholds_error(plan([1000, 2000], 500)))
        self.assertIsNone(thresholds_error([]))
        self.assertEqual(thresholds_error(plan([0])), "invalid_amount_cents")
        self.assertEqual(thresholds_error([{"amount_cents": "10"}]), "invalid_amount_cents")
        self.assertEqual(thresholds_error([{"amount_cents": 1.5}]), "invalid_amount_cents")
        self.assertEqual(thresholds_error(plan([10, 10])), "amount_cents_already_exists")
        self.assertIsNone(thresholds_error(plan([10], 10)))
        self.assertEqual(thresholds_error(plan([]) + [{"amount_cents": 5, "recurring": True}, {"amount_cents": 7, "recurring": True}]),
                         "multiple_recurring_thresholds")
        self.assertEqual(thresholds_error({"amount_cents": 10}), "invalid_format")


if __name__ == "__main__":
    unittest.main()

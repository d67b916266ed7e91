"""Usage alerts: the thresholds a value crosses between two checks. Cases of getlago/lago-api
spec/models/usage_monitoring/alert_spec.rb (its factory: one-time 10, 30, 50; recurring 100)."""

import unittest
from decimal import Decimal

from fusion_billing.rating.alerts import crossed_thresholds, threshold_error

LAGO_FACTORY = ({"code": "warn10", "value": 10}, {"code": "warn30", "value": 30}, {"code": "warn50", "value": 50},
                {"code": "rec", "value": 100, "recurring": True})


def values(previous, current, thresholds=LAGO_FACTORY):
    return [int(t["value"]) for t in crossed_thresholds(thresholds, Decimal(previous), Decimal(current))]


class Crossings(unittest.TestCase):
    def test_lago_increasing_cases(self):
        # line 115-121: previous 8 → 8 crosses nothing; → 30 crosses 10 and 30; previous 31 → 60 crosses 50.
        self.assertEqual(values(8, 8), [])
        self.assertEqual(values(8, 30), [10, 30])
        self.assertEqual(values(31, 60), [50])
        # line 123-126: going down crosses nothing.
        self.assertEqual(values(30, 29), [])
        # line 128-131: the recurring threshold repeats every 100 after the last one-time threshold.
        self.assertEqual(values(33, 351), [50, 150, 250, 350])

    def test_only_a_recurring_threshold(self):
        # line 100-105: recurring 100 alone, 0 → 150 crosses 100.
        self.assertEqual(values(0, 150, [{"code": "every", "value": 100, "recurring": True}]), [100])

    def test_each_step_is_reported_once(self):
        # Lago's [previous_steps, 1].max reports 150 again when the previous value was exactly 150.
        self.assertEqual(values(150, 260), [250])
        self.assertEqual(values(150, 150), [])

    def test_crossed_thresholds_name_their_code(self):
        crossed = crossed_thresholds(LAGO_FACTORY, Decimal(45), Decimal(151))
        self.assertEqual(crossed, [{"code": "warn50", "value": Decimal(50), "recurring": False},
                                   {"code": "rec", "value": Decimal(150), "recurring": True}])

    def test_invalid_thresholds(self):
        self.assertEqual(threshold_error([]), "value_is_mandatory")
        self.assertEqual(threshold_error([{"value": "x"}]), "invalid_format")
        self.assertEqual(threshold_error([{"value": -1}]), "invalid_format")
        self.assertEqual(threshold_error([{"value": 1, "recurring": True}, {"value": 2, "recurring": True}]), "multiple_recurring_thresholds")
        self.assertIsNone(threshold_error([{"code": "a", "value": "12.5"}]))


if __name__ == "__main__":
    unittest.main()

"""Charge filters: each event priced by exactly one bucket, the most specific filter it matches,
and the buckets' include/exclude scopes select the same events in the aggregation."""

import random
import unittest
from decimal import Decimal

from fusion_billing.rating.aggregation import aggregate
from fusion_billing.rating.filters import DEFAULT, bucket_of, buckets, filter_code

REGION = {"region": ["ca-central"]}
US = {"region": ["us-east"]}
CA_GOLD = {"region": ["ca-central"], "tier": ["gold"]}


class Buckets(unittest.TestCase):
    def test_an_event_goes_to_the_most_specific_filter_it_matches(self):
        filters = [REGION, CA_GOLD, US]
        self.assertEqual(bucket_of({"region": "ca-central"}, filters), 0)
        self.assertEqual(bucket_of({"region": "ca-central", "tier": "gold"}, filters), 1, "the child, not its parent")
        self.assertEqual(bucket_of({"region": "us-east", "tier": "gold"}, filters), 2)
        self.assertIsNone(bucket_of({"region": "eu-west"}, filters), "no filter: the default bucket")
        self.assertIsNone(bucket_of({}, filters))

    def test_between_equally_specific_filters_the_first_declared_wins(self):
        # Lago keeps the oldest of identical filters (MatchingAndIgnoredService#older_than_filter?).
        both = [{"region": ["ca-central", "us-east"]}, {"region": ["ca-central"]}]
        self.assertEqual(bucket_of({"region": "ca-central"}, both), 0)

    def test_codes_name_the_values_stably(self):
        self.assertEqual(filter_code({"tier": ["silver", "gold"], "region": ["ca-central"]}), "region=ca-central|tier=gold+silver")
        self.assertEqual([b.code for b in buckets([REGION, US])], ["region=ca-central", "region=us-east", DEFAULT])

    def test_bucket_scopes_partition_the_events_as_bucket_of_assigns_them(self):
        filters = [REGION, CA_GOLD, US, {"tier": ["gold"]}]
        rng = random.Random(7)
        events = []
        for index in range(400):
            properties = {}
            if rng.random() < 0.9:
                properties["region"] = rng.choice(["ca-central", "us-east", "eu-west"])
            if rng.random() < 0.5:
                properties["tier"] = rng.choice(["gold", "silver"])
            properties["gb"] = str(rng.randint(1, 50))
            events.append({"timestamp": 1_767_225_600 + index, "properties": properties})
        for bucket in buckets(filters):
            expected = [e for e in events if bucket_of(e["properties"], filters) == bucket.index]
            result = aggregate(
                "sum",
                events,
                from_ts=1_767_225_600,
                to_ts=1_767_225_600 + 400,
                field_name="gb",
                filters=bucket.include,
                ignored_filters=bucket.exclude,
            )
            self.assertEqual(result.events_count, len(expected), bucket.code)
            self.assertEqual(result.units, sum((Decimal(e["properties"]["gb"]) for e in expected), Decimal(0)), bucket.code)

    def test_a_charge_without_filters_has_one_bucket_of_everything(self):
        (only,) = buckets([])
        self.assertEqual((only.index, only.code, dict(only.include), only.exclude), (None, DEFAULT, {}, ()))


if __name__ == "__main__":
    unittest.main()

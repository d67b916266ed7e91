"""Pure-Python rating core for fusion_billing: Lago's charge math and aggregations.

Standard library only and no Odoo import, so it runs both inside the
generated addon (as ``fusion_billing.rating``) and standalone. Money is
``decimal.Decimal`` throughout; floats are refused.

* ``compute_charge`` - standard, graduated, volume, package, percentage,
  graduated_percentage (``charges.py``, ``percentage.py``, ``tiers.py``)
* ``validate_properties`` - Lago's property rules as readable messages
* ``aggregate`` - count, sum, max, unique_count, latest, weighted_sum
* ``price_plan`` / ``python3 -m fusion_billing.rating price`` - offline pricing

Reference: getlago/lago-api snapshot 1b1c24a. Where Lago is ambiguous or
inconsistent, this core chooses (each choice is commented where it lives):

* graduated_percentage detects adjacent bounds like graduated (Lago always
  applies the classic +1 rule there and bills one extra unit per seam);
* percentage per-transaction min/max apply whenever set (Lago: premium only)
  and keep Lago's quirk of consuming the free amount past the free events;
  running totals are built as for sum metrics (Lago's count/unique_count
  metrics build 1..n instead, which differs only when both free settings are
  set and free_units_per_total_aggregation < free_units_per_events);
* package uses an exact ceiling (Lago: Float#fdiv);
* volume: units below the first tier's from_value use the first tier (Lago
  raises); validation requires prev.to + 1 and whole bounds;
* weighted_sum mirrors the Postgres store's numeric division digit for digit
  (see pg_numeric), not the ClickHouse store's Decimal128 arithmetic;
* unique_count skips events without the property (Postgres would count them
  as one NULL value).
"""

from .aggregation import AGGREGATION_TYPES, AggregationResult, aggregate
from .charges import CHARGE_MODELS, ChargeResult, compute_charge
from .pricing import PricingInputError, check_examples, fee_for_charge, price_plan
from .properties import validate_properties

__all__ = [
    "AGGREGATION_TYPES",
    "CHARGE_MODELS",
    "AggregationResult",
    "ChargeResult",
    "PricingInputError",
    "aggregate",
    "check_examples",
    "compute_charge",
    "fee_for_charge",
    "price_plan",
    "validate_properties",
]

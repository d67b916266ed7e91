"""Usage alerts (Lago's UsageMonitoring::Alert, increasing direction): which thresholds a value
crossed since it was last checked.

Thresholds are ``{code, value, recurring}``; at most one is recurring and repeats every ``value``
beyond the largest one-time threshold (Alert#find_thresholds_crossed_increasing). A value that
went down (a new billing period) crosses nothing; the next rise crosses again. A threshold is
crossed when the value reaches it: ``previous < threshold <= current``. Lago's recurring steps
count a step equal to the previous value once more (``[previous_steps, 1].max`` with a ceiling);
here each step is reported once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

__all__ = ["ALERT_TYPES", "crossed_thresholds", "threshold_error"]

# Lago's alert types this module evaluates (current usage of the subscription).
ALERT_TYPES = ("current_usage_amount", "billable_metric_current_usage_amount", "billable_metric_current_usage_units")


def threshold_error(thresholds: object) -> str | None:
    """Why a thresholds list is invalid (Lago's error code), or None."""
    if not isinstance(thresholds, list) or not thresholds:
        return "value_is_mandatory"
    recurring = 0
    for threshold in thresholds:
        if not isinstance(threshold, Mapping) or "value" not in threshold:
            return "invalid_format"
        try:
            value = Decimal(str(threshold["value"]))
        except ArithmeticError:
            return "invalid_format"
        if not value.is_finite() or value <= 0 or isinstance(threshold["value"], bool):
            return "invalid_format"
        recurring += bool(threshold.get("recurring"))
    return "multiple_recurring_thresholds" if recurring > 1 else None


def crossed_thresholds(thresholds: Sequence[Mapping], previous: Decimal, current: Decimal) -> list[dict]:
    """The thresholds crossed going from `previous` to `current`, in increasing order, as Lago's
    crossed_thresholds lists them: ``{code, value, recurring}`` (a recurring one once per step)."""
    if current <= previous:
        return []
    fixed = sorted((t for t in thresholds if not t.get("recurring")), key=lambda t: Decimal(str(t["value"])))
    crossed = [
        {"code": t.get("code"), "value": Decimal(str(t["value"])), "recurring": False}
        for t in fixed if previous < Decimal(str(t["value"])) <= current
    ]
    repeat = next((t for t in thresholds if t.get("recurring")), None)
    if repeat is not None:
        step = Decimal(str(repeat["value"]))
        start = Decimal(str(fixed[-1]["value"])) if fixed else Decimal(0)
        # Steps start + k × step (k >= 1) in (previous, current].
        first = max(1, int((previous - start) // step) + 1)
        last = int((current - start) // step)
        crossed += [{"code": repeat.get("code"), "value": start + k * step, "recurring": True} for k in range(first, last + 1)]
    return crossed

"""Usage thresholds of progressive billing (Lago's LifetimeUsages::UsageThresholds::CheckService):
which of a plan's thresholds a subscription's lifetime usage passed since it was last invoiced.

Amounts are in the currency's subunits (cents), as Lago compares them. Lifetime usage is the usage
the subscription was invoiced for in closed periods (``invoiced``: charge fees of its period
invoices, plus any ``historical`` amount carried over from another system) and the current period's
usage (``current``). Within the current period, ``progressive_billed`` is the usage already billed
by its latest progressive invoice: it counts as invoiced, so a threshold is passed once.

One-time thresholds apply until lifetime usage passes the largest; the recurring one (at most one)
repeats every ``amount`` beyond it. Thresholds are ``{amount_cents, recurring, ...}`` mappings and
come back as given, one-time ones by amount, the recurring one last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["passed_thresholds", "thresholds_error"]


def passed_thresholds(thresholds: Sequence[Mapping], *, invoiced: int, current: int,
                      progressive_billed: int = 0, historical: int = 0) -> list[Mapping]:
    fixed = sorted((t for t in thresholds if not t.get("recurring")), key=lambda t: t["amount_cents"])
    recurring = next((t for t in thresholds if t.get("recurring")), None)
    # The current period's usage not yet billed progressively; below zero (usage went down) passes nothing.
    unbilled = current - progressive_billed
    if unbilled < 0:
        return []
    billed = historical + invoiced + progressive_billed
    total = billed + unbilled
    largest = fixed[-1]["amount_cents"] if fixed else 0
    if billed < largest:
        passed = [t for t in fixed if billed < t["amount_cents"] <= total]
        if recurring is not None and total - largest >= recurring["amount_cents"]:
            passed.append(recurring)
        return passed
    if recurring is not None and unbilled + billed % recurring["amount_cents"] >= recurring["amount_cents"]:
        return [recurring]
    return []


def thresholds_error(thresholds: object) -> str | None:
    """Why a plan's usage thresholds are invalid (Lago's UsageThreshold validations), or None."""
    if not isinstance(thresholds, list):
        return "invalid_format"
    seen, recurring = set(), 0
    for threshold in thresholds:
        if not isinstance(threshold, Mapping):
            return "invalid_format"
        amount = threshold.get("amount_cents")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            return "invalid_amount_cents"
        key = (amount, bool(threshold.get("recurring")))
        if key in seen:
            return "amount_cents_already_exists"
        seen.add(key)
        recurring += key[1]
    return "multiple_recurring_thresholds" if recurring > 1 else None

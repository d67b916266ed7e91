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

__all__ = ["passed_thresholds", "threshold_progress", "thresholds_error"]


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


def threshold_progress(thresholds: Sequence[Mapping], total: int, reached_at=lambda threshold, amount: None) -> list[dict]:
    """Each threshold's completion by lifetime usage `total` (LifetimeUsages::UsageThresholdsCompletionService):
    one-time thresholds passed are complete, the next one is partly, the others not; past the last one
    the recurring threshold's passed steps are complete and the next step partly. `reached_at(threshold,
    amount)` says when a passed one was reached (None: Lago answers the current time)."""
    fixed = sorted((t for t in thresholds if not t.get("recurring")), key=lambda t: t["amount_cents"])
    recurring = next((t for t in thresholds if t.get("recurring")), None)
    passed = [t for t in fixed if t["amount_cents"] <= total]
    ahead = [t for t in fixed if t["amount_cents"] > total]
    progress = [_step(t["amount_cents"], 1.0, reached_at(t, t["amount_cents"])) for t in passed]
    last = passed[-1]["amount_cents"] if passed else 0
    if ahead:
        first, *others = ahead
        progress.append(_step(first["amount_cents"], (total - last) / (first["amount_cents"] - last), None))
        progress += [_step(t["amount_cents"], 0.0, None) for t in others]
        if recurring is not None:
            progress.append(_step((fixed[-1]["amount_cents"] if fixed else 0) + recurring["amount_cents"], 0.0, None))
    elif recurring is not None:
        step = recurring["amount_cents"]
        # Lago's remainder, as it computes it (its spec's cases hold with it).
        remainder = (last + total) % step
        for index in range((total - last) // step):
            amount = last + (index + 1) * step
            progress.append(_step(amount, 1.0, reached_at(recurring, amount)))
        progress.append(_step(total - remainder + step, remainder / step, None))
    return progress


def _step(amount: int, ratio: float, reached_at) -> dict:
    return {"amount_cents": amount, "completion_ratio": ratio, "reached_at": reached_at}


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

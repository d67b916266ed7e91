"""Charge filters: a charge priced per event property value (Lago's ChargeFilter).

A filter is ``{key: [values]}`` with its own charge properties; an event belongs to a filter when,
for every key, its property is one of the values. Each event is priced once:

* by the most specific filter it matches (the one with the most keys; between equals, the one
  declared first, as Lago keeps the oldest), which is what Lago's
  ChargeFilters::MatchingAndIgnoredService achieves by ignoring a filter's more specific children;
* otherwise by the charge's own properties (Lago's default bucket: the events of no filter).

``buckets`` turns the filters into disjoint scopes for the aggregation: include (``filters``)
and exclude (``ignored_filters``) clauses, as ``rating.aggregation.aggregate`` and the SQL engine
read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

__all__ = ["Bucket", "DEFAULT", "bucket_of", "buckets", "display_name", "filter_code", "filter_named"]

DEFAULT = "default"


class Bucket(NamedTuple):
    # Position of the filter in the charge's list, or None for the default bucket.
    index: int | None
    code: str
    include: Mapping[str, Sequence[str]]
    exclude: tuple[Mapping[str, Sequence[str]], ...]


def filter_code(values: Mapping[str, Sequence[str]]) -> str:
    """A stable name of a filter's values: "region=ca-central|tier=gold+silver"."""
    return "|".join(f"{key}={'+'.join(sorted(str(v) for v in vals))}" for key, vals in sorted(values.items()))


def _beats(other: int, mine: int, filters: Sequence[Mapping]) -> bool:
    """Whether filter `other` takes an event that both `other` and `mine` match."""
    a, b = len(filters[other]), len(filters[mine])
    return a > b or (a == b and other < mine)


def buckets(filters: Sequence[Mapping[str, Sequence[str]]]) -> list[Bucket]:
    """One bucket per filter, then the default bucket; every event falls in exactly one."""
    result = []
    for index, values in enumerate(filters):
        stronger = tuple(filters[other] for other in range(len(filters)) if other != index and _beats(other, index, filters))
        result.append(Bucket(index, filter_code(values), values, stronger))
    result.append(Bucket(None, DEFAULT, {}, tuple(filters)))
    return result


def _matches(properties: Mapping, values: Mapping[str, Sequence[str]]) -> bool:
    return all(str(properties.get(key, "")) in {str(v) for v in vals} for key, vals in values.items())


def bucket_of(properties: Mapping, filters: Sequence[Mapping[str, Sequence[str]]]) -> int | None:
    """The filter pricing an event with these properties (its index), or None for the default."""
    matching = [index for index, values in enumerate(filters) if _matches(properties, values)]
    if not matching:
        return None
    best = matching[0]
    for index in matching[1:]:
        if _beats(index, best, filters):
            best = index
    return best


def filter_named(filters: Sequence[Mapping], code: str | None) -> Mapping | None:
    """The filter entry ({values, properties, invoice_display_name}) whose values have this code."""
    return next((entry for entry in filters or () if filter_code(entry["values"]) == code), None)


def display_name(entry: Mapping) -> str:
    """A filter as invoices name it: its display name, or its values (Lago's ChargeFilter#display_name)."""
    return entry.get("invoice_display_name") or ", ".join(str(v) for values in entry["values"].values() for v in values)

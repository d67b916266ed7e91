"""Billing periods as Lago computes them: calendar or anniversary, in the customer's timezone.

A period is half-open, ``[start, end)``, which is the same set of instants as Lago's inclusive
``from_datetime .. to_datetime`` (end of day 23:59:59.999999). Boundaries are local midnights of
the customer's timezone, returned as aware UTC datetimes, so daylight-saving changes move the
UTC instant but never the local day. The first and last periods of a subscription are clamped
to its start and termination by ``subscription_periods``; ``Period.full_seconds`` keeps the
length of the unclamped period (weighted_sum divides by it).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

__all__ = ["INTERVALS", "Period", "iter_periods", "period_containing", "subscription_periods"]

INTERVALS = ("weekly", "monthly", "quarterly", "semiannual", "yearly")
_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "yearly": 12}


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    # Length of the whole billing period, before clamping to the subscription's start or end.
    full_seconds: int

    @property
    def is_partial(self) -> bool:
        return int((self.end - self.start).total_seconds()) != self.full_seconds


def _zone(tz: str | None) -> ZoneInfo:
    return ZoneInfo(tz or "UTC")


def _aware(moment: datetime) -> datetime:
    """Naive datetimes are UTC (Odoo stores UTC without a zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def _add_months(day: date, months: int, anchor_day: int) -> date:
    """Same day of month `months` later, clamped to the month's length (Jan 31 → Feb 28 → Mar 31)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(anchor_day, calendar.monthrange(year, month + 1)[1]))


def _local_bounds(interval: str, billing_time: str, anchor: date, day: date) -> tuple[date, date]:
    """First local day of the period containing `day`, and the first day of the next one."""
    if interval not in INTERVALS:
        raise ValueError(f"interval: expected one of {', '.join(INTERVALS)}, got {interval!r}")
    if billing_time not in ("calendar", "anniversary"):
        raise ValueError(f"billing_time: expected calendar or anniversary, got {billing_time!r}")
    if interval == "weekly":
        # Calendar weeks start on Monday (as in Lago); anniversary weeks on the anchor's weekday.
        weekday = 0 if billing_time == "calendar" else anchor.weekday()
        start = day - timedelta(days=(day.weekday() - weekday) % 7)
        return start, start + timedelta(days=7)
    step = _MONTHS[interval]
    if billing_time == "calendar":
        month0 = (day.month - 1) // step * step
        start = date(day.year, month0 + 1, 1)
        return start, _add_months(start, step, 1)
    # Anniversary: count whole steps from the anchor, then adjust for short months.
    months = (day.year - anchor.year) * 12 + (day.month - anchor.month)
    k = months // step
    start = _add_months(anchor, k * step, anchor.day)
    if start > day:
        k -= 1
        start = _add_months(anchor, k * step, anchor.day)
    end = _add_months(anchor, (k + 1) * step, anchor.day)
    if end <= day:
        start, end = end, _add_months(anchor, (k + 2) * step, anchor.day)
    return start, end


def period_containing(
    at: datetime, *, interval: str, billing_time: str = "calendar", anchor: datetime | None = None, tz: str | None = None
) -> Period:
    """The whole (unclamped) billing period that contains the instant `at`."""
    zone = _zone(tz)
    local_day = _aware(at).astimezone(zone).date()
    anchor_day = _aware(anchor).astimezone(zone).date() if anchor else local_day
    start_day, end_day = _local_bounds(interval, billing_time, anchor_day, local_day)
    start, end = _local_midnight(start_day, zone), _local_midnight(end_day, zone)
    return Period(start, end, int((end - start).total_seconds()))


def iter_periods(
    started_at: datetime,
    *,
    interval: str,
    billing_time: str = "calendar",
    tz: str | None = None,
    anchor: datetime | None = None,
    terminated_at: datetime | None = None,
) -> Iterator[Period]:
    """Every period of a subscription from its start, clamped to start and termination: endless
    unless it terminated. `anchor` (default: the start) is the day anniversary periods count from;
    after a change of plan it is the first plan's start (Lago keeps subscription_at)."""
    started = _aware(started_at)
    anchored = _aware(anchor) if anchor else started
    stop = _aware(terminated_at) if terminated_at else None
    cursor = started
    while True:
        whole = period_containing(cursor, interval=interval, billing_time=billing_time, anchor=anchored, tz=tz)
        start = max(whole.start, started)
        end = min(whole.end, stop) if stop else whole.end
        if start >= end:
            return
        yield Period(start, end, whole.full_seconds)
        if stop and end >= stop:
            return
        cursor = whole.end


def subscription_periods(
    started_at: datetime,
    until: datetime,
    *,
    interval: str,
    billing_time: str = "calendar",
    tz: str | None = None,
    anchor: datetime | None = None,
    terminated_at: datetime | None = None,
) -> Iterator[Period]:
    """The periods of a subscription from its start, clamped to start and termination, that end by `until`.

    Only complete periods are yielded (a period is complete when its end is <= `until`), except
    that a terminated subscription's last period ends at the termination instant.
    """
    limit = _aware(until)
    for period in iter_periods(
            started_at, interval=interval, billing_time=billing_time, tz=tz, anchor=anchor, terminated_at=terminated_at):
        if period.end > limit:
            return
        yield period

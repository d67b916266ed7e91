"""What a subscription bills, and when: Lago's schedule of base fees and usage charges.

Two streams, each closed on its own:

* **Base fee** per billing period of the plan's interval, prorated by local days when the period
  is cut by the start, a trial, a termination or a change of plan (getlago/lago-api
  app/services/fees/subscription_service.rb: #first_subscription_amount, #terminated_amount,
  #upgraded_amount, #full_period_amount all reduce to "days billed × amount / days of the full
  period", days counted by Utils::Datetime.date_diff_with_timezone, which rounds up). It is due
  at the period's end (in arrears) or at its start (`pay_in_advance`; during a trial, at the
  trial's end: Subscriptions::FreeTrialBillingService).
* **Usage** per charges period, always due at its end. Charges periods are the plan's periods,
  or months when a yearly or semiannual plan has `bill_charges_monthly` (Plan#bill_charges_monthly?).

A pay-in-advance subscription that terminates mid-period is owed the days it will not use
(CreditNotes::CreateFromTermination#remaining_duration), at most what its last fee billed.

Pure functions of the subscription's terms and the instants given: the module decides from
them what to invoice, and an Enterprise bridge could hand the same items to sale_subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Iterator
from zoneinfo import ZoneInfo

from .periods import Period, iter_periods, period_containing

__all__ = [
    "BaseFee",
    "Terms",
    "base_fee",
    "charges_interval",
    "commitment_for",
    "fees_due",
    "trial_end",
    "unused_credit",
    "usage_due",
    "yearly_amount",
]

_PER_YEAR = {"weekly": 52, "monthly": 12, "quarterly": 4, "semiannual": 2, "yearly": 1}


@dataclass(frozen=True)
class Terms:
    """One subscription to one plan, as far as billing dates and base fees go."""

    interval: str
    amount: Decimal
    started_at: datetime
    # Lago's subscription_at: when the external subscription first started. Anniversary periods
    # and the trial count from it, across changes of plan (Subscription#initial_started_at).
    subscription_at: datetime | None = None
    billing_time: str = "calendar"
    tz: str | None = None
    pay_in_advance: bool = False
    bill_charges_monthly: bool = False
    trial_days: int = 0
    terminated_at: datetime | None = None

    @property
    def anchor(self) -> datetime:
        return self.subscription_at or self.started_at


@dataclass(frozen=True)
class BaseFee:
    period: Period
    due_at: datetime
    amount: Decimal
    days_billed: int
    days_in_period: int
    in_advance: bool


def yearly_amount(interval: str, amount: Decimal) -> Decimal:
    """Plan#yearly_amount_cents: what decides between an upgrade and a downgrade."""
    return amount * _PER_YEAR[interval]


def charges_interval(terms: Terms) -> str:
    if terms.bill_charges_monthly and terms.interval in ("yearly", "semiannual"):
        return "monthly"
    return terms.interval


def trial_end(terms: Terms) -> datetime | None:
    """Subscription#trial_end_datetime: the trial's days after the first start."""
    return terms.anchor + timedelta(days=terms.trial_days) if terms.trial_days else None


def _periods(terms: Terms, interval: str) -> Iterator[Period]:
    return iter_periods(
        terms.started_at, interval=interval, billing_time=terms.billing_time, tz=terms.tz,
        anchor=terms.anchor, terminated_at=terms.terminated_at)


def _local_days(start: datetime, end: datetime, zone: ZoneInfo) -> int:
    """Local days touched by [start, end): each day counts whole (date_diff_with_timezone's ceil)."""
    first: date = start.astimezone(zone).date()
    last: date = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return (last - first).days + 1


def _plan_period(terms: Terms, at: datetime) -> Period:
    """The whole (unclamped) period of the plan's interval that contains `at`."""
    return period_containing(at, interval=terms.interval, billing_time=terms.billing_time, anchor=terms.anchor, tz=terms.tz)


def _prorated(amount: Decimal, days: int, days_in_period: int) -> Decimal:
    return amount if days >= days_in_period else amount * days / days_in_period


def base_fee(terms: Terms, period: Period) -> BaseFee:
    """The base fee of one (clamped) period of the plan's interval."""
    zone = ZoneInfo(terms.tz or "UTC")
    whole = _plan_period(terms, period.start)
    days_in_period = _local_days(whole.start, whole.end, zone)
    billed_from = period.start
    ends_trial = trial_end(terms)
    if ends_trial and ends_trial > billed_from:
        billed_from = ends_trial
    due_at = period.start if terms.pay_in_advance else period.end
    if billed_from >= period.end:
        # The trial covers the period: nothing to bill (Lago: "amount is 0 if trial cover the full period").
        return BaseFee(period, due_at, Decimal(0), 0, days_in_period, terms.pay_in_advance)
    if terms.pay_in_advance:
        due_at = billed_from
    days = _local_days(billed_from, period.end, zone)
    return BaseFee(period, due_at, _prorated(terms.amount, days, days_in_period), min(days, days_in_period), days_in_period, terms.pay_in_advance)


def fees_due(terms: Terms, billed_until: datetime | None, until: datetime) -> list[BaseFee]:
    """Base fees due by `until` whose period ends after `billed_until` (those before are billed)."""
    due = []
    for period in _periods(terms, terms.interval):
        if billed_until is not None and period.end <= billed_until:
            continue
        fee = base_fee(terms, period)
        if terms.pay_in_advance:
            # Due when it starts (or when the trial ends), the period in progress included.
            if fee.due_at > until:
                break
        elif period.end > until:
            break
        due.append(fee)
    return due


def usage_due(terms: Terms, rated_until: datetime | None, until: datetime) -> list[Period]:
    """Charges periods that ended by `until` (or at the termination) and are not rated yet."""
    due = []
    for period in _periods(terms, charges_interval(terms)):
        if period.end > until:
            break
        if rated_until is None or period.end > rated_until:
            due.append(period)
    return due


def unused_credit(terms: Terms, billed: Decimal, *, upgrade: bool = False) -> Decimal:
    """What a pay-in-advance subscription terminated at `terms.terminated_at` is owed back: the
    days of its last period after the termination day (and that day too when the plan changed
    that day, which the new plan bills), at the plan's price per day, at most `billed`."""
    if not terms.pay_in_advance or terms.terminated_at is None or billed <= 0:
        return Decimal(0)
    zone = ZoneInfo(terms.tz or "UTC")
    stopped = terms.terminated_at
    # The period the termination falls in (a termination on a boundary ends the previous one).
    whole = _plan_period(terms, stopped - timedelta(microseconds=1))
    last_day = (whole.end - timedelta(microseconds=1)).astimezone(zone).date()
    billed_from = stopped.astimezone(zone).date() - (timedelta(days=1) if upgrade else timedelta(0))
    ends_trial = trial_end(terms)
    if ends_trial is not None:
        trial_last = ends_trial.astimezone(zone).date()
        if trial_last >= billed_from:
            billed_from = last_day if trial_last > last_day else trial_last - timedelta(days=1)
    remaining = max(0, (last_day - billed_from).days)
    days_in_period = _local_days(whole.start, whole.end, zone)
    return min(billed, terms.amount * remaining / days_in_period)


def commitment_for(terms: Terms, commitment: Decimal, period: Period) -> Decimal:
    """The minimum commitment of one (clamped) period of the plan's interval, prorated by the
    local days it covers (Commitments::CalculateProratedCoefficientService: days billed / days of
    the period; the trial does not reduce it)."""
    if commitment <= 0:
        return Decimal(0)
    zone = ZoneInfo(terms.tz or "UTC")
    whole = _plan_period(terms, period.start)
    return _prorated(commitment, _local_days(period.start, period.end, zone), _local_days(whole.start, whole.end, zone))

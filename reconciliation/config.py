"""Finance configuration: reading it (the settings row, the brand's zone and days), and
changing it, each change audited like the stock configuration: who, when, what, before and
after (``ConfigChange``, written in the same transaction as the change)."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from reconciliation.models import CentraMarket, CurrencyRate, ReconciliationSettings
from syncs.models import ConfigChange
from syncs.orders.finance import orders_finance_reset
from syncs.stock.config import config_audit

AREAS = ("reconciliation_settings", "currency_rate", "centra_market")


def reconciliation_settings() -> ReconciliationSettings:
    config, _ = ReconciliationSettings.objects.get_or_create(pk=1)
    return config


def brand_zone(config: ReconciliationSettings) -> ZoneInfo:
    return ZoneInfo(config.time_zone or settings.TIME_ZONE)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a brand-local day (aware)."""
    return datetime.combine(day, time.min, tzinfo=zone)


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last


@dataclass(frozen=True)
class Pending:
    """The days still inside the grace period: computed and shown, never raised."""

    first_day: date  # this day and every later one are pending
    settles_at: datetime  # when ``first_day`` leaves the grace period
    grace_hours: int


def pending_days(config, now: datetime | None = None) -> Pending:
    """From which day differences are still pending, and when that day settles (the rule of
    ``reconciliation.services``: a day younger than the grace period is never raised)."""
    zone = brand_zone(config)
    grace = timedelta(hours=config.grace_hours)
    first = ((now or timezone.now()) - grace).astimezone(zone).date()
    settles = day_start(first + timedelta(days=1), zone) + grace
    return Pending(first_day=first, settles_at=settles, grace_hours=config.grace_hours)


def _plain(instance, fields) -> dict:
    return {k: str(v) for k, v in model_to_dict(instance, fields=fields).items()}


SETTINGS_FIELDS = [
    "base_currency",
    "time_zone",
    "unit_tolerance",
    "value_tolerance",
    "grace_hours",
    "window_days",
]


def finance_settings_save(*, instance: ReconciliationSettings, actor) -> ReconciliationSettings:
    with transaction.atomic():
        stored = ReconciliationSettings.objects.select_for_update().get(pk=instance.pk)
        before = _plain(stored, SETTINGS_FIELDS)
        instance.save()
        after = _plain(instance, SETTINGS_FIELDS)
        if before != after:
            config_audit(
                actor=actor,
                area="reconciliation_settings",
                object_key="reconciliation",
                action=ConfigChange.Action.UPDATED,
                before=before,
                after=after,
                via="screen",
            )
    return instance


def currency_rate_save(*, instance: CurrencyRate, actor) -> CurrencyRate:
    """Add a rate, or replace the rate of that currency and day (the form's unique pair)."""
    fields = ["currency", "valid_from", "rate"]
    with transaction.atomic():
        stored = (
            CurrencyRate.objects.select_for_update()
            .filter(currency=instance.currency, valid_from=instance.valid_from)
            .first()
        )
        before = _plain(stored, fields) if stored else None
        if stored:
            stored.rate = instance.rate
            instance = stored
        instance.save()
        after = _plain(instance, fields)
        if before != after:
            config_audit(
                actor=actor,
                area="currency_rate",
                object_key=f"{instance.currency}/{instance.valid_from}",
                action=ConfigChange.Action.UPDATED if before else ConfigChange.Action.CREATED,
                before=before,
                after=after,
                via="screen",
            )
    return instance


def centra_market_save(*, instance: CentraMarket, actor) -> CentraMarket:
    """Add or rename a market; every order's market is read again (next runs, at the
    latest the next recovery pass), so the ledger never keeps a stale name."""
    fields = ["centra_id", "name"]
    with transaction.atomic():
        stored = CentraMarket.objects.select_for_update().filter(pk=instance.pk).first()
        before = _plain(stored, fields) if stored else None
        instance.save()
        after = _plain(instance, fields)
        if before != after:
            config_audit(
                actor=actor,
                area="centra_market",
                object_key=str(instance.centra_id),
                action=ConfigChange.Action.UPDATED if before else ConfigChange.Action.CREATED,
                before=before,
                after=after,
                via="screen",
            )
            orders_finance_reset()
    return instance


def centra_market_delete(*, instance: CentraMarket, actor) -> None:
    with transaction.atomic():
        before = _plain(instance, ["centra_id", "name"])
        instance.delete()
        config_audit(
            actor=actor,
            area="centra_market",
            object_key=before["centra_id"],
            action=ConfigChange.Action.DELETED,
            before=before,
            after=None,
            via="screen",
        )
        orders_finance_reset()


def finance_changes(limit: int = 50):
    return ConfigChange.objects.filter(area__in=AREAS)[:limit]


def demo_markets_ensure() -> int:
    """The Centra twin's markets, listed when none are (``manage.py demo``); returns how many
    were added. A brand's own list is never touched."""
    # only the demo command comes here: production processes never load the twins
    from syncs.sandbox.centra.state import DEMO_MARKETS

    if CentraMarket.objects.exists():
        return 0
    for centra_id, name, _currency in DEMO_MARKETS:
        centra_market_save(instance=CentraMarket(centra_id=centra_id, name=name), actor=None)
    return len(DEMO_MARKETS)

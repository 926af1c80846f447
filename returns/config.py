"""The returns flow's deployment settings, read when used (never at import time).

Each value can be set in the environment (or Django settings) under the name shown;
defaults are documented in docs/returns.md. A wrong value fails loudly with
``ImproperlyConfigured``.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from centra_ip.env import app_setting
from syncs.models import WarehouseMapping

SINKS = ("ip_stock_order", "webhook")
CONFIRM_MODES = ("receipt", "on_hand")

DEFAULTS = {
    "RETURNS_IP_WAREHOUSE": "",  # "" = the first warehouse of the warehouse map
    "RETURNS_SINK": "ip_stock_order",
    "RETURNS_CONFIRM": "receipt",  # "receipt shows in IP" or "on_hand rises"
    "RETURNS_WEBHOOK_URL": "",
    "RETURNS_WEBHOOK_SECRET": "",
    "RETURNS_WEBHOOK_TIMEOUT_SECONDS": 15,
    "RETURNS_OVERDUE_DAYS": 14,
    "RETURNS_CONFIRM_SLA_HOURS": 4,
    "RETURNS_HORIZON_DAYS": 30,
    "RETURNS_STOCK_IN_INLINE": False,  # True: stock in inside the QC request (demo, tests)
}


@dataclass(frozen=True)
class ReturnsConfig:
    ip_warehouse: str
    sink: str
    confirm: str
    webhook_url: str
    webhook_secret: str
    webhook_timeout: float
    overdue_after: timedelta
    confirm_sla: timedelta
    horizon: timedelta
    stock_in_inline: bool


def _get(name: str):
    return app_setting(name, DEFAULTS[name])


def _number(name: str) -> float:
    value = _get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive number, not {value!r}")
    return value


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    value = _get(name)
    if value not in allowed:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _ip_warehouse() -> str:

    value = _get("RETURNS_IP_WAREHOUSE")
    if value:
        return value
    first = WarehouseMapping.objects.order_by("pk").values_list("ip_warehouse", flat=True).first()
    if not first:
        raise ImproperlyConfigured(
            "Set RETURNS_IP_WAREHOUSE or map a warehouse: returned units need an IP warehouse."
        )
    return first


def returns_config() -> ReturnsConfig:
    sink = _choice("RETURNS_SINK", SINKS)
    url, secret = _get("RETURNS_WEBHOOK_URL"), _get("RETURNS_WEBHOOK_SECRET")
    if sink == "webhook" and not (url and secret):
        raise ImproperlyConfigured(
            "RETURNS_SINK=webhook needs RETURNS_WEBHOOK_URL and RETURNS_WEBHOOK_SECRET."
        )
    inline = _get("RETURNS_STOCK_IN_INLINE")
    if not isinstance(inline, bool):
        raise ImproperlyConfigured(f"RETURNS_STOCK_IN_INLINE must be True or False: {inline!r}")
    return ReturnsConfig(
        ip_warehouse=_ip_warehouse(),
        sink=sink,
        confirm=_choice("RETURNS_CONFIRM", CONFIRM_MODES),
        webhook_url=url,
        webhook_secret=secret,
        webhook_timeout=_number("RETURNS_WEBHOOK_TIMEOUT_SECONDS"),
        overdue_after=timedelta(days=_number("RETURNS_OVERDUE_DAYS")),
        confirm_sla=timedelta(hours=_number("RETURNS_CONFIRM_SLA_HOURS")),
        horizon=timedelta(days=_number("RETURNS_HORIZON_DAYS")),
        stock_in_inline=inline,
    )

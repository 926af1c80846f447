"""The live sections of the operating-model pages, generated from the configuration.

A Markdown page asks for a section with a line of its own, ``{{ live:exception-ownership }}``;
the docs renderer replaces it with the section rendered from what applies *now* (the
exception registry with the admins' overrides and routes, the stock configuration, the
streams and schedules). The pages can therefore not drift from the configuration: changing
an owner team in the admin changes the page on the next request.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string

from centra_ip.schedules import SCHEDULES
from centra_ip.teams import TEAMS
from exceptions.selectors import exception_type_rows
from syncs.models.config import (
    PRECEDENCE,
    ChannelAllocation,
    RuleKind,
    SafetyStockRule,
    Scope,
    StockStatus,
    WarehouseMapping,
)
from syncs.streams import STREAMS

LIVE_LINE = r"^\{\{\s*live:([a-z0-9-]+)\s*\}\}\s*$"


@dataclass(frozen=True)
class DataOwnership:
    data: str
    owner: str
    read_by_hub: str
    written_by_hub: str


# Who owns which data, by default (docs/operating-model.md). Declared once here so the
# operating-model page renders it rather than keeping a copy in prose.
DATA_OWNERSHIP: tuple[DataOwnership, ...] = (
    DataOwnership(
        "Sales orders, cancellations, returns, revenue",
        "Centra",
        "GraphQL Integration API: orders, returns, events queue",
        "Never writes orders",
    ),
    DataOwnership(
        "SKU master (the unique SKU)", "Inventory Planner", "REST GET /variants", "Never"
    ),
    DataOwnership(
        "Stock on hand per warehouse",
        "Inventory Planner (fed by the brand's WMS/ERP connection)",
        "REST GET /variants with per-warehouse blocks",
        "Never (the IP API cannot write stock)",
    ),
    DataOwnership(
        "Safety stock",
        "Inventory Planner minimum_stock per warehouse, overridable by hub rules",
        "REST",
        "Never",
    ),
    DataOwnership("Forecast, sales velocity, replenishment", "Inventory Planner", "REST", "Never"),
    DataOwnership(
        "Non-sellable stock statuses (reserved, quarantined, in QC, other channels)",
        "The hub",
        "Its own ledger, rules, returns flow and CSV import",
        "n/a",
    ),
    DataOwnership(
        "Storefront availability", "Pushed by the hub", "n/a", "Centra setStock (absolute)"
    ),
    DataOwnership(
        "Sales history in Inventory Planner",
        "Fed by the hub",
        "n/a",
        "IP's CSV connector files (the IP API has no endpoint for sales orders)",
    ),
)


def duration_text(value: timedelta) -> str:
    """ "30 min", "4 h", "2 days": SLAs and cadences as people say them."""
    minutes = int(value.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def _team_names() -> dict[str, str]:
    return {team.code: team.name for team in TEAMS}


def route_text(route) -> str:
    """A team's notification route in words; the webhook URL is a secret and never shown."""
    if route is None:
        return "E-mail to the team's members, as it happens and in the daily digest"
    to = f"e-mail to {route.email}" if route.email else "e-mail to the team's members"
    if route.webhook_url:
        to += " and the team's webhook"
    channels = (("as it happens", route.immediate), ("daily digest", route.digest))
    when = [name for name, on in channels if on]
    return f"{to[0].upper()}{to[1:]}, {' and '.join(when) if when else 'switched off'}"


def exception_ownership_rows() -> list[dict]:
    """Every exception type as it applies now, in words: owner, SLA, route, retry."""

    rows = exception_type_rows()
    for row in rows:
        kind = row["type"]
        row["acknowledge"] = duration_text(kind.acknowledge_within)
        row["resolve"] = duration_text(kind.resolve_within)
        row["route"] = route_text(row["route"])
        row["retry"] = kind.retry_label if row["retry"] else ""
    return rows


def _stock_statuses() -> dict:

    return {"statuses": list(StockStatus.objects.order_by("code", "pk"))}


def _rule_text(rule) -> str:

    value = rule.value.normalize()
    value = f"{value:f}"
    if rule.kind == RuleKind.UNITS:
        return f"hold back {value} unit{'s' if value != '1' else ''}"
    if rule.kind == RuleKind.PERCENT:
        return f"hold back {value}% of the units on hand"
    return f"hold back {value} days of cover at the forecast daily sales velocity"


def _scope_text(rule) -> str:

    if rule.scope == Scope.GLOBAL:
        return "Every SKU (the global rule)"
    return f"{rule.get_scope_display()} {rule.key}"


def _safety_stock() -> dict:

    order = {scope: n for n, scope in enumerate(PRECEDENCE)}
    rules = sorted(SafetyStockRule.objects.all(), key=lambda r: (order[r.scope], r.key, r.pk))
    allocations = ChannelAllocation.objects.order_by("channel", "scope", "key", "pk")
    return {
        "precedence": [scope.label for scope in PRECEDENCE],
        "rules": [{"scope": _scope_text(r), "what": _rule_text(r), "note": r.note} for r in rules],
        "allocations": [
            {"channel": a.channel, "scope": _scope_text(a), "what": _rule_text(a)}
            for a in allocations
        ],
    }


def _warehouse_map() -> dict:

    return {"mappings": list(WarehouseMapping.objects.all())}


def _schedules() -> dict:
    """Each stream's expected cadence and thresholds, with the task that runs it if any."""
    by_stream = {spec.args[0]: spec for spec in SCHEDULES if spec.func == "syncs.tasks.run_stream"}
    amber, red = settings.FRESHNESS_AMBER_FACTOR, settings.FRESHNESS_RED_FACTOR
    streams = []
    for stream in STREAMS:
        spec = by_stream.get(stream.code)
        streams.append(
            {
                "stream": stream,
                "every": duration_text(stream.cadence),
                "late_after": duration_text(stream.late_after),
                "amber": duration_text(stream.late_after * amber),
                "red": duration_text(stream.late_after * red),
                "scheduled": duration_text(timedelta(minutes=spec.minutes)) if spec else "",
            }
        )
    others = [
        {"name": spec.name, "every": duration_text(timedelta(minutes=spec.minutes))}
        for spec in SCHEDULES
        if spec.func != "syncs.tasks.run_stream"
    ]
    return {"streams": streams, "others": others, "failed_runs": settings.WATCHDOG_FAILED_RUNS}


SECTIONS = {
    "data-ownership": lambda: {"rows": DATA_OWNERSHIP},
    "exception-ownership": lambda: {"rows": exception_ownership_rows()},
    "stock-statuses": _stock_statuses,
    "safety-stock": _safety_stock,
    "warehouse-map": _warehouse_map,
    "schedules": _schedules,
}


def live_section(name: str) -> str:
    """The section's HTML, or a visible note for an unknown name (a typo in a page shows
    on the page, where its author sees it, rather than failing the whole page)."""
    if name not in SECTIONS:
        return f'<p class="live-missing">Unknown live section “{name}”.</p>'
    return render_to_string(f"centra_ip/live/{name}.html", SECTIONS[name]())

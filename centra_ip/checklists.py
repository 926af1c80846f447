"""Each team's daily and weekly checklist: items that show their live state, ticked off on
record (who, what they saw, when).

An item's state is read from a ``Snapshot``: a handful of aggregate queries shared by every
item of the page, each run only when an item needs it. The checklists are code, like the
exception registry: a new check is a line here, visible to the team on the next deploy.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from centra_ip.models import ChecklistTick
from centra_ip.permissions import ACT_ON_ALL_TICKETS
from centra_ip.teams import (
    ADMIN,
    ECOMMERCE,
    FINANCE,
    FULFILMENT,
    MERCHANDISING,
    OPERATIONS,
    TEAM_CHOICES,
    user_team_codes,
)
from exceptions.models import NotificationAttempt, Ticket
from exceptions.registry import API_FAILURE_TYPES, TicketType, get_type
from exceptions.selectors import ticket_breach_counts
from syncs.models import SyncRun
from syncs.services import stream_last_successes
from syncs.streams import STREAMS

DAILY = ChecklistTick.Period.DAILY
WEEKLY = ChecklistTick.Period.WEEKLY


@dataclass(frozen=True)
class ItemState:
    ok: bool | None  # None: nothing to measure, the person judges
    text: str
    url: str = ""


@dataclass(frozen=True)
class CheckItem:
    code: str
    text: str
    state: Callable[["Snapshot"], ItemState]


def _ago(moment: datetime, now: datetime) -> str:
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


class Snapshot:
    """The live figures the items read; each property is one aggregate query, made once."""

    def __init__(self, now: datetime | None = None):
        self.now = now or timezone.now()

    @cached_property
    def last_success(self) -> dict:

        return stream_last_successes()

    @cached_property
    def active(self) -> dict[tuple[str, str], dict]:
        """Active tickets per (type, team): count and oldest first seen."""

        rows = (
            Ticket.objects.filter(status__in=Ticket.ACTIVE)
            .values("type", "team")
            .annotate(
                n=Count("pk"),
                oldest=Min("first_seen"),
                older_1d=Count("pk", filter=Q(first_seen__lte=self.now - timedelta(days=1))),
                older_7d=Count("pk", filter=Q(first_seen__lte=self.now - timedelta(days=7))),
            )
            .order_by()
        )
        return {(row["type"], row["team"]): row for row in rows}

    @cached_property
    def breaches(self) -> dict[str, int]:

        return ticket_breach_counts()

    @cached_property
    def runs_7d(self) -> dict[tuple[str, str], int]:

        rows = (
            SyncRun.objects.filter(started_at__gte=self.now - timedelta(days=7), dry_run=False)
            .values("stream", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {(row["stream"], row["status"]): row["n"] for row in rows}

    @cached_property
    def failed_notifications_7d(self) -> int:

        return NotificationAttempt.objects.filter(
            at__gte=self.now - timedelta(days=7),
            outcome=NotificationAttempt.Outcome.FAILED,
        ).count()

    def open_of(self, types) -> tuple[int, datetime | None]:
        rows = [row for (kind, _), row in self.active.items() if kind in types]
        oldest = min((row["oldest"] for row in rows), default=None)
        return sum(row["n"] for row in rows), oldest

    def older_of(self, types, age: str) -> int:
        """How many of these active tickets were first seen more than ``age`` ago."""
        return sum(row[f"older_{age}"] for (kind, _), row in self.active.items() if kind in types)


def _queue(**params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('exceptions:index')}?{query}"


def stream_succeeded(code: str, within: timedelta) -> Callable[[Snapshot], ItemState]:
    """Links to the stream's own run history (never "/", which is the team's landing)."""

    def state(snap: Snapshot) -> ItemState:
        runs = reverse("syncs:stream_runs", args=[code])
        last = snap.last_success.get(code)
        if last is None:
            return ItemState(False, "no, it never succeeded", runs)
        ok = snap.now - last <= within
        return ItemState(ok, f"{'yes' if ok else 'no'}, {_ago(last, snap.now)}", runs)

    return state


def past_sla(team: str) -> Callable[[Snapshot], ItemState]:
    def state(snap: Snapshot) -> ItemState:
        count = snap.breaches.get(team, 0)
        return ItemState(count == 0, str(count), _queue(team=team, sla="breached"))

    return state


def open_tickets(*types: str, older_than: timedelta | None = None):
    """Active tickets of these types (with the oldest one's age); ok when there are none,
    or, with ``older_than``, none that old."""

    # the queue of exactly these tickets: the type (one), and the age when the item has one
    age = {_WEEK: "7d", _DAY: "1d"}.get(older_than)
    params = {"type": types[0]} if len(types) == 1 else {"team": ""}

    def state(snap: Snapshot) -> ItemState:
        url = _queue(**params, **({"age": age} if age else {}))
        count, oldest = snap.open_of(types)
        if not count:
            return ItemState(True, "0", url)
        if age:  # the item asks about old tickets only: count those, not the young ones
            older = snap.older_of(types, age)
            return ItemState(older == 0, f"{older} ({count} active in all)", url)
        return ItemState(False, f"{count}, oldest seen first {_ago(oldest, snap.now)}", url)

    return state


def streams_healthy_7d(snap: Snapshot) -> ItemState:
    """Share of the week's finished runs that succeeded, per stream that ran."""
    parts, ok = [], True
    for stream in STREAMS:
        done = sum(snap.runs_7d.get((stream.code, s), 0) for s in ("succeeded", "failed", "held"))
        if not done:
            continue
        rate = snap.runs_7d.get((stream.code, "succeeded"), 0) / done
        ok = ok and rate >= 0.95
        parts.append(f"{stream.code} {rate:.0%}")
    if not parts:
        return ItemState(False, "no runs this week", reverse("dashboard"))
    return ItemState(ok, ", ".join(parts), reverse("dashboard"))


def notifications_delivered(snap: Snapshot) -> ItemState:
    count = snap.failed_notifications_7d
    return ItemState(count == 0, f"{count} failed this week", reverse("admin:index"))


def read_page(slug: str, what: str) -> Callable[[Snapshot], ItemState]:
    def state(snap: Snapshot) -> ItemState:
        return ItemState(None, what, reverse("docs:page", args=[slug]))

    return state


def _title(code: str) -> str:
    return get_type(code).title


_HOUR, _DAY, _WEEK = timedelta(hours=1), timedelta(days=1), timedelta(days=7)

CHECKLISTS: dict[str, dict[str, tuple[CheckItem, ...]]] = {
    OPERATIONS: {
        DAILY: (
            CheckItem(
                "stock_fresh",
                "Stock sync succeeded in the last hour",
                stream_succeeded("stock", _HOUR),
            ),
            CheckItem(
                "orders_fresh",
                "Orders sync succeeded in the last hour",
                stream_succeeded("orders", _HOUR),
            ),
            CheckItem("past_sla", "Open operations tickets past SLA", past_sla(OPERATIONS)),
            CheckItem(
                "push_held",
                f"Open “{_title(TicketType.PUSH_HELD)}” tickets",
                open_tickets(TicketType.PUSH_HELD),
            ),
            CheckItem(
                "stock_drift",
                f"Open “{_title(TicketType.STOCK_DRIFT)}” tickets",
                open_tickets(TicketType.STOCK_DRIFT),
            ),
            CheckItem(
                "orphans",
                f"Open “{_title(TicketType.ORPHANED_ORDER)}” tickets",
                open_tickets(TicketType.ORPHANED_ORDER),
            ),
        ),
        WEEKLY: (
            CheckItem(
                "streams_week",
                "Every stream succeeded in at least 95% of this week's runs",
                streams_healthy_7d,
            ),
            CheckItem(
                "cancellations",
                f"“{_title(TicketType.CANCELLATION_NOT_RELEASED)}” tickets older than a day",
                open_tickets(TicketType.CANCELLATION_NOT_RELEASED, older_than=_DAY),
            ),
            CheckItem(
                "trend",
                "Review the 30-day ticket trend with the team",
                read_page(
                    "exception-desk", "read the counts page and discuss what keeps coming back"
                ),
            ),
        ),
    },
    FINANCE: {
        DAILY: (
            CheckItem("past_sla", "Open finance tickets past SLA", past_sla(FINANCE)),
            CheckItem(
                "mismatches",
                f"Open “{_title(TicketType.RECONCILIATION_MISMATCH)}” tickets",
                open_tickets(TicketType.RECONCILIATION_MISMATCH),
            ),
        ),
        WEEKLY: (
            CheckItem(
                "debt",
                "Reconciliation mismatches older than a week",
                open_tickets(TicketType.RECONCILIATION_MISMATCH, older_than=_WEEK),
            ),
            CheckItem(
                "orders_week",
                "Orders sync succeeded in the last day",
                stream_succeeded("orders", _DAY),
            ),
        ),
    },
    ECOMMERCE: {
        DAILY: (
            CheckItem(
                "stock_fresh",
                "Stock sync succeeded in the last hour",
                stream_succeeded("stock", _HOUR),
            ),
            CheckItem("past_sla", "Open e-commerce tickets past SLA", past_sla(ECOMMERCE)),
            CheckItem(
                "rejected",
                f"Open “{_title(TicketType.STOCK_PUSH_REJECTED)}” tickets",
                open_tickets(TicketType.STOCK_PUSH_REJECTED),
            ),
        ),
        WEEKLY: (
            CheckItem(
                "missing_in_centra",
                f"“{_title(TicketType.SKU_MISSING_IN_CENTRA)}” tickets older than a week",
                open_tickets(TicketType.SKU_MISSING_IN_CENTRA, older_than=_WEEK),
            ),
            CheckItem(
                "model",
                "Check the operating model: owners, SLAs and routes of your types",
                read_page(
                    "operating-model", "read the ownership table and tell an admin what is wrong"
                ),
            ),
        ),
    },
    MERCHANDISING: {
        DAILY: (
            CheckItem(
                "catalog_fresh",
                "Catalog sync succeeded in the last hour",
                stream_succeeded("catalog", _HOUR),
            ),
            CheckItem("past_sla", "Open merchandising tickets past SLA", past_sla(MERCHANDISING)),
            CheckItem(
                "missing_in_ip",
                f"Open “{_title(TicketType.SKU_MISSING_IN_IP)}” tickets",
                open_tickets(TicketType.SKU_MISSING_IN_IP),
            ),
        ),
        WEEKLY: (
            CheckItem(
                "old_missing",
                "SKUs missing on one side for more than a week",
                open_tickets(
                    TicketType.SKU_MISSING_IN_IP, TicketType.SKU_MISSING_IN_CENTRA, older_than=_WEEK
                ),
            ),
        ),
    },
    FULFILMENT: {
        DAILY: (
            CheckItem("past_sla", "Open fulfilment tickets past SLA", past_sla(FULFILMENT)),
            CheckItem(
                "stock_in",
                f"Open “{_title(TicketType.STOCK_IN_FAILED)}” tickets",
                open_tickets(TicketType.STOCK_IN_FAILED),
            ),
        ),
        WEEKLY: (
            CheckItem(
                "overdue",
                f"Open “{_title(TicketType.RETURN_OVERDUE)}” tickets",
                open_tickets(TicketType.RETURN_OVERDUE),
            ),
        ),
    },
    ADMIN: {
        DAILY: (
            CheckItem(
                "late",
                f"Open “{_title(TicketType.STREAM_LATE)}” tickets",
                open_tickets(TicketType.STREAM_LATE),
            ),
            CheckItem(
                "api",
                "Open API tickets (timeout, unavailable, authentication, bad payload)",
                open_tickets(*API_FAILURE_TYPES),
            ),
            CheckItem("past_sla", "Open admin tickets past SLA", past_sla(ADMIN)),
        ),
        WEEKLY: (
            CheckItem(
                "streams_week",
                "Every stream succeeded in at least 95% of this week's runs",
                streams_healthy_7d,
            ),
            CheckItem("notifications", "Notifications delivered", notifications_delivered),
            CheckItem(
                "model",
                "Review owners, SLAs and routes on the operating-model page",
                read_page(
                    "operating-model", "read the ownership table; fix overrides in the admin"
                ),
            ),
        ),
    },
}


def period_start(period: str, now: datetime) -> date:
    """The day, or the Monday of the week, that a tick at ``now`` counts for."""
    today = timezone.localdate(now)
    return today if period == DAILY else today - timedelta(days=today.weekday())


def checklist_item(team: str, code: str) -> tuple[str, CheckItem]:
    """(period, item) for a team's item code; ``KeyError`` when the team has no such item."""
    for period, items in CHECKLISTS[team].items():
        for item in items:
            if item.code == code:
                return period, item
    raise KeyError(code)


def checklist_for(*, team: str, now: datetime | None = None) -> dict:
    """The team's checklists with each item's live state and this period's tick, plus the
    recent ticks (one query each for ticks, and the snapshot's shared queries)."""
    snap = Snapshot(now)
    starts = {period: period_start(period, snap.now) for period in CHECKLISTS[team]}
    ticks = {
        (tick.period, tick.item, tick.period_start): tick
        for tick in ChecklistTick.objects.filter(team=team, period_start__in=starts.values())
    }
    periods = []
    for period, items in CHECKLISTS[team].items():
        rows = [
            {
                "item": item,
                "state": item.state(snap),
                "tick": ticks.get((period, item.code, starts[period])),
            }
            for item in items
        ]
        periods.append({"period": period, "start": starts[period], "rows": rows})
    recent = ChecklistTick.objects.filter(team=team, at__gte=snap.now - timedelta(days=14))
    return {"periods": periods, "recent": list(recent.select_related("user")[:50])}


def user_can_tick(user, team: str) -> bool:
    return user.has_perm(ACT_ON_ALL_TICKETS) or team in user_team_codes(user)


def checklist_tick(*, user, team: str, item_code: str, now=None) -> tuple[ChecklistTick, bool]:
    """Tick one item off for this period, recording what its state showed; (tick, created).

    A second tick in the same period (a double submit, or a colleague a minute later) finds
    the first one and records nothing: the unique constraint makes that hold under races.
    """
    if team not in dict(TEAM_CHOICES):
        raise KeyError(team)
    if not user_can_tick(user, team):
        raise PermissionDenied("Only the team's members tick off its checklist.")
    period, item = checklist_item(team, item_code)
    now = now or timezone.now()
    state = item.state(Snapshot(now))
    shown = f"{item.text}: {state.text}"
    return ChecklistTick.objects.get_or_create(
        team=team,
        period=period,
        item=item.code,
        period_start=period_start(period, now),
        defaults={
            "user": user,
            "username": user.get_username(),
            "at": now,
            "state": shown[:300],
        },
    )

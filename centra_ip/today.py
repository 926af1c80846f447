"""The "today" card on each team's landing page: what needs the team now, each figure a link
to exactly those items (issue 19, point 6; review problem 15).

One card for every team, built from the same parts: the team's active tickets (how many,
how many critical and past their SLA, then per type), and the team's own workload where it
has one beyond tickets (returns to receive and QC, held stock pushes, open discrepancies).
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from centra_ip.teams import FINANCE, FULFILMENT, OPERATIONS, TEAMS
from exceptions.models import Ticket, sla_breached_q
from exceptions.registry import get_type
from reconciliation.models import Discrepancy
from returns.models import ExpectedReturn, ReturnState
from syncs.models import StockPush


@dataclass(frozen=True)
class Figure:
    label: str
    count: int
    url: str
    urgent: bool = False  # shown red while non-zero


@dataclass
class Today:
    team: str
    figures: list[Figure] = field(default_factory=list)
    by_type: list[Figure] = field(default_factory=list)


def _queue(**params) -> str:
    return f"{reverse('exceptions:index')}?{urlencode(params)}"


def _ticket_figures(team: str) -> tuple[list[Figure], list[Figure]]:

    active = Ticket.objects.filter(
        team=team, status__in=(Ticket.Status.OPEN, Ticket.Status.ACKNOWLEDGED)
    )
    totals = active.aggregate(
        total=Count("pk"),
        critical=Count("pk", filter=Q(severity="critical")),
        past_sla=Count("pk", filter=sla_breached_q(timezone.now())),
    )
    figures = [
        Figure("tickets need you", totals["total"], _queue(team=team)),
        Figure("critical", totals["critical"], _queue(team=team, severity="critical"), True),
        Figure("past their SLA", totals["past_sla"], _queue(team=team, sla="breached"), True),
    ]
    rows = active.values("type").annotate(n=Count("pk")).order_by("-n", "type")
    by_type = [
        Figure(get_type(row["type"]).title, row["n"], _queue(team=team, type=row["type"]))
        for row in rows
    ]
    return figures, by_type


def _workload(team: str) -> list[Figure]:
    """What the team works through besides tickets."""
    if team == FULFILMENT:
        states = dict(
            ExpectedReturn.objects.filter(
                state__in=(ReturnState.EXPECTED, ReturnState.RECEIVED, ReturnState.IN_QC)
            )
            .values_list("state")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return [
            Figure(
                "returns to receive",
                states.get(ReturnState.EXPECTED, 0),
                reverse("returns:receive"),
            ),
            Figure(
                "to QC",
                states.get(ReturnState.RECEIVED, 0) + states.get(ReturnState.IN_QC, 0),
                reverse("returns:qc"),
            ),
        ]
    if team == OPERATIONS:
        held = StockPush.objects.filter(status=StockPush.Status.HELD).count()
        return [Figure("stock pushes held", held, reverse("syncs:stock"), True)]
    if team == FINANCE:
        debt = Discrepancy.objects.filter(status=Discrepancy.Status.OPEN).count()
        return [Figure("open discrepancies", debt, reverse("reconciliation:index"), True)]
    return []


def today_for(team: str) -> Today:
    figures, by_type = _ticket_figures(team)
    names = {t.code: t.name for t in TEAMS}
    return Today(team=names[team], figures=[*_workload(team), *figures], by_type=by_type)

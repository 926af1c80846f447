"""The exception desk's screens: the queue, the ticket page, bulk actions, counts and export.

Views stay thin: read through ``selectors`` (one permission-checked getter), change through
``services``. Mutating views are POST-only and answer with a redirect (Post/Redirect/Get),
or, for htmx, with the re-rendered part of the page.
"""

import csv
import json
from datetime import timedelta

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponseRedirect, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from centra_ip.exports import csv_cell
from centra_ip.permissions import MAP_SKUS, VIEW_EXCEPTIONS, requires
from centra_ip.teams import TEAM_CHOICES, user_team_codes
from exceptions.filters import TicketFilter
from exceptions.forms import ACTION_FORMS, BULK_ACTIONS, BULK_LIMIT, BulkForm
from exceptions.models import Ticket
from exceptions.paging import CountedQueuePaginator, QueuePaginator
from exceptions.registry import TYPES, get_type, retry_action
from exceptions.selectors import (
    API_TYPES,
    exception_type_rows,
    queue_queryset,
    ticket_as_dict,
    ticket_breach_counts,
    ticket_counts,
    ticket_get_for_user,
    ticket_history,
    ticket_incident,
    ticket_likely_match,
    ticket_related,
    ticket_trend,
    tickets_actable_by,
    user_can_act,
)
from exceptions.services import (
    TicketActionError,
    ticket_acknowledge,
    ticket_assign,
    ticket_comment,
    ticket_resolve,
    ticket_retry,
    ticket_snooze,
)
from exceptions.tables import TicketTable
from syncs.streams import STREAM_CODES

can_read = requires(VIEW_EXCEPTIONS)


def _filtered(request):
    return TicketFilter(request.GET, queryset=queue_queryset(), request=request)


@require_GET
@can_read
def index(request):
    """The queue. With no query at all a user lands on their own team's active tickets."""
    teams = user_team_codes(request.user)
    if not request.GET and teams:
        return redirect(f"{reverse('exceptions:index')}?team={teams[0]}")
    ticket_filter = _filtered(request)
    table = TicketTable(ticket_filter.qs)
    type_counts = _type_counts(ticket_filter)
    if type_counts is None:
        table.configure(request, paginator_class=QueuePaginator)
    else:  # they add up to the page count: no second count of the rows
        count = sum(n for _, n in type_counts)
        table.configure(request, paginator_class=CountedQueuePaginator, count=count)
    breaches = ticket_breach_counts(teams)
    context = {
        "filter": ticket_filter,
        "table": table,
        "bulk_form": BulkForm(),
        "bulk_actions": BULK_ACTIONS,
        "my_teams": [(code, name) for code, name in TEAM_CHOICES if code in teams],
        "breaches": [
            {"code": code, "name": name, "count": breaches[code]}
            for code, name in TEAM_CHOICES
            if breaches.get(code)
        ],
    }
    context.update(_empty_state(table))
    context["by_type"] = _by_type(ticket_filter, type_counts or [])
    if request.htmx and request.htmx.target == "queue":
        return render(request, "exceptions/_queue.html", context)
    return render(request, "exceptions/index.html", context)


def _type_counts(ticket_filter) -> list[tuple[str, int]] | None:
    """The filtered queue's (type, count) pairs, most first, while no type is chosen."""
    if getattr(ticket_filter.form, "cleaned_data", {}).get("type"):
        return None
    rows = ticket_filter.qs.order_by().values_list("type").annotate(n=Count("pk"))
    return list(rows.order_by("-n", "type"))


def _by_type(ticket_filter, type_counts: list[tuple[str, int]]) -> list[dict]:
    """The filtered queue grouped by type (count each, most first) while no type is chosen:
    77 tickets of one type read as one line, and a click narrows the queue to them."""
    query = ticket_filter.data.copy()
    groups = []
    for code, count in type_counts:
        query["type"] = code
        groups.append({"type": get_type(code), "count": count, "query": query.urlencode()})
    return groups if len(groups) > 1 else []


def _empty_state(table) -> dict:
    """When the filtered queue is empty, say what is happening elsewhere (two counts, only
    then): an empty queue must not read as "nothing is going on"."""
    if table.paginator.count:
        return {"empty_elsewhere": None}
    return {
        "empty_elsewhere": Ticket.objects.filter(
            status__in=(Ticket.Status.OPEN, Ticket.Status.ACKNOWLEDGED)
        ).count(),
        "empty_snoozed": Ticket.objects.filter(status=Ticket.Status.SNOOZED).count(),
    }


@require_GET
@can_read
def export(request):
    """The filtered queue as CSV, streamed so a large export does not hold memory."""
    columns = [
        "id",
        "type",
        "title",
        "status",
        "severity",
        "team",
        "assignee",
        "sku",
        "order",
        "return_id",
        "stream",
        "warehouse",
        "occurrences",
        "regressions",
        "first_seen",
        "last_seen",
        "summary",
    ]

    class Echo:
        def write(self, value):
            return value

    writer = csv.DictWriter(Echo(), fieldnames=columns, extrasaction="ignore")

    def rows():
        yield writer.writeheader()
        for ticket in _filtered(request).qs.iterator(chunk_size=2000):
            yield writer.writerow(
                {key: csv_cell(value) for key, value in ticket_as_dict(ticket).items()}
            )

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tickets-{stamp}.csv"'
    return response


def _likely_cause(ticket: Ticket, incident: list[Ticket]) -> Ticket | None:
    """An active API ticket of the same incident is the likely cause of any other ticket."""
    if ticket.type in API_TYPES:
        return None
    return next((t for t in incident if t.type in API_TYPES and t.is_active), None)


def _ticket_context(request, ticket: Ticket, forms=None) -> dict:
    action = retry_action(ticket.type)
    incident = ticket_incident(ticket)
    likely_match = ticket_likely_match(ticket)
    other = likely_match and likely_match["other"]
    if other and other not in incident:
        incident.insert(0, other)  # the other team's part of the same SKU pair
    forms = forms or {}
    return {
        "ticket": ticket,
        "context_json": json.dumps(ticket.context, indent=2, sort_keys=True, ensure_ascii=False),
        "exception_type": get_type(ticket.type),
        "can_act": user_can_act(request.user, ticket),
        "can_retry": action is not None,
        "history": ticket_history(ticket),
        "related": ticket_related(ticket),
        "incident": incident,
        "cause": _likely_cause(ticket, incident),
        "likely_match": likely_match,
        # mapping the likely pair from the ticket: one POST to the workbench's map action
        "can_map": ticket.is_active and request.user.has_perm(MAP_SKUS),
        "links": _subject_links(ticket),
        "held_pushes": _held_pushes(ticket),
        # its own idempotency key: "Assign to me" and "Assign" are two different clicks
        "assign_me": ACTION_FORMS["assign"](prefix="assign"),
        "forms": {
            name: forms.get(name) or form(prefix=name, initial=_initial(name, ticket))
            for name, form in ACTION_FORMS.items()
        },
    }


def _held_pushes(ticket: Ticket) -> list:
    """For a "push held" ticket: the pushes the guard still holds. Resolving the ticket does
    not decide them; they wait for a discard or a release (review problem 1)."""
    if ticket.type != "push_held":
        return []
    from syncs.models import StockPush  # the desk's one look at the stock room's pushes

    return list(StockPush.objects.filter(status=StockPush.Status.HELD).order_by("pk")[:5])


def _subject_links(ticket: Ticket) -> list[tuple[str, str]]:
    """(label, page) for each thing the ticket is about: its SKU, order, return and stream,
    and the held push or run its context names, so nobody hunts for them through Syncs."""
    links = []
    if ticket.sku:
        catalog = ticket.type.startswith("sku_missing")
        url = reverse("syncs:sku" if catalog else "syncs:stock_sku", args=[ticket.sku])
        links.append((f"SKU {ticket.sku}", url))
    if ticket.order_number.isdigit():
        links.append(
            (
                f"Order {ticket.order_number}",
                reverse("syncs:order", args=[int(ticket.order_number)]),
            )
        )
    if ticket.return_id.isdigit():
        links.append(
            (f"Return {ticket.return_id}", reverse("returns:detail", args=[int(ticket.return_id)]))
        )
    push = ticket.context.get("push")
    if isinstance(push, int):
        links.append((f"Stock push {push}", reverse("syncs:stock_push", args=[push])))
    if ticket.stream in STREAM_CODES:
        run = ticket.context.get("sync_run")
        label = f"{ticket.stream.capitalize()} runs" + (f" (run {run})" if run else "")
        links.append((label, reverse("syncs:stream_runs", args=[ticket.stream])))
    return links


def _initial(form_name: str, ticket: Ticket) -> dict:
    """The assign form starts at the current assignee, so pressing Assign twice does not
    quietly unassign the ticket."""
    return {"assignee": ticket.assignee_id} if form_name == "assign" else {}


@require_GET
@can_read
def ticket(request, pk):
    ticket = ticket_get_for_user(user=request.user, pk=pk)
    return render(request, "exceptions/ticket.html", _ticket_context(request, ticket))


def _level(acted: bool) -> int:
    return messages.SUCCESS if acted else messages.INFO


def _run_action(request, ticket: Ticket, action: str, form) -> tuple[int, str]:
    """Do one action from a valid form; returns (message level, message for the user): a
    failed retry is an error, never a green success."""
    data = form.cleaned_data
    actor, key = request.user, data["key"]
    if action == "acknowledge":
        acted = ticket_acknowledge(ticket=ticket, actor=actor, key=key)
        return _level(acted), "Acknowledged." if acted else "Nothing to acknowledge."
    if action == "assign":
        acted = ticket_assign(ticket=ticket, actor=actor, assignee=data["assignee"], key=key)
        return _level(acted), "Assigned." if acted else "Assignment unchanged."
    if action == "comment":
        acted = ticket_comment(ticket=ticket, actor=actor, note=data["note"], key=key)
        return _level(acted), "Comment added." if acted else "Comment already added."
    if action == "snooze":
        acted = ticket_snooze(
            ticket=ticket,
            actor=actor,
            until=timezone.now() + timedelta(hours=data["hours"]),
            wake_after_occurrences=data.get("wake_after_occurrences"),
            note=data.get("note", ""),
            key=key,
        )
        return _level(acted), "Snoozed." if acted else "Not snoozed: the ticket is closed."
    if action == "resolve":
        acted = ticket_resolve(ticket=ticket, actor=actor, note=data["note"], key=key)
        return _level(acted), "Resolved." if acted else "Already closed."
    result = ticket_retry(ticket=ticket, actor=actor, key=key)
    if result is None:
        return messages.INFO, "The retry is already running or done."
    if result.ok:
        return messages.SUCCESS, "Retry succeeded: " + result.message
    return messages.ERROR, "Retry failed: " + result.message


@require_POST
@can_read
def ticket_action(request, pk, action):
    """One action on one ticket. Denied (403) before anything is read from the form."""
    ticket = ticket_get_for_user(user=request.user, pk=pk, act=True)
    form = ACTION_FORMS[action](request.POST, prefix=action)
    forms = {}
    if form.is_valid():
        try:
            level, message = _run_action(request, ticket, action, form)
        except TicketActionError as error:
            level, message = messages.ERROR, str(error)
        messages.add_message(request, level, message)
    else:
        messages.error(request, "Please correct the form.")
        forms[action] = form
    if request.htmx:
        context = _ticket_context(request, ticket, forms)
        return render(request, "exceptions/_ticket_body.html", context)
    return redirect("exceptions:ticket", pk=ticket.pk)


def _back_to_queue(request) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("exceptions:index")
    return HttpResponseRedirect(target or reverse("exceptions:index"))


@require_POST
@can_read
def bulk(request):
    """Acknowledge, assign, snooze or retry many tickets; only those the user may act on."""
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back_to_queue(request)
    data = form.cleaned_data
    if data["all_matching"]:
        data["tickets"] = _all_matching(request, data["query"])
        if len(data["tickets"]) > BULK_LIMIT:
            messages.error(
                request,
                f"{len(data['tickets'])} tickets match: narrow the filters to at most "
                f"{BULK_LIMIT} for one bulk action.",
            )
            return _back_to_queue(request)
    selected = Ticket.objects.filter(pk__in=data["tickets"]).select_related("assignee")
    allowed = list(tickets_actable_by(request.user, selected).order_by("pk"))
    denied = len(data["tickets"]) - len(allowed)
    done = 0
    for ticket in allowed:
        key = f"{data['key']}:{ticket.pk}"
        try:
            done += _bulk_one(request.user, ticket, data, key)
        except TicketActionError as error:
            messages.info(request, f"#{ticket.pk}: {error}")
    messages.add_message(request, *_bulk_summary(data, done, len(allowed), denied))
    return _back_to_queue(request)


def _all_matching(request, query: str) -> list[int]:
    """The ids the queue shows for ``query`` (its filters, every page), one past the limit
    at most, so a too-broad selection is refused rather than cut silently."""
    matching = TicketFilter(QueryDict(query), queryset=queue_queryset(), request=request).qs
    return list(matching.values_list("pk", flat=True)[: BULK_LIMIT + 1])


def _bulk_summary(data: dict, done: int, allowed: int, denied: int) -> tuple[int, str]:
    """Green only when every selected ticket was acted on; otherwise a warning that says
    what happened to each of the rest."""
    summary = f"{dict(BULK_ACTIONS)[data['action']]}: {done} of {len(data['tickets'])} tickets."
    if allowed - done:
        summary += f" {allowed - done} unchanged (already done, or not possible for the type)."
    if denied:
        summary += f" {denied} not yours to act on (another team's)."
    return (messages.SUCCESS if done == len(data["tickets"]) else messages.WARNING), summary


def _bulk_one(actor, ticket: Ticket, data: dict, key: str) -> bool:
    action = data["action"]
    if action == "acknowledge":
        return ticket_acknowledge(ticket=ticket, actor=actor, key=key)
    if action == "assign":
        return ticket_assign(ticket=ticket, actor=actor, assignee=data["assignee"], key=key)
    if action == "snooze":
        until = timezone.now() + timedelta(hours=data["hours"])
        return ticket_snooze(ticket=ticket, actor=actor, until=until, key=key)
    if retry_action(ticket.type) is None:
        return False
    result = ticket_retry(ticket=ticket, actor=actor, key=key)
    return bool(result and result.ok)


def _duration_text(duration: timedelta) -> str:
    """ "1 day 4 hours", "30 minutes": SLAs as people say them."""
    minutes = int(duration.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or "0 minutes"


@require_GET
@can_read
def types(request):
    """The exception types as they apply now: the registry with the admins' overrides."""
    rows = exception_type_rows()
    for row in rows:
        row["acknowledge_within"] = _duration_text(row["type"].acknowledge_within)
        row["resolve_within"] = _duration_text(row["type"].resolve_within)
    return render(request, "exceptions/types.html", {"rows": rows})


@require_GET
@can_read
def stats(request):
    """Active tickets by type and team, and what came and went over 30 days (all teams, or
    the team in ``?team=``)."""
    team = request.GET.get("team", "")
    if team not in dict(TEAM_CHOICES):
        team = ""
    counts = ticket_counts(Ticket.objects.all())
    teams = [code for code, _ in TEAM_CHOICES]
    grid = {(row["type"], row["team"]): row["count"] for row in counts}
    rows = []
    for kind in TYPES:
        cells = [grid.get((kind.code, team), 0) for team in teams]
        if any(cells):
            rows.append({"type": kind, "cells": cells, "total": sum(cells)})
    totals = [sum(grid.get((kind.code, team), 0) for kind in TYPES) for team in teams]
    breached = ticket_breach_counts()
    context = {
        "teams": [{"code": code, "name": name} for code, name in TEAM_CHOICES],
        "rows": rows,
        "totals": totals,
        "total": sum(totals),
        "breached": [{"code": team, "count": breached.get(team, 0)} for team in teams],
        "breached_total": sum(breached.values()),
        "trend": ticket_trend(days=30, team=team or None),
        "trend_team": team,
    }
    return render(request, "exceptions/stats.html", context)

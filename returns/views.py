"""The returns screens: the queue by state, the receiving desk, QC, one return's page.

Everyone with ``view_returns`` reads; the receiving and QC screens and their POSTs need
``handle_returns``. Mutations are POST-only with Post/Redirect/Get, and every form carries a
one-time key, so a double submit acts once.
"""

import uuid

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from centra_ip.permissions import CHANGE_CONFIGURATION, HANDLE_RETURNS, VIEW_RETURNS, requires
from exceptions.models import Ticket
from returns.forms import QcForm, receipt_forms
from returns.models import (
    ExpectedReturn,
    LineState,
    QcFailStatus,
    ReturnLine,
    ReturnState,
    StockIn,
)
from returns.selectors import queue_queryset
from returns.services import ReturnsError, return_line_qc, return_receive
from returns.tables import ReturnFilter, ReturnTable
from syncs.stock.services import LedgerError


def _key() -> str:
    return uuid.uuid4().hex


def _matching(q: str):
    """Open returns matching a scanned or typed order number, return id or SKU."""
    if not q:
        return ExpectedReturn.objects.none()
    found = ReturnFilter({"q": q}, queryset=ExpectedReturn.objects.all()).qs
    return found.exclude(state=ReturnState.COMPLETE).order_by("centra_created_at", "pk")


@require_GET
@requires(VIEW_RETURNS)
def index(request):
    filtered = ReturnFilter(request.GET, queryset=queue_queryset())
    table = ReturnTable(filtered.qs).configure(request)
    counts = dict(ExpectedReturn.objects.values_list("state").annotate(n=Count("pk")).order_by())
    states = [(code, label, counts.get(code, 0)) for code, label in ReturnState.choices]
    return render(
        request,
        "returns/index.html",
        {
            "filter": filtered,
            "table": table,
            "states": states,
            "current": request.GET.get("state", ""),
            "can_handle": request.user.has_perm(HANDLE_RETURNS),
        },
    )


def _receive_page(request, *, q: str, found: list, status: int = 200, error: str = ""):
    return render(
        request,
        "returns/receive.html",
        {
            "q": q,
            "found": found,
            "key": _key(),
            "LineState": LineState,
            "can_override": request.user.has_perm(CHANGE_CONFIGURATION),
            "error": error,
        },
        status=status,
    )


@require_GET
@requires(HANDLE_RETURNS)
def receive(request):
    q = request.GET.get("q", "").strip()
    return _receive_page(request, q=q, found=list(_matching(q).prefetch_related("lines")[:20]))


def _receive_refused(request, ret, error: str, failed_line):
    """The desk again, as it was typed: every posted count and note kept (never the expected
    figures, so one more Enter cannot record a wrong receipt), the error on its row and the
    focus on that row's note. Nothing was written."""
    ret = ExpectedReturn.objects.prefetch_related("lines").get(pk=ret.pk)
    for line in ret.lines.all():
        line.posted_qty = request.POST.get(f"qty-{line.pk}", "")
        line.posted_note = request.POST.get(f"note-{line.pk}", "")
        line.posted_override = request.POST.get(f"override-{line.pk}") == "1"
        line.error = error if failed_line is not None and line.pk == failed_line.pk else ""
    general = "" if failed_line is not None else error
    return _receive_page(request, q=str(ret.centra_id), found=[ret], status=400, error=general)


@require_POST
@requires(HANDLE_RETURNS)
def receive_submit(request, centra_id: int):
    ret = get_object_or_404(ExpectedReturn, centra_id=centra_id)
    key = request.POST.get("key", "")[:40]
    lines = ret.lines.filter(received_quantity__isnull=True, state="expected")
    forms = receipt_forms(request.POST, lines)
    for form in forms:
        if not form.is_valid():
            return _receive_refused(request, ret, _first_error(form), form.line)
    receipts = {form.line.pk: form.receipt() for form in forms}
    try:
        received = return_receive(ret=ret, receipts=receipts, actor=request.user, key=key)
    except ReturnsError as error:
        failed = next((form.line for form in forms if form.line.pk == error.line_id), None)
        return _receive_refused(request, ret, str(error), failed)
    if received:
        messages.success(
            request, f"Return {centra_id}: {received} line(s) received, units are in QC."
        )
    return redirect(reverse("returns:receive"))


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@require_GET
@requires(HANDLE_RETURNS)
def qc(request):
    q = request.GET.get("q", "").strip()
    lines = ReturnLine.objects.filter(state=LineState.IN_QC, qc_at__isnull=True)
    if q:
        lines = lines.filter(expected_return__in=_matching(q))
    lines = lines.select_related("expected_return").order_by("received_at", "pk")[:100]
    return render(
        request,
        "returns/qc.html",
        {"q": q, "lines": lines, "key": _key(), "fail_statuses": QcFailStatus.choices},
    )


@require_POST
@requires(HANDLE_RETURNS)
def qc_submit(request, line_id: int):
    line = get_object_or_404(ReturnLine.objects.select_related("expected_return"), pk=line_id)
    key = request.POST.get("key", "")[:40]
    ret = line.expected_return
    form = QcForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect(reverse("returns:qc"))
    try:
        stock_in = return_line_qc(
            line=line,
            passed=form.cleaned_data["passed"],
            failed=form.cleaned_data["failed"] or 0,
            fail_status=form.cleaned_data["fail_status"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
            key=f"{key}:q{line.pk}" if key else None,
        )
    except (ReturnsError, LedgerError) as error:
        messages.error(request, str(error))
        return redirect(reverse("returns:qc"))
    if stock_in is None:
        messages.success(request, f"Return {ret.centra_id}: QC recorded.")
    elif stock_in.state == StockIn.State.FAILED:
        messages.error(
            request,
            f"Return {ret.centra_id}: QC recorded, but the stock-in failed "
            f"({stock_in.last_error}). It is in the exception queue.",
        )
    else:
        messages.success(
            request,
            f"Return {ret.centra_id}: QC recorded, stock-in {stock_in.get_state_display()}.",
        )
    return redirect(reverse("returns:qc"))


@require_GET
@requires(VIEW_RETURNS)
def detail(request, centra_id: int):
    ret = get_object_or_404(ExpectedReturn, centra_id=centra_id)
    lines = list(ret.lines.all())
    stock_ins = list(
        StockIn.objects.filter(line__expected_return=ret)
        .select_related("line")
        .prefetch_related("attempt_rows")
    )
    tickets = Ticket.objects.filter(return_id=str(ret.centra_id)).order_by("-last_seen", "-pk")
    return render(
        request,
        "returns/detail.html",
        {
            "ret": ret,
            "lines": lines,
            "stock_ins": stock_ins,
            "events": ret.events.all(),
            "tickets": tickets,
            "can_handle": request.user.has_perm(HANDLE_RETURNS),
        },
    )

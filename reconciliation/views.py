"""Finance screens: the month, a day, a SKU's orders, explaining a discrepancy, closing and
reopening a month, settings.

Views stay thin: they parse the request, call a selector or a service, and render the same
``Table`` as HTML or, with ``?export=<table>``, as CSV (``&format=xlsx``: XLSX;
``export=all``: every table of the page, one sheet each). The export is the screen.
"""

import csv
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centra_ip.downloads import download_disposition
from centra_ip.exports import xlsx_workbook
from centra_ip.limits import YEAR_MAX, YEAR_MIN
from centra_ip.permissions import (
    ACT_ON_TEAM_TICKETS,
    CHANGE_CONFIGURATION,
    VIEW_RECONCILIATION,
    requires,
)
from reconciliation import debt, month_tables, selectors
from reconciliation.closing import CloseError, month_close, month_close_get, month_reopen
from reconciliation.config import (
    brand_zone,
    centra_market_delete,
    centra_market_save,
    currency_rate_save,
    finance_changes,
    finance_settings_save,
    pending_days,
    reconciliation_settings,
)
from reconciliation.discrepancies import ExplainError, discrepancy_explain
from reconciliation.forms import (
    CentraMarketForm,
    CloseForm,
    CurrencyRateForm,
    ExplainForm,
    ReopenForm,
    SettingsForm,
)
from reconciliation.models import CentraMarket, CurrencyRate, Discrepancy, MonthClose
from reconciliation.reports import Filters, ReportTable


def _filters(request) -> Filters:
    return Filters(
        market=request.GET.get("market", "").strip()[:100],
        store=request.GET.get("store", "").strip()[:100],
        currency=request.GET.get("currency", "").strip().upper()[:8],
        channel=request.GET.get("channel", "").strip()[:32],
    )


def _month(request) -> date:
    """``?month=YYYY-MM`` within the years the app knows, else the current month."""
    text = request.GET.get("month", "")[:16]
    try:
        year, month = (int(part) for part in text.split("-"))
        if YEAR_MIN <= year <= YEAR_MAX:
            return date(year, month, 1)
    except ValueError:
        pass
    zone = brand_zone(reconciliation_settings())
    return timezone.now().astimezone(zone).date().replace(day=1)


def _csv(table: ReportTable, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = download_disposition(f"{filename}.csv")
    writer = csv.writer(response)
    writer.writerows(table.csv_rows())
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(tables: list[ReportTable], filename: str) -> HttpResponse:
    response = HttpResponse(xlsx_workbook([t.xlsx_sheet() for t in tables]), content_type=XLSX)
    response["Content-Disposition"] = download_disposition(f"{filename}.xlsx")
    return response


def _export(request, tables: dict[str, ReportTable], stem: str) -> HttpResponse | None:
    """``?export=<table>`` as CSV, ``&format=xlsx`` as XLSX; ``export=all`` is every table
    of the page in one workbook (XLSX only: CSV has one table per file)."""
    name = request.GET.get("export")
    if not name:
        return None
    xlsx = request.GET.get("format") == "xlsx"
    if name == "all" and xlsx:
        return _xlsx(list(tables.values()), stem)
    if name not in tables:
        raise Http404("No such table.")
    if xlsx:
        return _xlsx([tables[name]], f"{stem}-{name}")
    return _csv(tables[name], f"{stem}-{name}")


def _shown(filters: Filters) -> list[tuple[str, str]]:
    return [(key, value) for key, value in vars(filters).items() if value]


def _query(filters: Filters) -> str:
    """The filters as a query string (kept by every link and export of the page)."""
    return urlencode({key: value for key, value in vars(filters).items() if value})


@require_GET
@requires(VIEW_RECONCILIATION)
def index(request):
    """The month with days as rows, Centra's booked refunds, the close and what changed
    after it, reconciliation debt and its trend, source freshness."""
    month, filters = _month(request), _filters(request)
    table = selectors.month_overview(month=month, filters=filters)
    query = _query(filters)
    suffix = f"?{query}" if query else ""
    table.links["day"] = lambda row: (
        reverse("reconciliation:day", args=[row["day"].isoformat()]) + suffix
    )
    refunds = month_tables.refunds_booked(month=month, filters=filters)
    closed = month_close_get(month)
    adjustments = month_tables.close_adjustments(record=closed, filters=filters)
    tables = {"month": table, "refunds": refunds}
    if adjustments is not None:
        tables["adjustments"] = adjustments
    exported = _export(request, tables, f"reconciliation-{month:%Y-%m}")
    if exported:
        return exported
    previous = (month.replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    following = (month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    trend = debt.debt_trend()
    return render(
        request,
        "reconciliation/index.html",
        {
            "month": month,
            "previous": previous,
            "following": following,
            "filters": filters,
            "filters_shown": _shown(filters),
            "query": query,
            "choices": month_tables.filter_choices(month=month),
            "table": table,
            "refunds": refunds,
            "close": closed,
            "close_events": closed.events.all() if closed else [],
            "adjustments": adjustments,
            "close_form": CloseForm(),
            "reopen_form": ReopenForm(),
            "can_close": request.user.has_perm(ACT_ON_TEAM_TICKETS),
            "can_reopen": request.user.has_perm(CHANGE_CONFIGURATION),
            "debt": debt.debt_now(),
            "trend": [
                {"day": p["day"].isoformat(), "count": p["count"], "value": str(p["value"])}
                for p in trend
            ],
            "freshness": debt.freshness(),
            "missing_rates": month_tables.missing_rates(month=month),
            "unrated_orders": month_tables.unrated_orders(month=month),
            "config": reconciliation_settings(),
            "pending": pending_days(reconciliation_settings()),
        },
    )


def _month_of(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        if YEAR_MIN <= year <= YEAR_MAX:
            return date(year, month, 1)
    except ValueError as error:
        raise Http404("Not a month.") from error
    raise Http404("Not a month the reconciliation covers.")


def _back_to_month(month: date):
    return redirect(f"{reverse('reconciliation:index')}?month={month:%Y-%m}")


@require_POST
@requires(VIEW_RECONCILIATION, ACT_ON_TEAM_TICKETS)
def close(request, month):
    """Close a reviewed month (finance): who, when and the totals are kept."""
    month = _month_of(month)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The note is too long.")
        return _back_to_month(month)
    try:
        month_close(month=month, actor=request.user, note=form.cleaned_data["note"])
    except CloseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{month:%B %Y} closed.")
    return _back_to_month(month)


@require_POST
@requires(VIEW_RECONCILIATION, CHANGE_CONFIGURATION)
def reopen(request, month):
    """Reopen a closed month: admins only, with a reason (audited)."""
    month = _month_of(month)
    record = get_object_or_404(MonthClose, month=month)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the month is reopened.")
        return _back_to_month(month)
    try:
        month_reopen(record=record, actor=request.user, reason=form.cleaned_data["reason"])
    except CloseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{month:%B %Y} reopened.")
    return _back_to_month(month)


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise Http404("Not a day.") from error
    if not YEAR_MIN <= day.year <= YEAR_MAX:  # the day's window would overflow date
        raise Http404("Not a day the reconciliation covers.")
    return day


@require_GET
@requires(VIEW_RECONCILIATION)
def day(request, day):
    """One day: its SKUs, the discrepancies (orders) behind it, every order's balance."""
    day, filters = _day(day), _filters(request)
    every_sku = request.GET.get("all") == "1"
    query = _query(filters)
    closed = month_close_get(day)
    skus = selectors.day_skus(day=day, filters=filters, only_differences=not every_sku)
    skus.links["sku"] = lambda row: (
        reverse("reconciliation:sku", args=[day.isoformat(), row["sku"]])
        + (f"?{query}" if query else "")
    )
    discrepancies, items = selectors.day_discrepancies(day=day, filters=filters)
    orders = selectors.order_balances(day=day, filters=filters, only_differences=True)
    exported = _export(
        request,
        {"skus": skus, "discrepancies": discrepancies, "orders": orders},
        f"reconciliation-{day.isoformat()}",
    )
    if exported:
        return exported
    return render(
        request,
        "reconciliation/day.html",
        {
            "day": day,
            "pending": pending_days(reconciliation_settings()),
            "filters": filters,
            "query": "&".join(part for part in (query, "all=1" if every_sku else "") if part),
            "sku_query": query,
            "every_sku": every_sku,
            "skus": skus,
            "discrepancies": discrepancies,
            "items": items,
            "orders": orders,
            "explain_form": ExplainForm(),
            "can_explain": request.user.has_perm(ACT_ON_TEAM_TICKETS),
            "closed": closed if closed and closed.closed else None,
            "filters_shown": _shown(filters),
            "freshness": debt.freshness(),
        },
    )


@require_GET
@requires(VIEW_RECONCILIATION)
def sku(request, day, sku):
    """One SKU on one day: the orders behind its numbers, both sides per order."""
    day, filters = _day(day), _filters(request)
    table = selectors.sku_orders(day=day, sku=sku, filters=filters)
    exported = _export(request, {"orders": table}, f"reconciliation-{day.isoformat()}-{sku}")
    if exported:
        return exported
    return render(
        request,
        "reconciliation/sku.html",
        {
            "day": day,
            "sku": sku,
            "filters": filters,
            "query": _query(filters),
            "filters_shown": _shown(filters),
            "table": table,
        },
    )


@require_POST
@requires(VIEW_RECONCILIATION, ACT_ON_TEAM_TICKETS)
def explain(request, pk):
    """Mark a discrepancy explained with a note (audited); Post/Redirect/Get."""
    discrepancy = get_object_or_404(Discrepancy, pk=pk)
    form = ExplainForm(request.POST)
    if form.is_valid():
        try:
            if discrepancy_explain(
                discrepancy=discrepancy, actor=request.user, note=form.cleaned_data["note"]
            ):
                messages.success(request, f"Order {discrepancy.order_number} explained.")
            else:
                messages.info(request, f"Order {discrepancy.order_number} was not open.")
        except ExplainError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, "Say why the difference is fine.")
    return redirect("reconciliation:day", day=discrepancy.day.isoformat())


@require_http_methods(["GET", "POST"])
@requires(VIEW_RECONCILIATION)
def configuration(request):
    """Tolerances, day boundary, base currency, rates and Centra markets: finance reads,
    admins change; every change is audited (who, when, before, after)."""
    config = reconciliation_settings()
    form, rate_form = SettingsForm(instance=config), CurrencyRateForm()
    market_form = CentraMarketForm()
    if request.method == "POST":
        if not request.user.has_perm(CHANGE_CONFIGURATION):
            raise PermissionDenied
        if "add_rate" in request.POST:
            rate_form = CurrencyRateForm(request.POST)
            if rate_form.is_valid():
                currency_rate_save(instance=rate_form.rate_object(), actor=request.user)
                messages.success(request, "Rate saved.")
                return redirect("reconciliation:configuration")
        elif "add_market" in request.POST:
            market_form = CentraMarketForm(request.POST)
            if market_form.is_valid():
                centra_market_save(instance=market_form.instance, actor=request.user)
                messages.success(
                    request, "Market saved; orders' markets are read again on the next runs."
                )
                return redirect("reconciliation:configuration")
        elif "delete_market" in request.POST:
            market = get_object_or_404(CentraMarket, pk=request.POST.get("delete_market"))
            centra_market_delete(instance=market, actor=request.user)
            messages.success(request, f"Market {market.name} removed.")
            return redirect("reconciliation:configuration")
        else:
            form = SettingsForm(request.POST, instance=config)
            if form.is_valid():
                finance_settings_save(instance=form.instance, actor=request.user)
                messages.success(request, "Settings saved; they apply from the next computation.")
                return redirect("reconciliation:configuration")
    return render(
        request,
        "reconciliation/configuration.html",
        {
            "form": form,
            "rate_form": rate_form,
            "market_form": market_form,
            "rates": CurrencyRate.objects.all(),
            "markets": CentraMarket.objects.all(),
            "changes": finance_changes(),
            "can_change": request.user.has_perm(CHANGE_CONFIGURATION),
        },
    )

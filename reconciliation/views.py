"""Finance screens: the month, a day, a SKU's orders, explaining a discrepancy, settings.

Views stay thin: they parse the request, call a selector or a service, and render the same
``Table`` as HTML or, with ``?export=<table>``, as CSV (the export is the screen).
"""

import csv
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centra_ip.downloads import download_disposition
from centra_ip.limits import YEAR_MAX, YEAR_MIN
from reconciliation import audit, selectors
from reconciliation.forms import CurrencyRateForm, ExplainForm, SettingsForm
from reconciliation.models import CurrencyRate, Discrepancy
from reconciliation.services import (
    ExplainError,
    brand_zone,
    discrepancy_explain,
    reconciliation_settings,
)

VIEW = "centra_ip.view_reconciliation"
ACT = "centra_ip.act_on_team_tickets"
CHANGE = "centra_ip.change_configuration"


def _filters(request) -> selectors.Filters:
    return selectors.Filters(
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


def _csv(table: selectors.Table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = download_disposition(f"{filename}.csv")
    writer = csv.writer(response)
    writer.writerows(table.csv_rows())
    return response


def _export(request, tables: dict[str, selectors.Table], stem: str) -> HttpResponse | None:
    name = request.GET.get("export")
    if not name:
        return None
    if name not in tables:
        raise Http404("No such table.")
    return _csv(tables[name], f"{stem}-{name}")


def _query(filters: selectors.Filters) -> str:
    return urlencode({key: value for key, value in vars(filters).items() if value})


@require_GET
@permission_required(VIEW, raise_exception=True)
def index(request):
    """The month with days as rows, reconciliation debt and its trend, source freshness."""
    month, filters = _month(request), _filters(request)
    table = selectors.month_overview(month=month, filters=filters)
    query = _query(filters)
    suffix = f"?{query}" if query else ""
    table.links["day"] = lambda row: (
        reverse("reconciliation:day", args=[row["day"].isoformat()]) + suffix
    )
    exported = _export(request, {"month": table}, f"reconciliation-{month:%Y-%m}")
    if exported:
        return exported
    previous = (month.replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    following = (month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    trend = selectors.debt_trend()
    return render(
        request,
        "reconciliation/index.html",
        {
            "month": month,
            "previous": previous,
            "following": following,
            "filters": filters,
            "query": query,
            "choices": selectors.filter_choices(month=month),
            "table": table,
            "debt": selectors.debt_now(),
            "trend": [
                {"day": p["day"].isoformat(), "count": p["count"], "value": str(p["value"])}
                for p in trend
            ],
            "freshness": selectors.freshness(),
            "missing_rates": selectors.missing_rates(month=month),
            "config": reconciliation_settings(),
        },
    )


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise Http404("Not a day.") from error
    if not YEAR_MIN <= day.year <= YEAR_MAX:  # the day's window would overflow date
        raise Http404("Not a day the reconciliation covers.")
    return day


@require_GET
@permission_required(VIEW, raise_exception=True)
def day(request, day):
    """One day: its SKUs, the discrepancies (orders) behind it, every order's balance."""
    day, filters = _day(day), _filters(request)
    every_sku = request.GET.get("all") == "1"
    query = _query(filters)
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
            "filters": filters,
            "query": "&".join(part for part in (query, "all=1" if every_sku else "") if part),
            "sku_query": query,
            "every_sku": every_sku,
            "skus": skus,
            "discrepancies": discrepancies,
            "items": items,
            "orders": orders,
            "explain_form": ExplainForm(),
            "can_explain": request.user.has_perm(ACT),
            "freshness": selectors.freshness(),
        },
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
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
            "table": table,
        },
    )


@require_POST
@permission_required([VIEW, ACT], raise_exception=True)
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
@permission_required(VIEW, raise_exception=True)
def configuration(request):
    """Tolerances, day boundary, base currency and rates: finance reads, admins change."""
    config = reconciliation_settings()
    form, rate_form = SettingsForm(instance=config), CurrencyRateForm()
    if request.method == "POST":
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        if "add_rate" in request.POST:
            rate_form = CurrencyRateForm(request.POST)
            if rate_form.is_valid():
                audit.currency_rate_save(instance=rate_form.instance, actor=request.user)
                messages.success(request, "Rate saved.")
                return redirect("reconciliation:configuration")
        else:
            form = SettingsForm(request.POST, instance=config)
            if form.is_valid():
                audit.reconciliation_settings_save(instance=form.instance, actor=request.user)
                messages.success(request, "Settings saved; they apply from the next computation.")
                return redirect("reconciliation:configuration")
    return render(
        request,
        "reconciliation/configuration.html",
        {
            "form": form,
            "rate_form": rate_form,
            "rates": CurrencyRate.objects.all(),
            "can_change": request.user.has_perm(CHANGE),
        },
    )

"""The configuration screens: everyone with view_configuration reads, admins change.

Every change goes through the audited services; a rule edit can be previewed (what-if)
before it is saved, and the whole configuration is exported and imported as one file.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centra_ip.permissions import CHANGE_CONFIGURATION, VIEW_CONFIGURATION, requires
from centra_ip.uploads import UploadError, upload_text
from syncs.models import (
    ChannelAllocation,
    ConfigChange,
    SafetyStockRule,
    StockPosition,
    StockSettings,
    StockStatus,
    StockStatusBalance,
    WarehouseMapping,
)
from syncs.stock import config_io
from syncs.stock.config import AREAS, ConfigError, config_delete, config_save, stock_settings_save
from syncs.stock.forms import (
    AREA_FORMS,
    AREA_TITLES,
    BalanceForm,
    ConfigImportForm,
    StatusCsvForm,
    StockSettingsForm,
)
from syncs.stock.ledger import LedgerError, stock_status_import_csv, stock_status_set
from syncs.stock.what_if import rulebook_with_allocation, rulebook_with_safety
from syncs.stock.what_if import what_if as what_if_compute


def _area(area: str):
    if area not in AREA_FORMS:
        raise Http404("no such configuration area")
    return AREAS[area][0]


@require_GET
@requires(VIEW_CONFIGURATION)
def index(request):
    return render(
        request,
        "syncs/config/index.html",
        {
            "statuses": StockStatus.objects.all(),
            "safety_rules": SafetyStockRule.objects.all(),
            "allocations": ChannelAllocation.objects.all(),
            "mappings": WarehouseMapping.objects.all(),
            "settings": StockSettings.load(),
            "balances": StockStatusBalance.objects.filter(quantity__gt=0).select_related("status")[
                :200
            ],
            "changes": ConfigChange.objects.all()[:30],
            "import_form": ConfigImportForm(),
            "csv_form": StatusCsvForm(),
            "balance_form": BalanceForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(CHANGE_CONFIGURATION)
def edit(request, area: str, pk: int | None = None):
    """GET the form; POST ``action=preview`` shows the what-if; ``action=save`` saves."""
    model = _area(area)
    instance = get_object_or_404(model, pk=pk) if pk else model()
    form = AREA_FORMS[area](request.POST or None, instance=instance)
    what_if = None
    if request.method == "POST" and form.is_valid():
        what_if = _what_if(area, form.instance)
        if request.POST.get("action") == "save":
            if _confirmed(request, what_if):
                config_save(area=area, instance=form.instance, actor=request.user)
                messages.success(request, f"{AREA_TITLES[area]} saved.")
                return redirect("configuration")
            messages.error(request, _not_confirmed(what_if, "saved"))
    return render(
        request,
        "syncs/config/edit.html",
        {
            "form": form,
            "area": area,
            "title": AREA_TITLES[area],
            "instance": instance,
            "what_if": what_if,
            "key_warning": _key_matches_nothing(form.instance) if what_if is not None else "",
            "previewable": area in ("safety_stock", "allocation"),
        },
    )


def _confirmed(request, what_if) -> bool:
    """A change the guard would hold is done only when its size was typed: a fat-fingered
    global rule must not zero the storefront in one click."""
    if what_if is None or not what_if.guard_reasons:
        return True
    return request.POST.get("confirm", "").strip() == what_if.confirmation


def _not_confirmed(what_if, done: str) -> str:
    return (
        f"Not {done}: the guard would hold the next push. To go ahead, type "
        f"{what_if.confirmation} (the number of positions whose ATS changes)."
    )


# The position field each rule scope names (``Scope``), for "this key matches nothing".
SCOPE_FIELDS = {"sku": "sku", "product": "product", "category": "category"}


def _key_matches_nothing(instance) -> str:
    """A warning when a rule's key names no known position: a typo'd key saves a rule that
    changes nothing, and the preview alone ("0 change ATS") does not say why."""
    scope, key = getattr(instance, "scope", ""), (getattr(instance, "key", "") or "").strip()
    if scope == "warehouse":
        if not key.isdigit() or not StockPosition.objects.filter(centra_warehouse_id=key).exists():
            return f"No position is in Centra warehouse {key!r}: this rule changes nothing."
        return ""
    field = SCOPE_FIELDS.get(scope)
    if field and not StockPosition.objects.filter(**{field: key}).exists():
        return (
            f"{key!r} matches no {instance.get_scope_display()} the last stock cycle read: "
            "this rule changes nothing. Check the spelling (keys are compared exactly)."
        )
    return ""


def _what_if(area, instance, *, delete=False):
    if area == "safety_stock":
        return what_if_compute(proposed=rulebook_with_safety(rule=instance, delete=delete))
    if area == "allocation":
        return what_if_compute(
            proposed=rulebook_with_allocation(allocation=instance, delete=delete)
        )
    return None


@require_POST
@requires(CHANGE_CONFIGURATION)
def delete(request, area: str, pk: int):
    """Two steps: the first POST shows what deleting would do (the what-if, for rules); the
    confirming POST deletes, with the typed size when the guard would hold the change."""
    instance = get_object_or_404(_area(area), pk=pk)
    what_if = _what_if(area, instance, delete=True)
    if request.POST.get("step") == "confirm":
        if _confirmed(request, what_if):
            try:
                config_delete(area=area, instance=instance, actor=request.user)
            except ConfigError as error:  # a status with ledger history
                messages.error(request, str(error))
            else:
                messages.success(request, f"{AREA_TITLES[area]} deleted.")
            return redirect("configuration")
        messages.error(request, _not_confirmed(what_if, "deleted"))
    return render(
        request,
        "syncs/config/delete.html",
        {"area": area, "title": AREA_TITLES[area], "instance": instance, "what_if": what_if},
    )


@require_http_methods(["GET", "POST"])
@requires(CHANGE_CONFIGURATION)
def settings_edit(request):
    form = StockSettingsForm(request.POST or None, instance=StockSettings.load())
    if request.method == "POST" and form.is_valid():
        stock_settings_save(instance=form.instance, actor=request.user)
        messages.success(request, "Stock engine settings saved.")
        return redirect("configuration")
    return render(request, "syncs/config/settings.html", {"form": form})


@require_GET
@requires(VIEW_CONFIGURATION)
def export(request):
    response = HttpResponse(config_io.config_export_text(), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="centra-ip-stock-config.json"'
    return response


def _form_error(form) -> str:
    """The upload form's first error ("This field is required.", "The file is 9.0 MB; ...")."""
    return next(iter(form.errors.get("file") or ["choose a file to import."]))


@require_POST
@requires(CHANGE_CONFIGURATION)
def import_file(request):
    form = ConfigImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, f"Nothing was changed: {_form_error(form)}")
        return redirect("configuration")
    try:
        text = upload_text(form.cleaned_data["file"])
        result = config_io.config_import_text(text=text, actor=request.user)
    except UploadError as error:
        messages.error(request, f"Nothing was changed: {error}")
    except config_io.ConfigImportError as error:
        messages.error(request, f"Nothing was changed: {'; '.join(error.errors[:10])}")
    else:
        messages.success(
            request,
            f"Imported: {result.created} created, {result.updated} updated, "
            f"{result.deleted} deleted{', settings changed' if result.settings_changed else ''}.",
        )
    return redirect("configuration")


@require_POST
@requires(CHANGE_CONFIGURATION)
def status_import(request):
    form = StatusCsvForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, f"Nothing was changed: {_form_error(form)}")
        return redirect("configuration")
    try:
        text = upload_text(form.cleaned_data["file"])
        changed = stock_status_import_csv(text=text, actor=request.user)
    except (UploadError, LedgerError) as error:
        messages.error(request, f"Nothing was changed: {error}")
    else:
        messages.success(request, f"Status ledger: {changed} balances changed.")
    return redirect("configuration")


@require_POST
@requires(CHANGE_CONFIGURATION)
def balance_set(request):
    form = BalanceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        stock_status_set(
            sku=data["sku"].strip(),
            ip_warehouse=data["ip_warehouse"].strip(),
            status=data["status"].code,
            quantity=data["quantity"],
            reason="set on screen",
            actor=request.user,
        )
        messages.success(
            request, f"{data['sku']}: {data['status'].name} set to {data['quantity']}."
        )
    else:
        problems = [e["message"] for errs in form.errors.get_json_data().values() for e in errs]
        messages.error(request, f"Not saved: {' '.join(problems)}")
    return redirect("configuration")

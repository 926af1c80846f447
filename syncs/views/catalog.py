"""The mapping workbench and the SKU page (merchandising and ecommerce map; everyone reads).

Mutations are POST-only with Post/Redirect/Get and call ``syncs.catalog.mapping``; a second
submit of the same mapping is refused by the service's checks, so it acts once.
"""

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from centra_ip.permissions import MAP_SKUS, VIEW_SYNCS, requires
from centra_ip.uploads import BoundedFileField, UploadError, upload_text
from exceptions.models import Ticket
from syncs.catalog.mapping import MappingError, sku_mapping_create, sku_mappings_import
from syncs.catalog.selectors import catalog_workbench
from syncs.models import (
    CentraSize,
    IpVariant,
    OrderLine,
    SkuMapping,
    StockPosition,
    StockPushLine,
)
from syncs.models.catalog import sku_normalise


class MappingCsvForm(forms.Form):
    file = BoundedFileField()


@require_GET
@requires(VIEW_SYNCS)
def workbench(request):
    query = request.GET.get("q", "").strip()
    bench = catalog_workbench(query=query)
    return render(
        request,
        "syncs/catalog/workbench.html",
        {
            "bench": bench,
            "query": query,
            "mapped": SkuMapping.objects.count(),
            "can_map": request.user.has_perm(MAP_SKUS),
        },
    )


def _one(queryset, sku: str, what: str):
    found = list(queryset.filter(sku=sku)[:2])
    if not found and sku != sku.strip():
        found = list(queryset.filter(sku=sku.strip())[:2])
    if len(found) != 1:
        problem = "is not in the catalog" if not found else "matches several items"
        raise MappingError(f"{what} {sku!r} {problem}.")
    return found[0]


@require_POST
@requires(MAP_SKUS)
def mapping_create(request):
    """One click (ids from a suggestion) or manual (the two SKUs typed in)."""
    data = request.POST
    try:
        if data.get("centra_size_id") and data.get("ip_variant_id"):
            if not data["centra_size_id"].isdigit():
                raise MappingError("The Centra size id must be a number.")
            size_id, variant_id = int(data["centra_size_id"]), data["ip_variant_id"]
            source = SkuMapping.Source.SUGGESTED
        else:
            size_id = _one(
                CentraSize.objects.all(), data.get("centra_sku", ""), "Centra SKU"
            ).size_id
            variant_id = _one(
                IpVariant.objects.filter(removed=False), data.get("ip_sku", ""), "IP SKU"
            ).variant_id
            source = SkuMapping.Source.MANUAL
        mapping = sku_mapping_create(
            centra_size_id=size_id, ip_variant_id=variant_id, source=source, user=request.user
        )
    except MappingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Mapped Centra {mapping.centra_sku!r} to IP {mapping.sku!r}; parked order "
            "lines on it are published.",
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("syncs:catalog")
    return redirect(target)


@require_POST
@requires(MAP_SKUS)
def mappings_import(request):
    form = MappingCsvForm(request.POST, request.FILES)
    if not form.is_valid():
        error = next(iter(form.errors["file"]))
        messages.error(request, f"Choose a CSV file with centra_sku,ip_sku: {error}")
        return redirect("syncs:catalog")
    try:
        text = upload_text(form.cleaned_data["file"])
    except UploadError as error:
        messages.error(request, str(error))
        return redirect("syncs:catalog")
    outcome = sku_mappings_import(text=text, user=request.user)
    if outcome.errors:
        shown = "; ".join(f"line {line}: {reason}" for line, reason in outcome.errors[:10])
        messages.error(request, f"Nothing imported, {len(outcome.errors)} problems: {shown}")
    elif not outcome.created:
        messages.error(request, "The file has no rows.")
    else:
        messages.success(request, f"Imported {len(outcome.created)} mappings.")
    return redirect("syncs:catalog")


@require_GET
@requires(VIEW_SYNCS)
def sku_detail(request, sku: str):
    """Everything the hub knows about one SKU, whichever side's spelling was asked for."""
    key = sku_normalise(sku)
    mapping = SkuMapping.objects.filter(Q(sku=sku) | Q(centra_sku=sku)).first()
    skus = {sku} | ({mapping.sku, mapping.centra_sku} if mapping else set())
    context = {
        "sku": sku,
        "mapping": mapping,
        "centra_sizes": CentraSize.objects.filter(sku_key=key).order_by("sku", "pk"),
        "ip_variants": IpVariant.objects.filter(sku_key=key).order_by("sku", "pk"),
        "positions": StockPosition.objects.filter(sku__in=skus).order_by(
            "centra_warehouse_id", "pk"
        ),
        "pushes": StockPushLine.objects.filter(sku__in=skus)
        .select_related("push")
        .order_by("-pk")[:10],
        "tickets": Ticket.objects.filter(sku__in=skus, status__in=Ticket.ACTIVE).order_by("pk"),
        "lines": OrderLine.objects.filter(centra_sku__in=skus)
        .select_related("order")
        .order_by("-order__order_date", "-pk")[:20],
        "can_map": request.user.has_perm(MAP_SKUS),
    }
    return render(request, "syncs/catalog/sku.html", context)

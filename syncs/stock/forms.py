"""Forms of the configuration screens: one model form per area, validated by the models."""

from django import forms

from centra_ip.limits import UNITS_MAX
from centra_ip.uploads import BoundedFileField
from syncs.models import (
    ChannelAllocation,
    SafetyStockRule,
    SkuMapping,
    StockPosition,
    StockSettings,
    StockStatus,
    WarehouseMapping,
)
from syncs.stock.config import IN_QC_CODE
from syncs.stock.rules import SETTINGS_FIELDS


class RuleScopeMixin:
    """Global rules have no key; every other scope needs one (as the import checks)."""

    def clean(self):
        data = super().clean()
        scope, key = data.get("scope"), (data.get("key") or "").strip()
        data["key"] = key
        if scope == "global" and key:
            self.add_error("key", "The global rule has no key.")
        if scope and scope != "global" and not key:
            self.add_error("key", "Name the SKU, product, category or warehouse id.")
        return data


class SafetyStockRuleForm(RuleScopeMixin, forms.ModelForm):
    class Meta:
        model = SafetyStockRule
        fields = ["scope", "key", "kind", "value", "note"]


class ChannelAllocationForm(RuleScopeMixin, forms.ModelForm):
    class Meta:
        model = ChannelAllocation
        fields = ["channel", "scope", "key", "kind", "value"]


class StockStatusForm(forms.ModelForm):
    class Meta:
        model = StockStatus
        fields = ["code", "name", "sellable", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.code == IN_QC_CODE:
            # The returns flow moves units through this code; renamed, it would fail.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "Built in: the returns flow relies on this code."


class WarehouseMappingForm(forms.ModelForm):
    class Meta:
        model = WarehouseMapping
        fields = ["ip_warehouse", "centra_warehouse_id", "centra_warehouse_name"]


class StockSettingsForm(forms.ModelForm):
    class Meta:
        model = StockSettings
        fields = list(SETTINGS_FIELDS)


class ConfigImportForm(forms.Form):
    file = BoundedFileField(help_text="A JSON file as exported from this page.")


class StatusCsvForm(forms.Form):
    file = BoundedFileField(help_text="CSV with the columns sku, ip_warehouse, status, quantity.")


class BalanceForm(forms.Form):
    """A status balance typed on screen: only for a SKU the catalog knows, in a warehouse of
    the warehouse map (a typo would otherwise hold units no stock cycle ever subtracts)."""

    sku = forms.CharField(max_length=100, label="SKU (as Inventory Planner spells it)")
    ip_warehouse = forms.CharField(max_length=100, label="IP warehouse")
    status = forms.ModelChoiceField(queryset=StockStatus.objects.all(), to_field_name="code")
    quantity = forms.IntegerField(min_value=0, max_value=UNITS_MAX)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouses = sorted(
            WarehouseMapping.objects.values_list("ip_warehouse", flat=True).distinct()
        )
        self.fields["ip_warehouse"].widget.attrs["list"] = "ip-warehouses"

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        known = (
            SkuMapping.objects.filter(sku=sku).exists()
            or StockPosition.objects.filter(sku=sku).exists()
        )
        if not known:
            raise forms.ValidationError(
                f"{sku!r} is not a SKU of the catalog: check its spelling in Inventory Planner "
                "(the catalog run maps it first)."
            )
        return sku

    def clean_ip_warehouse(self):
        warehouse = self.cleaned_data["ip_warehouse"].strip()
        if warehouse not in self.warehouses:
            known = ", ".join(self.warehouses) or "none yet"
            raise forms.ValidationError(
                f"{warehouse!r} is not an IP warehouse of the warehouse map (known: {known})."
            )
        return warehouse


AREA_FORMS = {
    "safety_stock": SafetyStockRuleForm,
    "allocation": ChannelAllocationForm,
    "status": StockStatusForm,
    "warehouse_map": WarehouseMappingForm,
}
AREA_TITLES = {
    "safety_stock": "Safety stock rule",
    "allocation": "Channel allocation",
    "status": "Stock status",
    "warehouse_map": "Warehouse mapping",
}

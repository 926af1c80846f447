"""Forms of the configuration screens: one model form per area, validated by the models."""

from django import forms

from centra_ip.limits import UNITS_MAX
from centra_ip.uploads import BoundedFileField
from syncs.models import (
    ChannelAllocation,
    SafetyStockRule,
    StockSettings,
    StockStatus,
    WarehouseMapping,
)
from syncs.stock.rules import SETTINGS_FIELDS
from syncs.stock.services import IN_QC_CODE


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
    sku = forms.CharField(max_length=100)
    ip_warehouse = forms.CharField(max_length=100)
    status = forms.ModelChoiceField(queryset=StockStatus.objects.all(), to_field_name="code")
    quantity = forms.IntegerField(min_value=0, max_value=UNITS_MAX)


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

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms

from reconciliation.models import CentraMarket, CurrencyRate, ReconciliationSettings


class ExplainForm(forms.Form):
    note = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), strip=True, required=True
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ReconciliationSettings
        fields = [
            "base_currency",
            "time_zone",
            "unit_tolerance",
            "value_tolerance",
            "grace_hours",
            "window_days",
        ]

    def clean_time_zone(self):
        name = self.cleaned_data["time_zone"].strip()
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as error:
                message = "Not a time zone name (e.g. Europe/Stockholm)."
                raise forms.ValidationError(message) from error
        return name

    def clean_base_currency(self):
        return self.cleaned_data["base_currency"].strip().upper()


class CurrencyRateForm(forms.Form):
    """A rate from a day on. A rate for a currency and day that has one replaces it
    (audited), so a wrong rate can be corrected; hence a plain form, not the model's
    one-rate-per-day check."""

    currency = forms.CharField(max_length=8)
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    rate = forms.DecimalField(max_digits=18, decimal_places=8, min_value=0)

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()

    def rate_object(self) -> CurrencyRate:
        return CurrencyRate(**self.cleaned_data)


class CentraMarketForm(forms.ModelForm):
    class Meta:
        model = CentraMarket
        fields = ["centra_id", "name"]
        labels = {"centra_id": "Centra market id", "name": "Market name"}

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class CloseForm(forms.Form):
    note = forms.CharField(
        max_length=2000,
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Review note",
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why reopen",
    )

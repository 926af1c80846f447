from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms

from reconciliation.models import CurrencyRate, ReconciliationSettings


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


class CurrencyRateForm(forms.ModelForm):
    class Meta:
        model = CurrencyRate
        fields = ["currency", "valid_from", "rate"]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"})}

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()

"""The desk's forms: every count typed or scanned at the receiving and QC screens is parsed
here, before any service runs, so a scanned EAN in a quantity box is refused, not stocked."""

from dataclasses import dataclass

from django import forms

from centra_ip.limits import UNITS_MAX


class UnitsField(forms.CharField):
    """A whole number of units, 0 to ``UNITS_MAX``; anything longer than 12 characters is a
    scanned EAN or a pasted row, not a count, and says so rather than "too large"."""

    def __init__(self, *, what: str, **kwargs):
        self.what = what
        super().__init__(**kwargs)

    def to_python(self, value) -> int | None:
        text = (value or "").strip()
        if not text and not self.required:
            return None
        if len(text) > 12:
            raise forms.ValidationError(f"{self.what} must be a whole number up to {UNITS_MAX:,}.")
        try:
            number = int(text)
        except ValueError:
            raise forms.ValidationError(f"{self.what} must be a whole number.") from None
        if number < 0:
            raise forms.ValidationError(f"{self.what} cannot be negative.")
        if number > UNITS_MAX:
            raise forms.ValidationError(f"{self.what} must be a whole number up to {UNITS_MAX:,}.")
        return number


@dataclass(frozen=True)
class LineReceipt:
    """What the desk typed for one line: the count, the note, the admin's override."""

    quantity: int
    note: str = ""
    override: bool = False


class LineReceiptForm(forms.Form):
    """One line of the receiving desk, its fields named ``qty-<pk>``, ``note-<pk>`` and
    ``override-<pk>``: the names the desk's markup, its script and its tests use. One form per
    line rather than a formset, because a formset needs a management form the desk's one-key
    Enter submit does not carry, and a line without a posted count is simply left out."""

    qty = UnitsField(what="Quantity")
    note = forms.CharField(required=False, strip=False)
    override = forms.CharField(required=False)

    def __init__(self, data, *, line):
        self.line = line
        super().__init__(data, prefix=str(line.pk))
        self.fields["qty"].what = f"Quantity of {line.ip_sku}"

    def add_prefix(self, field_name: str) -> str:
        return f"{field_name}-{self.prefix}"

    @property
    def posted(self) -> bool:
        return self.add_prefix("qty") in self.data

    def receipt(self) -> LineReceipt:
        data = self.cleaned_data
        return LineReceipt(data["qty"], data["note"], data["override"] == "1")


def receipt_forms(data, lines) -> list[LineReceiptForm]:
    """The forms of the lines whose count was posted, in the lines' order."""
    forms_ = [LineReceiptForm(data, line=line) for line in lines]
    return [form for form in forms_ if form.posted]


class QcForm(forms.Form):
    """The QC screen's counts; the service checks they add up to what was received."""

    passed = UnitsField(what="Passed")
    failed = UnitsField(what="Failed", required=False)
    fail_status = forms.CharField(required=False)
    reason = forms.CharField(required=False, strip=False)

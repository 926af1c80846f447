"""Forms of the triage actions. Each carries a one-time ``key`` rendered with the form: a
second submit of the same form (double click, resend) finds the first one's history event
and acts no more."""

import uuid

from django import forms
from django.contrib.auth import get_user_model

SNOOZE_CHOICES = [
    (1, "1 hour"),
    (4, "4 hours"),
    (24, "1 day"),
    (72, "3 days"),
    (168, "1 week"),
]


def _new_key() -> str:
    return uuid.uuid4().hex


class ActionForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, initial=_new_key)


def _users():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class AcknowledgeForm(ActionForm):
    pass


class RetryForm(ActionForm):
    pass


class AssignForm(ActionForm):
    assignee = forms.ModelChoiceField(
        queryset=_users(), required=False, empty_label="Nobody", label="Assign to"
    )


class CommentForm(ActionForm):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Comment"
    )


class SnoozeForm(ActionForm):
    hours = forms.TypedChoiceField(
        choices=SNOOZE_CHOICES, coerce=int, initial=24, label="Snooze for"
    )
    wake_after_occurrences = forms.IntegerField(
        min_value=1,
        max_value=100_000,
        required=False,
        label="…or wake after this many more occurrences",
    )
    note = forms.CharField(max_length=2000, required=False, label="Why")


class ResolveForm(ActionForm):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label="Resolution note"
    )


ACTION_FORMS = {
    "acknowledge": AcknowledgeForm,
    "assign": AssignForm,
    "comment": CommentForm,
    "snooze": SnoozeForm,
    "resolve": ResolveForm,
    "retry": RetryForm,
}

BULK_ACTIONS = [
    ("acknowledge", "Acknowledge"),
    ("assign", "Assign"),
    ("snooze", "Snooze"),
    ("retry", "Retry"),
]
BULK_LIMIT = 200


def _possible_id(value) -> bool:
    """A ticket id the database could hold: digits, below 2**63 (larger overflows the query)."""
    text = str(value)
    return text.isdigit() and len(text) < 20 and int(text) < 2**63


class BulkForm(ActionForm):
    action = forms.ChoiceField(choices=BULK_ACTIONS, label="With the selected tickets")
    tickets = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), label="Tickets", required=False
    )
    # "All N matching": the queue's filters (its query string) instead of the ticked rows
    all_matching = forms.BooleanField(required=False)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    assignee = forms.ModelChoiceField(
        queryset=_users(), required=False, empty_label="Nobody", label="Assign to"
    )
    hours = forms.TypedChoiceField(
        choices=SNOOZE_CHOICES, coerce=int, initial=24, label="Snooze for"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any ticket id may be posted; which exist and which the user may act on is decided
        # by the view through the permission-checked queryset.
        self.fields["tickets"].valid_value = _possible_id

    def clean_tickets(self):
        tickets = self.cleaned_data["tickets"]
        if len(tickets) > BULK_LIMIT:
            raise forms.ValidationError(f"Select at most {BULK_LIMIT} tickets at once.")
        return tickets

    def clean(self):
        data = super().clean()
        if not data.get("tickets") and not data.get("all_matching"):
            raise forms.ValidationError("Select at least one ticket.")
        return data

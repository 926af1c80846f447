"""Finance configuration changes, audited like the stock configuration.

Tolerances decide which orders are discrepancies and rates decide the base-currency figures,
so who changed them, when, and from what to what is kept as a ``ConfigChange`` row (area
``reconciliation``), saved in the same transaction as the change and listed with the other
configuration changes.
"""

from django.db import transaction
from django.forms.models import model_to_dict

from reconciliation.models import CurrencyRate, ReconciliationSettings
from syncs.models import ConfigChange
from syncs.stock.services import config_audit

AREA = "reconciliation"


def _data(instance) -> dict:
    return {
        name: str(value)
        for name, value in model_to_dict(instance).items()
        if name not in ("id", "updated_at")
    }


def reconciliation_settings_save(*, instance: ReconciliationSettings, actor) -> None:
    """Save the (validated) settings row and record what changed, if anything did."""
    with transaction.atomic():
        stored = ReconciliationSettings.objects.select_for_update().filter(pk=instance.pk).first()
        before = _data(stored) if stored else None
        instance.save()
        after = _data(instance)
        if before != after:
            config_audit(
                actor=actor,
                area=AREA,
                object_key="settings",
                action=ConfigChange.Action.UPDATED if stored else ConfigChange.Action.CREATED,
                before=before,
                after=after,
                via="screen",
            )


def currency_rate_save(*, instance: CurrencyRate, actor) -> None:
    """Save a new (validated) rate and record it."""
    with transaction.atomic():
        instance.save()
        config_audit(
            actor=actor,
            area=AREA,
            object_key=f"rate {instance.currency} from {instance.valid_from}",
            action=ConfigChange.Action.CREATED,
            before=None,
            after=_data(instance),
            via="screen",
        )

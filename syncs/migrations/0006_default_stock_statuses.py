"""The default stock statuses (docs/stock-engine.md); admins add more (or mark one sellable)."""

from django.db import migrations

DEFAULTS = (
    ("reserved", "Reserved", "Held for a customer or an internal need"),
    ("quarantined", "Quarantined", "Blocked pending investigation"),
    ("in_qc", "In QC", "Returned units waiting for quality control (moved by the returns flow)"),
    ("damaged", "Damaged", "Not fit for sale"),
)


def create(apps, schema_editor):
    StockStatus = apps.get_model("syncs", "StockStatus")
    for code, name, description in DEFAULTS:
        StockStatus.objects.get_or_create(
            code=code, defaults={"name": name, "sellable": False, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("syncs", "0005_order_ledger_and_feed")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

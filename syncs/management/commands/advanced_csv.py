from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from syncs.orders.advanced_csv import advanced_csv_write


class Command(BaseCommand):
    help = (
        "Write the Advanced CSV files for Inventory Planner to IP_ADVANCED_CSV_DIR now: per "
        "entity, the rows new or changed since its last file (none when nothing changed)."
    )

    def handle(self, *args, **options):
        try:
            files = advanced_csv_write()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        for record in files:
            self.stdout.write(f"{record.name}: {record.rows} rows, {record.bytes} bytes")
        if not files:
            self.stdout.write("nothing new or changed: no file written")

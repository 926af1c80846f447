from django.core.management.base import BaseCommand

from centra_ip.schedules import schedules_sync


class Command(BaseCommand):
    help = "Create, update and delete task schedules so they match centra_ip/schedules.py."

    def handle(self, *args, **options):
        counts = schedules_sync()
        self.stdout.write(
            "schedules: {created} created, {updated} updated, {unchanged} unchanged, "
            "{deleted} deleted".format(**counts)
        )

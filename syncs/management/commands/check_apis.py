from django.core.management.base import BaseCommand, CommandError

from syncs.apicheck import apis_check_run


class Command(BaseCommand):
    help = (
        "Check the configured Centra and Inventory Planner: schema and documents, "
        "permissions, rate limits, the stock fields. Exit 0 when all is well; otherwise the "
        "list, a non-zero exit and an admin ticket."
    )

    def handle(self, *args, **options):
        report = apis_check_run()
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(
                f"{len(report.problems)} problem(s) found; an admin ticket has them", returncode=1
            )

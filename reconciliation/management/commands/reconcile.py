"""``python manage.py reconcile [--from YYYY-MM-DD] [--to YYYY-MM-DD]``: compute now.

Without dates it does what the hourly task does: the days of the configured window whose
inputs changed since the last run (the whole window once a day, or after a settings
change); with dates it recomputes those brand-local days (a backfill, or a month after a
rate was corrected). Either way IP's own daily sales for the days are read first.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reconciliation.services import reconciliation_refresh, reconciliation_run_window


class Command(BaseCommand):
    help = "Compute the finance reconciliation (the configured window, or the given days)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=date.fromisoformat)
        parser.add_argument("--to", dest="end", type=date.fromisoformat)

    def handle(self, *, start, end, **options):
        if (start is None) != (end is None):
            raise CommandError("Give both --from and --to, or neither.")
        if start and start > end:
            raise CommandError("--from is after --to.")
        if start:
            outcome = reconciliation_refresh(start_day=start, end_day=end)
            run = outcome.run
            self.stdout.write(
                f"reconciled {run.period_start}..{run.period_end}: "
                f"{run.counts['discrepancies_found']} discrepancies, "
                f"{outcome.raised} raised, {outcome.cleared} cleared"
            )
            return
        window = reconciliation_run_window()
        self.stdout.write(
            f"reconciled {window.days} days ({window.scope}): "
            f"{window.raised} raised, {window.cleared} cleared"
        )

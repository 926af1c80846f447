from django.core.management.base import BaseCommand, CommandError

from syncs.models import SyncRun
from syncs.runner import StreamBusy, sync_run_stream
from syncs.streams import STREAM_CODES


class Command(BaseCommand):
    help = "Run one cycle of a sync stream now and print a one-line summary per stream."

    def add_arguments(self, parser):
        parser.add_argument("stream", choices=[*STREAM_CODES, "all"])
        parser.add_argument("--dry-run", action="store_true", help="compute and show, send nothing")
        parser.add_argument("--full", action="store_true", help="full pass instead of incremental")

    def handle(self, *args, stream, dry_run, full, **options):
        failed = []
        for code in STREAM_CODES if stream == "all" else [stream]:
            try:
                run = sync_run_stream(
                    stream=code, trigger=SyncRun.Trigger.COMMAND, dry_run=dry_run, full=full
                )
            except StreamBusy as error:
                failed.append(code)
                self.stderr.write(f"{code}: {error}")
                continue
            seconds = (run.finished_at - run.started_at).total_seconds()
            line = f"{code}: {run.status} in {seconds:.1f}s: {run.summary}"
            if run.status == SyncRun.Status.FAILED:
                failed.append(code)
                self.stderr.write(line)
            else:
                self.stdout.write(line)
        if failed:
            raise CommandError(f"failed: {', '.join(failed)} (see the exception desk)")

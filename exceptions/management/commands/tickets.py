import json

from django.core.management.base import BaseCommand, CommandError

from exceptions.models import Ticket
from exceptions.registry import TYPE_CODES
from exceptions.selectors import queue_queryset, ticket_as_dict


class Command(BaseCommand):
    help = "List the exception queue (active tickets by default); --json for machines."

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            choices=["open", "all"],
            default="open",
            help="open: every active ticket (open, acknowledged, snoozed)",
        )
        parser.add_argument("--type", dest="type_code", help="only this type code")
        parser.add_argument("--json", dest="as_json", action="store_true", help="print a JSON list")

    def handle(self, *args, status, type_code, as_json, **options):
        tickets = queue_queryset()
        if status == "open":
            tickets = tickets.filter(status__in=Ticket.ACTIVE)
        if type_code:
            if type_code not in TYPE_CODES:
                raise CommandError(f"Unknown type {type_code!r}; one of: {', '.join(TYPE_CODES)}")
            tickets = tickets.filter(type=type_code)
        rows = [ticket_as_dict(ticket) for ticket in tickets.iterator(chunk_size=2000)]
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"#{row['id']:<7} {row['status']:<13} {row['team']:<13} "
                f"{row['occurrences']:>6}x  {row['title']}"
            )
        self.stdout.write(f"{len(rows)} tickets")

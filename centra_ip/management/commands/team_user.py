"""A real login for a team member: production has no demo logins (they are refused)."""

import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from centra_ip.teams import TEAM_CODES, team_member_set


class Command(BaseCommand):
    help = (
        "Create USERNAME as a member of --team (or give an existing user a new password) "
        "and print the generated password, once, as the only output."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--team", required=True, choices=TEAM_CODES)
        parser.add_argument("--email", default="")

    @transaction.atomic
    def handle(self, *args, **options):
        password = secrets.token_urlsafe(18)
        team_member_set(
            username=options["username"],
            team_code=options["team"],
            password=password,
            email=options["email"],
        )
        self.stdout.write(password)

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from centra_ip.demo import demo_data_load, demo_users_ensure


class Command(BaseCommand):
    help = "Create one demo login per team (printed with its password) and load demo data."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create demo logins with DEBUG off.")
        logins = demo_users_ensure()
        self.stdout.write("Demo logins (one per team):")
        self.stdout.write(f"  {'username':<15} {'password':<20} team")
        for username, password, team in logins:
            self.stdout.write(f"  {username:<15} {password:<20} {team}")
        self.stdout.write(demo_data_load())

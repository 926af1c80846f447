"""Scheduled tasks of the exception desk: thin, idempotent wrappers around services.

Declared in ``centra_ip/schedules.py``: each tolerates running twice (wakes and breach
claims are compare-and-set; a digest twice in a day is the worst case of a double delivery).
"""

from centra_ip.teams import TEAM_CODES
from exceptions.notifications import team_digest_send, tickets_notify
from exceptions.services import tickets_claim_sla_breaches, tickets_wake_due


def wake_snoozed() -> str:
    return f"woke {tickets_wake_due()} snoozed tickets"


def notify_sla_breaches() -> str:
    ticket_ids = tickets_claim_sla_breaches()
    if ticket_ids:
        tickets_notify(ticket_ids=ticket_ids, reason="sla_breach")
    return f"{len(ticket_ids)} tickets newly past their SLA"


def send_daily_digests() -> str:
    sent = [team for team in TEAM_CODES if team_digest_send(team)]
    return f"digest sent to {len(sent)} teams"

from django.db import models


class Access(models.Model):
    """Holds the project-wide permissions that teams are granted (see ``centra_ip.teams``).

    No table: the model exists so the permissions have a content type to hang on.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_exceptions", "Can read the exception desk"),
            ("act_on_team_tickets", "Can act on the tickets of their own team"),
            ("act_on_all_tickets", "Can act on every team's tickets"),
            ("view_syncs", "Can see sync runs and external calls"),
            ("run_syncs", "Can start a sync run"),
            ("view_returns", "Can see returns"),
            ("handle_returns", "Can record receipt and QC of returns"),
            ("view_reconciliation", "Can see finance reconciliation"),
            ("view_configuration", "Can read the configuration"),
            ("change_configuration", "Can change the configuration"),
            ("map_skus", "Can map SKUs between Centra and Inventory Planner"),
            ("view_docs", "Can read the operating-model documentation"),
            ("control_sandbox", "Can inject faults into the sandbox twins"),
        ]

    def __str__(self):
        return "access"

from django.conf import settings
from django.db import models

from centra_ip.permissions import DECLARED
from centra_ip.teams import TEAM_CHOICES


class Access(models.Model):
    """Holds the project-wide permissions that teams are granted (see ``centra_ip.teams``).

    No table: the model exists so the permissions have a content type to hang on.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = DECLARED

    def __str__(self):
        return "access"


class ChecklistTick(models.Model):
    """Someone of a team ticked off one checklist item for one day or week.

    One tick per team, item and period (the unique constraint), so a double submit or two
    people ticking at once record it once; ``state`` keeps what the item showed when it was
    ticked, so the record says what was seen, not only that a box was clicked.
    """

    class Period(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    team = models.CharField(max_length=32, choices=TEAM_CHOICES)
    item = models.CharField(max_length=64)
    period = models.CharField(max_length=8, choices=Period.choices)
    # The day, or the Monday of the week, the tick counts for (in TIME_ZONE).
    period_start = models.DateField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept when the user is deleted: the record of who checked must outlive the account.
    username = models.CharField(max_length=150)
    at = models.DateTimeField()
    state = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "period", "item", "period_start"],
                name="checklisttick_one_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(period__in=["daily", "weekly"]),
                name="checklisttick_period_valid",
            ),
        ]
        indexes = [models.Index(fields=["team", "-at"], name="checklisttick_recent")]

    def __str__(self):
        return f"{self.team} {self.item} {self.period_start} by {self.username}"

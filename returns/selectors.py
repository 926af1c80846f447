"""Reads for the returns screens.

The line count is an annotation, so a page of the queue costs a fixed number of queries
whatever its length.
"""

from django.db.models import Count

from returns.models import ExpectedReturn


def queue_queryset():
    return ExpectedReturn.objects.annotate(line_count=Count("lines")).order_by(
        "centra_created_at", "pk"
    )

"""``any_of`` selects what ``__in`` selects, on PostgreSQL as one array parameter."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from centra_ip.lookups import any_of
from syncs.models import Order

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def orders():
    for number in (1, 2, 3):
        Order.objects.create(
            centra_id=f"id{number}",
            number=number,
            status="CONFIRMED",
            order_date=WHEN,
            currency="EUR",
            grand_total=Decimal("0"),
            stored_at=WHEN,
            updated_at=WHEN,
        )


@pytest.mark.parametrize("values", [["id1", "id3"], ["id2", None, "id2"], ["nope"], []], ids=str)
def test_any_of_selects_what_in_selects(orders, values):
    def numbers(condition):
        return sorted(Order.objects.filter(condition).values_list("number", flat=True))

    assert numbers(any_of("centra_id", values)) == numbers(Q(centra_id__in=values))


@pytest.mark.postgres
def test_on_postgresql_the_values_are_one_parameter(orders):
    with CaptureQueriesContext(connection) as queries:
        assert Order.objects.filter(any_of("number", [1, 2, 3, 4])).count() == 3
    assert "= ANY(" in queries[0]["sql"]
    assert " IN (" not in queries[0]["sql"]

"""The registry declares every exception type (docs/exception-desk.md) with a real team
and subject."""

from datetime import timedelta

import pytest

from centra_ip.teams import TEAM_CODES
from exceptions.models import TypeOverride
from exceptions.overrides import effective_type
from exceptions.registry import SUBJECT_KINDS, TYPE_CODES, TYPES, TicketType, get_type

pytestmark = pytest.mark.django_db

PRODUCT_TYPES = {
    "sku_missing_in_ip": "merchandising",
    "sku_missing_in_centra": "ecommerce",
    # Beyond §5: Centra's schema allows a size without a SKU; it cannot be mapped.
    "centra_size_without_sku": "ecommerce",
    "orphaned_order": "operations",
    # Beyond §5: orders flow by polling when Centra's events are refused or silent.
    "orders_events_unavailable": "admin",
    "cancellation_not_released": "operations",
    "stock_push_rejected": "ecommerce",
    "stock_drift": "operations",
    "push_held": "operations",
    # Beyond §5: a SKU whose stock IP's answer does not carry is skipped, never zeroed.
    "stock_unreadable": "operations",
    "stock_in_failed": "fulfilment",
    "return_overdue": "fulfilment",
    "api_timeout": "admin",
    "api_unavailable": "admin",
    "api_auth_failure": "admin",
    "api_bad_payload": "admin",
    "stream_late": "admin",
    # Beyond §5: manage.py check_apis found the real APIs not as the clients use them.
    "api_check_failed": "admin",
    "reconciliation_mismatch": "finance",
    # Beyond §5: any other failure of a sync run (the runner's catch-all), so none goes unseen.
    "sync_failed": "admin",
    # Beyond §5: 429s that retries absorb slow a stream down unseen; persistent ones ticket.
    "api_throttled": "admin",
}


def test_every_product_type_and_the_runners_catch_all_are_declared_with_their_owner():
    assert {t.code: t.team for t in TYPES} == PRODUCT_TYPES
    assert len(TYPE_CODES) == len(set(TYPE_CODES))


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.code)
def test_each_type_is_complete(kind):
    assert kind.team in TEAM_CODES
    assert kind.subject in SUBJECT_KINDS
    assert kind.severity in {"critical", "warning", "info"}
    assert timedelta(0) < kind.acknowledge_within < kind.resolve_within
    assert kind.raised_when and kind.auto_resolves_when and kind.title


def test_effective_type_applies_only_what_the_admin_set():
    TypeOverride.objects.create(type="stream_late", resolve_within_minutes=90)
    kind = effective_type("stream_late")
    assert (kind.team, kind.acknowledge_within, kind.resolve_within) == (
        "admin",
        get_type("stream_late").acknowledge_within,
        timedelta(minutes=90),
    )


def test_every_type_has_its_constant_and_every_constant_its_type():
    constants = {
        name: value for name, value in vars(TicketType).items() if not name.startswith("_")
    }
    assert sorted(constants.values()) == sorted(TYPE_CODES)
    assert all(name == value.upper() for name, value in constants.items())

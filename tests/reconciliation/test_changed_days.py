"""The hourly computation rebuilds only the days whose inputs changed since the last run
(the whole window once a day, or after a settings change), and nothing when nothing did."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from reconciliation.changes import day_ranges
from reconciliation.config import finance_settings_save
from reconciliation.models import DayTotals, ReconciliationRun, ReconciliationSettings
from reconciliation.services import reconciliation_run_window
from syncs.models import FeedDelivery, OrderLine
from tests.reconciliation.conftest import STOCKHOLM, at

NOW = datetime(2026, 4, 10, 12, 0, tzinfo=STOCKHOLM)


@pytest.fixture
def april(ledger):
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        ledger.order(71, at("2026-04-02 10:00"), ledger.line("a", qty=2, price="10.00"))
        ledger.order(72, at("2026-04-05 10:00"), ledger.line("b", qty=1, price="30.00"))
        ledger.order(73, at("2026-04-07 10:00"), ledger.line("c", qty=1, price="5.00"))
        ledger.ip_takes_everything()
    with time_machine.travel(NOW, tick=False):
        first = reconciliation_run_window()
    assert (first.scope, first.days) == ("window", 63)
    return ledger


def run_at(moment):
    with time_machine.travel(moment, tick=False):
        return reconciliation_run_window()


def pks() -> dict[date, int]:
    return dict(DayTotals.objects.values_list("day", "pk"))


def test_nothing_changed_rebuilds_nothing_and_is_on_record(april):
    before = pks()
    outcome = run_at(NOW + timedelta(hours=1))
    assert (outcome.scope, outcome.days, outcome.runs) == ("changed", 0, [])
    assert pks() == before
    run = ReconciliationRun.objects.order_by("-started_at").first()
    assert (run.scope, run.counts) == ("changed", {"changed_days": 0})


def test_a_changed_line_rebuilds_its_day_only(april):
    before = pks()
    later = NOW + timedelta(hours=1)
    with time_machine.travel(later - timedelta(minutes=30), tick=False):
        line = OrderLine.objects.get(order__number=72)
        line.quantity, line.cancelled_quantity = 0, 1  # cancelled in Centra
        line.changed_at = later - timedelta(minutes=30)
        line.save()
    outcome = run_at(later)
    assert (outcome.scope, outcome.days) == ("changed", 1)
    run = outcome.runs[0].run
    assert (run.period_start, run.period_end) == (date(2026, 4, 5), date(2026, 4, 5))
    after = pks()
    assert after[date(2026, 4, 2)] == before[date(2026, 4, 2)]  # untouched
    assert after[date(2026, 4, 5)] != before[date(2026, 4, 5)]  # rebuilt
    assert DayTotals.objects.get(day=date(2026, 4, 5)).c_units_cancelled == 1


def test_rows_ip_took_since_the_last_run_rebuild_their_days(april):
    later = NOW + timedelta(hours=1)
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        april.order(74, at("2026-04-03 10:00"), april.line("a", qty=1, price="10.00"))
    # Written before the last run, taken by a fetch only now.
    FeedDelivery.objects.create(
        status=FeedDelivery.Status.COMPLETE,
        started_at=later - timedelta(minutes=5),
        finished_at=later - timedelta(minutes=5),
        served_through=later - timedelta(minutes=5),
        horizon_start=datetime(2026, 1, 1, tzinfo=STOCKHOLM),
    )
    outcome = run_at(later)
    assert [(r.run.period_start, r.run.period_end) for r in outcome.runs] == [
        (date(2026, 4, 3), date(2026, 4, 3))
    ]
    assert DayTotals.objects.get(day=date(2026, 4, 3)).h_units_taken == 1


def test_a_day_that_became_settled_is_judged(april):
    # Grace 24 h: at NOW the 9th is pending; a day later it is settled and judged.
    outcome = run_at(NOW + timedelta(hours=23))
    assert outcome.days == 1
    assert outcome.runs[0].run.period_start == date(2026, 4, 9)


def test_a_settings_change_or_a_new_day_rebuilds_the_whole_window(april, personas):
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        config = ReconciliationSettings.objects.get()
        config.value_tolerance = Decimal("1.00")
        finance_settings_save(instance=config, actor=personas["admin"])
    assert run_at(NOW + timedelta(hours=1)).scope == "window"
    assert run_at(NOW + timedelta(hours=2)).scope == "changed"
    assert run_at(NOW + timedelta(hours=25)).scope == "window"  # at least daily


def test_day_ranges_join_consecutive_days():
    days = {date(2026, 4, d) for d in (1, 2, 3, 7, 9, 10)}
    assert day_ranges(days) == [
        (date(2026, 4, 1), date(2026, 4, 3)),
        (date(2026, 4, 7), date(2026, 4, 7)),
        (date(2026, 4, 9), date(2026, 4, 10)),
    ]

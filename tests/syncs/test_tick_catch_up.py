"""A schedule tick that finds its stream busy is taken up as soon as the running cycle ends."""

from dataclasses import replace

import pytest
from django.utils import timezone

from syncs import streams
from syncs.engines import EngineResult
from syncs.models import SyncRun
from syncs.tasks import CATCH_UPS, run_stream

pytestmark = pytest.mark.django_db

CALLS: list[str] = []
TICKS_DURING = {"count": 0}  # how many of the next runs see a tick fire while they run


def ticking_engine(*, run, dry_run, full):
    """A cycle during which the schedule's next tick fires (and is refused: busy)."""
    CALLS.append("full" if full else "run")
    if TICKS_DURING["count"]:
        TICKS_DURING["count"] -= 1
        CALLS.append(run_stream("stock"))
    return EngineResult(summary=f"cycle {len(SyncRun.objects.all())}")


@pytest.fixture(autouse=True)
def engine(monkeypatch):
    declared = tuple(
        replace(s, engine=f"{__name__}.ticking_engine") if s.code == "stock" else s
        for s in streams.STREAMS
    )
    monkeypatch.setattr(streams, "STREAMS", declared)
    CALLS.clear()
    TICKS_DURING["count"] = 0


def test_a_tick_skipped_during_a_run_runs_again_as_it_ends():
    TICKS_DURING["count"] = 1
    said = run_stream("stock")
    assert CALLS == ["run", "skipped: stock is already running", "run"]
    assert SyncRun.objects.filter(stream="stock", status="succeeded").count() == 2
    assert said == "stock: succeeded: cycle 1; stock: succeeded: cycle 2"


def test_without_a_skipped_tick_a_run_runs_once():
    run_stream("stock")
    run_stream("stock")
    assert CALLS == ["run", "run"]
    assert SyncRun.objects.filter(stream="stock").count() == 2


def test_a_tick_skipped_before_a_run_started_is_served_by_that_run():
    other = SyncRun.objects.create(stream="stock", trigger="screen", started_at=timezone.now())
    assert run_stream("stock") == "skipped: stock is already running"
    SyncRun.objects.filter(pk=other.pk).update(status="succeeded")
    run_stream("stock")
    assert CALLS == ["run"]


def test_catch_ups_are_bounded_and_never_full():
    TICKS_DURING["count"] = 10
    run_stream("stock", full=True)
    runs = [call for call in CALLS if call in ("run", "full")]
    assert runs == ["full"] + ["run"] * CATCH_UPS

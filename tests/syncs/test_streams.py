"""Each stream is declared once; its engine, schedule and freshness all come from there."""

import pytest
from django.utils.module_loading import import_string

from centra_ip.schedules import SCHEDULES
from syncs.freshness import stream_freshness
from syncs.streams import STREAM_CODES, STREAMS, stream_get


@pytest.mark.parametrize("stream", STREAMS, ids=STREAM_CODES)
def test_every_stream_names_an_engine_that_imports(stream):
    assert callable(import_string(stream.engine))


@pytest.mark.parametrize("stream", STREAMS, ids=STREAM_CODES)
def test_every_stream_is_scheduled_at_its_declared_cadence(stream):
    specs = [spec for spec in SCHEDULES if spec.args == (stream.code,)]
    assert [(s.func, s.minutes, s.first_run_after_minutes) for s in specs] == [
        (
            "syncs.tasks.run_stream",
            stream.cadence.total_seconds() // 60,
            stream.first_run_after.total_seconds() // 60,
        )
    ]


def test_returns_run_every_15_minutes_three_minutes_after_a_fresh_install():
    """docs/returns.md's figures; once two lists said 10 and 15."""
    returns = stream_get("returns")
    assert (returns.every, returns.first_run_after.total_seconds()) == ("15 min", 180)


@pytest.mark.django_db
def test_freshness_watches_every_declared_stream():
    assert [reading.stream.code for reading in stream_freshness()] == list(STREAM_CODES)


def test_an_unknown_stream_is_refused_by_name():
    with pytest.raises(LookupError, match="no stream 'nope': the streams are catalog, orders"):
        stream_get("nope")

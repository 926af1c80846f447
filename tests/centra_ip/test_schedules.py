import pytest
from django.core.management import call_command
from django_q.models import Schedule

from centra_ip import schedules
from centra_ip.schedules import NAME_PREFIX, SCHEDULES, ScheduleSpec, schedules_sync


@pytest.mark.django_db
def test_sync_creates_every_declared_schedule_once():
    assert schedules_sync()["created"] == len(SCHEDULES)
    again = schedules_sync()
    assert again == {"created": 0, "updated": 0, "unchanged": len(SCHEDULES), "deleted": 0}
    assert Schedule.objects.count() == len(SCHEDULES)
    for spec in SCHEDULES:
        row = Schedule.objects.get(name=NAME_PREFIX + spec.name)
        assert (row.func, row.minutes, row.schedule_type) == (spec.func, spec.minutes, "I")


@pytest.mark.django_db
def test_sync_updates_changed_and_deletes_undeclared_schedules_but_leaves_others(monkeypatch):
    schedules_sync()
    Schedule.objects.create(
        name=NAME_PREFIX + "gone", func="syncs.tasks.old", minutes=5, schedule_type=Schedule.MINUTES
    )
    Schedule.objects.create(
        name="someone else's", func="x.y", minutes=5, schedule_type=Schedule.MINUTES
    )
    changed = tuple(ScheduleSpec(s.name, s.func, s.minutes + 1) for s in SCHEDULES)
    monkeypatch.setattr(schedules, "SCHEDULES", changed)
    assert schedules_sync() == {
        "created": 0,
        "updated": len(SCHEDULES),
        "unchanged": 0,
        "deleted": 1,
    }
    assert not Schedule.objects.filter(name=NAME_PREFIX + "gone").exists()
    assert Schedule.objects.filter(name="someone else's").exists()


def test_every_scheduled_function_can_be_imported():
    from django.utils.module_loading import import_string

    for spec in SCHEDULES:
        assert callable(import_string(spec.func))


@pytest.mark.django_db
def test_the_command_prints_a_one_line_summary(capsys):
    call_command("sync_schedules")
    assert capsys.readouterr().out == (
        f"schedules: {len(SCHEDULES)} created, 0 updated, 0 unchanged, 0 deleted\n"
    )


@pytest.mark.django_db
def test_a_stream_that_needs_anothers_first_run_starts_later():
    from datetime import timedelta

    from django.utils import timezone

    before = timezone.now()
    schedules_sync()
    returns = Schedule.objects.get(name=NAME_PREFIX + "returns")
    stock = Schedule.objects.get(name=NAME_PREFIX + "stock")
    assert returns.next_run >= before + timedelta(minutes=3)
    assert stock.next_run >= before + timedelta(minutes=1)  # after the catalog's SKU map
    assert Schedule.objects.get(name=NAME_PREFIX + "catalog").next_run < before + timedelta(
        minutes=1
    )

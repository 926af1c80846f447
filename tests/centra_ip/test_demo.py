import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from centra_ip.teams import TEAM_CODES


@pytest.mark.django_db
def test_demo_creates_one_login_per_team_and_prints_it(capsys, settings):
    settings.DEBUG = True
    call_command("demo")
    out = capsys.readouterr().out
    for code in TEAM_CODES:
        assert f"{code:<15} {code + '-demo':<20}" in out
        user = authenticate(username=code, password=f"{code}-demo")
        assert user is not None
        assert list(user.groups.values_list("name", flat=True)) == [code]
    call_command("demo")  # twice is fine: same users, passwords reset
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.count() == len(TEAM_CODES)


@pytest.mark.django_db
def test_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing to create demo logins with DEBUG off"):
        call_command("demo")
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.count() == 0


@pytest.mark.django_db
def test_demo_lists_the_centra_twins_markets_once_audited(settings):
    from reconciliation.models import CentraMarket
    from syncs.models import ConfigChange

    settings.DEBUG = True
    call_command("demo", stdout=io.StringIO())
    call_command("demo", stdout=io.StringIO())  # a brand's (or the first) list is kept
    assert list(CentraMarket.objects.order_by("centra_id").values_list("centra_id", "name")) == [
        (1, "Europe"),
        (2, "Nordics"),
        (3, "United Kingdom"),
        (4, "United States"),
    ]
    changes = ConfigChange.objects.filter(area="centra_market")
    assert {(c.action, c.actor_name) for c in changes} == {("created", "system")}
    assert changes.count() == 4

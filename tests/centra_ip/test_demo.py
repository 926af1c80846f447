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


@pytest.fixture
def demo_logins(db, settings):
    settings.DEBUG = True
    call_command("demo")
    settings.DEBUG = False


def test_demo_logins_fail_with_debug_off(demo_logins, client):
    for code in TEAM_CODES:
        assert authenticate(username=code, password=f"{code}-demo") is None

    response = client.post("/login/", {"username": "admin", "password": "admin-demo"})

    assert response.status_code == 200  # the form again, not the redirect of a login
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors["__all__"]


def test_a_team_account_with_a_real_password_still_logs_in_with_debug_off(demo_logins, client):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="finance")
    user.set_password("a-real-password-nobody-published")
    user.save()

    assert authenticate(username="finance", password="a-real-password-nobody-published") == user
    response = client.post(
        "/login/", {"username": "finance", "password": "a-real-password-nobody-published"}
    )
    assert response.status_code == 302


def test_demo_logins_work_while_debug_is_on(demo_logins, settings):
    settings.DEBUG = True
    assert authenticate(username="operations", password="operations-demo") is not None


def _deploy_errors():
    from django.core.checks import run_checks

    return [m for m in run_checks(include_deployment_checks=True) if m.id == "centra_ip.E001"]


def test_the_deploy_check_names_active_demo_logins_as_an_error(demo_logins):
    from django.contrib.auth import get_user_model
    from django.core.checks import ERROR

    users = get_user_model().objects
    users.filter(username="merchandising").update(is_active=False)
    finance = users.get(username="finance")
    finance.set_password("a-real-password-nobody-published")
    finance.save()

    [error] = _deploy_errors()

    assert error.level == ERROR
    assert error.msg == (
        "Demo logins with public passwords are active: admin, ecommerce, fulfilment, operations."
    )


def test_the_deploy_check_is_silent_without_demo_logins_or_with_debug_on(demo_logins, settings):
    from django.contrib.auth import get_user_model

    get_user_model().objects.update(is_active=False)
    assert _deploy_errors() == []
    get_user_model().objects.update(is_active=True)
    settings.DEBUG = True
    assert _deploy_errors() == []

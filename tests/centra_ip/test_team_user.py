import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from centra_ip.teams import user_team_codes


def team_user(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("team_user", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_it_creates_a_team_member_with_a_generated_password_that_logs_in_with_debug_off(
    settings,
):
    settings.DEBUG = False

    password = team_user("alice", "--team", "finance", "--email", "alice@brand.example")

    user = authenticate(username="alice", password=password)
    assert user is not None
    assert len(password) >= 20
    assert user_team_codes(user) == ["finance"]
    assert (user.email, user.is_staff) == ("alice@brand.example", False)


@pytest.mark.django_db
def test_running_it_again_replaces_the_password_and_adds_the_team():
    first = team_user("bob", "--team", "operations")
    second = team_user("bob", "--team", "admin")

    assert first != second
    assert authenticate(username="bob", password=first) is None
    user = authenticate(username="bob", password=second)
    assert user_team_codes(user) == ["operations", "admin"]
    assert user.is_staff  # admins use the Django admin too
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_team_is_refused_and_nothing_is_created():
    with pytest.raises(CommandError, match="invalid choice: 'sales'"):
        team_user("carol", "--team", "sales")
    assert not get_user_model().objects.exists()

"""Fixtures for the whole suite: one persona per team, and logged-in clients."""

import pytest
from django.test import Client

from centra_ip.teams import TEAM_CODES
from tests.factories import UserFactory


@pytest.fixture
def personas(db):
    """One user per team, keyed by team code (``personas["finance"]``)."""
    return {code: UserFactory(username=f"{code}-persona", team=code) for code in TEAM_CODES}


@pytest.fixture
def client_for(personas):
    """``client_for("operations")``: a test client logged in as that team's persona."""

    def make(team_code: str) -> Client:
        client = Client()
        client.force_login(personas[team_code])
        return client

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness costs seconds per persona set; tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

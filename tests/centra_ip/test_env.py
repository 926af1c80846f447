import pytest
from django.core.exceptions import ImproperlyConfigured

from centra_ip.env import env_bool, env_int, env_list, env_url


def test_env_bool_reads_common_spellings(monkeypatch):
    for raw, expected in [("1", True), ("Yes", True), ("on", True), ("0", False), ("OFF", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", not expected) is expected


def test_env_bool_uses_the_default_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True
    monkeypatch.setenv("FLAG", "  ")
    assert env_bool("FLAG", False) is False


def test_env_int_enforces_the_minimum(monkeypatch):
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="N must be at least 1, got 0"):
        env_int("N", 5, minimum=1)


def test_env_list_drops_empty_items(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example.com, ,b.example.com,")
    assert env_list("HOSTS", []) == ["a.example.com", "b.example.com"]


def test_env_url_strips_the_trailing_slash(monkeypatch):
    monkeypatch.setenv("URL", "https://app.inventory-planner.com/api/v1/")
    assert env_url("URL") == "https://app.inventory-planner.com/api/v1"


def test_env_setting_is_typed_like_its_default(monkeypatch):
    from centra_ip.env import env_setting

    monkeypatch.setenv("RETURNS_OVERDUE_DAYS", "21")
    monkeypatch.setenv("RETURNS_STOCK_IN_INLINE", "yes")
    monkeypatch.setenv("RETURNS_SINK", "webhook")
    assert env_setting("RETURNS_OVERDUE_DAYS", 14) == 21
    assert env_setting("RETURNS_STOCK_IN_INLINE", False) is True
    assert env_setting("RETURNS_SINK", "ip_stock_order") == "webhook"
    assert env_setting("RETURNS_CONFIRM", "receipt") == "receipt"
    monkeypatch.setenv("RETURNS_OVERDUE_DAYS", "soon")
    with pytest.raises(ImproperlyConfigured, match="RETURNS_OVERDUE_DAYS must be an integer"):
        env_setting("RETURNS_OVERDUE_DAYS", 14)

"""Small typed readers for configuration from the environment.

Each helper reads one variable once, when settings load, and fails loudly with
``ImproperlyConfigured`` on a value it cannot parse: a typo in production must stop
the app at start-up, not surface hours later as a silent default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    """A string; surrounding whitespace is stripped (a trailing newline from a secret file).

    Set but empty counts as unset, as in most 12-factor tooling (``FOO= make run``).
    """
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str = "") -> str:
    """An http(s) URL, or empty when unset and no default is given."""
    value = env_str(name, default)
    if value and not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{name} must be an http:// or https:// URL, got {value!r}")
    return value.rstrip("/")


def env_setting(name: str, default):
    """An app setting from the environment, typed like its default (bool, int, float, str).

    For settings whose defaults live beside the code that uses them (``returns/config.py``,
    ``syncs/orders/config.py``): those modules ask Django settings first, then this.
    """
    if isinstance(default, bool):
        return env_bool(name, default)
    if isinstance(default, int):
        return env_int(name, default)
    if isinstance(default, float):
        return env_float(name, default)
    return env_str(name, default)


def app_setting(name: str, default):
    """An app's setting: Django settings first (tests, a local settings file), then the
    environment typed like ``default``, then ``default``. Read when used, never at import."""
    from django.conf import settings

    if hasattr(settings, name):
        return getattr(settings, name)
    return env_setting(name, default)

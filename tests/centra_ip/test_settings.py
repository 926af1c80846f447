"""Settings load from the environment and refuse bad values loudly.

Each case starts a fresh interpreter, since settings are read once at start-up.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "-production-like-secret-key-0123456789abcdef"
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "hub.example.com",
    "CENTRA_API_URL": "https://brand.centra.com/graphql",
    "CENTRA_API_TOKEN": "centra-token",
    "INVENTORY_PLANNER_API_KEY": "ip-key",
    "INVENTORY_PLANNER_ACCOUNT": "a1234",
    "IP_FEED_PASSWORD": "feed-password",
}
_OURS = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CENTRA_API_URL",
    "CENTRA_API_TOKEN",
    "INVENTORY_PLANNER_API_URL",
    "INVENTORY_PLANNER_API_KEY",
    "INVENTORY_PLANNER_ACCOUNT",
    "IP_FEED_USERNAME",
    "IP_FEED_PASSWORD",
    "Q_TIMEOUT",
    "Q_RETRY",
    "PORT",
    "SANDBOX_PORT",
    "SANDBOX_URL",
    "STATIC_ROOT",
)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE is the browser tests' own (tests/e2e/conftest.py); a real
    # deployment never has it, and check --deploy rightly flags it.
    clean = {k: v for k, v in os.environ.items() if k not in (*_OURS, "DJANGO_ALLOW_ASYNC_UNSAFE")}
    clean["DJANGO_SETTINGS_MODULE"] = "centra_ip.settings"
    clean["CENTRA_IP_DATA_DIR"] = tempfile.mkdtemp(prefix="centra-ip-settings-")
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def load_settings(**env: str) -> subprocess.CompletedProcess:
    return run_python(
        "from django.conf import settings; import json; print(json.dumps({"
        "'data_dir': str(settings.DATA_DIR),"
        "'engine': settings.DATABASES['default']['ENGINE'],"
        "'name': str(settings.DATABASES['default']['NAME']),"
        "'q': settings.Q_CLUSTER, 'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS,"
        "'centra_sandbox': settings.CENTRA_USES_SANDBOX,"
        "'ip_sandbox': settings.INVENTORY_PLANNER_USES_SANDBOX,"
        "'ip_url': settings.INVENTORY_PLANNER_API_URL, 'sandbox_url': settings.SANDBOX_URL}))",
        **env,
    )


def test_it_refuses_to_start_with_debug_off_and_no_secret_key():
    result = load_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set and DEBUG is off. Refusing to start" in result.stderr


def test_it_refuses_a_weak_secret_key_with_debug_off():
    result = load_settings(DEBUG="false", SECRET_KEY="django-insecure-short")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak for DEBUG=false" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of true/false"),
        ({"DEBUG": "true", "Q_WORKERS": "two"}, "Q_WORKERS must be an integer, got 'two'"),
        ({"DEBUG": "true", "REDIS_URL": "localhost:6379"}, "REDIS_URL must be a redis://"),
        ({"DEBUG": "true", "CENTRA_API_URL": "ftp://x"}, "CENTRA_API_URL must be an http://"),
        ({"DEBUG": "true", "CENTRA_API_TOKEN": "t"}, "CENTRA_API_TOKEN is set but CENTRA_API_URL"),
        ({"DEBUG": "true", "INVENTORY_PLANNER_API_KEY": "k"}, "Set both INVENTORY_PLANNER_API_KEY"),
        ({"DEBUG": "true", "Q_TIMEOUT": "900", "Q_RETRY": "600"}, "Q_RETRY must be larger"),
        ({"DEBUG": "true", "DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL cannot be parsed"),
    ],
)
def test_it_fails_loudly_on_bad_values(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_defaults_are_sqlite_in_the_data_folder_orm_broker_and_both_sandboxes():
    import json

    result = load_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"].endswith("/centra-ip.sqlite3")
    assert "centra-ip-settings-" in loaded["name"]  # CENTRA_IP_DATA_DIR is honoured
    assert loaded["q"]["orm"] == "default"
    unset = json.loads(load_settings(DEBUG="true", CENTRA_IP_DATA_DIR="").stdout)
    assert unset["data_dir"] == str(ROOT / "data")
    assert "redis" not in loaded["q"]
    assert loaded["q"]["timeout"] < loaded["q"]["retry"]
    assert loaded["centra_sandbox"] is True
    assert loaded["ip_sandbox"] is True
    assert loaded["ip_url"] == "https://app.inventory-planner.com/api/v1"


def test_database_url_redis_url_and_credentials_are_read_from_the_environment():
    import json

    result = load_settings(
        **PRODUCTION,
        DATABASE_URL="postgres://hub:pw@db.internal:5432/hub",
        REDIS_URL="redis://cache.internal:6379/2",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["name"] == "hub"
    assert loaded["q"]["redis"] == "redis://cache.internal:6379/2"
    assert "orm" not in loaded["q"]
    assert loaded["hosts"] == ["hub.example.com"]
    assert loaded["centra_sandbox"] is False
    assert loaded["ip_sandbox"] is False


def test_check_deploy_is_clean_with_production_settings():
    result = run_python(
        "import django, sys; django.setup();"
        "from django.core.management import call_command;"
        "call_command('check', deploy=True, fail_level='WARNING')",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_check_deploy_warns_when_production_still_uses_the_sandbox():
    env = {k: v for k, v in PRODUCTION.items() if not k.startswith(("CENTRA", "INVENTORY"))}
    result = run_python(
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('check', deploy=True)",
        **env,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "centra_ip.W001" in output
    assert "centra_ip.W002" in output


def test_the_task_queue_uses_redis_when_redis_url_is_set():
    result = run_python(
        "import django; django.setup();"
        "from django_q.brokers import get_broker; broker = get_broker();"
        "print(type(broker).__name__, broker.ping())",
        DEBUG="true",
        REDIS_URL="redis://127.0.0.1:6379/15",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Redis", "True"]


def test_the_task_queue_uses_the_orm_broker_by_default():
    result = run_python(
        "import django; django.setup();"
        "from django_q.brokers import get_broker; print(type(get_broker()).__name__)",
        DEBUG="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ORM"

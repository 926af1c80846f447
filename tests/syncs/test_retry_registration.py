"""Every retry action a type declares resolves in a fresh process (the web's included)."""

import os
import subprocess
import sys
from pathlib import Path

from exceptions.registry import TYPES

ROOT = Path(__file__).resolve().parents[2]
RETRYABLE = (
    "sku_missing_in_ip",
    "sku_missing_in_centra",
    "orphaned_order",
    "cancellation_not_released",
    "stock_push_rejected",
    "stock_in_failed",
    "stock_drift",
    "push_held",
    "api_timeout",
    "api_unavailable",
    "api_auth_failure",
    "api_bad_payload",
    "stream_late",
    "sync_failed",
)


def test_exactly_these_types_declare_a_retry_action():
    assert sorted(t.code for t in TYPES if t.retry) == sorted(RETRYABLE)


def test_a_type_offers_a_retry_label_only_with_a_retry_action():
    assert [t.code for t in TYPES if t.retry_label and not t.retry] == []


def test_a_fresh_process_knows_every_retry_action():
    code = (
        "import django; django.setup();"
        "from exceptions import registry;"
        f"print(','.join(c for c in {RETRYABLE!r} if registry.retry_action(c) is None))"
    )
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "centra_ip.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""  # no retryable type without its action

"""What both connectors share: the error classes, the retry policy and ``Retry-After``.

Each client (``syncs.connectors.centra``, ``syncs.connectors.inventory_planner``) wraps one
``httpx.Client`` and uses these pieces, so "what is retryable" and "how long to wait" are
decided in one place. Time is injected (``Clock``) so tests never sleep for real.
"""

import email.utils
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx


class ConnectorError(Exception):
    """A call to an external system failed. ``retryable`` says whether trying again may help.

    ``message`` is for humans and ends up on tickets: it must never contain a token, a
    password or an Authorization header.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        system: str,
        operation: str,
        status_code: int | None = None,
        retry_after: float | None = None,
        details: object = None,
    ):
        super().__init__(message)
        self.message = message
        self.system = system
        self.operation = operation
        self.status_code = status_code
        self.retry_after = retry_after
        self.details = details

    def __str__(self):
        code = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{self.system} {self.operation}{code}: {self.message}"


class RetryableError(ConnectorError):
    """Timeouts, connection errors, 429 and 5xx: the same call may succeed later."""

    retryable = True


class ThrottledError(RetryableError):
    """HTTP 429 (or a throttling error in the body); ``retry_after`` is how long to wait."""


class PermanentError(ConnectorError):
    """The call is wrong or not allowed; retrying the same call cannot help."""


class AuthError(PermanentError):
    """Bad, expired or missing credentials, or missing permission."""


class BadPayloadError(PermanentError):
    """The answer could not be understood (not JSON, missing fields, wrong types)."""


class ClosingClient:
    """Closes the client's ``httpx.Client`` (``self._http``) on ``close()`` or ``with`` exit."""

    _http: "httpx.Client"

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Clock:
    """Real time. Tests pass a fake with the same two methods."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a retryable error.

    The delay before attempt n (n = 1 for the first retry) is a random value in
    [0, min(max_delay, base_delay * 2**(n-1))] ("full jitter"), but never less than the
    server's ``Retry-After`` when it sent one, and never more than ``max_retry_after``.
    """

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0

    def delay(
        self,
        retry_number: int,
        *,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        jittered = (rng or random).uniform(0, ceiling)
        if retry_after is not None:
            return min(max(jittered, retry_after), self.max_retry_after)
        return jittered


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None when absent or unreadable.

    Centra documents the header on 429 but not its format (UNCONFIRMED), so all three
    forms in the wild are accepted: delta-seconds ("7", "2.5"), an HTTP-date, and a Unix
    epoch timestamp (a number too large to be a delay). Past times give 0.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    now = now or datetime.now(UTC)
    try:
        number = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    if number < 0:
        return None
    if number > 1_000_000_000:  # an epoch timestamp, not a delay of 31 years
        return max(0.0, number - now.timestamp())
    return number

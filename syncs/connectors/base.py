"""What every connector shares: the error classes, the retry policy and ``Retry-After``.

Each client (``syncs.connectors.centra``, ``.inventory_planner``, ``.wms``) wraps one
``httpx.Client`` and uses these pieces, so "what is retryable" and "how long to wait" are
decided in one place. Time is injected (``Clock``) so tests never sleep for real.
"""

import email.utils
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from syncs.connectors.recording import AttemptTally

T = TypeVar("T")


class ConnectorError(Exception):
    """A call to an external system failed. ``retryable`` says whether trying again may help.

    ``message`` is for humans and ends up on tickets: it must never contain a token, a
    password or an Authorization header.

    ``may_have_acted`` is False only when the server certainly did nothing with the
    request (it was never sent, or was refused with 429): only then may a call that is not
    idempotent be sent again (see ``call_with_retries``).
    """

    retryable = False
    may_have_acted = True

    def __init__(
        self,
        message: str,
        *,
        system: str,
        operation: str,
        status_code: int | None = None,
        retry_after: float | None = None,
        details: object = None,
        may_have_acted: bool | None = None,
    ):
        super().__init__(message)
        self.message = message
        if may_have_acted is not None:
            self.may_have_acted = may_have_acted
        self.retries = 0  # how often the call was retried before this error was final
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
    """HTTP 429 (or a throttling error in the body); ``retry_after`` is how long to wait.
    The server refused the request without acting on it."""

    may_have_acted = False


class PermanentError(ConnectorError):
    """The call is wrong or not allowed; retrying the same call cannot help."""


class AuthError(PermanentError):
    """Bad, expired or missing credentials, or missing permission."""


class BadPayloadError(PermanentError):
    """The answer could not be understood (not JSON, missing fields, wrong types)."""


@contextmanager
def transport_errors(*, system: str, operation: str) -> Iterator[None]:
    """An httpx failure as the retryable error every client raises: a timeout or a broken
    connection. ``may_have_acted`` is False only when the connection was never made, so
    the request certainly never reached the server: what lets ``call_with_retries`` send a
    non-idempotent call again."""
    try:
        yield
    except httpx.TimeoutException as error:
        raise RetryableError(
            f"timed out ({type(error).__name__})",
            system=system,
            operation=operation,
            may_have_acted=not isinstance(error, httpx.ConnectTimeout),
        ) from None
    except httpx.TransportError as error:
        raise RetryableError(
            f"connection failed ({type(error).__name__})",
            system=system,
            operation=operation,
            may_have_acted=not isinstance(error, httpx.ConnectError),
        ) from None


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


def call_with_retries(
    attempt: Callable[[], T],
    *,
    policy: RetryPolicy,
    clock: Clock,
    idempotent: bool = True,
    rng: random.Random | None = None,
    tally: AttemptTally | None = None,
) -> tuple[T, int]:
    """Run ``attempt`` until it returns; the one retry loop of every connector.

    A retryable ``ConnectorError`` is tried again after ``policy.delay`` (never before the
    server's ``Retry-After``), up to ``policy.max_retries`` times. A call that is not
    idempotent (a relative ``changeStock``, an IP purchase-order creation) is sent again
    only when the server cannot have acted on it (``may_have_acted`` False: never sent, or
    refused with 429); after a read timeout or a 5xx it fails at once, and the caller must
    find out what happened before sending anything again. Returns ``(result, retries)``;
    the final error carries ``retries`` too. ``tally`` counts the throttled attempts and
    the longest wait, for the call's record.
    """
    tally = tally or AttemptTally()
    retries = 0
    while True:
        try:
            return attempt(), retries
        except ConnectorError as error:
            throttled = isinstance(error, ThrottledError)
            resend = idempotent or not error.may_have_acted
            if error.retryable and resend and retries < policy.max_retries:
                retries += 1
                delay = policy.delay(retries, retry_after=error.retry_after, rng=rng)
                clock.sleep(tally.note(throttled=throttled, wait=delay))
                continue
            tally.note(throttled=throttled)
            error.retries = retries
            raise


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None when absent or unreadable.

    Centra documents the header on 429 as "a timestamp" without its format (UNCONFIRMED),
    so every form in the wild is accepted: delta-seconds ("7", "2.5"), an HTTP-date, a Unix
    epoch in seconds or milliseconds, ISO 8601 ("2026-12-03T07:04:51+00:00", fractions and
    "Z" allowed) and PHP's ``Y-m-d H:i:s`` ("2026-12-03 07:04:51"). A time without a zone is
    taken as UTC. Past times give 0.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    now = now or datetime.now(UTC)
    try:
        number = float(text)
    except ValueError:
        when = _retry_at(text)
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    if number < 0:
        return None
    if number > 100_000_000_000:  # an epoch in milliseconds
        return max(0.0, number / 1000 - now.timestamp())
    if number > 1_000_000_000:  # an epoch timestamp, not a delay of 31 years
        return max(0.0, number - now.timestamp())
    return number


def _retry_at(text: str) -> datetime | None:
    """A ``Retry-After`` time: ISO 8601 / ``Y-m-d H:i:s``, else an HTTP-date, else None."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None

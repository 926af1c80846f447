"""The one retry loop both connectors use: what is sent again, and when."""

import pytest

from syncs.connectors.base import (
    PermanentError,
    RetryableError,
    RetryPolicy,
    ThrottledError,
    call_with_retries,
)
from tests.clocks import FakeClock


def failing(*errors, result="done"):
    """An attempt that raises ``errors`` one per call, then returns ``result``."""
    calls = []

    def attempt():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return attempt, calls


def read_timeout():
    return RetryableError("timed out (ReadTimeout)", system="s", operation="o")


def never_connected():
    return RetryableError("connection failed", system="s", operation="o", may_have_acted=False)


def throttled(after=3.0):
    return ThrottledError("throttled", system="s", operation="o", retry_after=after)


def test_an_idempotent_call_is_retried_after_any_retryable_error():
    clock = FakeClock()
    attempt, calls = failing(read_timeout(), throttled(), never_connected())
    assert call_with_retries(attempt, policy=RetryPolicy(), clock=clock) == ("done", 3)
    assert len(calls) == 4
    assert clock.sleeps[1] == 3.0  # never before Retry-After


@pytest.mark.parametrize(
    "error",
    [
        read_timeout(),
        RetryableError("Centra server error", system="s", operation="o", status_code=502),
    ],
    ids=["read-timeout", "5xx"],
)
def test_a_call_that_is_not_idempotent_is_not_resent_once_it_may_have_acted(error):
    clock = FakeClock()
    attempt, calls = failing(error)
    with pytest.raises(RetryableError) as caught:
        call_with_retries(attempt, policy=RetryPolicy(), clock=clock, idempotent=False)
    assert len(calls) == 1 and clock.sleeps == []
    assert caught.value.retries == 0


def test_a_call_that_is_not_idempotent_is_resent_when_the_server_did_nothing():
    clock = FakeClock()
    attempt, calls = failing(never_connected(), throttled(2.0))
    result = call_with_retries(attempt, policy=RetryPolicy(), clock=clock, idempotent=False)
    assert result == ("done", 2) and len(calls) == 3


def test_permanent_errors_and_exhausted_retries_raise_with_the_retry_count():
    clock = FakeClock()
    attempt, calls = failing(PermanentError("no", system="s", operation="o"))
    with pytest.raises(PermanentError):
        call_with_retries(attempt, policy=RetryPolicy(), clock=clock)
    assert len(calls) == 1

    attempt, calls = failing(*[throttled(1.0)] * 5)
    with pytest.raises(ThrottledError) as caught:
        call_with_retries(attempt, policy=RetryPolicy(max_retries=2), clock=clock)
    assert (len(calls), caught.value.retries) == (3, 2)

"""Failed sign-ins and feed logins: slowed, then refused for a while.

Each failure is counted per key (the username, the client address) in Django's cache.
From ``slow_after`` failures on, the next attempt on that key must wait, twice as long
after each further failure (1 s, 2 s, 4 s ... up to a minute); an attempt that comes
sooner is refused without checking the password, so guessing gets slow without a worker
ever sleeping. At ``lock_after`` failures the key is refused outright for ``lock_seconds``.
A success clears the username's count, never the address's (one good account must not
reset an address that guesses others). Failures are forgotten ``window_seconds`` after
the last one. See docs/operations.md ("Sign-in and feed rate limits").

The cache is shared by every web process when ``REDIS_URL`` is set and by the processes of
one machine otherwise (a file cache in the data folder): settings.CACHES.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    name: str
    slow_after: int
    lock_after: int
    lock_seconds: int
    window_seconds: int
    slowest_seconds: int = 60


LOGIN = Policy("login", slow_after=3, lock_after=10, lock_seconds=900, window_seconds=3600)
FEED = Policy("feed", slow_after=5, lock_after=20, lock_seconds=900, window_seconds=3600)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or with ``TRUSTED_PROXIES`` = n > 0 the n-th
    address from the right of X-Forwarded-For (what the last trusted proxy saw). Left of
    that the header is the client's own words and could name anyone."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies][:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def _key(policy: Policy, kind: str, value: str) -> str:
    # Hashed: a username may hold anything, and cache keys must be short and plain.
    digest = hashlib.sha256(value.casefold().encode("utf-8", "replace")).hexdigest()[:32]
    return f"ratelimit:{policy.name}:{kind}:{digest}"


def keys_for(policy: Policy, *, address: str, username: str | None = None) -> list[str]:
    keys = [_key(policy, "address", address)]
    if username is not None:
        keys.append(_key(policy, "user", username))
    return keys


def _wait(policy: Policy, state: dict, now: float) -> int:
    if state.get("locked_until", 0) > now:
        return int(state["locked_until"] - now) + 1
    failures = state.get("failures", 0)
    if failures < policy.slow_after:
        return 0
    delay = min(2 ** (failures - policy.slow_after), policy.slowest_seconds)
    remaining = state.get("last", 0) + delay - now
    return int(remaining) + 1 if remaining > 0 else 0


def _states(keys: list[str]) -> dict:
    """The keys' counts; {} when the cache cannot be read. The limit then fails open (a
    cache outage must not lock everyone out), and says so in the log."""
    try:
        return cache.get_many(keys)
    except Exception:  # any backend's error: Redis down, a read-only cache folder
        logger.warning("rate limit cache unavailable; not limiting", exc_info=True)
        return {}


def wait_seconds(policy: Policy, keys: list[str]) -> int:
    """Seconds until an attempt on these keys is allowed again; 0: allowed now."""
    now = time.time()
    return max((_wait(policy, state, now) for state in _states(keys).values()), default=0)


def failure_record(policy: Policy, keys: list[str]) -> None:
    now = time.time()
    states = _states(keys)
    updated = {}
    for key in keys:
        state = states.get(key, {})
        failures = state.get("failures", 0) + 1
        state = {"failures": failures, "last": now, "locked_until": state.get("locked_until", 0)}
        if failures >= policy.lock_after:
            state["locked_until"] = now + policy.lock_seconds
        updated[key] = state
    try:
        cache.set_many(updated, timeout=max(policy.window_seconds, policy.lock_seconds))
    except Exception:
        logger.warning("rate limit cache unavailable; failure not counted", exc_info=True)


def success_record(policy: Policy, *, username: str) -> None:
    try:
        cache.delete(_key(policy, "user", username))
    except Exception:
        logger.warning("rate limit cache unavailable; count not cleared", exc_info=True)


def refusal_text(wait: int) -> str:
    """What a refused person reads: why, and when to try again."""
    if wait > 90:
        when = f"in {round(wait / 60)} minutes"
    else:
        when = f"in {wait} second{'s' if wait != 1 else ''}"
    return f"Too many failed attempts for this user or from this address: try again {when}."

"""Fault injection shared by both twins: latency, timeouts, 5xx, 429 storms, bad payloads.

A twin holds one ``FaultPlan`` and calls ``plan.before(request)`` first thing in
``handle``: it may sleep, raise ``httpx.ReadTimeout`` (what a client sees when the
server never answers), or return an error response that replaces the real one. After
building a good JSON response the twin calls ``plan.after(response)`` which may corrupt
it (malformed JSON) or cut it (a partial page: the twin decides how, via ``truncate``).
Rates are probabilities in [0, 1] drawn from a seeded RNG, so tests are deterministic;
``fail_next`` forces the next N requests to fail whatever the rates say.
"""

import json
import random
import threading
import time
from dataclasses import dataclass, field, fields

import httpx

FAULT_KINDS = ("timeout", "server_error", "throttle", "malformed", "partial")


@dataclass
class FaultPlan:
    latency_ms: int = 0
    timeout_rate: float = 0.0
    server_error_rate: float = 0.0
    throttle_rate: float = 0.0
    # Every Nth request is answered 429 (0: never): steady throttling that retries absorb.
    throttle_every: int = 0
    # While > 0, every request is answered 429 with this Retry-After (a "429 storm").
    throttle_storm_seconds: float = 0.0
    retry_after_seconds: float = 2.0
    malformed_rate: float = 0.0
    partial_rate: float = 0.0
    # The twin answers every call as its API answers an expired or revoked token.
    expired_token: bool = False
    # Force the next N requests to fail with this kind (one of FAULT_KINDS).
    fail_next: int = 0
    fail_next_kind: str = "server_error"
    seed: int = 0
    _rng: random.Random = field(default=None, repr=False, compare=False)
    _storm_until: float = field(default=0.0, repr=False, compare=False)
    _pending: str | None = field(default=None, repr=False, compare=False)
    _requests: int = field(default=0, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self):
        self._rng = random.Random(self.seed)

    # -- configuration -----------------------------------------------------------------
    def update(self, **changes) -> None:
        """Change settings at runtime (control page, tests). Unknown names are an error."""
        allowed = {f.name for f in fields(self) if not f.name.startswith("_")}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        if changes.get("fail_next_kind", self.fail_next_kind) not in FAULT_KINDS:
            raise ValueError(f"fail_next_kind must be one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, _coerce(getattr(self, name), value))
            if "seed" in changes:
                self._rng = random.Random(self.seed)
            if "throttle_storm_seconds" in changes:
                self._storm_until = time.monotonic() + self.throttle_storm_seconds

    def reset(self) -> None:
        self.update(**{f.name: f.default for f in fields(self) if not f.name.startswith("_")})

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    # -- applying ----------------------------------------------------------------------
    def _draw(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def _forced(self) -> str | None:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.fail_next_kind
        return None

    def before(self, request: httpx.Request) -> httpx.Response | None:
        """Apply request-time faults; None means "go on and answer normally"."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        forced = self._forced()
        if forced == "timeout" or (forced is None and self._draw(self.timeout_rate)):
            raise httpx.ReadTimeout("sandbox: injected timeout", request=request)
        storm = time.monotonic() < self._storm_until or (forced is None and self._nth_throttled())
        if forced == "throttle" or storm or (forced is None and self._draw(self.throttle_rate)):
            return self.throttled_response()
        if forced == "server_error" or (forced is None and self._draw(self.server_error_rate)):
            return httpx.Response(503, text="Service Unavailable (sandbox: injected)")
        if forced in ("malformed", "partial"):
            self._pending = forced
        return None

    def _nth_throttled(self) -> bool:
        with self._lock:
            self._requests += 1
            return self.throttle_every > 0 and self._requests % self.throttle_every == 0

    def throttled_response(self) -> httpx.Response:
        return httpx.Response(
            429,
            headers={"Retry-After": f"{self.retry_after_seconds:g}"},
            json={"errors": [{"message": "Too many requests"}]},
        )

    def corrupt(self) -> str | None:
        """After a good answer: "malformed", "partial" or None, as the plan says."""
        pending = self._pending
        if pending:
            self._pending = None
            return pending
        if self._draw(self.malformed_rate):
            return "malformed"
        if self._draw(self.partial_rate):
            return "partial"
        return None


def _coerce(current, value):
    """Give ``value`` the type of ``current``; form posts send "false" for a bool."""
    if isinstance(current, bool) and isinstance(value, str):
        if value.strip().lower() not in ("true", "false", "1", "0", "on", "off", ""):
            raise ValueError(f"not a yes/no value: {value!r}")
        return value.strip().lower() in ("true", "1", "on")
    return type(current)(value)


def malformed_response(status_code: int = 200) -> httpx.Response:
    """A body that starts like JSON and is cut mid-way, as a dropped connection leaves it."""
    body = json.dumps({"data": {"truncated": True}})[:-7]
    return httpx.Response(status_code, text=body, headers={"Content-Type": "application/json"})

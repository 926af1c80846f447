"""Client-side pacing that keeps us inside Centra's token buckets instead of running into 429s.

Centra throttles per environment with six token buckets: (requests, mutations, complexity
points) x (10 s, 1 h), each refilling continuously [RL]. A bucket here has the same shape:
``capacity`` tokens that refill at ``capacity / window`` per second. The client asks the
``Pacer`` before each request; the pacer sleeps (through the injected ``Clock``) until every
bucket that the request draws on has enough tokens, then takes them. Complexity is only known
after the answer (``extensions.complexity``), so the pacer takes an estimate up front and
settles the difference afterwards; a bucket may go into debt, which delays the next request.

The same ``TokenBucket`` is used by the sandbox twin to decide when to answer 429, so the
client's arithmetic and the twin's are the same arithmetic.
"""

import threading
from dataclasses import dataclass

# A few milliseconds more than the exact refill time, so that the server (which measures
# time a little later than we do) never sees a bucket a hair short of a whole token.
PACING_MARGIN_SECONDS = 0.005


class TokenBucket:
    """``capacity`` tokens refilled continuously over ``window`` seconds; starts full."""

    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, capacity: float, window: float, *, now: float):
        self.capacity = float(capacity)
        self.rate = self.capacity / window
        self.tokens = self.capacity
        self.updated = now

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def wait_for(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` tokens are there (0 if they are). ``amount`` is capped
        at the capacity: a request bigger than the bucket waits for a full bucket."""
        self.refill(now)
        need = min(amount, self.capacity) - self.tokens
        return 0.0 if need <= 0 else need / self.rate

    def take(self, amount: float, now: float) -> None:
        self.refill(now)
        self.tokens -= amount

    def used(self, now: float) -> float:
        self.refill(now)
        return self.capacity - self.tokens


@dataclass(frozen=True)
class CentraLimits:
    """Bucket sizes per environment. Defaults: the Growth plan, new.centra.dev's default.

    Centra shares these buckets between every integration on the environment, so
    ``share`` lets this client use only part of each (e.g. 0.5 when another integration
    writes stock too). ``CentraLimits.unlimited()`` is for benchmarks against a twin with
    throttling off.
    """

    requests_10s: int = 60
    requests_1h: int = 5_000
    mutations_10s: int = 20
    mutations_1h: int = 1_800
    complexity_10s: int = 250_000
    complexity_1h: int = 30_000_000
    share: float = 1.0

    @classmethod
    def unlimited(cls) -> "CentraLimits":
        big = 10**12
        return cls(big, big, big, big, big, big)

    def buckets(self) -> dict[tuple[str, int], float]:
        """{(type, window seconds): capacity} using Centra's ``rateLimits`` type names."""
        return {
            ("REQUEST_COUNT", 10): self.requests_10s * self.share,
            ("REQUEST_COUNT", 3600): self.requests_1h * self.share,
            ("MUTATION_COUNT", 10): self.mutations_10s * self.share,
            ("MUTATION_COUNT", 3600): self.mutations_1h * self.share,
            ("QUERY_COMPLEXITY", 10): self.complexity_10s * self.share,
            ("QUERY_COMPLEXITY", 3600): self.complexity_1h * self.share,
        }


class Pacer:
    """Six buckets and the waiting. Thread-safe: one pacer may serve several threads."""

    def __init__(self, limits: CentraLimits, clock):
        self.clock = clock
        self.share = limits.share
        now = clock.monotonic()
        self.buckets = {
            key: TokenBucket(capacity, key[1], now=now)
            for key, capacity in limits.buckets().items()
        }
        self._lock = threading.Lock()

    def _costs(self, *, mutation: bool, complexity: float) -> dict[str, float]:
        return {
            "REQUEST_COUNT": 1,
            "MUTATION_COUNT": 1 if mutation else 0,
            "QUERY_COMPLEXITY": complexity,
        }

    def acquire(self, *, mutation: bool, complexity: float = 0.0) -> float:
        """Wait until the request fits every bucket, take its tokens; returns seconds waited."""
        costs = self._costs(mutation=mutation, complexity=complexity)
        waited = 0.0
        with self._lock:
            while True:
                now = self.clock.monotonic()
                wait = max(
                    bucket.wait_for(costs[kind], now)
                    for (kind, _), bucket in self.buckets.items()
                    if costs[kind]
                )
                if wait <= 0:
                    break
                wait += PACING_MARGIN_SECONDS
                self.clock.sleep(wait)
                waited += wait
            for (kind, _), bucket in self.buckets.items():
                if costs[kind]:
                    bucket.take(costs[kind], now)
        return waited

    def settle_complexity(self, extra: float) -> None:
        """Charge (or refund, when negative) the difference between actual and estimate."""
        if not extra:
            return
        with self._lock:
            now = self.clock.monotonic()
            for (kind, _), bucket in self.buckets.items():
                if kind == "QUERY_COMPLEXITY":
                    bucket.take(extra, now)

    def resize(self, kind: str, window: int, quota: float) -> None:
        """Size a bucket to Centra's own quota (times ``share``): the plan's real figure
        replaces the Growth-plan default. Tokens never exceed the new capacity."""
        with self._lock:
            bucket = self.buckets.get((kind, window))
            if bucket is None or quota <= 0:
                return
            bucket.refill(self.clock.monotonic())
            bucket.capacity = float(quota) * self.share
            bucket.rate = bucket.capacity / window
            bucket.tokens = min(bucket.tokens, bucket.capacity)

    def observe_remaining(self, kind: str, window: int, remaining: float) -> None:
        """Lower a bucket to what Centra says is left (other integrations share the quota)."""
        with self._lock:
            bucket = self.buckets.get((kind, window))
            if bucket is None:
                return
            bucket.refill(self.clock.monotonic())
            bucket.tokens = min(bucket.tokens, remaining)

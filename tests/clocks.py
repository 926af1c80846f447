"""The fake monotonic clock the connectors and twins take (``syncs.connectors.base.Clock``)."""


class FakeClock:
    """Monotonic time that moves only when someone sleeps (or a test moves ``now``); records
    every sleep."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

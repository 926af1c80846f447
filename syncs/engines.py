"""What an engine hands back to the runner. Which engine runs a stream is declared on the
stream (``syncs.streams.STREAMS``)."""

from dataclasses import dataclass, field


@dataclass
class EngineResult:
    summary: str
    counts: dict = field(default_factory=dict)
    held: bool = False  # the guard held the push: not a failure, not a success

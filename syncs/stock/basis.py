"""What a position's ATS was computed under, so a cycle that reads the same inputs can keep
the stored ATS instead of computing it again (docs/stock-engine.md "Keeping an unchanged
ATS").

ATS is a pure function of a position's inputs (stored on the position and compared every
cycle), its status-ledger quantities, the rule book and the formula's code. The *basis*
names the last three: a digest of the formula's source (``ats.py``: a deployed change of
the formula recomputes everything), of every safety-stock rule, allocation and status
(code, name, sellable), and, for a position with ledger balances, of those balances. It is
stored with the position (``StockPosition.ats_basis``) by every writer in the same row
write as the ATS, so it cannot describe another computation than the stored one.

Fail closed: a blank basis is never matched, and a position whose on-hand sum is not a
whole number gets a blank one, because the stored on hand is truncated and would not tell
a later read of the same stored figure from the unrounded one the formula used.
"""

import hashlib
from pathlib import Path

from syncs.stock import ats
from syncs.stock.ats import RuleBook

NEVER = ""  # the basis of an ATS that must be computed again at the next read
_FORMULA = hashlib.blake2b(Path(ats.__file__).read_bytes()).hexdigest()  # once per process


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def book_basis(book: RuleBook) -> str:
    """The formula's source and the whole rule book, in a stable order."""
    return _digest(
        _FORMULA,
        sorted(book.nonsellable),
        sorted(book.status_names.items()),
        sorted(book.safety.items()),
        sorted((channel, sorted(rules.items())) for channel, rules in book.allocations.items()),
    )


def position_basis(book_digest: str, statuses: dict[str, int], on_hand: float) -> str:
    """One position's basis: the book's, with its ledger balances when it has any.
    ``on_hand``: the unrounded sum of IP's warehouses (a float)."""
    if not on_hand.is_integer():
        return NEVER
    if not statuses:
        return book_digest
    return _digest(book_digest, sorted(statuses.items()))

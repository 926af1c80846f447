"""Cutting a list or a stream into lists of at most ``size`` items.

One helper for every engine: SQL ``IN`` lists, API reads by id, and order pages all need
bounded chunks, and three hand-written copies had drifted apart (one took only lists).
"""

from collections.abc import Iterable, Iterator
from itertools import islice


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Successive lists of ``size`` items (the last may be shorter); lazy on iterators."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk

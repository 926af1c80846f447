"""Pausing Python's cyclic garbage collector while an engine builds many objects.

A stock cycle of 100,000 SKUs makes some million short-lived objects (IP variants, their
warehouse blocks, positions, ATS terms, push lines), and a catalog or order run as many.
None of them form reference cycles, so reference counting frees them; but each 700 new
objects start a collection, and as the heap grows the collector walks every live object
again and again. Measured (``bench/bench_stock_push.py`` on PostgreSQL, the loaded 2-core
machine): the collector took 7.6 s of a full cycle and 8.7 s of a 19.5 s no-change cycle.
The collector is paused for the engine's call and resumed after it, so what cycles the
call did make are collected then, at the next collection.
"""

import gc
from contextlib import contextmanager
from functools import wraps


@contextmanager
def collector_paused():
    """The cyclic collector off inside, restored after (nested uses leave it off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def without_collector(function):
    """Decorate an engine step that builds a heap of short-lived objects."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        with collector_paused():
            return function(*args, **kwargs)

    return wrapper

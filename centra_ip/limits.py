"""Upper bounds for numbers and sizes that come from people or files.

A value past these is refused with a clear message at the edge (form, upload, URL), never
left to the database: SQLite raises OverflowError past 2**63 and PostgreSQL's integer
columns stop at 2**31 - 1, and either would be a 500.
"""

INT32_MAX = 2_147_483_647  # PostgreSQL ``integer``: the widest most of our counts may be
UNITS_MAX = 1_000_000  # units of one SKU in one count, balance or receipt: more is a typo
TEXT_FIELD_MAX = 131_072 // 2  # one CSV field; the csv module itself refuses past 131 072
PER_PAGE_MAX = 500  # rows on one page of a list (?per_page=)
YEAR_MIN, YEAR_MAX = 2000, 2100  # dates typed into URLs: anything else is not a real day


def out_of_range(instance, bounds: dict[str, tuple]) -> dict[str, str]:
    """Field errors for values outside ``{field: (low, high)}`` (None = unbounded), for a
    model's ``clean()``: bounds that keep a saved setting from breaking a page or a task,
    checked without a schema migration."""
    errors = {}
    for name, (low, high) in bounds.items():
        value = getattr(instance, name)
        if value is None:
            continue
        if low is not None and value < low:
            errors[name] = f"Must be at least {low}."
        elif high is not None and value > high:
            errors[name] = f"Must be at most {high:,}."
    return errors

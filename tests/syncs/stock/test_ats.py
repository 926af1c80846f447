"""The ATS formula, table-driven: every rule kind, precedence, rounding, bad inputs."""

import pytest

from syncs.stock.ats import (
    CATEGORY,
    DAYS_OF_COVER,
    GLOBAL,
    PERCENT,
    PRODUCT,
    SKU,
    UNITS,
    WAREHOUSE,
    AtsInput,
    Rule,
    RuleBook,
    ats_compute,
)


def book(safety=(), allocations=(), nonsellable=("in_qc", "reserved")):
    by_channel = {}
    for rule in allocations:
        by_channel.setdefault(rule.channel, {})[(rule.scope, rule.key)] = rule
    return RuleBook(
        nonsellable=frozenset(nonsellable),
        status_names={"in_qc": "In QC", "reserved": "Reserved", "display": "Display"},
        safety={(r.scope, r.key): r for r in safety},
        allocations=by_channel,
    )


def item(**overrides):
    values = dict(
        sku="TEE-1-M",
        warehouse="1",
        on_hand=20,
        product="TEE-1",
        category="tops",
        minimum_stock=None,
        velocity=None,
        statuses={},
    )
    values.update(overrides)
    return AtsInput(**values)


ALL_LEVELS = (
    Rule(SKU, "TEE-1-M", UNITS, 1),
    Rule(PRODUCT, "TEE-1", UNITS, 2),
    Rule(CATEGORY, "tops", UNITS, 3),
    Rule(WAREHOUSE, "1", UNITS, 4),
    Rule(GLOBAL, "", UNITS, 5),
)

CASES = [
    # (id, input overrides, book kwargs, expected ATS, expected safety source)
    ("no rules, no IP minimum", {}, {}, 20, "no rule and no IP minimum_stock"),
    ("IP minimum_stock is the default", {"minimum_stock": 3}, {}, 17, "IP minimum_stock"),
    ("IP minimum rounds up", {"minimum_stock": 2.2}, {}, 17, "IP minimum_stock"),
    ("units", {}, {"safety": [Rule(GLOBAL, "", UNITS, 4)]}, 16, "global rule: 4 units"),
    ("fractional units round up", {}, {"safety": [Rule(GLOBAL, "", UNITS, 1.5)]}, 18, None),
    ("percent of on hand", {}, {"safety": [Rule(GLOBAL, "", PERCENT, 10)]}, 18, None),
    ("percent rounds up", {"on_hand": 21}, {"safety": [Rule(GLOBAL, "", PERCENT, 10)]}, 18, None),
    (
        "7% of 100 is 7, not 8",
        {"on_hand": 100},
        {"safety": [Rule(GLOBAL, "", PERCENT, 7)]},
        93,
        None,
    ),
    (
        "days of cover x velocity",
        {"velocity": 1.5},
        {"safety": [Rule(GLOBAL, "", DAYS_OF_COVER, 3)]},
        15,
        None,
    ),
    (
        "days of cover without velocity holds nothing",
        {"velocity": None},
        {"safety": [Rule(GLOBAL, "", DAYS_OF_COVER, 3)]},
        20,
        None,
    ),
    (
        "a rule beats IP minimum",
        {"minimum_stock": 9},
        {"safety": [Rule(GLOBAL, "", UNITS, 1)]},
        19,
        "global rule: 1 units",
    ),
    ("SKU beats all", {}, {"safety": ALL_LEVELS}, 19, "sku TEE-1-M rule: 1 units"),
    ("product beats category", {}, {"safety": ALL_LEVELS[1:]}, 18, "product TEE-1 rule: 2 units"),
    ("category beats warehouse", {}, {"safety": ALL_LEVELS[2:]}, 17, "category tops rule: 3 units"),
    ("warehouse beats global", {}, {"safety": ALL_LEVELS[3:]}, 16, "warehouse 1 rule: 4 units"),
    (
        "other warehouse's rule does not apply",
        {"warehouse": "2"},
        {"safety": ALL_LEVELS[3:]},
        15,
        "global rule: 5 units",
    ),
    (
        "empty product never matches a blank-key rule",
        {"product": "", "category": ""},
        {"safety": [Rule(PRODUCT, "", UNITS, 7), Rule(GLOBAL, "", UNITS, 1)]},
        19,
        None,
    ),
    ("non-sellable statuses subtract", {"statuses": {"in_qc": 2, "reserved": 3}}, {}, 15, None),
    ("sellable statuses do not", {"statuses": {"display": 4}}, {}, 20, None),
    ("negative status counts as zero", {"statuses": {"in_qc": -5}}, {}, 20, None),
    ("allocation units", {}, {"allocations": [Rule(GLOBAL, "", UNITS, 4, "wholesale")]}, 16, None),
    (
        "allocation percent rounds up",
        {"on_hand": 21},
        {"allocations": [Rule(GLOBAL, "", PERCENT, 10, "wholesale")]},
        18,
        None,
    ),
    (
        "per channel the most specific wins",
        {},
        {
            "allocations": [
                Rule(GLOBAL, "", UNITS, 9, "wholesale"),
                Rule(SKU, "TEE-1-M", UNITS, 1, "wholesale"),
            ]
        },
        19,
        None,
    ),
    (
        "channels add up",
        {},
        {
            "allocations": [
                Rule(GLOBAL, "", UNITS, 2, "wholesale"),
                Rule(CATEGORY, "tops", UNITS, 3, "marketplace"),
            ]
        },
        15,
        None,
    ),
    (
        "everything at once",
        {"statuses": {"in_qc": 2}, "minimum_stock": 1},
        {
            "allocations": [Rule(PRODUCT, "TEE-1", PERCENT, 25, "wholesale")],
            "safety": [Rule(SKU, "TEE-1-M", UNITS, 3)],
        },
        10,
        "sku TEE-1-M rule: 3 units",
    ),
    ("never negative", {"on_hand": 3}, {"safety": [Rule(GLOBAL, "", UNITS, 10)]}, 0, None),
    ("negative on hand", {"on_hand": -4}, {}, 0, None),
    (
        "negative on hand with percent",
        {"on_hand": -40},
        {"safety": [Rule(GLOBAL, "", PERCENT, 10)]},
        0,
        None,
    ),
    ("negative IP minimum counts as zero", {"minimum_stock": -3}, {}, 20, None),
    (
        "negative velocity counts as zero",
        {"velocity": -2},
        {"safety": [Rule(GLOBAL, "", DAYS_OF_COVER, 3)]},
        20,
        None,
    ),
    ("negative rule value counts as zero", {}, {"safety": [Rule(GLOBAL, "", UNITS, -3)]}, 20, None),
    ("fractional on hand rounds down", {"on_hand": 4.9}, {}, 4, None),
]


@pytest.mark.parametrize(
    ("overrides", "book_kwargs", "expected", "safety_source"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_ats(overrides, book_kwargs, expected, safety_source):
    result = ats_compute(item(**overrides), book(**book_kwargs))
    assert result.quantity == expected
    assert result.quantity >= 0
    safety = [t for t in result.terms if t.kind == "safety"]
    assert len(safety) == 1
    if safety_source is not None:
        assert safety[0].source == safety_source


def test_explanation_names_every_term_and_adds_up():
    result = ats_compute(
        item(statuses={"in_qc": 2, "display": 1}, minimum_stock=1),
        book(
            allocations=[Rule(PRODUCT, "TEE-1", PERCENT, 25, "wholesale")],
            safety=[Rule(SKU, "TEE-1-M", UNITS, 3)],
        ),
    )
    assert [(t.kind, t.name, t.quantity, t.source) for t in result.terms] == [
        ("status", "In QC", 2, "status ledger"),
        ("allocation", "wholesale", 5, "wholesale product TEE-1 rule: 25 % of on hand"),
        ("safety", "safety stock", 3, "sku TEE-1-M rule: 3 units"),
    ]
    assert result.on_hand - result.held_back == result.quantity == 10

"""Available to sell: the pure formula of docs/stock-engine.md, with its explanation.

    ATS = max(0, on_hand - Σ non-sellable statuses - Σ channel allocations - safety stock)

No database, no I/O: the engine, the what-if preview, the explainer and the benchmark call
the same function with the same ``RuleBook``, so the number shown on screen is the number
pushed. Every term names the rule that produced it.

Rounding and bad inputs, chosen so that a doubt never sells a unit that is not there:
- a negative ``on_hand``, status quantity, minimum stock or velocity counts as 0
  (a negative term would *add* sellable units);
- percentages and days of cover round **up** (ceil) to whole units held back, so ATS
  rounds down; a float product like 100 x 7 % = 7.000000000000001 is not rounded up to 8
  (``_EPSILON``);
- the result is never negative.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

SKU = "sku"
PRODUCT = "product"
CATEGORY = "category"
WAREHOUSE = "warehouse"
GLOBAL = "global"
PRECEDENCE = (SKU, PRODUCT, CATEGORY, WAREHOUSE, GLOBAL)  # most specific first

UNITS = "units"
PERCENT = "percent"
DAYS_OF_COVER = "days_of_cover"

_EPSILON = 1e-9


_AMOUNTS = {UNITS: "units", PERCENT: "% of on hand", DAYS_OF_COVER: "days of cover"}


@dataclass(frozen=True, slots=True)
class Rule:
    scope: str
    key: str
    kind: str
    value: float
    channel: str = ""  # allocations only
    label: str = field(default="", compare=False)  # built once: the explainer shows it

    def __post_init__(self):
        where = "global" if self.scope == GLOBAL else f"{self.scope} {self.key}"
        what = f"{self.value:g} {_AMOUNTS[self.kind]}"
        channel = self.channel + " " if self.channel else ""
        object.__setattr__(self, "label", f"{channel}{where} rule: {what}")


@dataclass
class RuleBook:
    """The configuration the formula needs, indexed for one dict lookup per scope."""

    nonsellable: frozenset[str] = frozenset()
    status_names: Mapping[str, str] = field(default_factory=dict)
    safety: Mapping[tuple[str, str], Rule] = field(default_factory=dict)
    # channel -> (scope, key) -> rule
    allocations: Mapping[str, Mapping[tuple[str, str], Rule]] = field(default_factory=dict)


@dataclass(slots=True)
class AtsInput:
    sku: str
    warehouse: str  # the Centra warehouse id, as text (the key of warehouse rules)
    on_hand: float
    product: str = ""
    category: str = ""
    minimum_stock: float | None = None  # IP's safety stock, the default
    velocity: float | None = None  # IP forecast units per day
    statuses: Mapping[str, int] = field(default_factory=dict)  # status code -> quantity


class Term(NamedTuple):
    """One subtraction, with what produced it (a rule's label, or the source of a figure).

    Named tuples, not frozen dataclasses: 300,000 of each are built per full cycle, and a
    frozen dataclass's ``__init__`` costs several times more."""

    kind: str  # status | allocation | safety
    name: str
    quantity: int
    source: str


class Ats(NamedTuple):
    quantity: int
    on_hand: int
    terms: tuple[Term, ...]

    @property
    def held_back(self) -> int:
        return sum(term.quantity for term in self.terms)


def _up(value: float) -> int:
    return max(0, math.ceil(value - _EPSILON))


def _specific(rules: Mapping[tuple[str, str], Rule], keys: tuple) -> Rule | None:
    """The most specific rule among ``keys`` (ordered as ``PRECEDENCE``)."""
    get = rules.get
    for key in keys:
        rule = get(key)
        if rule is not None:
            return rule
    return None


def _keys(item: AtsInput) -> tuple:
    """Lookup keys most specific first; a blank product or category matches no rule."""
    keys = [(SKU, item.sku)]
    if item.product:
        keys.append((PRODUCT, item.product))
    if item.category:
        keys.append((CATEGORY, item.category))
    keys.append((WAREHOUSE, item.warehouse))
    keys.append((GLOBAL, ""))
    return tuple(keys)


def rule_amount(rule: Rule, *, on_hand: int, velocity: float | None) -> int:
    """Units a rule holds back for this on-hand figure and velocity (never negative)."""
    value = max(0.0, rule.value)
    if rule.kind == UNITS:
        return _up(value)
    if rule.kind == PERCENT:
        return _up(on_hand * value / 100)
    return _up(value * max(0.0, velocity or 0.0))


def ats_compute(item: AtsInput, book: RuleBook) -> Ats:
    on_hand = max(0, math.floor(item.on_hand + _EPSILON))
    terms: list[Term] = []
    for code, quantity in item.statuses.items():
        if code in book.nonsellable and quantity > 0:
            terms.append(
                Term("status", book.status_names.get(code, code), quantity, "status ledger")
            )
    keys = _keys(item)
    for channel, rules in book.allocations.items():
        rule = _specific(rules, keys)
        if rule is not None:
            amount = rule_amount(rule, on_hand=on_hand, velocity=item.velocity)
            terms.append(Term("allocation", channel, amount, rule.label))
    rule = _specific(book.safety, keys)
    if rule is not None:
        safety = Term(
            "safety",
            "safety stock",
            rule_amount(rule, on_hand=on_hand, velocity=item.velocity),
            rule.label,
        )
    else:
        minimum = item.minimum_stock
        safety = Term(
            "safety",
            "safety stock",
            _up(minimum) if minimum else 0,
            "IP minimum_stock" if minimum is not None else "no rule and no IP minimum_stock",
        )
    terms.append(safety)
    held = sum([term.quantity for term in terms])
    return Ats(max(0, on_hand - held), on_hand, tuple(terms))

"""Conditions: what an engine saw (a type and a subject), their fingerprints, and the
scrubbing of what engines store in a ticket's context (no secret ever reaches the desk)."""

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder

from exceptions.registry import (
    ORDER,
    RETURN,
    SKU,
    STREAM,
    WAREHOUSE,
    get_type,
)

logger = logging.getLogger(__name__)

SUBJECT_FIELDS = ("sku", "order_number", "return_id", "stream", "warehouse")

_SUBJECT_FIELD_OF_KIND = {
    SKU: "sku",
    ORDER: "order_number",
    RETURN: "return_id",
    STREAM: "stream",
    WAREHOUSE: "warehouse",
}

MAX_CONTEXT_CHARS = 20_000


# --- Conditions and fingerprints --------------------------------------------------------------


def _clean(value) -> str:
    if not value:
        return ""  # most subject fields of a condition are empty: 5 calls per fingerprint
    return " ".join(str(value).split())


@dataclass
class Condition:
    """One condition an engine saw: a type, a subject and what the engine saw (``context``)."""

    type_code: str
    sku: str = ""
    order_number: str = ""
    return_id: str = ""
    stream: str = ""
    warehouse: str = ""
    context: dict = field(default_factory=dict)
    summary: str = ""

    def __post_init__(self):
        declared = get_type(self.type_code)
        for name in SUBJECT_FIELDS:
            setattr(self, name, _clean(getattr(self, name)))
        required = _SUBJECT_FIELD_OF_KIND[declared.subject]
        if not getattr(self, required):
            raise ValueError(f"A {self.type_code} condition needs its subject field {required!r}")

    @property
    def subject(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in SUBJECT_FIELDS}

    @property
    def fingerprint(self) -> str:
        return fingerprint_for(self.type_code, self.subject)


def fingerprint_for(type_code: str, subject: dict[str, str]) -> str:
    """Type plus the normalised subject (whitespace collapsed, case folded), hashed.

    Case is folded because the same SKU arrives as "abc-1" from one system and "ABC-1" from
    the other; two real SKUs differing only by case would be a catalog problem of its own.
    """
    parts = [type_code] + [
        f"{name}={_clean(subject.get(name)).casefold()}" for name in SUBJECT_FIELDS
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# --- Context scrubbing ------------------------------------------------------------------------

_SECRET_KEY = re.compile(
    r"token|password|passwd|secret|authorization|api[_-]?key|cookie|credential|signature", re.I
)
_BEARER = re.compile(r"(bearer|basic)\s+[A-Za-z0-9._~+/=-]+", re.I)
REDACTED = "[redacted]"


def context_scrub(value):
    """A copy of ``value`` safe to store and show: secret-looking keys and bearer/basic
    credentials inside strings are replaced, anything not JSON-native becomes its text."""
    if isinstance(value, dict):
        return {
            str(key): REDACTED if _SECRET_KEY.search(str(key)) else context_scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set):
        return [context_scrub(item) for item in value]
    if isinstance(value, str):
        return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return context_scrub(json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str)))


def context_store(context: dict) -> dict:
    clean = context_scrub(context or {})
    text = json.dumps(clean, cls=DjangoJSONEncoder)
    if len(text) > MAX_CONTEXT_CHARS:
        return {"truncated": True, "excerpt": text[:MAX_CONTEXT_CHARS]}
    return clean

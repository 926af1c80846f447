"""The hostile values the corpus tries in every field, URL parameter, path argument and upload.

Each is named, so a failure says which kind of input broke which field. Strings go into form
fields and URL parameters; ``FILES`` into every file input; ``BODIES`` replace a whole POST
body (wrong encoding, JSON where a form was expected).
"""

import json

HUGE = str(2**63)  # one past SQLite's and PostgreSQL's bigint

VALUES: dict[str, str] = {
    "empty": "",
    "blank": "   ",
    "negative": "-1",
    "negative-huge": str(-(2**63) - 1),
    "huge": HUGE,
    "huger": "9" * 40,
    "float-overflow": "1e309",
    "non-numeric": "abc",
    "nan": "NaN",
    "fraction": "1.5",
    "unicode": "Ünïcødé ✓ 日本語 🙂 \u202eRTL\u200b",
    "nul": "a\x00b",
    "very-long": "x" * 100_000,
    "date-impossible": "2026-02-30",
    "date-far": "9999-12-31",
    "date-zero": "0000-00-00",
    "date-short": "1-1",
    "bom": "\ufeff42",
    "nested": "[" * 5_000 + "]" * 5_000,
    "markup": "<script>alert(1)</script>&<!channel>",
    "sql": "'; DROP TABLE syncs_order; --",
}

# Tried alone in every field by the most capable persona; every value of VALUES is also tried
# in all fields at once. The other personas, mostly refused before a field is read, get FEW.
CORE = (
    "empty",
    "negative",
    "huge",
    "huger",
    "float-overflow",
    "non-numeric",
    "unicode",
    "nul",
    "very-long",
    "date-impossible",
    "date-far",
    "bom",
    "nested",
    "markup",
)
FEW = ("empty", "huge", "non-numeric", "unicode", "nested")

_NESTED_JSON = '{"a":' * 50_000 + "1" + "}" * 50_000
FILES: dict[str, bytes] = {
    "empty-file": b"",
    "bom-csv": "\ufeffsku,ip_warehouse,status,quantity\nA,main,damaged,1\n".encode(),
    "latin-1": "centra_sku,ip_sku,sku,ip_warehouse,status,quantity\nÅ,Ö,É,main,damaged,1\n".encode(
        "latin-1"
    ),
    "utf-16": "sku,ip_warehouse,status,quantity\n".encode("utf-16"),
    "truncated-row": b"sku,ip_warehouse,status,quantity\nA,main\nB,main,damaged,1\nC,ma",
    "reordered-short": b"quantity,status,sku,ip_warehouse,centra_sku,ip_sku\n1,damaged\n",
    "huge-field": b"sku,ip_warehouse,status,quantity,centra_sku,ip_sku\n" + b"A" * 140_000 + b"\n",
    "huge-number": f"sku,ip_warehouse,status,quantity\nA,main,damaged,{HUGE}\n".encode(),
    "nul": b"sku,ip_warehouse,status,quantity\nA\x00,main,damaged,1\n",
    "binary": bytes(range(256)) * 4,
    "nested-json": _NESTED_JSON.encode(),
    "json-nulls": json.dumps(
        {
            "version": 1,
            "safety_stock": [
                {"scope": None, "key": None, "kind": None, "value": None, "note": None}
            ],
        }
    ).encode(),
    "json-types": json.dumps(
        {
            "version": True,
            "warehouse_map": [
                {"ip_warehouse": 3, "centra_warehouse_id": 3.7, "centra_warehouse_name": []}
            ],
        }
    ).encode(),
    "truncated-json": b'{"version": 1, "stock_statuses": [{"code": "a',
}

# Whole bodies in place of a form: the right fields in the wrong encoding, and JSON.
BODIES: dict[str, tuple[str, bytes]] = {
    "latin-1-form": ("application/x-www-form-urlencoded", b"%E9%E8=%E9&note=caf%E9&q=%FF%FE"),
    "latin-1-charset": ("application/x-www-form-urlencoded; charset=latin-1", b"note=caf%E9"),
    "json-nested": ("application/json", _NESTED_JSON.encode()),
    "multipart-broken": ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Dispo"),
}

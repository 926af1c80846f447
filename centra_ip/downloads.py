"""File names for downloads, safe whatever text (a SKU from a URL) goes into them.

A name is reduced to letters, digits, ``.``, ``-`` and ``_`` (anything else becomes ``_``)
and shortened, so a quote or a semicolon cannot add a second ``filename*`` parameter to the
header and a non-Latin SKU cannot turn the whole header into MIME-encoded text.
"""

import re

from django.utils.http import content_disposition_header

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
NAME_MAX = 150


def safe_filename(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = _UNSAFE.sub("_", stem).strip("._")[:NAME_MAX] or "download"
    suffix = _UNSAFE.sub("", suffix)[:10]
    return f"{stem}.{suffix}" if suffix else stem


def download_disposition(name: str) -> str:
    """The ``Content-Disposition`` value for an attachment called (a safe form of) ``name``."""
    return content_disposition_header(as_attachment=True, filename=safe_filename(name))

"""Uploaded files: one size cap and one decoding rule for every upload form.

``UPLOAD_MAX_BYTES`` (settings) bounds each file; a larger one is a form error that names
both sizes. Text files are decoded as UTF-8 with or without a BOM (Excel's "CSV UTF-8"
writes one); anything else (latin-1, UTF-16) is refused with a clear message rather than
guessed at. The whole request body is bounded earlier, by ``RequestLimitsMiddleware``.
"""

import csv

from django import forms
from django.conf import settings


class UploadError(ValueError):
    """The file cannot be read as text; the message says why, for the person uploading."""


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


class BoundedFileField(forms.FileField):
    """A file no larger than ``UPLOAD_MAX_BYTES``; the error names the limit."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        limit = settings.UPLOAD_MAX_BYTES
        if upload is not None and upload.size > limit:
            raise forms.ValidationError(
                f"The file is {_megabytes(upload.size)}; at most {_megabytes(limit)} is accepted.",
                code="too_large",
            )
        return upload


def upload_text(upload) -> str:
    """The upload as text (UTF-8, BOM dropped), or UploadError."""
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError('The file is not UTF-8 text (save it as "CSV UTF-8").') from None


def csv_rows(reader, errors: list):
    """The reader's rows; a malformed file (a field past the csv module's limit, a NUL) ends
    the rows with a line error instead of a crash."""
    try:
        yield from reader
    except csv.Error as error:
        errors.append((reader.line_num, f"the file is not a readable CSV ({error})"))

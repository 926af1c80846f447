"""Cells for CSV exports that people open in a spreadsheet.

Text that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is run as a
formula by Excel and LibreOffice: a SKU or a ticket summary that came from outside could
then compute, or call out, on a finance laptop. Such text gets a leading apostrophe, which
the spreadsheet shows as plain text. Numbers are passed as numbers and keep their sign.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value):
    """A value for ``csv.writer``: text neutralised, anything else unchanged."""
    return csv_text(value) if isinstance(value, str) else value

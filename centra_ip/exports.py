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


def xlsx_workbook(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """An XLSX file with one sheet per ``(title, header, rows)``: a bold header row, numbers
    as numbers, dates as dates. Every text cell is typed as text, so outside text that
    starts with ``=`` stays text (openpyxl would otherwise store it as a formula)."""
    import io
    from datetime import date, datetime

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=_sheet_title(title))
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([_xlsx_value(value) for value in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                elif isinstance(cell.value, date | datetime):
                    cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value):
    from datetime import datetime

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # XLSX has no time zones; shown as it was
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XML cannot hold
    return value


def _sheet_title(title: str) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:31] or "Sheet"

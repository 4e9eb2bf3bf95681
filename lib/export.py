"""Write rows (a header row, then plain rows) as an XLSX or CSV download.

Every text cell that a spreadsheet would run as a formula (it starts with =, +, -, @, or a tab or carriage
return before one) gets a leading apostrophe, as OWASP recommends against CSV/formula injection: a project
name "=HYPERLINK(…)" typed by an enterprise is shown as text, never run on a leader's computer. Numbers stay
numbers, and text that is a plain signed number ("-5") is left alone.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def export_response(rows: Iterable[Sequence], filename: str, fmt: str) -> HttpResponse:
    body = write_xlsx(rows) if fmt == "xlsx" else write_csv(rows)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = _disposition(f"{filename}.{fmt}")
    return response


def write_csv(rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    # The BOM makes Excel on Windows read the Chinese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(rows: Iterable[Sequence]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    widths: dict[int, int] = {}
    for row in rows:
        cells = [_xlsx_cell(v) for v in row]
        for index, value in enumerate(cells, start=1):
            widths[index] = max(widths.get(index, 0), min(len(str(value or "")) * 2, 50))
        sheet.append(cells)
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = max(width, 8)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def neutralise(value):
    """Text that starts like a formula, with an apostrophe in front so Excel and WPS show it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv_cell(value):
    return "" if value is None else neutralise(value)


def _xlsx_cell(value):
    # Exact 万元 figures: keep Decimal as float in the sheet only at the last step.
    return float(value) if isinstance(value, Decimal) else neutralise(value)


def _disposition(filename: str) -> str:
    return f"attachment; filename=\"export.{filename.rsplit('.', 1)[-1]}\"; filename*=UTF-8''{quote(filename)}"

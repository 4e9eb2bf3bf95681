"""Official-looking Excel sheets: a merged title row, two-row merged headers, bordered cells, totals.

Shared by the ledger (重点项目建设情况表), the batch lists and the stalled lists. Text that a spreadsheet
would take for a formula (starting with = + - @, a tab or a carriage return) is written as plain text with
Excel's quote prefix, so opening or editing the cell never runs it.
"""

import io
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote
from weakref import WeakKeyDictionary

from django.http import HttpResponse
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY = "#,##0.00"
RATE = "0.0"
DATE = "yyyy-mm-dd"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FONT = "宋体"

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
TITLE_FONT = Font(name=FONT, size=16, bold=True)
HEADER_FONT = Font(name=FONT, size=10, bold=True)
BODY_FONT = Font(name=FONT, size=10)
TOTAL_FONT = Font(name=FONT, size=10, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
SUBTOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
TOTAL_FILL = PatternFill("solid", fgColor="FFF2CC")


@dataclass(frozen=True)
class Column:
    """A header cell; one with ``children`` spans them on the first header row."""

    label: str
    width: float = 12
    number_format: str | None = None
    children: tuple["Column", ...] = field(default=())

    @property
    def leaves(self) -> list["Column"]:
        return list(self.children) or [self]


def leaf_columns(columns: Sequence[Column]) -> list[Column]:
    return [leaf for column in columns for leaf in column.leaves]


def set_value(cell, value) -> None:
    """Write a value; Decimal as a number, formula-like text as quoted plain text."""
    if isinstance(value, Decimal):
        value = float(value)
    elif isinstance(value, Promise):
        value = str(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


def write_title(sheet: Worksheet, row: int, text: str, width: int, *, font=TITLE_FONT, height: float = 30) -> None:
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    cell = sheet.cell(row=row, column=1)
    set_value(cell, text)
    cell.font, cell.alignment = font, CENTER
    sheet.row_dimensions[row].height = height


def write_note(sheet: Worksheet, row: int, left: str, right: str, width: int) -> None:
    """A line under the title: e.g. the region on the left, "单位：万元" on the right."""
    middle = max(width // 2, 1)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=middle)
    if width > middle:
        sheet.merge_cells(start_row=row, start_column=middle + 1, end_row=row, end_column=width)
    set_value(sheet.cell(row=row, column=1), left)
    set_value(sheet.cell(row=row, column=middle + 1), right)
    sheet.cell(row=row, column=1).font = BODY_FONT
    right_cell = sheet.cell(row=row, column=middle + 1)
    right_cell.font, right_cell.alignment = BODY_FONT, RIGHT


def write_header(sheet: Worksheet, row: int, columns: Sequence[Column]) -> int:
    """Two header rows from ``row``: a column without children is merged down, one with children across.

    Returns the first row after the header.
    """
    index = 1
    for column in columns:
        span = len(column.leaves)
        top = sheet.cell(row=row, column=index)
        set_value(top, column.label)
        if column.children:
            sheet.merge_cells(start_row=row, start_column=index, end_row=row, end_column=index + span - 1)
            for offset, child in enumerate(column.children):
                set_value(sheet.cell(row=row + 1, column=index + offset), child.label)
        else:
            sheet.merge_cells(start_row=row, start_column=index, end_row=row + 1, end_column=index)
        index += span
    for header_row in (row, row + 1):
        for column_index in range(1, index):
            cell = sheet.cell(row=header_row, column=column_index)
            cell.font, cell.alignment, cell.fill, cell.border = HEADER_FONT, CENTER, HEADER_FILL, BORDER
    for column_index, leaf in enumerate(leaf_columns(columns), start=1):
        sheet.column_dimensions[get_column_letter(column_index)].width = leaf.width
    return row + 2


# Workbook -> style key -> the cell style array made for it (see ``_style``).
_STYLES: WeakKeyDictionary = WeakKeyDictionary()


def _style(cell, key: tuple, **style) -> None:
    """Give ``cell`` the style named by ``key``, built once per workbook and then copied.

    openpyxl hashes every Font, Border and Alignment assigned to a cell to find it in the workbook's style
    table; done for each cell, a province's 20,000-row ledger took half a minute. Copying the finished style
    array is what openpyxl does itself when it copies a worksheet.
    """
    arrays = _STYLES.setdefault(cell.parent.parent, {})
    if key in arrays:
        cell._style = copy(arrays[key])
        return
    for name, value in style.items():
        setattr(cell, name, value)
    arrays[key] = copy(cell._style)


def _cell_style(kind: str, leaf: Column, first: bool) -> dict:
    style = {"font": BODY_FONT if kind == "body" else TOTAL_FONT, "border": BORDER}
    fill = {"subtotal": SUBTOTAL_FILL, "total": TOTAL_FILL}.get(kind)
    if fill is not None:
        style["fill"] = fill
    if leaf.number_format:
        style.update(number_format=leaf.number_format, alignment=RIGHT)
    else:
        style["alignment"] = CENTER if first else LEFT
    return style


def write_row(sheet: Worksheet, row: int, values: Sequence, columns: Sequence[Column], *, kind: str = "body") -> None:
    """One bordered row; ``kind`` "subtotal" or "total" makes it bold on a shaded ground."""
    for column_index, (value, leaf) in enumerate(zip(values, leaf_columns(columns), strict=True), start=1):
        cell = sheet.cell(row=row, column=column_index)
        first = column_index == 1
        _style(cell, (kind, leaf.number_format, first), **_cell_style(kind, leaf, first))
        set_value(cell, value)


def print_setup(sheet: Worksheet, *, header_rows: str, freeze: str, a3: bool = False) -> None:
    """Landscape, fit to the page width, header rows repeated on every printed page, panes frozen below them."""
    sheet.freeze_panes = freeze
    sheet.print_title_rows = header_rows
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A3 if a3 else sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4


def new_workbook() -> Workbook:
    book = Workbook()
    book.remove(book.active)
    return book


def workbook_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(body: bytes, filename: str, content_type: str = XLSX) -> HttpResponse:
    """An attachment with its Chinese name (RFC 5987) and a plain ASCII fallback."""
    response = HttpResponse(body, content_type=content_type)
    extension = filename.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f"attachment; filename=\"export.{extension}\"; filename*=UTF-8''{quote(filename)}"
    return response

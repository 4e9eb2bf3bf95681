"""The bulletin's Excel annex (附件): the month's ledger in the official layout, then each stalled list in full.

The body of a bulletin shows only the longest-overdue entries of each stalled list (三未) and sends the reader
here for the rest ("其余 N 个项目详见附件《…》", ``bulletins.content``), so each list has a sheet with every
row, longest overdue first as in the body, counted as of the same day (the content's ``as_of``). The sheets
follow the ledger's look (``batches.workbook``): a merged title, a note line, the header, a total row.
"""

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook

from batches.ledger import ledger_workbook
from batches.stalled import AGREEMENTS_NOT_STARTED, LISTS, StalledRow, stalled_lists
from batches.workbook import DATE, MONEY, Column, print_setup, write_header, write_note, write_row, write_title
from org.models import Region
from projects.models import Stage

HEADER_ROW = 3  # title, note line, then the two header rows
CHUNK = 2000


def annex_workbook(region: Region, year: int, month: int, as_of: datetime.date) -> Workbook:
    """The ledger sheet (重点项目建设情况表), then one sheet per stalled list; callers disable scopes."""
    book = ledger_workbook(region, year, month)
    for key, rows in stalled_lists(region, as_of).items():
        _stalled_sheet(book, key, rows, region, as_of)
    return book


def _columns(key: str) -> list[Column]:
    planned = Column(str(LISTS[key].planned_label), 12, DATE)
    if key == AGREEMENTS_NOT_STARTED:
        return [Column(_("序号"), 6), Column(_("协议（项目）名称"), 36), Column(_("所在地区"), 14), planned,
                Column(_("逾期天数"), 9), Column(_("签约投资（万元）"), 16, MONEY)]  # fmt: skip
    return [
        Column(_("序号"), 6), Column(_("项目名称"), 36), Column(_("所在地区"), 14), Column(_("项目阶段"), 8), planned,
        Column(_("逾期天数"), 9), Column(_("总投资（万元）"), 14, MONEY), Column(_("包联领导"), 12),
        Column(_("责任单位"), 20),
    ]  # fmt: skip


def _cells(index: int, row: StalledRow, stages: dict[str, str]) -> list:
    if row.project is None:
        return [index, row.name, row.region.name, row.planned_on, row.days_overdue, row.investment]
    project = row.project
    return [
        index, project.name, project.region.name, stages[project.stage], row.planned_on, row.days_overdue,
        project.total_investment, str(project.leader or ""), project.department.name if project.department_id else "",
    ]  # fmt: skip


def _total(key: str, count: int, investment: Decimal) -> list:
    label = _("合计（%(n)s个）") % {"n": count}
    if key == AGREEMENTS_NOT_STARTED:
        return ["", label, "", "", "", investment]
    return ["", label, "", "", "", "", investment, "", ""]


def _stalled_sheet(book: Workbook, key: str, rows, region: Region, as_of: datetime.date) -> None:
    stalled, columns = LISTS[key], _columns(key)
    sheet = book.create_sheet(str(stalled.label))
    title = _("%(region)s%(title)s名单") % {"region": region.name, "title": stalled.title}
    write_title(sheet, 1, title, len(columns))
    write_note(sheet, 2, _("截至%(day)s，按逾期时间由长到短排列") % {"day": as_of.isoformat()}, _("单位：万元、天"),
               len(columns))  # fmt: skip
    row = write_header(sheet, HEADER_ROW, columns)
    stages = {value: str(label) for value, label in Stage.choices}
    count, investment = 0, Decimal("0")
    for count, line in enumerate(rows.iterator(chunk_size=CHUNK), start=1):
        write_row(sheet, row + count - 1, _cells(count, line, stages), columns)
        investment += line.investment or 0
    write_row(sheet, row + count, _total(key, count, investment), columns, kind="total")
    print_setup(sheet, header_rows=f"{HEADER_ROW}:{HEADER_ROW + 1}", freeze=f"C{HEADER_ROW + 2}")

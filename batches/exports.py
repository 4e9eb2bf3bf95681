"""Excel exports of a batch event (a summary sheet, then one sheet per batch) and of the stalled lists."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook

from lib.money import WAN_PER_YI
from org.models import Region

from .models import KIND_DATE_LABELS, BatchEntry, BatchEvent, BatchKind, BatchTotals
from .stalled import AGREEMENTS_NOT_STARTED, LISTS, StalledRow, stalled_lists
from .workbook import DATE, MONEY, Column, new_workbook, print_setup, write_header, write_note, write_row, write_title

YI = "0.00"
HEADER_ROW = 3


def yi(value: Decimal) -> Decimal:
    """万元 -> 亿元, two decimals: the printed figure."""
    return (Decimal(value) / WAN_PER_YI).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _investment(width: float = 12) -> Column:
    return Column(_("总投资"), children=(Column(_("万元"), width, MONEY), Column(_("亿元"), 9, YI)))


def event_note(event: BatchEvent) -> str:
    return _("活动日期：%(held)s    统计区间：%(start)s 至 %(end)s") % {
        "held": _date(event.held_on),
        "start": _date(event.window_start),
        "end": _date(event.window_end),
    }


def _date(day: datetime.date | None) -> str:
    return _("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day} if day else ""


# ---- a batch event ----


def _summary_sheet(book: Workbook, event: BatchEvent, totals: list[BatchTotals]) -> None:
    columns = [Column(_("序号"), 6), Column(_("批次"), 16), Column(_("项目个数"), 10), _investment(16)]
    sheet = book.create_sheet(_("汇总"))
    write_title(sheet, 1, event.name, 5)
    write_note(sheet, 2, event_note(event), "", 5)
    row = write_header(sheet, HEADER_ROW, columns)
    for index, batch in enumerate(totals, start=1):
        cells = [index, batch.label, batch.count, batch.total_investment, yi(batch.total_investment)]
        write_row(sheet, row, cells, columns)
        row += 1
    count = sum(batch.count for batch in totals)
    total = sum((batch.total_investment for batch in totals), Decimal("0"))
    write_row(sheet, row, ["", _("合计"), count, total, yi(total)], columns, kind="total")
    print_setup(sheet, header_rows=f"{HEADER_ROW}:{HEADER_ROW + 1}", freeze=f"A{HEADER_ROW + 2}")


def _batch_columns(kind: str) -> list[Column]:
    return [
        Column(_("序号"), 6),
        Column(_("项目名称"), 36),
        Column(_("项目单位"), 30),
        Column(_("所在地"), 16),
        Column(_("项目类别"), 12),
        Column(str(KIND_DATE_LABELS[kind]), 12, DATE),
        _investment(),
    ]


def _batch_sheet(book: Workbook, event: BatchEvent, batch: BatchTotals, entries: list[BatchEntry]) -> None:
    columns = _batch_columns(batch.kind)
    sheet = book.create_sheet(batch.label)
    write_title(sheet, 1, _("%(event)s%(batch)s项目清单") % {"event": event.name, "batch": batch.label}, 8)
    line = _("共 %(count)s 个，总投资 %(yi)s 亿元") % {"count": batch.count, "yi": batch.total_yi}
    write_note(sheet, 2, line, _("单位：万元、亿元"), 8)
    row = write_header(sheet, HEADER_ROW, columns)
    for index, entry in enumerate(entries, start=1):
        cells = [
            index, entry.name, entry.owner_name, entry.location, entry.get_category_display(),
            entry.stage_on, entry.total_investment, yi(entry.total_investment),
        ]  # fmt: skip
        write_row(sheet, row, cells, columns)
        row += 1
    total_label = _("合计（%(n)s个）") % {"n": batch.count}
    cells = ["", total_label, "", "", "", "", batch.total_investment, yi(batch.total_investment)]
    write_row(sheet, row, cells, columns, kind="total")
    print_setup(sheet, header_rows=f"{HEADER_ROW}:{HEADER_ROW + 1}", freeze=f"C{HEADER_ROW + 2}")


def entries_by_kind(event: BatchEvent) -> dict[str, list[BatchEntry]]:
    """Each batch's entries in printed order (one query)."""
    grouped = {kind: [] for kind in BatchKind.values}
    for entry in BatchEntry._base_manager.filter(event=event).order_by("kind", "-total_investment", "pk"):
        grouped[entry.kind].append(entry)
    return grouped


def batch_workbook(event: BatchEvent) -> Workbook:
    totals = event.totals()
    entries = entries_by_kind(event)
    book = new_workbook()
    _summary_sheet(book, event, totals)
    for batch in totals:
        _batch_sheet(book, event, batch, entries[batch.kind])
    return book


# ---- the stalled lists ----


def _stalled_columns(key: str) -> list[Column]:
    planned = str(LISTS[key].planned_label)
    if key == AGREEMENTS_NOT_STARTED:
        return [
            Column(_("序号"), 6), Column(_("协议（项目）名称"), 36), Column(_("所在区划"), 14),
            Column(planned, 12, DATE), Column(_("逾期天数"), 9), Column(_("签约投资额（万元）"), 16, MONEY),
        ]  # fmt: skip
    return [
        Column(_("序号"), 6), Column(_("项目名称"), 36), Column(_("所在区划"), 14), Column(_("项目阶段"), 8),
        Column(planned, 12, DATE), Column(_("逾期天数"), 9), Column(_("总投资（万元）"), 14, MONEY),
        Column(_("包联领导"), 12), Column(_("责任单位"), 20),
    ]  # fmt: skip


def _stalled_cells(index: int, row: StalledRow) -> list:
    if row.project is None:
        return [index, row.name, row.region.name, row.planned_on, row.days_overdue, row.investment]
    project = row.project
    return [
        index, project.name, project.region.name, project.get_stage_display(), row.planned_on, row.days_overdue,
        project.total_investment, str(project.leader or ""), project.department.name if project.department_id else "",
    ]  # fmt: skip


def _stalled_sheet(book: Workbook, key: str, rows, region: Region, today: datetime.date) -> None:
    columns = _stalled_columns(key)
    width = len(columns)
    stalled = LISTS[key]
    sheet = book.create_sheet(str(stalled.label))
    write_title(sheet, 1, _("%(region)s%(title)s清单") % {"region": region.name, "title": stalled.title}, width)
    write_note(sheet, 2, _("截至%(day)s") % {"day": _date(today)}, _("单位：万元、天"), width)
    row = write_header(sheet, HEADER_ROW, columns)
    count, total = 0, Decimal("0")
    for count, line in enumerate(rows.iterator(chunk_size=2000), start=1):
        write_row(sheet, row, _stalled_cells(count, line), columns)
        total += line.investment or 0
        row += 1
    cells = ["", _("合计（%(n)s个）") % {"n": count}, *([""] * (width - 3)), total]
    if key != AGREEMENTS_NOT_STARTED:
        cells = ["", _("合计（%(n)s个）") % {"n": count}, "", "", "", "", total, "", ""]
    write_row(sheet, row, cells, columns, kind="total")
    print_setup(sheet, header_rows=f"{HEADER_ROW}:{HEADER_ROW + 1}", freeze=f"C{HEADER_ROW + 2}")


def stalled_workbook(region: Region, today: datetime.date, keys: list[str] | None = None) -> Workbook:
    """The stalled lists (all four, or ``keys``) of ``region``'s subtree, one sheet each, longest overdue first."""
    book = new_workbook()
    for key, rows in stalled_lists(region, today).items():
        if keys is None or key in keys:
            _stalled_sheet(book, key, rows, region, today)
    return book

"""Monthly figures by Excel, for units that will not use the web: template → upload → dry run → apply.

The import follows the usual recipe: declared columns (``COLUMNS``) → clean every row,
each error naming its row and column → build unsaved reports → one short atomic
transaction that submits them all or nothing (``apply_upload``). Between the dry run
and the apply the cleaned rows wait in a ``BulkUpload``; nothing touches
``MonthlyReport`` before the coordinator confirms.

Choices made here:
- A row whose three fill columns are all blank is skipped (the template lists every
  reporting project; a unit fills those it has figures for). A row with a progress text
  or problems but no amount is an error.
- A since-start total above the total investment is a warning, not an error: the
  apply needs an explicit confirmation tick, which is then recorded on each such report
  (``over_total_confirmed``), exactly as the web form asks for it.
- One month above the project's whole total investment is an error (usually 元 typed
  for 万元).
- Problems with the file as a whole (not an .xlsx, no header row, another month's
  template, nothing filled in) refuse the upload; nothing is stored.

Keep parsing streaming (``read_only=True``, rows read one by one with
``values_only``): a province's file holds thousands of rows, and a full load of a 5 MB
workbook costs tens of times its size in memory. The template is written the same way
(``write_only=True``).
"""

import datetime
import io
import itertools
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lib.export import neutralise
from projects.models import Project

from .models import BulkUpload, MonthlyReport, Period, ReportStatus, _sum_subquery

MAX_BYTES = 5 * 1024 * 1024
# The declared sizes inside the zip: a 5 MB file that unpacks to gigabytes is refused unread.
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024
MAX_ROWS = 30_000
# Filled rows are submitted one by one inside one transaction (~3.5 ms each on SQLite, measured with 5,000):
# 3,000 keep it near ten seconds, under the database's 20 s lock timeout.
MAX_FILLED_ROWS = 3_000
MAX_TEXT = 2000
HEADER_SCAN_ROWS = 10
MAX_AGE = datetime.timedelta(days=1)
# The largest figure MONEY (max_digits=14, decimal_places=2) can hold.
MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")
# What a damaged or hand-crafted file raises from inside openpyxl and zipfile (XML ParseError is a SyntaxError).
READ_ERRORS = (zipfile.BadZipFile, zlib.error, KeyError, ValueError, TypeError, SyntaxError, OSError, EOFError)

FILL_COLOUR = PatternFill("solid", fgColor="FFF2CC")
FILL_HEADER_COLOUR = PatternFill("solid", fgColor="FFD966")
HEADER_COLOUR = PatternFill("solid", fgColor="D9E1F2")
MONEY_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    fill: bool = False
    money: bool = False

    @property
    def label(self) -> str:
        """The header without its unit: the name an error gives the column."""
        return self.header.split("（")[0]


# The file format is a contract with the units (their macros and habits rely on it), so
# the headers are fixed Chinese and not translated with the UI.
COLUMNS = [
    Column("id", "项目ID", 8),
    Column("code", "项目代码", 26),
    Column("name", "项目名称", 40),
    Column("region", "所在区划", 14),
    Column("total", "总投资（万元）", 14, money=True),
    Column("plan", "本年计划（万元）", 14, money=True),
    Column("ytd", "本年已完成（万元，截至上月已审核）", 20, money=True),
    Column("status", "本月月报状态", 12),
    Column("completed", "本月完成投资（万元）", 18, fill=True, money=True),
    Column("progress", "形象进度", 40, fill=True),
    Column("problems", "存在问题", 40, fill=True),
]
BY_KEY = {column.key: column for column in COLUMNS}
FILL_KEYS = [column.key for column in COLUMNS if column.fill]
REQUIRED_KEYS = ["id", "completed"]
# The title ends with the period as [YYYY-MM] whatever the language; older files carry "YYYY年M月".
TITLE_PERIOD = re.compile(r"\[(\d{4})-(\d{1,2})\]|(\d{4})\s*年\s*(\d{1,2})\s*月")
AMOUNT = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
LOCKED = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


def period_label(year: int, month: int) -> str:
    return _("%(year)s年%(month)s月") % {"year": year, "month": month}


# ---- the reporting set -------------------------------------------------------------


def reporting_projects(user, year: int, month: int):
    """The projects ``user`` reports for, with the figures the template shows and the checks need."""
    approved = MonthlyReport._base_manager.filter(project=OuterRef("pk"), status=ReportStatus.APPROVED)
    this_month = MonthlyReport._base_manager.filter(project=OuterRef("pk"), year=year, month=month)
    closed = Period._base_manager.filter(region=OuterRef("region"), year=year, month=month, closed_at__isnull=False)
    return (
        Project.objects.reporting()
        .reported_by(user)
        .with_annual_plan(year)
        .annotate(
            ytd_before=_sum_subquery(approved.filter(year=year, month__lt=month)),
            approved_before=_sum_subquery(approved.filter(Q(year__lt=year) | Q(year=year, month__lt=month))),
            report_status=Subquery(this_month.values("status")[:1]),
            period_closed=Exists(closed),
        )
        .select_related("region")
        .order_by("region__path", "name", "pk")
    )


# ---- the template ------------------------------------------------------------------


def template_filename(region, year: int, month: int) -> str:
    names = {"region": region.name, "year": year, "month": month}
    return _("月报批量填报-%(region)s-%(year)s年%(month)02d月.xlsx") % names


def template_title(region, year: int, month: int) -> str:
    names = {"region": region.name, "period": period_label(year, month)}
    return _("%(region)s %(period)s 重点项目月报批量填报") % names + f" [{year}-{month:02d}]"


def template_rows(user, year: int, month: int) -> Iterator[list]:
    """One row per reporting project; the fill columns carry this month's draft or returned figures."""
    projects = reporting_projects(user, year, month)
    editable = MonthlyReport.objects.filter(project__in=projects.values("pk"), year=year, month=month).exclude(
        status__in=LOCKED
    )
    drafts = {r["project_id"]: r for r in editable.values("project_id", "completed", "progress", "problems_text")}
    for project in projects.iterator(chunk_size=2000):
        draft = drafts.get(project.pk, {})
        status = ReportStatus(project.report_status).label if project.report_status else _("未填报")
        yield [
            project.pk,
            project.national_code,
            project.name,
            project.region.name,
            project.total_investment,
            project.annual_plan,
            project.ytd_before,
            str(status),
            draft.get("completed"),
            draft.get("progress", ""),
            draft.get("problems_text", ""),
        ]


def write_template(user, year: int, month: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("月报"))
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "D3"
    sheet.append([_title_cell(sheet, template_title(user.region, year, month))])
    sheet.append([_header_cell(sheet, column) for column in COLUMNS])
    count = 0
    for values in template_rows(user, year, month):
        sheet.append([_data_cell(sheet, column, value) for column, value in zip(COLUMNS, values, strict=True)])
        count += 1
    sheet.data_validations.append(_amount_validation(first=3, last=max(3 + count - 1, 3) + 200))
    _write_instructions(book.create_sheet(_("填写说明")))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _title_cell(sheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = Font(bold=True, size=14)
    return cell


def _header_cell(sheet, column: Column) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=column.header)
    cell.font = Font(bold=True)
    cell.fill = FILL_HEADER_COLOUR if column.fill else HEADER_COLOUR
    return cell


def _data_cell(sheet, column: Column, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=float(value) if isinstance(value, Decimal) else neutralise(value))
    if column.money:
        cell.number_format = MONEY_FORMAT
    if column.fill:
        cell.fill = FILL_COLOUR
    if column.key == "id":
        cell.font = Font(color="808080")
    return cell


def _amount_validation(first: int, last: int) -> DataValidation:
    validation = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("输入有误"),
        error=_("请填写不小于 0 的数字，单位万元。"),
        showInputMessage=True,
        promptTitle=_("本月完成投资"),
        prompt=_("单位：万元，不小于 0"),
    )
    letter = get_column_letter(COLUMNS.index(BY_KEY["completed"]) + 1)
    validation.add(f"{letter}{first}:{letter}{last}")
    return validation


def _write_instructions(sheet) -> None:
    sheet.column_dimensions["A"].width = 100
    for line in [
        _("填写说明"),
        _("1. 只填写黄色的三列：本月完成投资（万元）、形象进度、存在问题；其他列请勿修改，尤其是项目ID。"),
        _("2. 金额单位为万元，填写不小于 0 的数字，保留两位小数（多余的位数四舍五入）；不要使用公式。"),
        _("3. 三列都不填写的项目会被跳过，不影响其月报。"),
        _("4. 本月月报已提交或已审核的项目不能再通过本表覆盖。"),
        _("5. 上传后系统先校验并显示结果，确认无误后才会保存并提交审核。"),
    ]:
        sheet.append([line])


# ---- the upload: file checks --------------------------------------------------------


def open_workbook(upload) -> Workbook:
    """The uploaded file as a read-only workbook, or a ValidationError saying why it is refused."""
    if not (upload.name or "").lower().endswith(".xlsx"):
        raise ValidationError(_("只接受 .xlsx 格式的 Excel 文件；.xls、.csv 等请在 Excel 中“另存为” .xlsx 后再上传。"))
    if upload.size > MAX_BYTES:
        raise ValidationError(_("文件不能超过 5 MB。"))
    try:
        _check_zip(upload)
        upload.seek(0)
        # data_only=False: a formula arrives as its text ("=B3*2") and is refused as such.
        book = load_workbook(upload, read_only=True, data_only=False)
    except READ_ERRORS as exc:
        if isinstance(exc, _TooLarge):
            raise ValidationError(_("文件解压后过大，请删除多余的工作表或内容后再上传。")) from None
        raise ValidationError(
            _("文件不是有效的 Excel 工作簿（可能是改了扩展名的其他文件），请使用本页下载的模板。")
        ) from None
    finally:
        upload.seek(0)
    if not book.worksheets:
        book.close()
        raise ValidationError(_("文件中没有工作表。"))
    return book


class _TooLarge(ValueError):
    pass


def _check_zip(upload) -> None:
    if not zipfile.is_zipfile(upload):
        raise zipfile.BadZipFile
    upload.seek(0)
    with zipfile.ZipFile(upload) as archive:
        if "xl/workbook.xml" not in archive.namelist():
            raise KeyError("xl/workbook.xml")
        if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
            raise _TooLarge


# ---- the upload: cleaning rows ------------------------------------------------------


@dataclass
class CheckResult:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    skipped: int = 0
    filled: int = 0


def check_workbook(book: Workbook, user, year: int, month: int) -> CheckResult:
    """Clean every row of the first sheet; a problem with the file as a whole raises ValidationError."""
    rows = _read_rows(book.worksheets[0])
    header_row, positions = _find_header(rows, year, month)
    projects = _ProjectIndex(user, year, month)
    result = CheckResult()
    seen: dict[int, int] = {}
    for number, values in enumerate(rows, start=header_row + 1):
        cells = {key: _cell(values, index) for key, index in positions.items()}
        if all(_is_blank_value(cells.get(key)) for key in FILL_KEYS):
            result.skipped += not _is_blank(values)  # a fully blank row is not worth a mention
            continue
        result.filled += 1
        if result.filled > MAX_FILLED_ROWS:
            raise ValidationError(_("一次最多导入 %(max)s 个项目，请分批上传。") % {"max": MAX_FILLED_ROWS})
        row, errors = _clean_row(number, cells, projects, seen)
        result.errors.extend(errors)
        if row:
            result.rows.append(row)
    if not result.rows and not result.errors:
        raise ValidationError(_("文件中没有填写任何项目的本月完成投资。"))
    return result


def _read_rows(sheet) -> Iterator[tuple]:
    """The sheet's rows as value tuples, streamed; a damaged sheet stops with a ValidationError."""
    # Files saved by other tools often carry a wrong dimension record; read every row.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    for number in itertools.count(1):
        try:
            values = next(rows)
        except StopIteration:
            return
        except READ_ERRORS:
            raise ValidationError(_("文件内容已损坏，无法读取；请在 Excel 中打开并另存后再上传。")) from None
        if number > HEADER_SCAN_ROWS + MAX_ROWS and not _is_blank(values):
            raise ValidationError(_("文件超过 %(max)s 行，请分批上传。") % {"max": MAX_ROWS})
        yield values


def _find_header(rows: Iterator, year: int, month: int) -> tuple[int, dict[str, int]]:
    """Read down to the header row (its texts name the columns); the title above it names the month."""
    for number in range(1, HEADER_SCAN_ROWS + 1):
        values = next(rows, None)
        if values is None:
            break
        positions = _header_positions(values)
        if all(key in positions for key in REQUIRED_KEYS):
            return number, positions
        _check_title_period(values, year, month)
    raise ValidationError(
        _("找不到表头行：前 %(n)s 行中须有“项目ID”和“本月完成投资（万元）”两列，请使用本页下载的模板。")
        % {"n": HEADER_SCAN_ROWS}
    )


def _normal(text) -> str:
    # NFKC turns full-width brackets and digits into plain ones: "（万元）" == "(万元)".
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


HEADER_NAMES = {name: column.key for column in COLUMNS for name in (_normal(column.header), _normal(column.label))}


def _header_positions(values) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, value in enumerate(values or ()):
        key = HEADER_NAMES.get(_normal(value)) if isinstance(value, str) else None
        if key and key not in positions:
            positions[key] = index
    return positions


def _check_title_period(values, year: int, month: int) -> None:
    for value in values or ():
        match = TITLE_PERIOD.search(value) if isinstance(value, str) else None
        if not match:
            continue
        found = tuple(int(g) for g in match.groups() if g is not None)
        if found != (year, month):
            raise ValidationError(
                _("文件是%(file)s的填报模板，与所选填报期%(chosen)s不一致，请下载本月模板或切换填报期。")
                % {"file": period_label(*found), "chosen": period_label(year, month)}
            )


def _cell(values, index: int):
    return values[index] if values and index < len(values) else None


def _is_blank_value(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_blank(values) -> bool:
    return all(_is_blank_value(v) for v in values or ())


class _ProjectIndex:
    """The user's reporting projects, read once, looked up per row."""

    def __init__(self, user, year: int, month: int):
        self.user = user
        projects = reporting_projects(user, year, month).iterator(chunk_size=2000)
        self.by_pk = {project.pk: project for project in projects}

    @cached_property
    def visible_pks(self) -> set[int]:
        # Read once on the first unknown ID: a file of wrong IDs must not cost a query per row.
        return set(Project.objects.visible_to(self.user).values_list("pk", flat=True))

    def not_found_message(self, pk: int) -> str:
        if pk in self.visible_pks:
            return _("该项目不在前期或在建阶段（或已归档），无需填报月报。")
        return _("项目ID不存在或不在您的管辖范围内。")


def _error(row: int, key: str, message: str) -> dict:
    return {"row": row, "column": BY_KEY[key].label, "message": message}


def _clean_row(number: int, cells: dict, projects: _ProjectIndex, seen: dict) -> tuple[dict | None, list[dict]]:
    errors: list[dict] = []
    project = _clean_project(number, cells.get("id"), projects, seen, errors)
    amount = _clean_amount(number, cells.get("completed"), errors)
    texts = {key: _clean_text(number, key, cells.get(key), errors) for key in ("progress", "problems")}
    warning = ""
    if project is not None and amount is not None:
        warning = _check_against_project(number, project, amount, errors)
    if errors:
        return None, errors
    row = {
        "row": number,
        "project": project.pk,
        "name": project.name,
        "region": project.region.name,
        "completed": str(amount),
        "progress": texts["progress"],
        "problems": texts["problems"],
        "warning": warning,
    }
    return row, []


def _clean_project(number: int, value, projects: _ProjectIndex, seen: dict, errors: list):
    pk = _as_int(value)
    if pk is None:
        message = _("请填写项目ID。") if _is_blank_value(value) else _("项目ID须为整数，请勿修改模板中的项目ID。")
        errors.append(_error(number, "id", message))
        return None
    project = projects.by_pk.get(pk)
    if project is None:
        errors.append(_error(number, "id", projects.not_found_message(pk)))
        return None
    if pk in seen:
        errors.append(_error(number, "id", _("项目重复：与第 %(row)s 行是同一项目。") % {"row": seen[pk]}))
        return None
    seen[pk] = number
    return project


def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _normal(value).isdigit():
        return int(_normal(value))
    return None


def _clean_amount(number: int, value, errors: list) -> Decimal | None:
    amount, message = parse_amount(value)
    if message:
        errors.append(_error(number, "completed", message))
    return amount


def parse_amount(value) -> tuple[Decimal | None, str]:
    """A cell as 万元 rounded to the cent, or the reason it is not one."""
    if _is_blank_value(value):
        return None, _("请填写本月完成投资。")
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return None, _("须为数字。")
    text = _normal(value) if isinstance(value, str) else ""
    if text.startswith("="):
        return None, _("不能使用公式，请填写数值。")
    if isinstance(value, str) and not AMOUNT.match(text):
        return None, _("须为数字，单位万元（如 1234.5 或 1,234.5）。")
    try:
        amount = Decimal(text.replace(",", "") if text else str(value)).quantize(CENT, ROUND_HALF_UP)
    except InvalidOperation:
        return None, _("须为数字。")
    if amount < 0:
        return None, _("不能为负数。")
    if amount > MAX_AMOUNT:
        return None, _("数值过大，请核对单位是否为万元。")
    return amount, ""


def _clean_text(number: int, key: str, value, errors: list) -> str:
    text = "" if value is None else str(value).replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        errors.append(_error(number, key, _("不能超过 %(max)s 字。") % {"max": MAX_TEXT}))
    return text


def _check_against_project(number: int, project, amount: Decimal, errors: list) -> str:
    """Row errors that need the project's state; returns the over-total warning, if any."""
    if project.report_status in LOCKED:
        label = ReportStatus(project.report_status).label
        errors.append(_error(number, "id", _("本月月报%(status)s，不能覆盖。") % {"status": label}))
    if project.period_closed:
        errors.append(_error(number, "id", _("本月填报期已关账，不能再填报。")))
    if amount > project.total_investment:
        message = _("本月完成投资 %(amount)s 万元超过项目总投资 %(total)s 万元，请核对单位是否为万元。")
        errors.append(_error(number, "completed", message % {"amount": amount, "total": project.total_investment}))
        return ""
    return over_total_warning(project, amount)


def over_total_warning(project, amount: Decimal) -> str:
    since_start = project.opening_completed + project.approved_before + amount
    if since_start <= project.total_investment:
        return ""
    return _("开工以来累计完成 %(sum)s 万元将超过总投资 %(total)s 万元。") % {
        "sum": since_start,
        "total": project.total_investment,
    }


# ---- apply ----------------------------------------------------------------------------


def refusal(upload: BulkUpload) -> str:
    """Why this upload cannot be applied now; empty when it can."""
    if upload.status != BulkUpload.Status.CHECKED:
        return _("该文件%(status)s，不能再导入。") % {"status": upload.get_status_display()}
    if upload.errors:
        return _("文件中有错误，请修改后重新上传。")
    if not upload.rows:
        return _("文件中没有可导入的行。")
    if upload.created_at < timezone.now() - MAX_AGE:
        return _("校验结果已超过 24 小时，数据可能已变化，请重新上传。")
    return ""


class ApplyError(Exception):
    """The apply was rolled back: ``message`` says why, ``errors`` names the rows (may be empty)."""

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.message, self.errors = message, errors or []


@dataclass(frozen=True)
class ApplyResult:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


def apply_upload(upload: BulkUpload, user, *, confirmed: bool) -> ApplyResult:
    """Create or update each report and submit it, all in one transaction; ApplyError leaves nothing saved."""
    problem = refusal(upload)
    if problem:
        raise ApplyError(problem)
    if any(row["warning"] for row in upload.rows) and not confirmed:
        raise ApplyError(_("有项目开工以来累计完成将超过总投资，请核实后勾选确认。"))
    try:
        with transaction.atomic():
            _claim(upload)
            reports = _build_reports(upload, user, confirmed)
            return _submit_all(reports, user)
    except IntegrityError:
        # Someone saved a report for the same project and month while we were building ours.
        raise ApplyError(_("导入期间有其他人填报了同一项目的本月月报，请重新上传。")) from None


def _claim(upload: BulkUpload) -> None:
    # A conditional update: two clicks (or two tabs) cannot apply the same file twice.
    claimed = BulkUpload._base_manager.filter(pk=upload.pk, status=BulkUpload.Status.CHECKED).update(
        status=BulkUpload.Status.APPLIED, applied_at=timezone.now()
    )
    if not claimed:
        raise ApplyError(_("该文件已导入或已放弃。"))
    upload.status = BulkUpload.Status.APPLIED


def _build_reports(upload: BulkUpload, user, confirmed: bool) -> list[tuple[dict, MonthlyReport]]:
    """Unsaved reports for the stored rows, checked again against the database as it is now."""
    ids = [row["project"] for row in upload.rows]
    projects = reporting_projects(user, upload.year, upload.month).in_bulk(ids)
    locked = MonthlyReport.objects.select_for_update().filter(project_id__in=ids, year=upload.year, month=upload.month)
    existing = {report.project_id: report for report in locked}
    periods: dict[int, Period] = {}
    built, errors = [], []
    for row in upload.rows:
        project, report = projects.get(row["project"]), existing.get(row["project"])
        row_errors = _state_errors(row, project, report)
        errors.extend(row_errors)
        if not row_errors:
            built.append((row, _fill(row, project, report, periods, upload, confirmed)))
    if errors:
        raise ApplyError(_("部分项目的月报状态已变化。"), errors)
    return built


def _state_errors(row: dict, project, report) -> list[dict]:
    if project is None:
        return [_error(row["row"], "id", _("项目已不在可填报范围（可能已变更阶段、归档或调整区划）。"))]
    if report is not None and not report.is_editable:
        return [_error(row["row"], "id", _("本月月报%(status)s，不能覆盖。") % {"status": report.get_status_display()})]
    if project.period_closed:
        return [_error(row["row"], "id", _("本月填报期已关账，不能再填报。"))]
    return []


def _fill(row: dict, project, report, periods: dict, upload: BulkUpload, confirmed: bool) -> MonthlyReport:
    if report is None:
        if project.region_id not in periods:
            periods[project.region_id] = Period.for_month(project.region, upload.year, upload.month)
        report = MonthlyReport(year=upload.year, month=upload.month, period=periods[project.region_id])
    report.project = project
    report.completed = Decimal(row["completed"])
    report.progress, report.problems_text = row["progress"], row["problems"]
    report.over_total_confirmed = bool(row["warning"]) and confirmed
    return report


# The report field a model error names → the column the user sees it under.
FIELD_COLUMNS = {"completed": "completed", "over_total_confirmed": "completed", "progress": "progress"}


def _submit_all(reports: Iterable[tuple[dict, MonthlyReport]], user) -> ApplyResult:
    created = updated = 0
    errors: list[dict] = []
    for row, report in reports:
        is_new = report.pk is None
        try:
            report.submit(by=user)
        except ValidationError as exc:
            errors.extend(_model_errors(row["row"], exc))
            continue
        created, updated = created + is_new, updated + (not is_new)
    if errors:
        raise ApplyError(_("部分月报未通过校验。"), errors)
    return ApplyResult(created, updated)


def _model_errors(number: int, exc: ValidationError) -> list[dict]:
    if not hasattr(exc, "error_dict"):
        return [_error(number, "id", message) for message in exc.messages]
    return [
        _error(number, FIELD_COLUMNS.get(name, "id"), message)
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


def store_errors(upload: BulkUpload, errors: list[dict]) -> None:
    """Keep the errors an apply found, so the review page shows them and offers no apply."""
    upload.errors = errors
    BulkUpload._base_manager.filter(pk=upload.pk, status=BulkUpload.Status.CHECKED).update(errors=errors)


def discard(upload: BulkUpload) -> bool:
    discarded = BulkUpload._base_manager.filter(pk=upload.pk, status=BulkUpload.Status.CHECKED).update(
        status=BulkUpload.Status.DISCARDED
    )
    if discarded:
        upload.status = BulkUpload.Status.DISCARDED
    return bool(discarded)

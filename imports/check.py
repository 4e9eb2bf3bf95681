"""The dry run: every data row cleaned, matched to a project and validated by the model's own rules.

The recipe of every import here: declared columns (``columns.FIELDS`` and the confirmed mapping) →
clean every row, each error naming its sheet row, column letter and field → unsaved (or changed)
``Project`` objects → saved all at once by ``apply.apply_import``. Nothing is written here.

Choices made:
- Rows skipped without an error: blank rows, totals rows (合计/总计/小计 in the first columns or the
  name), section headings ("一、产业项目" with no amount) and header rows repeated on a printed page.
- A row updates an existing project matched by national code, else by name + owner + region (the
  owner and region only where the file gives them); otherwise it creates one. A national code
  already used by a project outside the user's subtree is an error, never an update.
- A blank cell leaves the project's value as it is (a ledger without a column clears nothing).
- A created project may start at any stage of the forward path, but only with the dates and facts
  that stage needs (``Project.clean``); an existing project's stage only moves forward, with its date,
  and the move is recorded as a ``StageChange``, as the stage actions do. Suspending and terminating
  stay on the project page (they need a reason).
- Planned dates of a project whose plan is approved are frozen: a changed one is an error.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects.models import (
    PLAN_FROZEN,
    PLANNED_DATE_FIELDS,
    STAGE_ORDER,
    STEP_DATES,
    AnnualPlan,
    Project,
    Stage,
    stage_index,
)

from .cells import (
    CellError,
    is_blank,
    normal,
    parse_amount,
    parse_choice,
    parse_code,
    parse_date,
    parse_decimal,
    parse_text,
)
from .columns import ALLOWED, BY_KEY, CHOICES, column_label, field_label
from .files import Refused, Table, read_table
from .lookups import Departments, Existing, Leaders, Places, annual_plans
from .models import LedgerImport

PREVIEW_ROWS = 200
TOTAL_WORDS = ("合计", "总计", "小计", "总合计", "共计")
HEADING = ("一二三四五六七八九十", "、.．")
FK_FIELDS = ["region", "zone", "department", "leader", "plan_approved_by"]
TEXT_LIMIT = {"description": 2000}
COORDINATES = {"longitude": (Decimal(-180), Decimal(180)), "latitude": (Decimal(-90), Decimal(90))}
FORMULA_CELL = gettext_lazy("该单元格是公式，不能导入；请在 Excel 中复制后“选择性粘贴为数值”再上传。")

Progress = Callable[[int, int], None]


@dataclass
class Outcome:
    """One row that will be saved: a new project, or an existing one with the row's values set."""

    row: int
    project: Project
    created: bool
    before: dict = field(default_factory=dict)  # field -> old value as JSON (updates only)
    plans: dict[int, Decimal] = field(default_factory=dict)  # year -> amount the row gives
    stage_move: tuple[str, str, datetime.date] | None = None  # (from, to, on) of an existing project
    loaded_at: datetime.datetime | None = None  # the project's updated_at when read (stale check on save)
    plan_before: dict[int, Decimal | None] = field(default_factory=dict)  # year -> amount before (updates)
    plan_rows: dict[int, AnnualPlan] = field(default_factory=dict)  # year -> the existing plan the row changes


@dataclass
class CheckResult:
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    data_rows: int = 0
    skipped: int = 0
    unchanged: int = 0

    @property
    def error_rows(self) -> int:
        return len({error["row"] for error in self.errors})

    @property
    def creates(self) -> int:
        return sum(outcome.created for outcome in self.outcomes)

    @property
    def updates(self) -> int:
        return len(self.outcomes) - self.creates


# ---- reading the rows ------------------------------------------------------------------------


@dataclass
class Row:
    number: int  # the sheet row, as Excel shows it
    cells: dict[int, object]  # column index -> raw value, mapped columns only, blanks left out


def data_rows(table: Table, ledger_import: LedgerImport) -> tuple[list[Row], int]:
    """The rows below the header with anything in a mapped column, and how many were skipped as not data."""
    mapped = ledger_import.mapped
    fill_merged_data(table, ledger_import.header_last)
    indexes = [column["index"] for column in mapped]
    name_index = next((c["index"] for c in mapped if c["field"] == "name"), None)
    money = {c["index"] for c in mapped if BY_KEY[c["field"]].is_money}
    header_names = {normal(c["header"].split(" / ")[-1]) for c in mapped}
    rows, skipped = [], 0
    for number, values in enumerate(table.rows[ledger_import.header_last :], start=ledger_import.header_last + 1):
        cells = {i: values[i] for i in indexes if i < len(values) and not is_blank(values[i])}
        if not cells:
            continue
        if _is_not_data(values, cells, name_index, money, header_names):
            skipped += 1
            continue
        rows.append(Row(number, cells))
    return rows, skipped


def fill_merged_data(table: Table, header_last: int) -> None:
    """A cell merged down over several data rows (a county's name over its projects) counts in each of them.

    Only downwards: a note merged across the width of the sheet must not fill every column of its row.
    """
    for r0, c0, r1, _c1 in table.merged:
        if r0 < header_last or r0 >= len(table.rows) or r1 == r0:
            continue
        value = table.rows[r0][c0] if c0 < len(table.rows[r0]) else ""
        for row in table.rows[r0 + 1 : r1 + 1]:
            row.extend([""] * (c0 + 1 - len(row)))
            row[c0] = value


def _is_not_data(values: list, cells: dict, name_index, money: set, header_names: set) -> bool:
    leading = [normal(v) for v in values[:3] if isinstance(v, str)]
    name = normal(cells.get(name_index, "")) if name_index is not None else ""
    if any(text.startswith(TOTAL_WORDS) for text in [*leading, name]):
        return True
    if name and name in header_names:
        return True  # the header repeated on each printed page
    has_amount = any(i in cells for i in money)
    return not has_amount and any(_is_heading(text) for text in [*leading, name])


def _is_heading(text: str) -> bool:
    """一、产业项目 / (一)工业项目 / 一: a section heading of the ledger."""
    numerals, marks = HEADING
    stripped = text.lstrip("(（")
    count = len(stripped) - len(stripped.lstrip(numerals))
    if not count:
        return False
    rest = stripped[count:]
    return rest == "" or rest[0] in marks or (text[0] in "(（" and rest[:1] in ")）")


# ---- the check -------------------------------------------------------------------------------


def read_import_table(ledger_import: LedgerImport, sheet: str) -> Table:
    """The stored file's sheet; a file gone from storage is refused like a damaged one."""
    try:
        with ledger_import.file.open("rb") as handle:
            return read_table(handle, ledger_import.file_kind, sheet)
    except (FileNotFoundError, ValueError):
        raise Refused(_("原文件已不存在，请重新上传。")) from None


def check_import(ledger_import: LedgerImport, user, progress: Progress | None = None) -> CheckResult:
    """Clean, match and validate every data row of the import's file; saves nothing."""
    table = read_import_table(ledger_import, ledger_import.sheet_name)
    rows, skipped = data_rows(table, ledger_import)
    table.rows = []  # the mapped cells live on in ``rows``; a big sheet's list of lists is freed early
    checker = _Checker(ledger_import, user, table.formulas)
    result = CheckResult(data_rows=len(rows), skipped=skipped)
    parsed = [checker.parse(row) for row in rows]
    checker.load_existing(parsed)
    for done, (row, values, errors) in enumerate(parsed, start=1):
        checker.build(row, values, errors, result)
        if progress and done % 500 == 0:
            progress(done, len(parsed))
    _settle_plans(result)
    return result


def _settle_plans(result: CheckResult) -> None:
    """Compare the annual plans of updated projects with the database; an update changing nothing is dropped."""
    updates = [o for o in result.outcomes if not o.created and o.plans]
    years = {year for o in updates for year in o.plans}
    existing = annual_plans([o.project.pk for o in updates], years) if updates else {}
    kept = []
    for outcome in result.outcomes:
        for year, amount in outcome.plans.items():
            plan = None if outcome.created else existing.get((outcome.project.pk, year))
            if outcome.created or plan is None or plan.amount != amount:
                outcome.plan_before[year] = None if plan is None else plan.amount
                if plan is not None:
                    outcome.plan_rows[year] = plan
        if outcome.created or outcome.before or outcome.plan_before:
            kept.append(outcome)
        else:
            result.unchanged += 1
    result.outcomes = kept


class _Checker:
    def __init__(self, ledger_import: LedgerImport, user, formulas: set):
        self.ledger_import = ledger_import
        self.user = user
        self.formulas = formulas
        self.columns = ledger_import.mapped
        self.column_of = {}
        for column in self.columns:
            self.column_of.setdefault(column["field"], column)
        self.places = Places(user)
        self.departments = Departments(user) if "department" in self.column_of else None
        self.leaders = Leaders(user) if "leader" in self.column_of else None
        self.existing: Existing | None = None
        self.seen: dict[object, int] = {}

    # -- step 1: cells to values --

    def parse(self, row: Row) -> tuple[Row, dict, list[dict]]:
        values, errors = {"plans": {}}, []
        for column in self.columns:
            raw = row.cells.get(column["index"])
            if (row.number - 1, column["index"]) in self.formulas:
                errors.append(self.error(row.number, column, str(FORMULA_CELL)))
            elif raw is not None:
                try:
                    self._parse_cell(column, raw, values)
                except CellError as exc:
                    errors.append(self.error(row.number, column, exc.message))
        self._resolve_places(row, values, errors)
        return row, values, errors

    def _parse_cell(self, column: dict, raw, values: dict) -> None:
        key, kind = column["field"], BY_KEY[column["field"]].kind
        if kind == "plan":
            values["plans"][column["year"]] = parse_amount(raw, column["unit"])
        elif kind == "money":
            values[key] = parse_amount(raw, column["unit"])
        elif kind == "date":
            values[key] = parse_date(raw)
        elif kind == "choice":
            values[key] = parse_choice(raw, CHOICES[key], ALLOWED[key])
        elif kind == "code":
            values[key] = parse_code(raw, Project._meta.get_field(key).max_length)
        elif kind == "decimal":
            places = 2 if key == "land_area" else 6
            low, high = COORDINATES.get(key, (Decimal(0), None))
            values[key] = parse_decimal(raw, places, low, high)
        elif kind == "text":
            values[key] = parse_text(raw, TEXT_LIMIT.get(key) or Project._meta.get_field(key).max_length)
        else:  # region, zone, department, leader: resolved once the row's region is known
            values[f"_{key}"] = parse_text(raw, 64)

    def _resolve_places(self, row: Row, values: dict, errors: list) -> None:
        for key, find in (
            ("region", lambda text: self.places.region(text)),
            ("zone", lambda text: self.places.zone(text, values.get("region"))),
            ("leader", lambda text: self.leaders.find(text)),
        ):
            text = values.pop(f"_{key}", None)
            if text is None:
                continue
            try:
                values[key] = find(text)
            except CellError as exc:
                errors.append(self.error(row.number, self.column_of[key], exc.message))
            if key == "region" and values.get("region") is not None and values["region"].is_zone:
                # A zone named as the place: the project sits in the zone's county (or city), in that zone.
                values.setdefault("zone", values["region"])
                values["region"] = values["region"].parent

    def _resolve_department(self, row: Row, values: dict, errors: list, project: Project | None) -> None:
        """A short name ("发改局") is read in the project's own region: the row's, else the matched project's."""
        text = values.pop("_department", None)
        if text is None:
            return
        region = values.get("region") or (project.region if project is not None else self.places.home)
        try:
            values["department"] = self.departments.find(text, region)
        except CellError as exc:
            errors.append(self.error(row.number, self.column_of["department"], exc.message))

    def load_existing(self, parsed: list) -> None:
        codes = [values["national_code"] for _row, values, _e in parsed if values.get("national_code")]
        names = [values["name"] for _row, values, _e in parsed if values.get("name")]
        self.existing = Existing(self.user, codes, names)

    # -- step 2: values to a project --

    def build(self, row: Row, values: dict, errors: list, result: CheckResult) -> None:
        project = self._match(row, values, errors)
        self._resolve_department(row, values, errors, project)
        outcome = self._create(row, values) if project is None else self._update(row, project, values, errors)
        if outcome is not None:
            self._validate(outcome, errors)
        if errors:
            result.errors.extend(errors)
        elif outcome is None:
            result.unchanged += 1
        else:
            result.outcomes.append(outcome)

    def _match(self, row: Row, values: dict, errors: list) -> Project | None:
        code, name = values.get("national_code"), values.get("name")
        project = self.existing.by_code.get(code) if code else None
        if project is not None and not self.existing.visible(project):
            errors.append(
                self.error(
                    row.number,
                    self.column_of["national_code"],
                    _("项目代码已被其他区划（不在您管辖范围内）的项目使用，不能导入。"),
                )
            )
            return None
        if project is None and name:
            project = self._match_by_name(row, values, errors)
        key = (
            project.pk
            if project is not None
            else (code or (normal(name or ""), values.get("region"), normal(values.get("owner_name", ""))))
        )
        if key in self.seen:
            errors.append(
                self.error(
                    row.number,
                    self.column_of.get("name"),
                    _("与第 %(row)s 行是同一项目，请删除重复的行。") % {"row": self.seen[key]},
                )
            )
        else:
            self.seen[key] = row.number
        if project is not None and project.archived_at is not None:
            errors.append(self.error(row.number, self.column_of.get("name"), _("项目已归档，不能通过导入修改。")))
        return project

    def _match_by_name(self, row: Row, values: dict, errors: list) -> Project | None:
        found = self.existing.by_name.get(normal(values["name"]), [])
        if values.get("region") is not None:
            found = [p for p in found if p.region_id == values["region"].pk]
        if values.get("owner_name"):
            found = [p for p in found if normal(p.owner_name) == normal(values["owner_name"])]
        if values.get("national_code"):
            found = [p for p in found if not p.national_code]  # one with another code is another project
        if len(found) > 1:
            regions = "、".join(sorted({p.region.name for p in found}))
            message = _("匹配到 %(n)s 个同名项目（%(regions)s），请填写项目代码、所在区划或项目单位以区分。")
            errors.append(
                self.error(row.number, self.column_of.get("name"), message % {"n": len(found), "regions": regions})
            )
            return None
        return found[0] if found else None

    def _create(self, row: Row, values: dict) -> Outcome:
        project = Project(
            region=values.get("region") or self.places.home,
            category=self.ledger_import.default_category,
            stage=Stage.PLANNING,
        )
        for key, value in values.items():
            if key != "plans":
                _set(project, key, value)
        return Outcome(row.number, project, created=True, plans=values["plans"])

    def _update(self, row: Row, project: Project, values: dict, errors: list) -> Outcome | None:
        outcome = Outcome(row.number, project, created=False, plans=values["plans"], loaded_at=project.updated_at)
        for key, value in values.items():
            if key in ("plans", "stage") or _get(project, key) == _raw(value):
                continue
            if key in PLANNED_DATE_FIELDS and project.plan_is_approved:
                errors.append(self.error(row.number, self.column_of[key], str(PLAN_FROZEN)))
                continue
            outcome.before[key] = dump(_get(project, key))
            _set(project, key, value)
        if "stage" in values and values["stage"] != project.stage:
            self._move_stage(row, outcome, values["stage"], errors)
        if not outcome.before and not values["plans"]:
            return None
        return outcome

    def _move_stage(self, row: Row, outcome: Outcome, to: str, errors: list) -> None:
        project, column = outcome.project, self.column_of["stage"]
        if project.stage in (Stage.SUSPENDED, Stage.TERMINATED):
            message = _("项目处于“%(stage)s”状态，阶段须在项目页面恢复或更正。") % {
                "stage": project.get_stage_display()
            }
        elif to not in STAGE_ORDER:
            message = _("暂停、终止须在项目页面操作并说明原因，不能通过导入设置。")
        elif stage_index(to) < stage_index(project.stage):
            message = _("阶段只能向后推进；回退须在项目页面通过“阶段更正”并说明原因。")
        else:
            on = getattr(project, STEP_DATES[to][0]) if to != Stage.PLANNING else None
            outcome.before["stage"] = project.stage
            outcome.stage_move = (project.stage, to, on)
            project.stage = to
            return
        errors.append(self.error(row.number, column, message))

    def _validate(self, outcome: Outcome, errors: list) -> None:
        """The model's own rules (``Project.clean`` and the fields); one error per field, parse errors first."""
        project = outcome.project
        reported = {error["field"] for error in errors}
        if outcome.created:
            errors.extend(e for e in self._required(outcome.row, project) if e["field"] not in reported)
            exclude = list(FK_FIELDS)
            if project.stage in (Stage.SUSPENDED, Stage.TERMINATED):
                message = _("暂停、终止须在项目页面操作并说明原因，不能通过导入设置。")
                errors.append(self.error(outcome.row, self.column_of.get("stage"), message))
                return
        else:
            touched = set(outcome.before)
            exclude = [f.name for f in Project._meta.concrete_fields if f.name not in touched or f.name in FK_FIELDS]
        reported = {error["field"] for error in errors}
        try:
            # Unique checks and constraints are left to the import (one query for all codes) and the database.
            project.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = self.column_of.get(name)
                label = column_label(column) if column else _field_name(name)
                if label not in reported:
                    errors.extend(self.error(outcome.row, column, m, label=label) for m in messages)

    def _required(self, number: int, project: Project) -> list[dict]:
        missing = []
        if not project.name:
            missing.append(("name", _("新建项目须填写项目名称。")))
        if project.total_investment is None:
            missing.append(("total_investment", _("新建项目须填写总投资。")))
        if not project.category:
            missing.append(("category", _("新建项目须有项目类别：请映射“项目类别”列，或在列映射页选择默认项目类别。")))
        return [
            self.error(number, self.column_of.get(key), message) | {"field": field_label(key)}
            for key, message in missing
        ]

    def error(self, number: int, column: dict | None, message: str, label: str = "") -> dict:
        return {
            "row": number,
            "column": column["letter"] if column else "",
            "field": label or (column_label(column) if column else ""),
            "message": str(message),
        }


def _field_name(name: str) -> str:
    if name == "__all__":
        return ""
    label = field_label(name)
    return label or str(Project._meta.get_field(name).verbose_name)


def _set(project: Project, key: str, value) -> None:
    if key in ("department", "leader"):
        setattr(project, f"{key}_id", value)
    else:
        setattr(project, key, value)


def _get(project: Project, key: str):
    return getattr(project, f"{key}_id") if key in ("region", "zone", "department", "leader") else getattr(project, key)


def _raw(value):
    """A value as ``_get`` reads it back: a region by its pk."""
    return value.pk if hasattr(value, "pk") else value


def dump(value):
    """A field value as JSON: dates ISO, decimals as strings, the rest as is."""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value

"""重点项目建设情况表: the key-project ledger in the usual official column layout, as an Excel workbook.

A merged title row, a line with the date and "单位：万元", two header rows (总投资 spans its funding sources),
then the grand total, and per group (a direct subregion, or a project category) a subtotal row followed by
its projects. Figures in 万元 with two decimals; panes frozen below the header; printed landscape on A3 with
the header repeated on every page.

The year's list: current projects with an annual plan for the year, and any project under construction.
Year-to-date and before-the-year figures are sums of approved monthly reports, in one grouped query.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext as _
from openpyxl import Workbook

from org.models import Region
from projects.models import FUNDING_FIELDS, AnnualPlan, Category, Nature, Project, Stage
from reports.models import MonthlyReport, ReportStatus

from .workbook import MONEY, RATE, Column, new_workbook, print_setup, write_header, write_note, write_row, write_title

BY_REGION, BY_CATEGORY = "region", "category"
GROUPINGS = (BY_REGION, BY_CATEGORY)
ZERO = Decimal("0")
# Money columns of a row, in sheet order: total, funding sources, before the year, plan, year to date.
SUMMED = ["total_investment", *FUNDING_FIELDS, "before_year", "annual_plan", "ytd"]
HEADER_ROW = 3  # title, date line, then the two header rows


def _columns(month: int) -> list[Column]:
    def money(label: str, width: float = 12) -> Column:
        return Column(label, width, MONEY)

    return [
        Column(_("序号"), 6),
        Column(_("项目名称"), 30),
        Column(_("建设单位"), 24),
        Column(_("建设性质"), 8),
        Column(_("建设内容及规模"), 36),
        Column(_("建设起止年限"), 12),
        Column(
            _("总投资（万元）"),
            children=(
                money(_("合计")),
                money(_("政府投资")),
                money(_("企业自筹")),
                money(_("银行贷款")),
                money(_("专项债")),
                money(_("基金及其他")),
            ),
        ),
        money(_("截至上年底累计完成投资（万元）"), 15),
        money(_("本年计划投资（万元）"), 14),
        money(_("本年1-%(month)s月完成投资（万元）") % {"month": month}, 15),
        Column(_("完成率（%）"), 9, RATE),
        Column(_("项目进展"), 32),
        Column(_("责任单位"), 18),
        Column(_("包联领导"), 12),
    ]


# ---- the rows ----


def _in_region(region: Region, prefix: str = "") -> Q:
    if region.is_zone:
        return Q(**{f"{prefix}zone": region})
    return Q(**{f"{prefix}region__path__startswith": region.path})


def ledger_projects(region: Region, year: int, month: int):
    """The year's projects of the subtree, with the annual plan and the latest approved progress text."""
    has_plan = Exists(AnnualPlan._base_manager.filter(project=OuterRef("pk"), year=year))
    latest = MonthlyReport._base_manager.filter(
        project=OuterRef("pk"), status=ReportStatus.APPROVED, year=year, month__lte=month
    ).order_by("-month")
    return (
        Project.objects.current()
        .filter(_in_region(region))
        .exclude(stage=Stage.TERMINATED)
        .filter(has_plan | Q(stage=Stage.CONSTRUCTION))
        .with_annual_plan(year)
        .annotate(progress_text=Subquery(latest.values("progress")[:1]))
        .select_related("region", "department", "leader")
        .order_by("-total_investment", "pk")
    )


def completed_by_project(region: Region, year: int, month: int) -> dict[int, tuple[Decimal, Decimal]]:
    """Project pk -> (approved before the year, approved in the year up to ``month``): one grouped query."""
    rows = (
        MonthlyReport.objects.filter(_in_region(region, "project__"), status=ReportStatus.APPROVED, year__lte=year)
        .order_by()
        .values("project")
        .annotate(
            before=Sum("completed", filter=Q(year__lt=year), default=ZERO),
            ytd=Sum("completed", filter=Q(year=year, month__lte=month), default=ZERO),
        )
    )
    return {row["project"]: (row["before"], row["ytd"]) for row in rows}


@dataclass
class LedgerLine:
    project: Project
    before_year: Decimal
    ytd: Decimal

    @property
    def annual_plan(self) -> Decimal:
        return self.project.annual_plan or ZERO

    def figure(self, name: str) -> Decimal:
        if name in ("before_year", "ytd", "annual_plan"):
            return getattr(self, name)
        return getattr(self.project, name) or ZERO


@dataclass
class LedgerGroup:
    label: str
    lines: list[LedgerLine] = field(default_factory=list)

    def sums(self) -> dict[str, Decimal]:
        return {name: sum((line.figure(name) for line in self.lines), ZERO) for name in SUMMED}


def ledger_groups(region: Region, year: int, month: int, group: str = BY_REGION) -> list[LedgerGroup]:
    """The projects in their groups, largest first within each; groups in code (or category) order."""
    figures = completed_by_project(region, year, month)
    label_of = _category_labeller() if group == BY_CATEGORY else _region_labeller(region)
    groups: dict[tuple, LedgerGroup] = {}
    for project in ledger_projects(region, year, month):
        order, label = label_of(project)
        before, ytd = figures.get(project.pk, (ZERO, ZERO))
        before += project.opening_completed
        groups.setdefault((order, label), LedgerGroup(label)).lines.append(LedgerLine(project, before, ytd))
    return [groups[key] for key in sorted(groups)]


def _category_labeller():
    labels = _labels(Category.choices)
    order = {value: index for index, value in enumerate(Category.values)}

    def label(project: Project) -> tuple[int, str]:
        return order[project.category], labels[project.category]

    return label


def _region_labeller(region: Region):
    """The direct subregion a project lies in (its code orders the groups); "本级" for the region's own."""
    children = dict(Region._base_manager.filter(parent=region).values_list("code", "name"))
    depth = len(region.path.strip("/").split("/"))

    def label(project: Project) -> tuple[str, str]:
        codes = project.region.path.strip("/").split("/")
        if region.is_zone or len(codes) <= depth:
            return "", _("%(region)s本级") % {"region": region.name}
        code = codes[depth]
        return code, children.get(code, project.region.name)

    return label


# ---- the cells ----


def _rate(ytd: Decimal, plan: Decimal) -> Decimal | None:
    if not plan:
        return None
    return (ytd * 100 / plan).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _years(project: Project) -> str:
    start = project.started_on or project.planned_start_on
    end = project.completed_on or project.planned_completion_on
    if not start and not end:
        return ""
    return f"{start.year if start else ''}-{end.year if end else ''}"


def _labels(choices) -> dict[str, str]:
    """Value -> translated label, made once per sheet: ``get_FOO_display`` translates every choice per call."""
    return {value: str(label) for value, label in choices}


def _progress(project: Project, stages: dict[str, str]) -> str:
    stage = stages[project.stage]
    return f"{stage}：{project.progress_text}" if project.progress_text else stage


def _leader(project: Project) -> str:
    leader = project.leader
    if leader is None:
        return ""
    return " ".join(filter(None, [leader.full_name or leader.username, leader.title]))


def _money_cells(sums: dict[str, Decimal]) -> list:
    return [*(sums[name] for name in SUMMED), _rate(sums["ytd"], sums["annual_plan"])]


def _line_cells(number: int, line: LedgerLine, labels: dict[str, dict[str, str]]) -> list:
    project = line.project
    sums = {name: line.figure(name) for name in SUMMED}
    return [
        number, project.name, project.owner_name, labels["nature"][project.nature], project.description,
        _years(project), *_money_cells(sums), _progress(project, labels["stage"]),
        project.department.name if project.department_id else "", _leader(project),
    ]  # fmt: skip


def _total_cells(ordinal: str, label: str, sums: dict[str, Decimal]) -> list:
    return [ordinal, label, "", "", "", "", *_money_cells(sums), "", "", ""]


def _ordinal(number: int) -> str:
    """1 -> 一, 12 -> 十二, 21 -> 二十一 (group numbering)."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(number, 10)
    if number < 10:
        return digits[number]
    return f"{digits[tens] if tens > 1 else ''}十{digits[ones] if ones else ''}"


def _rows(groups: list[LedgerGroup]) -> Iterator[tuple[list, str]]:
    """(cells, kind): the grand total, then each group's subtotal and its projects."""
    count = sum(len(group.lines) for group in groups)
    sums = [group.sums() for group in groups]
    totals = {name: sum((group_sums[name] for group_sums in sums), ZERO) for name in SUMMED}
    yield _total_cells("", _("合计（%(n)s个）") % {"n": count}, totals), "total"
    number, labels = 0, {"nature": _labels(Nature.choices), "stage": _labels(Stage.choices)}
    for index, (group, group_sums) in enumerate(zip(groups, sums, strict=True), start=1):
        label = _("%(group)s（%(n)s个）") % {"group": group.label, "n": len(group.lines)}
        yield _total_cells(_ordinal(index), label, group_sums), "subtotal"
        for line in group.lines:
            number += 1
            yield _line_cells(number, line, labels), "body"


def ledger_title(region: Region, year: int) -> str:
    return _("%(region)s%(year)s年重点项目建设情况表") % {"region": region.name, "year": year}


def ledger_workbook(region: Region, year: int, month: int, group: str = BY_REGION) -> Workbook:
    """The official-layout ledger of ``region``'s subtree for ``year`` up to the end of ``month``."""
    columns = _columns(month)
    width = sum(len(column.leaves) for column in columns)
    book = new_workbook()
    sheet = book.create_sheet(_("重点项目建设情况表"))
    write_title(sheet, 1, ledger_title(region, year), width)
    as_of = _("截至%(year)s年%(month)s月底") % {"year": year, "month": month}
    write_note(sheet, 2, as_of, _("单位：万元"), width)
    row = write_header(sheet, HEADER_ROW, columns)
    for cells, kind in _rows(ledger_groups(region, year, month, group)):
        write_row(sheet, row, cells, columns, kind=kind)
        row += 1
    print_setup(sheet, header_rows=f"{HEADER_ROW}:{HEADER_ROW + 1}", freeze=f"C{HEADER_ROW + 2}", a3=True)
    return book


def ledger_filename(region: Region, year: int, month: int) -> str:
    return f"{ledger_title(region, year)}（{year}年1-{month}月）.xlsx"

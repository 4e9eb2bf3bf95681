"""The leaders' dashboard (领导驾驶舱) of one region: every figure from a grouped SQL query.

The projects counted are the ones the ledger (``projects:list``) shows the user for the region: visible to
the user, current (not archived), in the region's subtree. Each figure carries the link to the list that
counts the same rows, so a leader can open what is behind any number.

The queries, each grouped in SQL and folded in Python over at most a few thousand group rows:

1. projects joined to this year's annual plan and this month's colour (at most one of each per project),
   grouped by region and zone, with a count per stage, category and colour: the totals, the stage, category
   and colour charts, the subregion table;
2. approved monthly reports of this year, joined from the projects and grouped by region, zone and month:
   the completed investment, the monthly trend and the completion against the schedule (序时进度);
3. the red list, the problem counts and the oldest overdue problems, a leader's own projects;
4. the regions of the subtree, the schedule curve, the targets (rankings), the horse-race snapshot and the
   stalled lists (batches).

Both joins start from the projects (a LEFT JOIN on a filtered relation): SQLite then walks the reports of
each project through the (project, year, month) index instead of every report of the year and the project
of each (benchmarks/dashboard.py: 75 ms instead of 190 ms at 20,000 projects). Every query that filters
projects reads the whole projects table of a province, so the figures share as few of them as they can. The
number of queries does not depend on the number of projects (pinned in tests/test_dashboards.py).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db.models import Count, DecimalField, F, FilteredRelation, OuterRef, Q, Subquery, Sum, Value
from django.urls import reverse
from django.utils.translation import gettext as _

from org.models import Region, Role, User
from problems.models import OPEN_STATUSES, Problem
from projects.models import STAGE_ORDER, Category, Project, Stage, project_visibility
from reports.models import Colour, MonthlyReport, ProjectColour, ReportStatus, ScheduleCurve

from . import extensions

ZERO = Decimal("0")
LIST_LENGTH = 10  # rows of the red list, the overdue problems and the leader's projects
STAGES = [*STAGE_ORDER, Stage.SUSPENDED, Stage.TERMINATED]
STARTED_STAGES = [Stage.CONSTRUCTION, Stage.COMPLETED, Stage.PRODUCTION]
COLOURS = [Colour.RED, Colour.YELLOW, Colour.BLUE]


def rate(part, whole) -> Decimal | None:
    """``part`` as a percentage of ``whole``, one decimal; None without a whole."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# ---- what the page shows ----


@dataclass(frozen=True)
class Slice:
    """One bar or slice of a chart: what it counts and the list that counts the same."""

    key: str
    label: str
    count: int
    url: str | None = None


@dataclass
class Sums:
    projects: int = 0
    started: int = 0
    total_investment: Decimal = ZERO
    annual_plan: Decimal = ZERO
    completed: Decimal = ZERO

    @property
    def completion_rate(self) -> Decimal | None:
        return rate(self.completed, self.annual_plan)

    @property
    def start_rate(self) -> Decimal | None:
        return rate(self.started, self.projects)


@dataclass
class Totals(Sums):
    through_month: int | None = None  # the last month with approved figures this year
    schedule_share: Decimal | None = None  # 序时进度 at that month

    @property
    def lag(self) -> Decimal | None:
        """Points behind the schedule (negative: ahead)."""
        if self.schedule_share is None or self.completion_rate is None:
            return None
        return self.schedule_share - self.completion_rate


@dataclass
class SubregionRow(Sums):
    region: Region | None = None  # None: projects placed in the region itself (本级)
    rank: int | None = None
    rank_change: int | None = None
    score: Decimal | None = None
    gap: object | None = None  # rankings.targets.GapRow
    url: str | None = None
    dashboard_url: str | None = None


@dataclass
class Trend:
    months: list[int]
    completed: list[Decimal]  # this year, per month
    cumulative_rate: list[Decimal | None]  # completion of the annual plan, month by month
    schedule: list[Decimal]  # 序时进度 per month


@dataclass
class Dashboard:
    region: Region
    year: int
    month: int
    today: datetime.date
    totals: Totals
    stages: list[Slice]
    categories: list[Slice]
    colours: list[Slice]
    trend: Trend
    subregions: list[SubregionRow]
    subregion_kind: str  # "region" | "zone"
    ranked_by_snapshot: bool
    red_list: list[ProjectColour]
    red_count: int
    red_url: str | None
    problems_open: Slice
    problems_overdue: Slice
    overdue: list[Problem]
    gap: object | None = None  # rankings.targets.GapRow of the region, where it has a target
    stalled: list[Slice] = field(default_factory=list)
    projects_url: str = ""
    links: "Links | None" = None
    own_projects: list[Project] | None = None  # a leader's own projects (包联)
    own_count: int = 0
    own_url: str | None = None

    @property
    def problem_slices(self) -> list[Slice]:
        return [self.problems_open, self.problems_overdue]


# ---- links ----


class Links:
    """URLs of the lists behind the figures: the region is named only when it is not the user's own."""

    def __init__(self, user: User, region: Region, year: int, month: int):
        self.user, self.year, self.month = user, year, month
        self.region_param = {} if region.pk == user.region_id else {"region": region.pk}
        self.may_oversee = user.can_edit_projects or user.role == Role.LEADER

    def url(self, name: str, *, in_region: bool = True, **params) -> str:
        """The list's URL with ``params``; ``in_region`` adds the dashboard's region unless ``params`` name one."""
        query = {**(self.region_param if in_region else {}), **{k: v for k, v in params.items() if v is not None}}
        return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)

    def projects(self, **params) -> str:
        return self.url("projects:list", **params)

    def colours(self, colour: str) -> str | None:
        """This month's colour list: the key-project office's and the leaders' (reports.views.may_oversee)."""
        if not self.may_oversee:
            return None
        return self.url("reports:colours", month=f"{self.year}-{self.month:02d}", colour=colour)

    def problems(self, **params) -> str:
        return self.url("problems:list", **params)

    def dashboard(self, region: Region) -> str:
        if region.pk == self.user.region_id:
            return reverse("dashboards:index")
        return reverse("dashboards:region", args=[region.pk])


# ---- the queries ----


# The projects' region as an expression, not the column, to group by. With the column SQLite walks the
# projects through the region index to have them in region order (twice as slow as reading the table at
# 20,000 projects), and PostgreSQL, grouping by a text path, sorts them all; an integer it hashes.
REGION_KEY = F("region_id") + Value(0)


def ledger_scope(user: User, region: Region, prefix: str = "") -> Q:
    """Visible to the user, in the region's subtree, not archived: the rows the ledger counts."""
    return (
        project_visibility(user, prefix)
        & Q(**{f"{prefix}region__path__startswith": region.path})
        & Q(**{f"{prefix}archived_at__isnull": True})
    )


def _counted(field: str, values) -> dict:
    """``{"<field>:<value>": Count(filter=...)}``: how many projects of the group have each value."""
    return {f"{field}:{value}": Count("pk", filter=Q(**{field: value})) for value in values}


# The counts each group of projects carries, besides its sums.
COUNTS = {
    **_counted("stage", STAGES),
    **_counted("category", Category.values),
    **_counted("this_month__colour", COLOURS),
}


def _project_rows(user: User, region: Region, year: int, month: int):
    """One row per (region id, zone id): count, total investment, this year's plan, and the count per stage,
    category and colour of this month (a column each: a few hundred rows for a province, not thousands).

    A project has at most one annual plan a year and one colour a month, so the joins add no rows. A month's
    colours are kept for current projects only (an archived project loses its colour when the month is
    recomputed, as a project's save does), so these colour counts are the colour list's (reports:colours).
    """
    plan = FilteredRelation("annual_plans", condition=Q(annual_plans__year=year))
    colour = FilteredRelation("colours", condition=Q(colours__year=year, colours__month=month))
    return (
        Project.objects.filter(ledger_scope(user, region))
        .annotate(plan_row=plan, this_month=colour, region_key=REGION_KEY)
        .values("region_key", "zone_id")
        .annotate(n=Count("pk"), investment=Sum("total_investment"), plan=Sum("plan_row__amount"), **COUNTS)
        .order_by()
    )


def _report_rows(user: User, region: Region, year: int):
    """(region id, zone id, month, approved completed investment) of this year; month None: no report."""
    approved = FilteredRelation("reports", condition=Q(reports__year=year, reports__status=ReportStatus.APPROVED))
    return (
        Project.objects.filter(ledger_scope(user, region))
        .annotate(approved=approved, region_key=REGION_KEY)
        .values_list("region_key", "zone_id", "approved__month")
        .annotate(amount=Sum("approved__completed"))
        .order_by()
    )


RED_ORDER = ["-lag_points", "-start_overdue_days", "-problem_overdue_days", "pk"]


def _red_list(user: User, region: Region, year: int, month: int) -> list[ProjectColour]:
    """The month's red projects furthest behind first: the first ten picked from the colour rows alone, their
    projects read after (joining every red row to its project made PostgreSQL read the whole projects table).
    The base manager: the subquery is the user's scope already."""
    projects = Project.objects.filter(project_visibility(user) & Q(region__path__startswith=region.path))
    red = ProjectColour._base_manager.filter(
        year=year, month=month, colour=Colour.RED, project__in=projects.values("pk")
    ).order_by(*RED_ORDER)
    first = red.values("pk")[:LIST_LENGTH]
    return list(ProjectColour._base_manager.filter(pk__in=first).select_related("project__region").order_by(*RED_ORDER))


def _problems(user: User, region: Region):
    """The problem list's rows (problems:list): the user's own region needs no region filter."""
    problems = Problem.objects.visible_to(user)
    if region.pk != user.region_id:
        problems = problems.filter(project__region__path__startswith=region.path)
    return problems


def _problem_counts(user: User, region: Region, today: datetime.date) -> tuple[int, int]:
    """(open, overdue): the problem list's "未销号" and "仅逾期" counts."""
    counts = _problems(user, region).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, deadline__lt=today)),
    )
    return counts["open"], counts["overdue"]


def _overdue(user: User, region: Region, today: datetime.date) -> list[Problem]:
    problems = _problems(user, region).overdue(today).select_related("project__region", "department", "leader")
    return list(problems.order_by("deadline", "pk")[:LIST_LENGTH])


def _own_projects(user: User, year: int, month: int) -> tuple[list[Project], int]:
    """A leader's projects (包联), largest first, with this year's plan, completed and this month's colour."""
    projects = Project.objects.visible_to(user).current().filter(leader=user)
    completed = (
        MonthlyReport.objects.filter(project=OuterRef("pk"), year=year, status=ReportStatus.APPROVED)
        .order_by()
        .values("project")
        .annotate(s=Sum("completed"))
        .values("s")
    )
    colour = ProjectColour.objects.filter(project=OuterRef("pk"), year=year, month=month).values("colour")
    rows = (
        projects.with_annual_plan(year)
        .annotate(completed=Subquery(completed, output_field=DecimalField()), colour=Subquery(colour[:1]))
        .select_related("region")
        .order_by("-total_investment", "pk")
    )
    labels = dict(Colour.choices)
    rows = list(rows[:LIST_LENGTH])
    for project in rows:
        project.colour_label = labels.get(project.colour, "")
    return rows, projects.count()


# ---- folding the grouped rows ----


def _subtree(region: Region) -> tuple[list[Region], str, list[Region]]:
    """The rows of the subregion table (the direct subregions, or a county's development zones), their kind,
    and every region of the subtree (to fold the grouped rows by region id)."""
    subtree = list(Region.objects.filter(path__startswith=region.path).order_by("code"))
    children = [r for r in subtree if r.parent_id == region.pk]
    regions = [child for child in children if not child.is_zone]
    if regions:
        return regions, "region", subtree
    return [child for child in children if child.is_zone], "zone", subtree


class _Fold:
    """Adds a grouped row (region id, zone id) to the totals and to the subregion row it belongs to."""

    def __init__(self, region: Region, children: list[Region], kind: str, subtree: list[Region]):
        self.region, self.kind = region, kind
        self.rows = {child.pk: SubregionRow(region=child) for child in children}
        self.own = SubregionRow(region=None)
        self.totals = Totals()
        by_path = {child.path: self.rows[child.pk] for child in children}
        # Each region of the subtree -> the row of the subregion it lies in, or the region's own row (本级).
        self.by_region = {r.pk: by_path.get(self._child_path(r), self.own) for r in subtree}

    def _child_path(self, region: Region) -> str:
        rest = region.path[len(self.region.path) :]
        return f"{self.region.path}{rest.split('/', 1)[0]}/" if rest else ""

    def rows_of_kind(self, kind: str) -> list[Region]:
        return [row.region for row in self.rows.values()] if self.kind == kind else []

    def targets(self, region_id: int, zone_id: int | None) -> list[Sums]:
        row = self.rows.get(zone_id) if self.kind == "zone" else self.by_region.get(region_id, self.own)
        return [self.totals] if row is None else [self.totals, row]


def _fold_projects(rows, fold: _Fold) -> dict[str, int]:
    """Totals and subregion rows from query 1; returns "stage:…", "category:…" and "this_month__colour:…" counts."""
    counts = dict.fromkeys(COUNTS, 0)
    for row in rows:
        started = sum(row[f"stage:{stage}"] for stage in STARTED_STAGES)
        for key in COUNTS:
            counts[key] += row[key]
        for target in fold.targets(row["region_key"], row["zone_id"]):
            target.projects += row["n"]
            target.started += started
            target.total_investment += row["investment"] or ZERO
            target.annual_plan += row["plan"] or ZERO
    return counts


def _fold_reports(rows, fold: _Fold) -> dict[int, Decimal]:
    """This year's completed investment into the totals and rows; returns month -> amount."""
    by_month = defaultdict(lambda: ZERO)
    for region_id, zone, month, amount in rows:
        if month is None:
            continue
        by_month[month] += amount
        for target in fold.targets(region_id, zone):
            target.completed += amount
    return by_month


def _set_schedule(totals: Totals, by_month: dict, shares: list[Decimal], month: int) -> None:
    """序时进度 at the last month with approved figures: the month the completed investment runs to."""
    filed = [m for m, amount in by_month.items() if m <= month and amount]
    if filed:
        totals.through_month = max(filed)
        totals.schedule_share = shares[totals.through_month - 1]


def _stage_slices(counts: dict, links: Links) -> list[Slice]:
    labels = dict(Stage.choices)
    return [Slice(s, str(labels[s]), counts[f"stage:{s}"], links.projects(stage=s)) for s in STAGES]


def _category_slices(counts: dict, links: Links) -> list[Slice]:
    return [
        Slice(key, str(label), counts[f"category:{key}"], links.projects(category=key))
        for key, label in Category.choices
    ]


def _colour_slices(counts: dict, links: Links) -> list[Slice]:
    labels = dict(Colour.choices)
    return [Slice(c, str(labels[c]), counts[f"this_month__colour:{c}"], links.colours(c)) for c in COLOURS]


def _trend(by_month: dict, plan: Decimal, shares: list[Decimal], month: int) -> Trend:
    months = list(range(1, month + 1))
    completed = [by_month.get(m, ZERO) for m in months]
    cumulative, running = [], ZERO
    for value in completed:
        running += value
        cumulative.append(rate(running, plan))
    return Trend(
        months=months,
        completed=completed,
        cumulative_rate=cumulative,
        schedule=[shares[m - 1] for m in months],
    )


def _rank(rows: list[SubregionRow], snapshot) -> bool:
    """Ranks from the latest horse-race snapshot; without one, by completion rate (then completed)."""
    entries = {entry.region_id: entry for entry in snapshot.entries.all()} if snapshot is not None else {}
    if entries:
        for row in rows:
            entry = entries.get(row.region.pk)
            if entry is not None:
                row.rank, row.rank_change, row.score = entry.rank, entry.rank_change, entry.score
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.region.code))
        return True
    rows.sort(key=lambda r: (r.completion_rate is None, -(r.completion_rate or 0), -r.completed, r.region.code))
    for position, row in enumerate(rows, start=1):
        row.rank = position if row.completion_rate is not None else None
    return False


# ---- the dashboard ----


def build(user: User, region: Region, today: datetime.date) -> Dashboard:
    year, month = today.year, today.month
    links = Links(user, region, year, month)
    children, kind, subtree = _subtree(region)
    fold = _Fold(region, children, kind, subtree)
    counts = _fold_projects(_project_rows(user, region, year, month), fold)
    by_month = _fold_reports(_report_rows(user, region, year), fold)
    totals = fold.totals
    shares = ScheduleCurve.shares_for(region, year)
    _set_schedule(totals, by_month, shares, month)
    rows, ranked = _subregion_rows(fold, kind, region, links)
    gaps = _gaps(fold, rows, year, month)
    problems_open, problems_overdue = _problem_counts(user, region, today)
    dashboard = Dashboard(
        region=region,
        year=year,
        month=month,
        today=today,
        totals=totals,
        stages=_stage_slices(counts, links),
        categories=_category_slices(counts, links),
        colours=_colour_slices(counts, links),
        trend=_trend(by_month, totals.annual_plan, shares, month),
        subregions=rows,
        subregion_kind=kind,
        ranked_by_snapshot=ranked,
        red_list=_red_list(user, region, year, month),
        red_count=counts[f"this_month__colour:{Colour.RED}"],
        red_url=links.colours(Colour.RED),
        problems_open=Slice("open", _("未销号问题"), problems_open, links.problems(status="open")),
        problems_overdue=Slice("overdue", _("逾期问题"), problems_overdue, links.problems(overdue="on")),
        overdue=_overdue(user, region, today),
        gap=gaps.get(region.pk),
        stalled=extensions.stalled(user, region, today, links),
        projects_url=links.projects(),
        links=links,
    )
    if user.role == Role.LEADER:
        dashboard.own_projects, dashboard.own_count = _own_projects(user, year, month)
        dashboard.own_url = links.url("projects:list", in_region=False, leader=user.pk)
    return dashboard


def _gaps(fold: _Fold, rows: list[SubregionRow], year: int, month: int) -> dict:
    """The gap to target of the region and of each subregion (rankings' targets; zones have none)."""
    regions = [fold.region, *fold.rows_of_kind("region")]
    gaps = extensions.gap_rows(regions, year, month, {fold.region.pk: fold.totals, **fold.rows})
    for row in rows:
        row.gap = gaps.get(row.region.pk) if row.region else None
    return gaps


def _subregion_rows(fold: _Fold, kind: str, region: Region, links: Links) -> tuple[list[SubregionRow], bool]:
    rows = list(fold.rows.values())
    ranked = _rank(rows, extensions.ranking_snapshot(region) if kind == "region" else None)
    for row in rows:
        row.url = links.projects(region=row.region.pk)
        row.dashboard_url = links.dashboard(row.region) if kind == "region" else None
    if fold.own.projects:
        rows.append(fold.own)  # projects placed in the region itself (本级): no list filters exactly them
    return rows, ranked

"""The figures a bulletin reports for a region and month, each a handful of set-based queries.

"The projects of the year" (``listed``) are the region subtree's current projects with an annual plan for
the year, terminated ones excepted. Year-to-date completion is the sum of the approved monthly reports of
the year up to the month. Counts of starts, completions and productions go by their actual dates up to the
month's end (``as_of``), so a past month's bulletin counts what had happened by then. Callers run these
outside any user scope (``scopes_disabled``): the view has checked access to the region already.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import CharField, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, StrIndex, Substr
from django.utils import timezone

from org.models import Department, Region
from problems.models import OPEN_STATUSES, Problem
from projects.models import AnnualPlan, Project, Stage
from reports.models import Colour, MonthlyReport, ProjectColour, ReportStatus, ScheduleCurve

ZERO = Decimal("0")
TENTH = Decimal("0.1")
# How far back a red streak is looked for (months).
STREAK_WINDOW = 24


def rate(part, whole) -> Decimal | None:
    """``part`` as a percentage of ``whole``, one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, ROUND_HALF_UP)


def listed(region: Region, year: int) -> QuerySet:
    plans = AnnualPlan._base_manager.filter(year=year, amount__gt=0).values("project_id")
    return Project._base_manager.filter(
        region__path__startswith=region.path, archived_at__isnull=True, pk__in=plans
    ).exclude(stage=Stage.TERMINATED)


# ---- investment by group (subregion or department) and in total ----


@dataclass
class Group:
    key: str
    name: str
    projects: int = 0
    total_investment: Decimal = ZERO
    annual_plan: Decimal = ZERO
    completed: Decimal = ZERO
    started: int = 0
    rank: int | None = None

    @property
    def completion_rate(self) -> Decimal | None:
        return rate(self.completed, self.annual_plan)


@dataclass
class Breakdown:
    by: str  # "region" | "department"
    groups: list[Group]

    def total(self) -> Group:
        total = Group(key="", name="")
        for group in self.groups:
            total.projects += group.projects
            total.total_investment += group.total_investment
            total.annual_plan += group.annual_plan
            total.completed += group.completed
            total.started += group.started
        return total


def _child_prefix(path_field: str, region: Region):
    """The path of the direct subregion a row's region lies in (the region's own path for its own rows)."""
    length = len(region.path)
    rest = Substr(path_field, length + 1)
    return Substr(path_field, 1, StrIndex(rest, Value("/")) + length, output_field=CharField())


def _grouping(region: Region) -> tuple[str, dict[str, str]]:
    """Group by direct subregion where the region has any (a city, a province), else by department."""
    children = Region._base_manager.filter(parent=region).exclude(kind=Region.Kind.ZONE).order_by("code")
    names = {child.path: child.name for child in children}
    return ("region", names) if names else ("department", {})


def breakdown(region: Region, year: int, month: int, as_of: datetime.date) -> Breakdown:
    """Projects, plan and year-to-date completion per direct subregion (or department), ranked by rate."""
    by, names = _grouping(region)
    projects = listed(region, year)
    key = _group_key(by, region, "")
    start = datetime.date(year, 1, 1)
    rows = (
        projects.order_by().annotate(group=key).values("group")
        .annotate(
            n=Count("pk"), total=Sum("total_investment"),
            started=Count("pk", filter=Q(started_on__gte=start, started_on__lte=as_of)),
        )
    )  # fmt: skip
    plans = _grouped(AnnualPlan._base_manager.filter(year=year), by, region, projects, "amount")
    done = _grouped(_approved_ytd(year, month), by, region, projects, "completed")
    groups: dict[str, Group] = {}
    for row in rows:
        group = groups.setdefault(*_group_for(row["group"], by, region, names))
        group.projects += row["n"]
        group.total_investment += row["total"] or ZERO
        group.started += row["started"]
    for prefix, amount in plans.items():
        groups.setdefault(*_group_for(prefix, by, region, names)).annual_plan += amount
    for prefix, amount in done.items():
        groups.setdefault(*_group_for(prefix, by, region, names)).completed += amount
    if by == "region":
        for path, name in names.items():  # a subregion without projects still has its line
            groups.setdefault(path, Group(key=path, name=name))
    return Breakdown(by, _ranked(list(groups.values()), by, names, region))


def _group_key(by: str, region: Region, prefix: str):
    if by == "region":
        return _child_prefix(f"{prefix}region__path", region)
    return Coalesce(F(f"{prefix}department_id"), Value(0))


def _grouped(queryset, by: str, region: Region, projects, amount: str) -> dict:
    rows = (
        queryset.filter(project__in=projects.values("pk")).order_by()
        .annotate(group=_group_key(by, region, "project__")).values("group")
        .annotate(s=Sum(amount))
    )  # fmt: skip
    return {row["group"]: Decimal(row["s"] or 0) for row in rows}


def _approved_ytd(year: int, month: int):
    return MonthlyReport._base_manager.filter(year=year, month__lte=month, status=ReportStatus.APPROVED)


OWN_LEVEL = "own"


def _group_for(value, by: str, region: Region, names: dict[str, str]) -> tuple[str, Group]:
    """The group a grouped row belongs to: a subregion; the region's own level (with its zones); a department."""
    if by == "region":
        key = value if value in names else OWN_LEVEL
        return key, Group(key=key, name=names.get(key) or own_level_name(region))
    key = str(value or 0)
    return key, Group(key=key, name="")


def own_level_name(region: Region) -> str:
    from django.utils.translation import gettext as _

    return _("%(level)s本级") % {"level": region.name[-1]}


def _ranked(groups: list[Group], by: str, names: dict[str, str], region: Region) -> list[Group]:
    """Highest completion rate first, equal rates share a rank (1, 2, 2, 4); groups without plan unranked, last."""
    if by == "department":
        _name_departments(groups)
    order = {path: index for index, path in enumerate(names)}
    groups.sort(key=lambda g: (g.completion_rate is None, -(g.completion_rate or 0), order.get(g.key, len(order)),
                               g.name))  # fmt: skip
    previous, rank = None, 0
    for position, group in enumerate(groups, start=1):
        if group.completion_rate is None:
            continue
        if group.completion_rate != previous:
            rank, previous = position, group.completion_rate
        group.rank = rank
    return groups


def _name_departments(groups: list[Group]) -> None:
    from django.utils.translation import gettext as _

    ids = [int(g.key) for g in groups if g.key != "0"]
    names = dict(Department._base_manager.filter(pk__in=ids).values_list("pk", "name"))
    for group in groups:
        group.name = names.get(int(group.key)) or _("未明确责任单位")


# ---- the summary ----


@dataclass
class Summary:
    total: Group
    schedule_share: Decimal
    planned_starts: int
    planned_started: int
    completed: int
    in_production: int
    colours: dict[str, int] = field(default_factory=dict)
    problems_overdue: int = 0

    @property
    def completion_rate(self) -> Decimal | None:
        return self.total.completion_rate

    @property
    def lag(self) -> Decimal | None:
        """Points behind the schedule share (negative: ahead)."""
        if self.completion_rate is None:
            return None
        return (self.schedule_share - self.completion_rate).quantize(TENTH)

    @property
    def start_rate(self) -> Decimal | None:
        return rate(self.planned_started, self.planned_starts)


def summary(region: Region, year: int, month: int, as_of: datetime.date, groups: Breakdown, overdue: int) -> Summary:
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    planned = Q(planned_start_on__gte=start, planned_start_on__lte=end)
    counts = listed(region, year).aggregate(
        planned_starts=Count("pk", filter=planned),
        planned_started=Count("pk", filter=planned & Q(started_on__lte=as_of)),
        completed=Count("pk", filter=Q(completed_on__gte=start, completed_on__lte=as_of)),
        in_production=Count("pk", filter=Q(production_on__gte=start, production_on__lte=as_of)),
    )
    return Summary(
        total=groups.total(),
        schedule_share=ScheduleCurve.share(region, year, month),
        colours=colour_counts(region, year, month),
        problems_overdue=overdue,
        **counts,
    )


def colour_counts(region: Region, year: int, month: int) -> dict[str, int]:
    rows = (
        ProjectColour._base_manager.filter(year=year, month=month, project__region__path__startswith=region.path)
        .order_by().values("colour").annotate(n=Count("pk"))
    )  # fmt: skip
    counts = {row["colour"]: row["n"] for row in rows}
    return {colour: counts.get(colour, 0) for colour in Colour.values}


# ---- the red list ----


def red_list(region: Region, year: int, month: int) -> list[ProjectColour]:
    """The month's red projects, by subregion then furthest behind; each with ``red_months`` (its red streak)."""
    rows = list(
        ProjectColour._base_manager.filter(
            year=year, month=month, colour=Colour.RED, project__region__path__startswith=region.path
        )
        .select_related("project__region", "project__department", "project__leader")
        .order_by("project__region__path", F("lag_points").desc(nulls_last=True), "project__name", "pk")
    )
    streaks = red_streaks([row.project_id for row in rows], year, month)
    for row in rows:
        row.red_months = streaks.get(row.project_id, 1)
    return rows


def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def red_streaks(project_ids: list[int], year: int, month: int) -> dict[int, int]:
    """Months running each project has been red up to (year, month), in one query."""
    if not project_ids:
        return {}
    last = _month_index(year, month)
    first_year = (last - STREAK_WINDOW + 1) // 12
    reds = ProjectColour._base_manager.filter(
        project_id__in=project_ids, colour=Colour.RED, year__gte=first_year, year__lte=year
    ).values_list("project_id", "year", "month")
    months: dict[int, set[int]] = {}
    for project_id, y, m in reds:
        months.setdefault(project_id, set()).add(_month_index(y, m))
    streaks = {}
    for project_id, red in months.items():
        index = last
        while index in red:
            index -= 1
        streaks[project_id] = last - index
    return streaks


# ---- the stalled lists by subregion ----


@dataclass
class Spread:
    """How many rows each stalled list has, per direct subregion (a county's own rows under one key)."""

    names: dict[str, str]  # group key -> name, in display order
    counts: dict[str, dict[str, int]]  # list key -> group key -> rows

    def total(self, key: str) -> int:
        return sum(self.counts[key].values())

    def rows(self) -> list[tuple[str, list[int]]]:
        """(group name, count per list) for each group, in order."""
        return [(name, [self.counts[key].get(group, 0) for key in self.counts]) for group, name in self.names.items()]


def stalled_spread(region: Region, lists: dict) -> Spread:
    """Count ``lists`` (``batches.stalled.stalled_lists``) by direct subregion: one grouped query per list.

    A region without subregions (a county) gets one group, itself. Rows of the region's own level (and of its
    zones) are counted as 本级, listed after the subregions where there are any.
    """
    by, names = _grouping(region)
    if by != "region":
        return Spread({OWN_LEVEL: region.name}, {key: {OWN_LEVEL: rows.count()} for key, rows in lists.items()})
    prefix = _child_prefix("region__path", region)
    counts: dict[str, dict[str, int]] = {}
    for key, rows in lists.items():
        counts[key] = {}
        for row in rows.order_by().annotate(group=prefix).values("group").annotate(n=Count("pk")):
            group = row["group"] if row["group"] in names else OWN_LEVEL
            counts[key][group] = counts[key].get(group, 0) + row["n"]
    if any(OWN_LEVEL in by_group for by_group in counts.values()):
        names = {**names, OWN_LEVEL: own_level_name(region)}
    return Spread(names, counts)


# ---- overdue problems ----


def overdue_problems(region: Region, as_of: datetime.date) -> list[Problem]:
    """Problems open and past their deadline at the end of ``as_of`` (a problem struck off later counts).

    Each carries ``days_late``: days past its deadline on ``as_of``.
    """
    end = timezone.make_aware(datetime.datetime.combine(as_of, datetime.time.max))
    rows = list(
        Problem._base_manager.filter(region_path__startswith=region.path, deadline__lt=as_of, created_at__lte=end)
        .filter(Q(status__in=OPEN_STATUSES) | Q(closed_at__gt=end))
        .select_related("project__region", "department", "leader")
        .order_by("deadline", "pk")
    )
    for problem in rows:
        problem.days_late = (as_of - problem.deadline).days
    return rows

"""The indicator figures of a ranking, in a fixed handful of GROUP BY queries whatever the number of projects.

Each query groups the rows of the whole subtree by the project's region (or by the department), never by
subject: grouping by an integer column is cheap, and the few hundred (region, sums) rows that come back are
folded into the subjects here, through a map from every region of the subtree to the direct subregion it lies
in. Projects placed in the ranked region itself (本级) or in a development zone hanging directly off it
belong to no subregion and count only in the department ranking.

The definitions (DOMAIN.md "Targets, rankings"), for a period ending on ``end`` in year ``Y``:

- completion: approved monthly figures of Y up to the period's last month, of the current projects with an
  annual plan for Y, over the sum of those plans;
- start (production): current projects whose planned start (production) date lies between 1 January of Y and
  ``end``; the share of them that started (went into production) on or before ``end``;
- signing: signed investment from 1 January to ``end`` over the year's signing target, from
  ``attraction.stats`` (no target: no value);
- problems: problems whose deadline lies in the period, up to ``as_of`` (a running period counts only the
  deadlines passed); the share struck off by their deadline — ``Problem.closed_on_time``, the flag the
  department inbox's closure figure counts (``problems.inbox``);
- timeliness: per month of the period, the reports owed (projects in a reporting stage that had entered it
  by the month's end, as on the period overview, plus any project that filed) and those submitted or
  approved with a submission date no later than the period's close date.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, Count, F, FilteredRelation, Func, Q, Sum
from django.utils import timezone

from org.models import Department, Region
from problems.models import Problem, Status
from projects.models import REPORTING_STAGES, AnnualPlan, Project
from reports.models import MonthlyReport, ReportStatus

from .models import Dimension, RankingPeriod, month_end
from .scoring import rate

FILED = [ReportStatus.SUBMITTED, ReportStatus.APPROVED]
ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass
class Figures:
    """The numerators and denominators of one subject's indicators."""

    completed: Decimal = ZERO
    plan: Decimal = ZERO
    started: int = 0
    due_start: int = 0
    produced: int = 0
    due_production: int = 0
    signed: Decimal | None = None
    signing_target: Decimal | None = None
    problems_on_time: int = 0
    problems_due: int = 0
    reports_on_time: int = 0
    reports_expected: int = 0

    def indicators(self) -> dict[str, Decimal | None]:
        return {
            "completion": rate(self.completed, self.plan),
            "start": rate(self.started, self.due_start),
            "production": rate(self.produced, self.due_production),
            "signing": rate(self.signed or ZERO, self.signing_target),
            "problems": rate(self.problems_on_time, self.problems_due),
            "timeliness": rate(self.reports_on_time, self.reports_expected),
        }

    def as_json(self) -> dict[str, str | int | None]:
        """Money with two decimals whatever the database summed it as (SQLite keeps whole 万元 as integers)."""
        return {
            name: (str(value.quantize(CENT)) if isinstance(value, Decimal) else value)
            for name, value in vars(self).items()
        }


# ---- who is ranked, and how rows fold into them ----


@dataclass
class Subjects:
    """The ranked subjects of a region and the lookups that group rows by them."""

    region: Region
    dimension: str
    items: list = field(default_factory=list)  # Region or Department rows, in display order
    fold: dict[int, int] = field(default_factory=dict)  # grouped key value -> subject pk

    @property
    def pks(self) -> list[int]:
        return [item.pk for item in self.items]

    def project_key(self, prefix: str = "") -> str:
        return f"{prefix}region_id" if self.dimension == Dimension.REGION else f"{prefix}department_id"

    def project_filter(self, prefix: str = "") -> Q:
        """Projects of the subtree; for departments, only those the region's departments answer for."""
        where = Q(**{f"{prefix}region__path__startswith": self.region.path})
        if self.dimension == Dimension.DEPARTMENT:
            where &= Q(**{f"{prefix}department_id__in": self.pks})
        return where


def subjects_of(region: Region, dimension: str) -> Subjects:
    """Direct subregions (development zones are units of their county, not ranked) or departments: 2 queries
    for subregions (them, and the map of the subtree), 1 for departments."""
    if dimension == Dimension.DEPARTMENT:
        departments = list(Department._base_manager.filter(region=region).order_by("name", "pk"))
        return Subjects(region, dimension, departments, {d.pk: d.pk for d in departments})
    children = list(Region._base_manager.filter(parent=region).exclude(kind=Region.Kind.ZONE).order_by("code"))
    by_code = {child.code: child.pk for child in children}
    index = region.path.count("/")  # of the child's code in a path split on "/": "/140000/141100/" -> 3
    fold = {}
    for pk, path in Region._base_manager.filter(path__startswith=region.path).values_list("pk", "path"):
        parts = path.split("/")
        if len(parts) > index + 1 and parts[index] in by_code:
            fold[pk] = by_code[parts[index]]
    return Subjects(region, dimension, children, fold)


def _add(figures: dict[int, Figures], subjects: Subjects, rows, key: str, **names: str) -> None:
    """Add each grouped row's sums (row column -> Figures attribute) into the subject it folds into."""
    for row in rows:
        subject = subjects.fold.get(row[key])
        if subject is None:
            continue
        line = figures[subject]
        for column, attribute in names.items():
            setattr(line, attribute, getattr(line, attribute) + (row[column] or 0))


# ---- the figures ----


def figures_for(subjects: Subjects, period: RankingPeriod, as_of) -> dict[int, Figures]:
    """subject pk -> Figures for the period: 4 queries plus one per month of the period, plus attraction's."""
    figures = {pk: Figures() for pk in subjects.pks}
    if not figures:
        return figures
    _completion(figures, subjects, period)
    _stages(figures, subjects, period)
    _problems(figures, subjects, period, as_of)
    for month in period.months:
        _timeliness(figures, subjects, period.year, month)
    _signing(figures, subjects, period)
    return figures


def _completion(figures, subjects: Subjects, period: RankingPeriod) -> None:
    key = subjects.project_key("project__")
    current = subjects.project_filter("project__") & Q(project__archived_at__isnull=True)
    plans = (
        AnnualPlan._base_manager.filter(current, year=period.year, amount__gt=0)
        .order_by()
        .values(key)
        .annotate(plan=Sum("amount"))
    )
    _add(figures, subjects, plans, key, plan="plan")
    # One plan per project and year (annualplan_one_per_year): the join cannot repeat a report.
    done = (
        MonthlyReport._base_manager.filter(
            current,
            status=ReportStatus.APPROVED,
            year=period.year,
            month__lte=period.last_month,
            project__annual_plans__year=period.year,
            project__annual_plans__amount__gt=0,
        )
        .order_by()
        .values(key)
        .annotate(completed=Sum("completed"))
    )
    _add(figures, subjects, done, key, completed="completed")


def _stages(figures, subjects: Subjects, period: RankingPeriod) -> None:
    key = subjects.project_key()
    window = (period.year_start, period.end)
    due_start = Q(planned_start_on__range=window)
    due_production = Q(planned_production_on__range=window)
    rows = (
        Project._base_manager.filter(subjects.project_filter(), archived_at__isnull=True)
        .filter(due_start | due_production)
        .order_by()
        .values(key)
        .annotate(
            due_start=Count("pk", filter=due_start),
            started=Count("pk", filter=due_start & Q(started_on__lte=period.end)),
            due_production=Count("pk", filter=due_production),
            produced=Count("pk", filter=due_production & Q(production_on__lte=period.end)),
        )
    )
    names = {name: name for name in ("due_start", "started", "due_production", "produced")}
    _add(figures, subjects, rows, key, **names)


def _problems(figures, subjects: Subjects, period: RankingPeriod, as_of) -> None:
    # Departments answer for the problems assigned to them, whichever department runs the project.
    if subjects.dimension == Dimension.DEPARTMENT:
        key, where = (
            "department_id",
            Q(project__region__path__startswith=subjects.region.path, department_id__in=subjects.pks),
        )
    else:
        key, where = "project__region_id", Q(project__region__path__startswith=subjects.region.path)
    last = min(period.end, as_of)
    on_time = Q(status=Status.STRUCK_OFF, closed_on_time=True)
    rows = (
        Problem._base_manager.filter(where, deadline__range=(period.start, last))
        .order_by()
        .values(key)
        .annotate(due=Count("pk"), on_time=Count("pk", filter=on_time))
    )
    _add(figures, subjects, rows, key, due="problems_due", on_time="problems_on_time")


def _timeliness(figures, subjects: Subjects, year: int, month: int) -> None:
    key = subjects.project_key()
    end = month_end(year, month)
    entered = Q(preparing_on__lte=end) | Q(started_on__lte=end) | Q(preparing_on__isnull=True, started_on__isnull=True)
    filed = Q(this_month__status__in=FILED)
    on_time = filed & Q(SubmittedBy("this_month__submitted_at", "this_month__period__closes_on", year, month))
    rows = (
        Project._base_manager.filter(subjects.project_filter(), archived_at__isnull=True)
        .annotate(this_month=FilteredRelation("reports", condition=Q(reports__year=year, reports__month=month)))
        .filter((Q(stage__in=REPORTING_STAGES) & entered) | filed)
        .order_by()
        .values(key)
        .annotate(expected=Count("pk"), on_time=Count("pk", filter=on_time))
    )
    _add(figures, subjects, rows, key, expected="reports_expected", on_time="reports_on_time")


class SubmittedBy(Func):
    """A submission time fell on or before a close date, in local time (as the period overview judges late).

    ``TruncDate`` with a time zone is what reports.overview uses, but on SQLite it calls a Python function for
    every row (``django_datetime_cast_date``): 0.3 s of the province's monthly ranking. Here the close date's end
    is local midnight after it: PostgreSQL converts it exactly (``AT TIME ZONE``); on SQLite, where aware
    datetimes are stored as UTC text, it is shifted by the zone's UTC offset in that month (China keeps one
    offset all year), and compared as text.
    """

    output_field = BooleanField()

    def __init__(self, moment: str, day: str, year: int, month: int):
        super().__init__(F(moment), F(day))
        zone = timezone.get_current_timezone()
        self.zone = str(zone)
        offset = zone.utcoffset(datetime.datetime(year, month, 15)) or datetime.timedelta(0)
        self.offset_minutes = int(offset.total_seconds() // 60)

    def _parts(self, compiler, connection):
        moment, moment_params = compiler.compile(self.source_expressions[0])
        day, day_params = compiler.compile(self.source_expressions[1])
        return moment, day, [*moment_params, *day_params]

    def as_sql(self, compiler, connection, **extra):
        moment, day, params = self._parts(compiler, connection)
        return f"({moment} < (({day} + 1)::timestamp AT TIME ZONE %s))", [*params, self.zone]

    def as_sqlite(self, compiler, connection, **extra):
        moment, day, params = self._parts(compiler, connection)
        return f"({moment} < datetime({day}, '+1 day', %s))", [*params, f"{-self.offset_minutes} minutes"]


# ---- signed investment, from the attraction app ----


def _signing(figures, subjects: Subjects, period: RankingPeriod) -> None:
    signed, targets = signing_figures(subjects, period)
    for pk, line in figures.items():
        line.signed = _decimal(signed.get(pk))
        line.signing_target = _decimal(targets.get(pk))


def signing_figures(subjects: Subjects, period: RankingPeriod) -> tuple[dict, dict]:
    """(signed from 1 January to the period's end, the year's target), by subject pk, from attraction.stats.

    Departments have a target only if attraction offers ``signing_target_by_department``; without a target
    the indicator has no value and its weight goes to the others (rankings.scoring).
    """
    try:
        from attraction import stats
    except ImportError:
        return {}, {}
    region, start, end = subjects.region, period.year_start, period.end
    if subjects.dimension == Dimension.DEPARTMENT:
        signed_by, target_by = "signed_investment_by_department", "signing_target_by_department"
    else:
        signed_by, target_by = "signed_investment_by_region", "signing_target_by_region"
    signed = getattr(stats, signed_by, None)
    target = getattr(stats, target_by, None)
    return (
        signed(region, start, end) if signed else {},
        target(region, period.year) if target else {},
    )


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)

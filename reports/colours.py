"""The red/yellow/blue colours, recomputed for a whole region in set-based SQL.

For a month, every current project in a coloured stage gets one ``ProjectColour`` row.
The inputs (annual plan, approved year-to-date, schedule share, lag, planned start,
last month's colour) and the rules are evaluated by one ``INSERT … SELECT … ON
CONFLICT DO UPDATE`` per group of regions sharing the same rules and schedule curve,
so 20,000 projects cost a handful of statements, not 20,000 saves. Which rules fired
is kept as bit flags; ``reason_texts`` turns them into sentences when shown.

A coordinator's override survives a recompute: the rule colour is updated, the
shown colour stays the override until it is cleared.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from enum import IntFlag

from django.db import connection, models, transaction
from django.db.models import (
    Case,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from org.models import Region
from problems.models import OPEN_STATUSES, Problem
from projects.models import COLOURED_STAGES, Project, Stage

from .models import (
    Colour,
    ProjectColour,
    ReportingRules,
    ReportStatus,
    ScheduleCurve,
    month_end,
    previous_month,
)


class Reason(IntFlag):
    RED_LAG = 1
    RED_START = 2
    RED_PROBLEM = 4
    RED_STREAK = 8
    RED_MEMORY = 16
    YELLOW_LAG = 32
    YELLOW_START = 64
    YELLOW_PROBLEM = 128


RED_REASONS = Reason.RED_LAG | Reason.RED_START | Reason.RED_PROBLEM | Reason.RED_STREAK | Reason.RED_MEMORY
YELLOW_REASONS = Reason.YELLOW_LAG | Reason.YELLOW_START | Reason.YELLOW_PROBLEM
PRE_START_STAGES = [Stage.SIGNED, Stage.PREPARING]


def current_month(today: datetime.date | None = None) -> tuple[int, int]:
    """The reporting month: the month we are in (its report is due by the close day)."""
    today = today or timezone.localdate()
    return today.year, today.month


def as_of_date(year: int, month: int, today: datetime.date | None = None) -> datetime.date:
    """Overdue days are counted to the month's end, or to today for the running month."""
    return min(month_end(year, month), today or timezone.localdate())


# ---- entry points ----


def recompute(year: int, month: int, region: Region | None = None, project_ids=None, today=None) -> int:
    """Recompute one month's colours for a region subtree, some projects, or everything. Returns rows written."""
    with scopes_disabled():
        projects = _in_scope(region, project_ids)
        groups = _rule_groups(projects, year)
        as_of = as_of_date(year, month, today)
        written = 0
        with transaction.atomic():
            _delete_uncoloured(projects, year, month)
            for (rules, share), region_ids in groups.items():
                written += _upsert(projects.filter(region_id__in=region_ids), rules, share, year, month, as_of)
        return written


def recompute_after_commit(project_ids, year: int, month: int) -> None:
    """Recompute once the surrounding transaction has committed (the changed figures are then visible)."""
    ids = list(project_ids)
    transaction.on_commit(lambda: recompute(year, month, project_ids=ids))


def reason_texts(colour: ProjectColour) -> list[str]:
    """The sentences behind a colour, e.g. "18.5 points behind schedule; start 41 days overdue"."""
    flags = Reason(colour.reason_flags)
    texts = []
    if flags & (Reason.RED_LAG | Reason.YELLOW_LAG):
        texts.append(
            _("落后序时进度 %(lag)s 个百分点（完成 %(rate)s%%，序时 %(share)s%%）")
            % {"lag": colour.lag_points, "rate": colour.completion_rate, "share": colour.schedule_share}
        )
    if flags & (Reason.RED_START | Reason.YELLOW_START):
        texts.append(_("逾期未开工 %(days)s 天") % {"days": colour.start_overdue_days})
    if flags & (Reason.RED_PROBLEM | Reason.YELLOW_PROBLEM):
        texts.append(_("问题逾期 %(days)s 天未办结") % {"days": colour.problem_overdue_days})
    if flags & Reason.RED_STREAK:
        texts.append(_("连续 %(n)s 个月黄色") % {"n": colour.yellow_streak})
    if flags & Reason.RED_MEMORY:
        texts.append(_("上月红色，尚未追上进度"))
    return texts


# ---- scope and rule groups ----


def _in_scope(region: Region | None, project_ids):
    projects = Project.objects.all()
    if region is not None:
        projects = projects.filter(region__path__startswith=region.path)
    if project_ids is not None:
        projects = projects.filter(pk__in=list(project_ids))
    return projects


@dataclass(frozen=True)
class Rules:
    """The thresholds that matter to the SQL, hashable so regions can be grouped by them."""

    red_lag: float
    yellow_lag: float
    red_start_days: int
    red_problem_days: int
    red_after_yellow_months: int
    colour_memory: bool

    @classmethod
    def of(cls, rules: ReportingRules) -> "Rules":
        return cls(
            float(rules.red_lag_points),
            float(rules.yellow_lag_points),
            rules.red_start_overdue_days,
            rules.red_problem_overdue_days,
            rules.red_after_yellow_months,
            rules.colour_memory,
        )


def _rule_groups(projects, year: int) -> dict[tuple[Rules, float], list[int]]:
    """Regions of the projects grouped by (rules, schedule curve): one statement per group."""
    region_ids = set(projects.order_by().values_list("region_id", flat=True).distinct())
    regions = Region._base_manager.filter(pk__in=region_ids).only("pk", "path")
    all_rules = {r.region.code: r for r in ReportingRules._base_manager.select_related("region")}
    curves = {c.region.code: c for c in ScheduleCurve._base_manager.filter(year=year).select_related("region")}
    groups = defaultdict(list)
    for region in regions:
        codes = region.path.strip("/").split("/")[::-1]  # nearest first
        rules = next((all_rules[c] for c in codes if c in all_rules), None) or ReportingRules()
        curve = next((curves[c] for c in codes if c in curves), None)
        groups[(Rules.of(rules), tuple(curve.shares) if curve else None)].append(region.pk)
    return groups


def _month_share(shares, month: int) -> float:
    values = shares if shares is not None else ScheduleCurve.linear()
    return float(values[month - 1])


# ---- the statement ----


def _delete_uncoloured(projects, year: int, month: int) -> None:
    """Projects that left the coloured stages (or were archived) lose their colour for the month."""
    coloured = projects.filter(stage__in=COLOURED_STAGES, archived_at__isnull=True)
    stale = ProjectColour._base_manager.filter(year=year, month=month, project__in=projects.values("pk"))
    stale.exclude(project__in=coloured.values("pk")).delete()


def _inputs(projects, year: int, month: int, shares: tuple[float, float], as_of: datetime.date):
    """One row per project with its inputs. Joins (not correlated subqueries): Django repeats a subquery
    wherever a later expression uses it, which made PostgreSQL plan (and JIT) a 75-subquery statement."""
    share, share_before = shares
    prev_year, prev_month = previous_month(year, month)
    joined = projects.filter(stage__in=COLOURED_STAGES, archived_at__isnull=True).annotate(
        plan_row=FilteredRelation("annual_plans", condition=Q(annual_plans__year=year)),
        approved=FilteredRelation(
            "reports",
            condition=Q(reports__year=year, reports__month__lte=month, reports__status=ReportStatus.APPROVED),
        ),
        previous=FilteredRelation("colours", condition=Q(colours__year=prev_year, colours__month=prev_month)),
        period=FilteredRelation(
            "region__periods", condition=Q(region__periods__year=year, region__periods__month=month)
        ),
    )
    # The oldest overdue deadline as a subquery, not a join: a join would repeat every approved report
    # row once per overdue problem and multiply the year-to-date sum.
    oldest_overdue = (
        Problem._base_manager.filter(project=OuterRef("pk"), status__in=OPEN_STATUSES, deadline__lt=as_of)
        .order_by("deadline")
        .values("deadline")[:1]
    )
    # Until the month's report is approved (or its period closed) a project is held to last month's
    # share: otherwise every on-plan project looks a month behind while reports are still coming in.
    month_counts = Q(month_in__gt=0) | Q(period_closed__gt=0)
    # 100.0, not 100: SQLite stores whole 万元 amounts as integers and would divide them as integers.
    rate = F("ytd_sum") * Value(100.0) / F("plan")
    not_started = Q(started_on__isnull=True, planned_start_on__isnull=False, stage__in=PRE_START_STAGES)
    return (
        joined.order_by()
        .values("pk")
        .annotate(
            plan=Max("plan_row__amount", output_field=FloatField()),
            ytd_sum=Coalesce(Sum("approved__completed", output_field=FloatField()), Value(0.0)),
            month_in=Max(Case(When(approved__month=month, then=Value(1)), default=Value(0))),
            period_closed=Max(Case(When(period__closed_at__isnull=False, then=Value(1)), default=Value(0))),
            prev_streak=Coalesce(Max("previous__yellow_streak"), Value(0)),
            prev_computed=Coalesce(Max("previous__computed"), Value("")),
        )
        .annotate(
            share=Case(When(month_counts, then=Value(share)), default=Value(share_before), output_field=FloatField()),
            rate=Case(When(plan__gt=0, then=rate), default=None, output_field=FloatField()),
            lag=Case(When(plan__gt=0, then=F("share") - rate), default=None, output_field=FloatField()),
            start_overdue=Case(
                When(not_started & Q(planned_start_on__lt=as_of), then=DaysBetween("planned_start_on", as_of=as_of)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            problem_overdue=Coalesce(
                DaysBetween(Subquery(oldest_overdue, output_field=models.DateField()), as_of=as_of), Value(0)
            ),
        )
    )


class DaysBetween(models.Func):
    """Whole days from a date column to a fixed date, in each database's own date arithmetic."""

    output_field = IntegerField()

    def __init__(self, expression, as_of: datetime.date):
        super().__init__(Value(as_of, output_field=models.DateField()), expression)

    def as_sqlite(self, compiler, connection, **extra):
        template = "CAST(julianday(%(expressions)s) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)


def _flag(condition: Q, flag: Reason) -> Case:
    return Case(When(condition, then=Value(int(flag))), default=Value(0), output_field=IntegerField())


def _flags_and_colour(select, rules: Rules, as_of: datetime.date):
    """Each rule as a flag; the colour from the flags; last month's streak and colour for the carry-over rules."""
    is_red_lag = Q(lag__gt=rules.red_lag)
    is_red_start = Q(start_overdue__gt=rules.red_start_days)
    is_red_problem = Q(problem_overdue__gt=rules.red_problem_days)
    select = select.annotate(
        red_base=_flag(is_red_lag, Reason.RED_LAG)
        + _flag(is_red_start, Reason.RED_START)
        + _flag(is_red_problem, Reason.RED_PROBLEM),
        yellow_base=_flag(Q(lag__gt=rules.yellow_lag) & ~is_red_lag, Reason.YELLOW_LAG)
        + _flag(Q(start_overdue__gt=0) & ~is_red_start, Reason.YELLOW_START)
        + _flag(Q(problem_overdue__gt=0) & ~is_red_problem, Reason.YELLOW_PROBLEM),
    )
    only_yellow = Q(red_base=0, yellow_base__gt=0)
    memory = Q(prev_computed=Colour.RED.value) if rules.colour_memory else Q(pk__in=[])
    select = select.annotate(
        streak=Case(When(only_yellow, then=F("prev_streak") + 1), default=Value(0), output_field=IntegerField()),
        carry=_flag(only_yellow & Q(prev_streak__gte=rules.red_after_yellow_months - 1), Reason.RED_STREAK)
        + _flag(only_yellow & memory, Reason.RED_MEMORY),
    )
    return select.annotate(
        flags=F("red_base") + F("yellow_base") + F("carry"),
        computed_colour=Case(
            When(Q(red_base__gt=0) | Q(carry__gt=0), then=Value(Colour.RED.value)),
            When(yellow_base__gt=0, then=Value(Colour.YELLOW.value)),
            default=Value(Colour.BLUE.value),
        ),
    )


# INSERT column <- SELECT expression, in order.
COLUMNS = {
    "project_id": F("pk"),
    "year": None,
    "month": None,
    "computed": F("computed_colour"),
    "colour": F("computed_colour"),
    "annual_plan": F("plan"),
    "ytd_completed": F("ytd_sum"),
    "schedule_share": F("share"),
    "completion_rate": Round(F("rate"), 1),
    "lag_points": Round(F("lag"), 1),
    "start_overdue_days": F("start_overdue"),
    "problem_overdue_days": F("problem_overdue"),
    "yellow_streak": F("streak"),
    "reason_flags": F("flags"),
    "as_of": None,
    "override_colour": Value(""),
    "override_reason": Value(""),
    "computed_at": None,
}
FIXED = ("project_id", "year", "month", "colour", "override_colour", "override_reason")
UPDATED = [c for c in COLUMNS if c not in FIXED]


def feeding_select(projects, rules: Rules, shares, year: int, month: int, as_of: datetime.date):
    """The SELECT whose rows the upsert writes: (queryset, sql, params), columns in ``COLUMNS`` order."""
    month_shares = (_month_share(shares, month), _month_share(shares, month - 1) if month > 1 else 0.0)
    select = _flags_and_colour(_inputs(projects, year, month, month_shares, as_of), rules, as_of)
    constants = {
        "year": Value(year),
        "month": Value(month),
        "as_of": Value(as_of, output_field=models.DateField()),
        "computed_at": Value(timezone.now(), output_field=models.DateTimeField()),
    }
    expressions = {f"c_{name}": expr if expr is not None else constants[name] for name, expr in COLUMNS.items()}
    return (select, *_values_sql(select, expressions))


def _upsert(projects, rules: Rules, shares, year: int, month: int, as_of: datetime.date) -> int:
    _select, sql, params = feeding_select(projects, rules, shares, year, month, as_of)
    table = ProjectColour._meta.db_table
    quote = connection.ops.quote_name
    statement = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in COLUMNS)}) {sql} "
        f"ON CONFLICT (project_id, year, month) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in UPDATED)
        + f", colour = CASE WHEN {quote(table)}.override_colour <> '' "
        f"THEN {quote(table)}.override_colour ELSE excluded.computed END"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _values_sql(select, expressions: dict):
    """SQL of a SELECT whose columns are exactly ``expressions``, in order."""
    query = select.annotate(**expressions).values(*expressions).query
    return query.sql_with_params()

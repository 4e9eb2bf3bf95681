"""The period overview: one month's reporting counts for a region subtree, per direct subregion.

One grouped query does all the counting, whatever the number of projects: the
projects that owe a report, each left-joined to its report of the month, grouped by
the path prefix of the subregion they sit in, so "吕梁市 → 交城县, 文水县" costs the
same as a province's hundred counties.
"""

from dataclasses import dataclass, fields

from django.db.models import Count, F, FilteredRelation, Prefetch, Q, QuerySet, Value
from django.db.models.functions import StrIndex, Substr, TruncDate
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from org.models import Region, User
from projects.models import Project

from .models import PeriodSummary, ReportStatus

FILED = [ReportStatus.SUBMITTED, ReportStatus.APPROVED]


def filed_rate(summary: PeriodSummary) -> int | None:
    """Share of the expected reports that were filed (submitted or approved), in whole percent."""
    if not summary.expected:
        return None
    return round(100 * (summary.expected - summary.missing) / summary.expected)


@dataclass(frozen=True)
class OverviewRow:
    region: Region | None  # None: projects placed in the region itself (本级)
    summary: PeriodSummary

    @property
    def rate(self) -> int | None:
        return filed_rate(self.summary)


@dataclass(frozen=True)
class Overview:
    total: PeriodSummary
    rows: list[OverviewRow]

    @property
    def rate(self) -> int | None:
        return filed_rate(self.total)


def period_overview(region: Region, year: int, month: int) -> Overview:
    """Counts for ``region``'s subtree and month, overall and per direct subregion (2 queries)."""
    children = list(Region.objects.filter(parent=region).exclude(kind=Region.Kind.ZONE).order_by("code"))
    counts = _counts(region, year, month)
    rows = [OverviewRow(child, _summary(counts.get(child.path, {}))) for child in children]
    own = counts.get(region.path)
    if own:
        rows.insert(0, OverviewRow(None, _summary(own)))
    return Overview(_sum(_summary(values) for values in counts.values()), rows)


def missing_projects(region: Region, year: int, month: int) -> QuerySet:
    """Projects that owe the month's report and have not filed it (a draft or a returned report is missing)."""
    return (
        _with_month(_reporting(region), year, month)
        .filter(NOT_FILED_THIS_MONTH)
        .annotate(report_status=F("this_month__status"))
        .select_related("region")
        .prefetch_related(Prefetch("reporters", queryset=User.objects.order_by("full_name", "username")))
        .order_by("region__path", "name", "pk")
    )


def _reporting(region: Region) -> QuerySet:
    return Project.objects.reporting().filter(region__path__startswith=region.path)


def _with_month(projects: QuerySet, year: int, month: int) -> QuerySet:
    """Each project joined to its report of the month, if any (at most one: one report per project and month)."""
    return projects.annotate(
        this_month=FilteredRelation("reports", condition=Q(reports__year=year, reports__month=month))
    )


# Positive conditions on the joined report only: Django turns a negated condition on a reverse relation
# into correlated EXISTS subqueries, which cost a province twice the time. No report (NULL) is not filed.
FILED_THIS_MONTH = Q(this_month__status__in=FILED)
NOT_FILED_THIS_MONTH = Q(this_month__status__isnull=True) | Q(
    this_month__status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED]
)


def _child_prefix(path_field: str, region: Region):
    """The path of the direct subregion a row's region lies in (the region's own path for its own rows)."""
    length = len(region.path)
    rest = Substr(path_field, length + 1)
    return Substr(path_field, 1, StrIndex(rest, Value("/")) + length)


def _counts(region: Region, year: int, month: int) -> dict[str, dict]:
    """One pass over the projects owing a report, each joined to its report of the month, grouped by subregion.

    Counting over the owing projects keeps the figures consistent: submitted + approved + missing = expected.
    """
    # Late compares the local date of submission with the close date: a report sent at
    # 00:30 on the 26th Beijing time is late even though it is still the 25th in UTC.
    submitted_on = TruncDate("this_month__submitted_at", tzinfo=timezone.get_current_timezone())
    late = FILED_THIS_MONTH & Q(GreaterThan(submitted_on, F("this_month__period__closes_on")))
    rows = (
        _with_month(_reporting(region), year, month)
        .order_by()
        .annotate(prefix=_child_prefix("region__path", region))
        .values("prefix")
        .annotate(
            expected=Count("pk"),
            missing=Count("pk", filter=NOT_FILED_THIS_MONTH),
            late=Count("pk", filter=late),
            **{status.value: Count("pk", filter=Q(this_month__status=status)) for status in ReportStatus},
        )
    )
    return {row.pop("prefix"): row for row in rows}


def _summary(values: dict) -> PeriodSummary:
    return PeriodSummary(**{f.name: values.get(f.name, 0) for f in fields(PeriodSummary)})


def _sum(summaries) -> PeriodSummary:
    summaries = list(summaries)
    return PeriodSummary(**{f.name: sum(getattr(s, f.name) for s in summaries) for f in fields(PeriodSummary)})

"""The stalled lists (三未), derived from the ledger's dates, never typed.

- 签而未开 ``signed_not_started``: signed (or in preparation after signing), planned start passed, not started;
- 开而未竣 ``started_not_completed``: under construction, planned completion passed;
- 竣而未投 ``completed_not_in_production``: completed, planned production passed;
- ``agreements_not_started``: signed investment agreements past their agreed start without a start
  (``attraction.models.Agreement.objects.past_agreed_start``); shown to those who read the attraction screens.

A project is listed by its stage, so suspended, terminated and archived projects never are. ``today`` is
always passed in (the bulletin of a past month, and the tests, freeze it).

``stalled_lists(region, today)`` gives each key a lazy queryset yielding ``StalledRow`` objects (project or
agreement, planned date, days overdue counted in SQL), ordered longest overdue first; it can be counted,
sliced and paginated. ``stalled_counts(region, today)`` counts all four in two queries.
"""

import datetime
import functools
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Count, DateField, F, Func, IntegerField, Q, Value
from django.db.models.query import ModelIterable
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from attraction.models import Agreement
from attraction.models import may_read as may_read_agreements
from org.models import Region
from projects.models import Project, Stage

SIGNED_NOT_STARTED = "signed_not_started"
STARTED_NOT_COMPLETED = "started_not_completed"
COMPLETED_NOT_IN_PRODUCTION = "completed_not_in_production"
AGREEMENTS_NOT_STARTED = "agreements_not_started"


@dataclass(frozen=True)
class StalledList:
    key: str
    label: str  # the list's short name: 签而未开
    title: str  # its heading
    stages: tuple[str, ...]  # project lists: the stages listed
    planned_field: str  # the planned date that has passed
    planned_label: str


PROJECT_LISTS = [
    StalledList(
        SIGNED_NOT_STARTED, _("签而未开"), _("签约未开工项目"), (Stage.SIGNED, Stage.PREPARING),
        "planned_start_on", _("计划开工日期"),
    ),
    StalledList(
        STARTED_NOT_COMPLETED, _("开而未竣"), _("开工未竣工项目"), (Stage.CONSTRUCTION,),
        "planned_completion_on", _("计划竣工日期"),
    ),
    StalledList(
        COMPLETED_NOT_IN_PRODUCTION, _("竣而未投"), _("竣工未投产项目"), (Stage.COMPLETED,),
        "planned_production_on", _("计划投产日期"),
    ),
]  # fmt: skip
AGREEMENT_LIST = StalledList(
    AGREEMENTS_NOT_STARTED, _("协议逾期未开工"), _("签约协议逾期未开工"), (), "agreed_start_on", _("约定开工日期")
)
LISTS = {stalled.key: stalled for stalled in [*PROJECT_LISTS, AGREEMENT_LIST]}
KEYS = list(LISTS)


class DaysSince(Func):
    """Whole days from a date column to ``today`` (positive once the date has passed)."""

    output_field = IntegerField()
    # PostgreSQL: date - date is an integer number of days.
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def __init__(self, column: str, today: datetime.date):
        super().__init__(Value(today, output_field=DateField()), F(column))

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


@dataclass(frozen=True)
class StalledRow:
    """One line of a stalled list: a project or an agreement, the planned date it missed, days overdue."""

    key: str
    planned_on: datetime.date
    days_overdue: int
    project: Project | None = None
    agreement: object | None = None

    @property
    def obj(self):
        return self.project if self.project is not None else self.agreement

    @property
    def name(self) -> str:
        return str(self.obj)

    @property
    def region(self) -> Region:
        return self.obj.region

    @property
    def investment(self):
        """万元: a project's total investment, an agreement's contracted investment."""
        if self.project is not None:
            return self.project.total_investment
        return self.agreement.contracted_investment

    @property
    def url(self) -> str:
        if self.project is None:
            return self.agreement.get_absolute_url()
        return reverse("projects:detail", kwargs={"pk": self.project.pk})


class _RowIterable(ModelIterable):
    key = ""
    attribute = "project"

    def __iter__(self):
        for obj in super().__iter__():
            yield StalledRow(self.key, obj.planned_on, obj.days_overdue, **{self.attribute: obj})


@functools.cache
def _iterable(key: str) -> type:
    attribute = "agreement" if key == AGREEMENTS_NOT_STARTED else "project"
    return type(f"{key}_rows", (_RowIterable,), {"key": key, "attribute": attribute})


def _as_rows(queryset, key: str):
    queryset._iterable_class = _iterable(key)
    return queryset


# ---- the lists ----


def _in_region(region: Region | None) -> Q:
    if region is None:
        return Q()
    return Q(zone=region) if region.is_zone else Q(region__path__startswith=region.path)


def _overdue(stalled: StalledList, today: datetime.date) -> Q:
    return Q(stage__in=stalled.stages, **{f"{stalled.planned_field}__lt": today})


def project_list(key: str, region: Region | None, today: datetime.date):
    stalled = LISTS[key]
    queryset = (
        Project.objects.current()
        .filter(_in_region(region))
        .filter(_overdue(stalled, today))
        .annotate(planned_on=F(stalled.planned_field), days_overdue=DaysSince(stalled.planned_field, today))
        .select_related("region", "zone", "leader", "department")
        .order_by(stalled.planned_field, "pk")
    )
    return _as_rows(queryset, key)


def agreement_list(region: Region | None, today: datetime.date):
    """Signed agreements past their agreed start whose project has not started."""
    queryset = Agreement.objects.past_agreed_start(today)
    if region is not None:
        queryset = queryset.filter(region__path__startswith=region.path)
    queryset = queryset.annotate(
        planned_on=F("agreed_start_on"), days_overdue=DaysSince("agreed_start_on", today)
    ).select_related("region")
    return _as_rows(queryset.order_by("agreed_start_on", "pk"), AGREEMENTS_NOT_STARTED)


def stalled_list(key: str, region: Region | None, today: datetime.date):
    if key == AGREEMENTS_NOT_STARTED:
        return agreement_list(region, today)
    return project_list(key, region, today)


def stalled_lists(region: Region | None, today: datetime.date) -> dict:
    """Key -> lazy queryset of ``StalledRow``, longest overdue first; no query until one is read."""
    return {key: stalled_list(key, region, today) for key in KEYS}


def stalled_counts(region: Region | None, today: datetime.date) -> dict[str, int]:
    """Key -> how many rows each list has: one grouped query over the projects, one over the agreements."""
    conditions = {stalled.key: _overdue(stalled, today) for stalled in PROJECT_LISTS}
    projects = Project.objects.current().filter(_in_region(region)).filter(reduce(or_, conditions.values()))
    counts = projects.aggregate(**{key: Count("pk", filter=condition) for key, condition in conditions.items()})
    counts[AGREEMENTS_NOT_STARTED] = agreement_list(region, today).count()
    return counts


def keys_for(user) -> list[str]:
    """The lists a user may read: the agreements list only for those who read the attraction screens."""
    return [key for key in KEYS if key != AGREEMENTS_NOT_STARTED or may_read_agreements(user)]

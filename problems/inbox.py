"""The department inbox: a department's open problems and pending approval items, and its closure figures.

The figures of a department (a ranking input, see DOMAIN.md "Problems"): open and overdue problems, how many
it struck off, the share of those closed within their deadline (``closed_on_time``) and the median days from
registration to strike-off (``closed_at - created_at``). The counts are one GROUP BY query for all the
departments of a page at once.

Why the median is taken in Python: SQLite has no percentile function (PostgreSQL's ``percentile_cont`` has
no SQLite twin). A window-function median would work on both (ROW_NUMBER and COUNT over each department,
keep the middle one or two rows, average them) but is a page of SQL for what ``statistics.median`` does in
a line, and no faster: the durations have to be computed and sorted for every closed problem either way.
So the days to close are read in ONE query (``values_list("department_id", days)``) and grouped here: one
query however many departments, where a query per department would be an N+1. The coordinator's table
is paged over the departments first and reads only those of the page: a province's 100,000 problems,
counted and timed for its 1,000-odd departments at once, cost half a second on SQLite.
"""

import bisect
import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, FloatField, Func, Q, QuerySet

from approvals.models import ApprovalItem, Urgency
from lib import workdays
from lib.workdays import Deadline
from org.models import Department

from .models import OPEN_STATUSES, Problem, Status, today

ONE_DAY = datetime.timedelta(days=1)


class DaysBetween(Func):
    """``end - start`` in days, a float: ``julianday()`` on SQLite, the epoch difference on PostgreSQL (the two
    databases settings.py offers).

    Django's own ``F(end) - F(start)`` works on both, but on SQLite it calls ``django_timestamp_diff()``, a
    Python function, for every row and hands back timedeltas built in Python: three times slower over a busy
    department's thousands of closed problems (measured with benchmarks/problems.py).
    """

    output_field = FloatField()
    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) / 86400.0 AS double precision)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(")


# Registration to strike-off.
DURATION_DAYS = DaysBetween(F("closed_at"), F("created_at"))


@dataclass(frozen=True)
class ClosureFigures:
    """Closed problems of one department: how many, how many on time, the median days to close."""

    closed: int = 0
    on_time: int = 0
    median_days: float | None = None

    @property
    def on_time_share(self) -> Decimal | None:
        """Percent closed within the deadline, one decimal; None with nothing closed."""
        if not self.closed:
            return None
        return (Decimal(self.on_time * 100) / self.closed).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class DepartmentLine:
    """One line of the figures: open and overdue now, and the closure figures."""

    department: Department
    open: int = 0
    overdue: int = 0
    closure: ClosureFigures = field(default_factory=ClosureFigures)


def _median(days: list[float]) -> float:
    return round(statistics.median(days), 1)


def _closed(problems: QuerySet) -> QuerySet:
    return problems.filter(status=Status.STRUCK_OFF, closed_at__isnull=False)


def _counts(on: datetime.date) -> dict:
    is_open, is_closed = Q(status__in=OPEN_STATUSES), Q(status=Status.STRUCK_OFF, closed_at__isnull=False)
    return {
        "open": Count("pk", filter=is_open),
        "overdue": Count("pk", filter=is_open & Q(deadline__lt=on)),
        "closed": Count("pk", filter=is_closed),
        "on_time": Count("pk", filter=is_closed & Q(closed_on_time=True)),
    }


NO_COUNTS = {"open": 0, "overdue": 0, "closed": 0, "on_time": 0}


def _line(department: Department, counts: dict, median: float | None = None) -> DepartmentLine:
    closure = ClosureFigures(counts["closed"], counts["on_time"], median)
    return DepartmentLine(department, counts["open"], counts["overdue"], closure)


def median_days(problems: QuerySet) -> dict[int, float]:
    """department id -> median days to close over the closed ones of ``problems``: one query, grouped here."""
    grouped = defaultdict(list)
    for department_id, days in _closed(problems).order_by().values_list("department_id", DURATION_DAYS):
        grouped[department_id].append(days)
    return {department_id: _median(days) for department_id, days in grouped.items()}


def department_lines(departments: list[Department], problems: QuerySet, on=None) -> list[DepartmentLine]:
    """The lines of ``departments`` (one, or a page of the table) over ``problems`` (those the user sees), in
    their order, zeros for a department without problems: two queries, the counts (one GROUP BY) and the
    days to close."""
    mine = problems.filter(department__in=[d.pk for d in departments])
    rows = mine.order_by().values("department_id").annotate(**_counts(on or today()))
    counts = {row["department_id"]: row for row in rows}
    medians = median_days(mine)
    return [_line(d, counts.get(d.pk, NO_COUNTS), medians.get(d.pk)) for d in departments]


def open_problems(user, department: Department) -> QuerySet:
    """The department's open problems the user may see, overdue first then by deadline.

    Ascending deadline is exactly "overdue first, most overdue first, then the nearest deadline": a problem is
    overdue when its deadline is before today. Served by the ``problem_inbox`` index (department, status,
    deadline).
    """
    return (
        Problem.objects.visible_to(user)
        .open()
        .filter(department=department)
        .select_related("project", "leader")
        .order_by("deadline", "pk")
    )


def pending_items(user, department: Department) -> QuerySet:
    """The department's pending approval items the user may see (``approvalitem_inbox`` index)."""
    return ApprovalItem.objects.visible_to(user).pending().filter(department=department)


# ---- the approval items' urgency ----


class WorkdayIndex:
    """The working days of a span listed once, so a due date or a count of working days is two bisects.

    ``ApprovalItem.due_on()`` and ``urgency()`` walk the calendar day by day for each item, some 8 µs a day:
    fine for one page, too slow to order a busy department's hundreds of items by due date. Same counting as
    ``lib.workdays``: the day of application is day 0; the limit ends with the n-th working day after it.
    """

    def __init__(self, first: datetime.date, last: datetime.date):
        self.first, self.last = first, last
        span = (last - first).days + 1
        self.days = [d for d in (first + ONE_DAY * i for i in range(span)) if workdays.is_workday(d)]

    @classmethod
    def for_items(cls, rows: list[tuple[datetime.date, int]], on: datetime.date) -> "WorkdayIndex":
        """Wide enough for ``on`` and for n working days after every (applied_on, n) of ``rows``."""
        first = min([on, *(applied for applied, _n in rows)])
        # n working days never take more than 2n + 21 calendar days (weekends plus the longest holiday).
        last = max([on, *(applied + ONE_DAY * (2 * n + 21) for applied, n in rows)])
        return cls(first, last)

    def add(self, start: datetime.date, n: int) -> datetime.date:
        return start if n == 0 else self.days[bisect.bisect_right(self.days, start) + n - 1]

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days in (start, end]; negative when ``end`` is earlier, as ``workdays.workdays_between``."""
        return bisect.bisect_right(self.days, end) - bisect.bisect_right(self.days, start)

    def urgency(self, item: ApprovalItem, on: datetime.date) -> Urgency | None:
        if not (item.is_pending and item.applied_on):
            return None
        due = self.add(item.applied_on, item.promised_days)
        covered = workdays.years_covered(item.applied_on, max(due, on))
        return Urgency(Deadline(due, covered), item.promised_days - self.between(item.applied_on, on))


def urgency_order(items: QuerySet, on: datetime.date) -> tuple[list[int], WorkdayIndex]:
    """Primary keys of ``items``, the earliest promised due date first (so the most overdue, then those nearest
    their limit), items not applied for yet last; one query for the keys."""
    rows = list(items.order_by().values_list("pk", "applied_on", "promised_days", "sort_order"))
    index = WorkdayIndex.for_items([(applied, n) for _pk, applied, n, _order in rows if applied], on)

    def key(row):
        pk, applied, n, order = row
        return (0, index.add(applied, n), applied, order, pk) if applied else (1, on, on, order, pk)

    return [row[0] for row in sorted(rows, key=key)], index

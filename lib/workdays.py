"""Working days (工作日) on the official holiday schedule, make-up days (调休) included.

Where a day's status comes from, first match wins:

1. a ``CalendarDay`` the admin entered (a holiday or a make-up working day);
2. the ``chinese_calendar`` package, for the years it ships data for;
3. Monday to Friday, for a later year whose schedule the State Council has not
   announced yet (or the package has not caught up with).

A year is *covered* when the package knows it or the admin entered at least one day
of it. A deadline that counts through an uncovered year is still computed (Monday to
Friday) and carries ``covered=False``, so the page says so next to it: a warning,
never an error.

Counting, as the administrative licensing law counts a time limit: the day of
application is day 0 and does not count; the limit ends at the close of the n-th
working day after it. So ``add_workdays(start, n)`` is that n-th working day, and
``workdays_between(start, end)`` counts the working days in ``(start, end]``; the two
are inverse: ``workdays_between(start, add_workdays(start, n)) == n``.

The admin-entered days are read in one query and kept for the rest of the request
(and at most ``CACHE_SECONDS`` in a long-running worker); saving or deleting a
``CalendarDay`` drops them, and so does the start of every request, so an admin's
change is seen by every process from its next request on.
"""

import datetime
import time
from dataclasses import dataclass

import chinese_calendar
from chinese_calendar.constants import holidays as _library_holidays
from django.apps import apps
from django.core.signals import request_started
from django.db.models.signals import post_delete, post_save

ONE_DAY = datetime.timedelta(days=1)
LIBRARY_YEARS = range(min(_library_holidays).year, max(_library_holidays).year + 1)
CACHE_SECONDS = 300


@dataclass(frozen=True)
class Deadline:
    """A due date, and whether every year counted through has a known holiday schedule."""

    date: datetime.date
    covered: bool

    def __str__(self) -> str:
        return self.date.isoformat()


@dataclass(frozen=True)
class _AdminDays:
    days: dict[datetime.date, bool]
    years: frozenset[int]
    loaded_at: float


_admin_days: _AdminDays | None = None


def clear_cache(**kwargs) -> None:
    """Forget the admin-entered days (a signal receiver too, hence ``**kwargs``)."""
    global _admin_days
    _admin_days = None


def _admin() -> _AdminDays:
    global _admin_days
    cached = _admin_days
    if cached is not None and time.monotonic() - cached.loaded_at < CACHE_SECONDS:
        return cached
    # The whole table in one query: a few dozen rows per year the admin looks after.
    days = dict(apps.get_model("approvals", "CalendarDay").objects.values_list("date", "is_workday"))
    _admin_days = _AdminDays(days, frozenset(d.year for d in days), time.monotonic())
    return _admin_days


def is_covered(year: int) -> bool:
    """The library knows the year's schedule, or the admin entered at least one day of it."""
    return year in LIBRARY_YEARS or year in _admin().years


def is_workday(day: datetime.date) -> bool:
    override = _admin().days.get(day)
    if override is not None:
        return override
    library = library_is_workday(day)
    return day.weekday() < 5 if library is None else library


def library_is_workday(day: datetime.date) -> bool | None:
    """What the package says, without the admin's days; None for a year it does not cover."""
    return chinese_calendar.is_workday(day) if day.year in LIBRARY_YEARS else None


def add_workdays(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day after ``start`` (``start`` itself is day 0); ``start`` for n = 0."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n:
        day += ONE_DAY
        n -= is_workday(day)
    return day


def workdays_between(start: datetime.date, end: datetime.date) -> int:
    """Working days in ``(start, end]``; negative (the count in ``(end, start]``) when ``end`` is earlier."""
    if end < start:
        return -workdays_between(end, start)
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        count += is_workday(day)
    return count


def years_covered(first: datetime.date, last: datetime.date) -> bool:
    """Every year from ``first`` to ``last`` (either order) is covered."""
    low, high = sorted((first.year, last.year))
    return all(is_covered(year) for year in range(low, high + 1))


def deadline(start: datetime.date, n: int) -> Deadline:
    """``add_workdays`` with the warning flag for a count through an uncovered year."""
    due = add_workdays(start, n)
    return Deadline(due, years_covered(start, due))


def overrun_cutoff(end: datetime.date, n: int) -> datetime.date:
    """The earliest ``start`` with at most n working days in ``(start, end]``.

    A clock started before this date has run more than n working days by ``end``:
    the cut-off that turns "overdue today" into a plain date comparison in SQL.
    """
    day, seen = end, 0
    while True:
        if is_workday(day):
            seen += 1
            if seen == n + 1:
                return day
        day -= ONE_DAY


# Admin edits take effect at once in this process, and from the next request in every other one.
request_started.connect(clear_cache, dispatch_uid="workdays_clear_on_request")
post_save.connect(clear_cache, sender="approvals.CalendarDay", dispatch_uid="workdays_clear_on_save")
post_delete.connect(clear_cache, sender="approvals.CalendarDay", dispatch_uid="workdays_clear_on_delete")

"""Working days on the official schedule (lib/workdays.py).

The 2026 facts these tests lean on (State Council schedule, in chinese_calendar 1.11.0):
Mid-Autumn Fri 25 – Sun 27 September off; Sunday 20 September a make-up working day;
National Day Thu 1 – Wed 7 October off; Saturday 10 October a make-up working day.
2027 is not covered by the package: Monday to Friday until the admin enters its days.
"""

import datetime

import pytest
from django.core.signals import request_started

from approvals.models import CalendarDay
from lib import workdays
from lib.workdays import (
    Deadline,
    add_workdays,
    clear_cache,
    deadline,
    is_covered,
    is_workday,
    overrun_cutoff,
    workdays_between,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _fresh_calendar():
    workdays.clear_cache()
    yield
    workdays.clear_cache()


def _holiday(day: D, note: str = "") -> CalendarDay:
    return CalendarDay.objects.create(date=day, is_workday=False, note=note)


def _makeup(day: D, note: str = "") -> CalendarDay:
    return CalendarDay.objects.create(date=day, is_workday=True, note=note)


# ---- is_workday ----


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 9, 18), True),  # Friday
        (D(2026, 9, 19), False),  # Saturday
        (D(2026, 9, 20), True),  # Sunday, make-up working day
        (D(2026, 9, 25), False),  # Friday, Mid-Autumn
        (D(2026, 10, 1), False),  # National Day
        (D(2026, 10, 7), False),  # Wednesday, still the National Day holiday
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday, make-up working day
        (D(2026, 10, 11), False),  # Sunday
        (D(2027, 1, 1), True),  # uncovered year: a Friday is a working day
        (D(2027, 1, 2), False),  # uncovered year: a Saturday is not
    ],
)
def test_a_day_is_a_working_day_on_the_official_schedule(day, expected):
    assert is_workday(day) is expected


def test_an_admin_entered_day_overrides_the_library():
    _holiday(D(2026, 10, 9), "更正")
    _makeup(D(2026, 10, 11), "更正")

    assert (is_workday(D(2026, 10, 9)), is_workday(D(2026, 10, 11))) == (False, True)


# ---- add_workdays: the day of application is day 0 ----


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 9, 14), 0, D(2026, 9, 14)),  # no limit: the day itself
        (D(2026, 10, 3), 0, D(2026, 10, 3)),  # even on a holiday
        (D(2026, 9, 14), 1, D(2026, 9, 15)),  # the next working day
        (D(2026, 9, 18), 1, D(2026, 9, 20)),  # Friday → the make-up Sunday
        (D(2026, 9, 24), 1, D(2026, 9, 28)),  # over Mid-Autumn
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # over the National Day week
        (D(2026, 9, 30), 3, D(2026, 10, 10)),  # lands on the make-up Saturday
        (D(2026, 9, 30), 4, D(2026, 10, 12)),
        (D(2026, 10, 3), 1, D(2026, 10, 8)),  # applied on a holiday
        (D(2026, 9, 18), 10, D(2026, 10, 9)),  # Mon–Fri counting would say 2 October
        (D(2026, 9, 1), 20, D(2026, 9, 29)),
    ],
)
def test_add_workdays_counts_from_the_day_after_the_application(start, n, due):
    assert add_workdays(start, n) == due


def test_a_negative_limit_is_refused():
    with pytest.raises(ValueError):
        add_workdays(D(2026, 9, 1), -1)


def test_counting_into_an_uncovered_year_uses_monday_to_friday_and_says_so():
    # 29, 30, 31 December, then Friday 1 January 2027 (no schedule yet: a working day), Monday 4 January.
    assert deadline(D(2026, 12, 28), 5) == Deadline(D(2027, 1, 4), covered=False)


def test_a_deadline_inside_a_covered_year_is_covered():
    assert deadline(D(2026, 9, 18), 10) == Deadline(D(2026, 10, 9), covered=True)


def test_admin_entered_2027_holidays_change_the_deadline_and_cover_the_year():
    _holiday(D(2027, 1, 1), "元旦")

    assert deadline(D(2026, 12, 28), 5) == Deadline(D(2027, 1, 5), covered=True)


def test_an_admin_entered_make_up_saturday_counts_in_an_uncovered_year():
    _makeup(D(2027, 1, 9), "调休上班")

    assert add_workdays(D(2027, 1, 7), 2) == D(2027, 1, 9)


# ---- workdays_between ----


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (D(2026, 9, 14), D(2026, 9, 14), 0),
        (D(2026, 9, 18), D(2026, 9, 20), 1),  # the make-up Sunday
        (D(2026, 9, 24), D(2026, 9, 27), 0),  # Mid-Autumn
        (D(2026, 9, 30), D(2026, 10, 12), 4),  # 8, 9, 10 (Saturday), 12 October
        (D(2026, 10, 12), D(2026, 9, 30), -4),  # reversed: negative
        (D(2026, 12, 31), D(2027, 1, 4), 2),  # 1 January 2027 counted Monday–Friday
    ],
)
def test_workdays_between_counts_the_working_days_after_start_up_to_end(start, end, count):
    assert workdays_between(start, end) == count


def test_workdays_between_undoes_add_workdays_across_the_holidays_and_the_year_end():
    starts = [D(2026, 9, 10) + datetime.timedelta(days=i) for i in range(0, 120, 3)]

    mismatches = [(s, n) for s in starts for n in (0, 1, 5, 12, 30) if workdays_between(s, add_workdays(s, n)) != n]

    assert mismatches == []


def test_overrun_cutoff_is_the_earliest_application_still_within_the_limit():
    today = D(2026, 10, 12)  # Monday after the make-up Saturday

    cutoff = overrun_cutoff(today, 1)

    assert cutoff == D(2026, 10, 10)
    assert (workdays_between(cutoff, today), workdays_between(D(2026, 10, 9), today)) == (1, 2)


def test_overrun_cutoff_for_no_limit_is_the_last_working_day():
    assert overrun_cutoff(D(2026, 10, 4), 0) == D(2026, 9, 30)


# ---- coverage ----


def test_the_library_covers_2004_to_2026_and_nothing_else_by_itself():
    assert [is_covered(y) for y in (2003, 2004, 2026, 2027)] == [False, True, True, False]


def test_one_admin_entered_day_covers_its_year():
    _makeup(D(2027, 2, 20))

    assert (is_covered(2027), is_covered(2028)) == (True, False)


# ---- the cache: one query, dropped when the admin changes a day or a request starts ----


def test_the_admin_days_are_read_in_one_query_for_any_number_of_days(django_assert_num_queries):
    _holiday(D(2027, 1, 1))
    workdays.clear_cache()

    with django_assert_num_queries(1):
        workdays_between(D(2025, 1, 1), D(2028, 12, 31))
        add_workdays(D(2026, 12, 1), 60)
        is_covered(2027)


def test_saving_and_deleting_a_day_take_effect_at_once():
    assert is_workday(D(2027, 1, 1)) is True
    day = _holiday(D(2027, 1, 1))
    assert is_workday(D(2027, 1, 1)) is False
    day.delete()
    assert is_workday(D(2027, 1, 1)) is True


def test_a_new_request_reads_days_entered_by_another_process():
    assert is_workday(D(2027, 1, 1)) is True
    CalendarDay.objects.bulk_create([CalendarDay(date=D(2027, 1, 1), is_workday=False)])  # no signal, as elsewhere
    assert is_workday(D(2027, 1, 1)) is True

    # Only our receiver: Django's own would close the test's database connection on PostgreSQL.
    assert "workdays_clear_on_request" in [receiver[0][0] for receiver in request_started.receivers]
    clear_cache()

    assert is_workday(D(2027, 1, 1)) is False

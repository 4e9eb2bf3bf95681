"""Scheduled work, run by the huey consumer (``manage.py run_huey``).

Each task only calls a plain function that a management command of the same purpose
runs by hand too: ``send_reminders``, ``recompute_colours``, ``open_periods``.

The crontab hours are Beijing time: settings give huey ``utc=False``, and Django sets
the process time zone to ``TIME_ZONE``.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django_scopes import scopes_disabled
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from org.models import Region
from projects.models import Project

from . import colours
from .models import Period, rules_for_regions
from .reminders import send_reminders


def this_month() -> tuple[int, int]:
    today = timezone.localdate()
    return today.year, today.month


@dataclass(frozen=True)
class OpenedPeriods:
    opened: int
    existing: int


def open_periods(year: int, month: int) -> OpenedPeriods:
    """Open the month's period of every region with current projects, with the close day its rules set.

    The same periods ``Period.for_month`` opens on first use, in three queries and one
    INSERT whatever the number of regions. Closing stays the coordinator's decision.
    """
    with scopes_disabled():
        with_projects = Region.objects.exclude(kind=Region.Kind.ZONE).filter(
            pk__in=Project.objects.current().values("region_id")
        )
        regions = list(with_projects)
        opened = Period.objects.filter(year=year, month=month, region__in=with_projects)
        existing = set(opened.values_list("region_id", flat=True))
        new = [region for region in regions if region.pk not in existing]
        rules = rules_for_regions(new)
        periods = [
            Period(region=r, year=year, month=month, closes_on=datetime.date(year, month, rules[r.pk].close_day))
            for r in new
        ]
        # Conflicts are periods a request opened meanwhile (Period.for_month): theirs stand.
        Period.objects.bulk_create(periods, ignore_conflicts=True)
    return OpenedPeriods(opened=len(periods), existing=len(existing))


def recompute_colours(year: int, month: int, region: Region | None = None) -> int:
    """The colours of a month for one region's subtree, or for all; returns the rows written."""
    with scopes_disabled():
        return colours.recompute(year, month, region=region)


@db_periodic_task(crontab(hour="8", minute="0"))
def send_reminders_daily() -> None:
    send_reminders()


@db_periodic_task(crontab(hour="2", minute="0"))
def recompute_colours_nightly() -> None:
    recompute_colours(*this_month())


@db_periodic_task(crontab(hour="0", minute="30"))
def open_periods_daily() -> None:
    open_periods(*this_month())

"""Scheduled work of the project ledger, run by the huey consumer (``manage.py run_huey``).

The task only calls ``check_suspensions``, which ``manage.py check_suspensions`` runs by
hand too. It runs on the first day of each quarter's last month (1 March, June,
September, December, 08:30 Beijing time): a suspension must be re-confirmed once per
calendar quarter, and on the quarter's first day every suspension is still due, so the
reminder comes with a month left to confirm the ones that are.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lib.notify import notify_each

from .models import Project, coordinators_by_region, quarter_label, quarter_start

NOTIFICATION_KIND = "suspension_unconfirmed"


@dataclass(frozen=True)
class SuspensionCheck:
    since: datetime.date  # the first day of the quarter checked
    unconfirmed: list[Project]
    reminded: int  # projects claimed by this run
    coordinators: int  # coordinators notified
    unreached: int  # claimed projects with no active coordinator at or above their region


def check_suspensions(today: datetime.date | None = None) -> SuspensionCheck:
    """Notify the responsible coordinators of the suspensions not confirmed this quarter, once per quarter each."""
    day = today or timezone.localdate()
    since = quarter_start(day)
    with scopes_disabled():
        projects = list(
            Project.objects.unconfirmed_suspensions(day).select_related("region").order_by("region__path", "pk")
        )
        claimed = [project for project in projects if _claim(project, day, since)]
        offices = coordinators_by_region({project.region for project in claimed})
        per_user = _projects_per_coordinator(claimed, offices)
        notify_each(((user, _message(names, day), _list_url()) for user, names in per_user.values()), NOTIFICATION_KIND)
    unreached = sum(1 for project in claimed if not offices[project.region_id])
    return SuspensionCheck(since, projects, len(claimed), len(per_user), unreached)


def _claim(project: Project, day: datetime.date, since: datetime.date) -> bool:
    # A conditional update: a second run in the same quarter (another worker, the command by hand) finds it taken.
    not_yet = Q(suspension_reminded_on__isnull=True) | Q(suspension_reminded_on__lt=since)
    return bool(Project._base_manager.filter(not_yet, pk=project.pk).update(suspension_reminded_on=day))


def _projects_per_coordinator(projects: list[Project], offices: dict) -> dict:
    per_user = {}
    for project in projects:
        for user in offices[project.region_id]:
            per_user.setdefault(user.pk, (user, []))[1].append(project.name)
    return per_user


def _message(names: list[str], day: datetime.date) -> str:
    return _("%(quarter)s有 %(count)s 个暂停项目尚未确认，请确认是否仍暂停并更新预计恢复日期：%(names)s") % {
        "quarter": quarter_label(day),
        "count": len(names),
        "names": "、".join(names),
    }


def _list_url() -> str:
    return reverse("projects:suspensions") + "?unconfirmed=1"


@db_periodic_task(crontab(month="3,6,9,12", day="1", hour="8", minute="30"))
def check_suspensions_quarterly() -> None:
    check_suspensions()

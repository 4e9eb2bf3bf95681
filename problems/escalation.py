"""督办: overdue problems rise a level — department → responsible leader → county leaders — in set-based SQL.

Each day (07:30, ``problems.tasks.escalate``; by hand ``manage.py escalate_problems``) the open problems past
their deadline are grouped by the escalation rules in force for their project's region (a region without its
own rules inherits the nearest ancestor's, else the defaults), and one UPDATE per group and level raises
those whose days overdue reach the level. A level only rises: a later change of rules or deadline never
lowers it. Each rise leaves an "escalate" timeline entry and one notification per person concerned; the
rows that rose are claimed by the UPDATE itself, so a second run the same day (or a second worker) finds
nothing left to raise and sends nothing.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from lib.notify import notify_each
from org.models import Region, Role, User

from .models import EscalationRules, Level, Problem, ProblemEvent

KIND = "problem_escalated"


@dataclass(frozen=True)
class EscalationSummary:
    overdue: int  # open problems past their deadline
    to_leader: int  # rose to the responsible leader
    to_county: int  # rose to the county leaders
    notified: int  # notifications written

    @property
    def raised(self) -> int:
        return self.to_leader + self.to_county


@dataclass(frozen=True)
class Rise:
    """One problem that rose, with what the notifications need."""

    pk: int
    old_level: int
    new_level: int
    status: str
    days: int
    project_name: str
    region_id: int
    department_id: int
    leader_id: int | None


def escalate(today: datetime.date | None = None) -> EscalationSummary:
    today = today or timezone.localdate()
    with scopes_disabled(), transaction.atomic():
        overdue = Problem.objects.overdue(today)
        rises = []
        for (to_leader, to_county), region_ids in _rule_groups(overdue).items():
            in_group = overdue.filter(project__region_id__in=region_ids)
            rises += _raise(in_group, today, Level.COUNTY, to_county)
            rises += _raise(in_group, today, Level.LEADER, to_leader)
        _record(rises)
        notified = _notify(rises)
        return EscalationSummary(
            overdue=overdue.count(),
            to_leader=sum(r.new_level == Level.LEADER for r in rises),
            to_county=sum(r.new_level == Level.COUNTY for r in rises),
            notified=notified,
        )


def _rule_groups(problems) -> dict[tuple[int, int], list[int]]:
    """The regions of the problems' projects grouped by the (to_leader, to_county) days in force for them."""
    region_ids = set(problems.order_by().values_list("project__region_id", flat=True).distinct())
    regions = Region._base_manager.filter(pk__in=region_ids).only("pk", "path")
    own = {r.region.code: r for r in EscalationRules._base_manager.select_related("region")}
    defaults = EscalationRules()
    groups = defaultdict(list)
    for region in regions:
        codes = region.path.strip("/").split("/")[::-1]  # nearest first
        rules = next((own[c] for c in codes if c in own), defaults)
        groups[(rules.to_leader_days, rules.to_county_days)].append(region.pk)
    return groups


def _raise(problems, today: datetime.date, level: int, days: int) -> list[Rise]:
    """Raise to ``level`` the problems at least ``days`` overdue and below it; returns those raised."""
    due = problems.filter(deadline__lte=today - datetime.timedelta(days=days), level__lt=level)
    # Lock the candidates (PostgreSQL; SQLite writes one at a time anyway): a second worker waits, then
    # re-reads them at their new level and skips them.
    rows = list(
        due.select_for_update(of=("self",)).values_list(
            "pk", "level", "status", "deadline", "project__name", "project__region_id", "department_id",
            "leader_id", "project__leader_id",
        )
    )
    Problem.objects.filter(pk__in=[row[0] for row in rows]).update(level=level)
    return [
        Rise(pk, old, level, status, (today - deadline).days, name, region_id, department_id, leader or fallback)
        for pk, old, status, deadline, name, region_id, department_id, leader, fallback in rows
    ]


def _record(rises: list[Rise]) -> None:
    ProblemEvent.objects.bulk_create(
        ProblemEvent(
            problem_id=rise.pk, action="escalate", from_status=rise.status, to_status=rise.status,
            note=_("逾期 %(days)s 天，由%(old)s升为%(new)s。")
            % {"days": rise.days, "old": Level(rise.old_level).label, "new": Level(rise.new_level).label},
        )
        for rise in rises
    )


def _notify(rises: list[Rise]) -> int:
    """One notification per person and problem, all in one INSERT."""
    audience = Audience.of(rises)
    messages = [
        (user, _text(rise), reverse("problems:detail", args=[rise.pk]))
        for rise in rises
        for user in audience.for_rise(rise)
    ]
    return len(notify_each(messages, kind=KIND)) if messages else 0


@dataclass(frozen=True)
class Audience:
    """Who is told of a rise: the department's handlers always, the responsible leader (the problem's, else
    the project's), and at the county level the leaders of the project's region."""

    handlers: dict  # department id -> [users]
    region_leaders: dict  # region id -> [users]
    people: dict  # user id -> user

    @classmethod
    def of(cls, rises: list[Rise]) -> "Audience":
        """Everyone the rises concern, in one query."""
        handlers, region_leaders, people = defaultdict(list), defaultdict(list), {}
        if not rises:
            return cls(handlers, region_leaders, people)
        regions = {r.region_id for r in rises if r.new_level == Level.COUNTY}
        users = User.objects.filter(is_active=True).filter(
            Q(role=Role.HANDLER, department_id__in={r.department_id for r in rises})
            | Q(role=Role.LEADER, region_id__in=regions)
            | Q(pk__in={r.leader_id for r in rises if r.leader_id})
        )
        for user in users.order_by("pk"):
            people[user.pk] = user
            if user.role == Role.HANDLER:
                handlers[user.department_id].append(user)
            if user.role == Role.LEADER and user.region_id in regions:
                region_leaders[user.region_id].append(user)
        return cls(handlers, region_leaders, people)

    def for_rise(self, rise: Rise) -> list[User]:
        users = list(self.handlers.get(rise.department_id, []))
        if rise.leader_id in self.people:
            users.append(self.people[rise.leader_id])
        if rise.new_level == Level.COUNTY:
            users += self.region_leaders.get(rise.region_id, [])
        return list({user.pk: user for user in users}.values())


def _text(rise: Rise) -> str:
    return _("问题督办：%(project)s 的问题已逾期 %(days)s 天，升为%(level)s，请尽快办结。") % {
        "project": rise.project_name,
        "days": rise.days,
        "level": Level(rise.new_level).label,
    }

"""Reminders about missing monthly reports: who is told, when, and by which channel.

When: each region has a close date for the month (its ``Period``, else the close day
of its ``ReportingRules``). Reminders go out daily

- "before": from ``remind_days_before`` days before the close date up to the close date;
- "overdue": on each of the ``OVERDUE_DAYS`` days after it.

The three months around today are checked, so an overdue run that crosses a month end
(a close day of 28 reminds until the 5th of the next month) is not cut short. A period
that the coordinator has closed gets no reminders.

Who: a project owes the report while it is reporting (``ProjectQuerySet.reporting``)
and has no submitted or approved report for the month (a draft or a returned one is
still missing). Each active reporter assigned to such projects (``Project.reporters``)
gets one message listing them, in-app and by e-mail (one per close date, should their
projects lie in regions closing on different days); each region whose rules name a
group-robot webhook gets one message listing all its missing projects, with or
without reporters.

Once a day: a region's reminder about a month is claimed by inserting a
``ReminderRun`` row (unique per region, month and day) before anything is sent, so a
second run the same day (another worker, a manual command) sends nothing again. A
crash after the claim loses that day's reminder, never doubles it.
"""

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from itertools import groupby

from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from lib.notify import notify_each, send_emails, send_webhook
from org.models import Region, User
from projects.models import Project

from .models import MonthlyReport, Period, ReminderRun, ReportStatus, previous_month, rules_for_regions

OVERDUE_DAYS = 5
DONE = [ReportStatus.SUBMITTED, ReportStatus.APPROVED]
NOTIFICATION_KIND = "report_reminder"
# WeCom refuses text messages over 2,048 bytes of UTF-8 (DingTalk allows more).
WEBHOOK_BYTES = 2048


def reminder_kind(today: datetime.date, closes_on: datetime.date, days_before: int) -> str | None:
    """Whether ``today`` is a reminder day for a period closing on ``closes_on``: "before", "overdue" or None."""
    if closes_on - datetime.timedelta(days=days_before) <= today <= closes_on:
        return "before"
    if closes_on < today <= closes_on + datetime.timedelta(days=OVERDUE_DAYS):
        return "overdue"
    return None


def months_around(today: datetime.date) -> list[tuple[int, int]]:
    """Last month, this month and next month."""
    this = (today.year, today.month)
    following = (today.year, today.month + 1) if today.month < 12 else (today.year + 1, 1)
    return [previous_month(*this), this, following]


def month_day(day: datetime.date) -> str:
    return _("%(month)s 月 %(day)s 日") % {"month": day.month, "day": day.day}


@dataclass(frozen=True)
class MissingProject:
    pk: int
    name: str
    reporters: tuple[User, ...]


@dataclass(frozen=True)
class Reminder:
    """One region's projects still missing one month's report, on a reminder day."""

    region: Region
    year: int
    month: int
    closes_on: datetime.date
    today: datetime.date
    webhook_url: str
    projects: tuple[MissingProject, ...]

    @property
    def overdue_days(self) -> int:
        return max((self.today - self.closes_on).days, 0)

    def by_reporter(self) -> dict[User, tuple[str, ...]]:
        """Each reporter with the names of their missing projects."""
        names = defaultdict(list)
        for project in self.projects:
            for user in project.reporters:
                names[user].append(project.name)
        return {user: tuple(projects) for user, projects in names.items()}

    def group_text(self) -> str:
        """The group-robot message: a headline, then as many project names as the robot accepts."""
        values = {
            "region": self.region.name,
            "count": len(self.projects),
            "month": self.month,
            "close": month_day(self.closes_on),
            "days": self.overdue_days,
        }
        headline = _("%(region)s：%(count)s 个项目尚未报送 %(month)s 月月报，截止 %(close)s") % values
        if self.overdue_days:
            headline += _("，已逾期 %(days)s 天") % values
        return _fit_lines(headline, [f"{i}. {p.name}" for i, p in enumerate(self.projects, 1)], WEBHOOK_BYTES)


def _fit_lines(headline: str, lines: list[str], limit: int) -> str:
    """The headline and as many lines as fit in ``limit`` bytes, with a count of all when some are left out."""
    more = "\n" + _("……等共 %(count)s 个项目") % {"count": len(lines)}
    text = headline
    for index, line in enumerate(lines):
        candidate = f"{text}\n{line}"
        reserve = more if index < len(lines) - 1 else ""
        if len((candidate + reserve).encode()) > limit:
            return text + more
        text = candidate
    return text


@dataclass(frozen=True)
class ReporterMessage:
    """One reporter's reminder: their missing projects of one month with one close date."""

    user: User
    year: int
    month: int
    closes_on: datetime.date
    today: datetime.date
    projects: tuple[str, ...]

    @property
    def overdue_days(self) -> int:
        return max((self.today - self.closes_on).days, 0)

    def url(self) -> str:
        """The reporter's list of projects to report on, at this month."""
        return f"{reverse('reports:mine')}?month={self.year}-{self.month:02d}"

    def subject(self) -> str:
        if self.overdue_days:
            return _("%(month)s 月月报逾期未报送提醒") % {"month": self.month}
        return _("%(month)s 月月报报送提醒") % {"month": self.month}

    def text(self) -> str:
        values = {
            "count": len(self.projects),
            "month": self.month,
            "close": month_day(self.closes_on),
            "days": self.overdue_days,
            "names": "、".join(self.projects),
        }
        if self.overdue_days:
            return _(
                "您负责的 %(count)s 个项目 %(month)s 月月报已逾期 %(days)s 天（截止 %(close)s）仍未报送：%(names)s。"
                "请尽快报送。"
            ) % values
        return _("您负责的 %(count)s 个项目尚未报送 %(month)s 月月报（截止 %(close)s）：%(names)s。") % values


def reporter_messages(reminders: list[Reminder]) -> list[ReporterMessage]:
    """One message per reporter, month and close date, however many regions the projects lie in.

    A reporter whose projects lie in regions closing on different days (a rare city
    reporter) gets one message per close date, so none calls a project overdue early.
    """
    messages: dict[tuple, ReporterMessage] = {}
    for reminder in reminders:
        for user, names in reminder.by_reporter().items():
            key = (user, reminder.year, reminder.month, reminder.closes_on)
            earlier = messages.get(key)
            messages[key] = (
                replace(earlier, projects=earlier.projects + names)
                if earlier
                else ReporterMessage(*key, reminder.today, names)
            )
    return list(messages.values())


# ---- deciding ----


@dataclass(frozen=True)
class DuePeriod:
    region: Region
    year: int
    month: int
    closes_on: datetime.date
    webhook_url: str

    @property
    def key(self) -> tuple[int, int, int]:
        return self.region.pk, self.year, self.month


def due_reminders(today: datetime.date) -> list[Reminder]:
    """The reminders that ``today`` calls for, one per region and month with missing reports; sends nothing."""
    with scopes_disabled():
        due = _due_periods(today)
        missing = _missing_projects(due)
    return [
        Reminder(d.region, d.year, d.month, d.closes_on, today, d.webhook_url, tuple(missing[d.key]))
        for d in due
        if missing.get(d.key)
    ]


def _due_periods(today: datetime.date) -> list[DuePeriod]:
    # Three queries whatever the number of regions: regions, their rules, their periods.
    regions = list(Region.objects.filter(pk__in=Project.objects.reporting().values("region_id")))
    rules = rules_for_regions(regions)
    periods = _periods(months_around(today))
    due = []
    for region in regions:
        for year, month in months_around(today):
            period = periods.get((region.pk, year, month))
            if period is not None and period.is_closed:
                continue
            closes_on = period.closes_on if period else datetime.date(year, month, rules[region.pk].close_day)
            if reminder_kind(today, closes_on, rules[region.pk].remind_days_before):
                due.append(DuePeriod(region, year, month, closes_on, rules[region.pk].webhook_url))
    return due


def _periods(months: list[tuple[int, int]]) -> dict[tuple[int, int, int], Period]:
    condition = Q()
    for year, month in months:
        condition |= Q(year=year, month=month)
    return {(p.region_id, p.year, p.month): p for p in Period._base_manager.filter(condition)}


def _missing_projects(due: list[DuePeriod]) -> dict[tuple[int, int, int], list[MissingProject]]:
    """Missing projects of the due regions with their active reporters: one query per month (nearly always one)."""
    rows = [
        (year, month, row)
        for (year, month), group in groupby(sorted(due, key=_month_key), key=_month_key)
        for row in _missing_rows([d.region.pk for d in group], year, month)
    ]
    users = User.objects.filter(pk__in={row.reporter for _y, _m, row in rows if row.reporter}, is_active=True)
    active = users.in_bulk()
    missing = defaultdict(list)
    for (year, month, _pk), same_project in groupby(rows, key=lambda r: (r[0], r[1], r[2].pk)):
        project_rows = [row for _y, _m, row in same_project]
        project = project_rows[0]
        reporters = tuple(active[row.reporter] for row in project_rows if row.reporter in active)
        missing[project.region_id, year, month].append(MissingProject(project.pk, project.name, reporters))
    return missing


def _month_key(due: DuePeriod) -> tuple[int, int]:
    return due.year, due.month


def _missing_rows(region_ids: list[int], year: int, month: int):
    """(pk, name, region_id, reporter): one row per project and reporter, reporter None for a project without."""
    done = MonthlyReport._base_manager.filter(project=OuterRef("pk"), year=year, month=month, status__in=DONE)
    return (
        Project.objects.reporting()
        .filter(region_id__in=region_ids)
        .exclude(Exists(done))
        .annotate(reporter=F("reporters"))
        .order_by("region_id", "name", "pk", "reporter")
        .values_list("pk", "name", "region_id", "reporter", named=True)
    )


# ---- sending ----


@dataclass(frozen=True)
class ReminderSummary:
    regions: int = 0
    projects: int = 0
    reporters: int = 0
    emails: int = 0
    webhooks: int = 0
    webhooks_failed: int = 0
    already_sent: int = 0  # regions another run reminded today


def send_reminders(today: datetime.date | None = None) -> ReminderSummary:
    """Send today's reminders: in-app and e-mail to each reporter, one group message per region with a webhook."""
    today = today or timezone.localdate()
    due = due_reminders(today)
    reminders = _claim(due, today)
    messages = reporter_messages(reminders)
    notify_each(((m.user, m.text(), m.url()) for m in messages), kind=NOTIFICATION_KIND)
    emails = send_emails((m.user, m.subject(), _email_body(m)) for m in messages)
    posted = [send_webhook(r.webhook_url, r.group_text()) for r in reminders if r.webhook_url]
    return ReminderSummary(
        regions=len(reminders),
        projects=sum(len(r.projects) for r in reminders),
        reporters=len({m.user for m in messages}),
        emails=emails,
        webhooks=posted.count(True),
        webhooks_failed=posted.count(False),
        already_sent=len(due) - len(reminders),
    )


def _email_body(message: ReporterMessage) -> str:
    return message.text() + "\n\n" + _("请登录重大项目建设管理平台填报。此邮件由系统自动发送，请勿回复。")


def _claim(reminders: list[Reminder], today: datetime.date) -> list[Reminder]:
    """The reminders this run won: the rows it inserted; a row already there belongs to an earlier run."""
    if not reminders:
        return []
    token = uuid.uuid4()
    rows = [
        ReminderRun(region=r.region, year=r.year, month=r.month, sent_on=today, projects=len(r.projects), claim=token)
        for r in reminders
    ]
    with scopes_disabled():
        ReminderRun.objects.bulk_create(rows, ignore_conflicts=True)
        won = set(ReminderRun.objects.filter(sent_on=today, claim=token).values_list("region_id", "year", "month"))
    return [r for r in reminders if (r.region.pk, r.year, r.month) in won]

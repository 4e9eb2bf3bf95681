"""Reminders about missing monthly reports: the days, the people, the channels, once a day.

Every date is passed in: June 2025, where 交城县 closes on the 25th (the default rules:
reminders from the 22nd, overdue reminders the 26th to the 30th) and 文水县 has rules
of its own (closes on the 20th, reminders from the 18th). Both counties inherit nothing
else: 吕梁市's rules carry the group robot webhook, which 文水县's own rules replace.
"""

import datetime
import json
import urllib.error
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled
from huey.contrib.djhuey import HUEY

from org.models import Notification, Role, User
from projects.models import Project, Stage
from reports import reminders, tasks
from reports.models import MonthlyReport, Period, ProjectColour, ReminderRun, ReportingRules, ReportStatus
from reports.reminders import OVERDUE_DAYS, due_reminders, reminder_kind, send_reminders

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test-key"
MATERIALS = "华鑫年产5万吨特种石墨项目"
ROAD = "交城县城区道路提质改造工程"
HOSPITAL = "文水县人民医院新院区建设项目"
JUNE = (2025, 6)


def day(month: int, dom: int, year: int = 2025) -> datetime.date:
    return datetime.date(year, month, dom)


@pytest.fixture
def robot():
    """urlopen replaced by a group robot that accepts everything: no test reaches the network."""
    with mock.patch("urllib.request.urlopen") as urlopen:
        urlopen.return_value.__enter__.return_value.read.return_value = b'{"errcode":0,"errmsg":"ok"}'
        yield urlopen


def posted(urlopen) -> list[tuple[str, dict]]:
    """(url, JSON body) of each request the robot received."""
    return [(call.args[0].full_url, json.loads(call.args[0].data)) for call in urlopen.call_args_list]


@pytest.fixture
def world(cast, robot):
    """Reporters assigned to the cast's reporting projects, and the rules described above."""
    with scopes_disabled():
        users = cast.users
        users.reporter.email = "sun@jiaocheng.gov.cn"
        users.reporter.save()
        users.road_reporter = _reporter("jc_reporter2", "钱填报", cast.regions.jiaocheng, "qian@jiaocheng.gov.cn")
        users.gone = _reporter("jc_gone", "离职者", cast.regions.jiaocheng, "gone@jiaocheng.gov.cn", is_active=False)
        users.wenshui_reporter = _reporter("ws_reporter", "文填报", cast.regions.wenshui, "")
        cast.projects.materials.reporters.set([users.reporter, users.gone])
        cast.projects.road.reporters.set([users.reporter, users.road_reporter])
        cast.projects.hospital.reporters.set([users.wenshui_reporter])
        ReportingRules.objects.create(region=cast.regions.lvliang, webhook_url=WEBHOOK)
        ReportingRules.objects.create(region=cast.regions.wenshui, close_day=20, remind_days_before=2)
    return cast


def _reporter(username, full_name, region, email, **extra) -> User:
    return User.objects.create_user(
        username, email=email, role=Role.REPORTER, region=region, full_name=full_name, **extra
    )


def report(project, status, year=2025, month=6) -> MonthlyReport:
    with scopes_disabled():
        period = Period.for_month(project.region, year, month)
        return MonthlyReport.objects.create(
            project=project, period=period, year=year, month=month, completed=Decimal("100"), status=status
        )


def summary_of(due) -> set[tuple[str, int, int, datetime.date]]:
    return {(r.region.name, r.year, r.month, r.closes_on) for r in due}


def by_reporter(due) -> dict[str, tuple[str, ...]]:
    return {user.username: names for r in due for user, names in r.by_reporter().items()}


# ---- which days ----


@pytest.mark.parametrize(
    ("today", "kind"),
    [
        (day(6, 21), None),
        (day(6, 22), "before"),
        (day(6, 25), "before"),
        (day(6, 26), "overdue"),
        (day(6, 30), "overdue"),
        (day(7, 1), None),
    ],
)
def test_reminder_days_run_from_three_days_before_to_five_days_after_the_close(today, kind):
    assert OVERDUE_DAYS == 5
    assert reminder_kind(today, day(6, 25), days_before=3) == kind


def test_with_no_days_before_the_close_day_itself_is_the_first_reminder():
    assert [reminder_kind(d, day(6, 25), 0) for d in (day(6, 24), day(6, 25))] == [None, "before"]


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (day(6, 17), set()),
        (day(6, 18), {("文水县", 2025, 6, day(6, 20))}),
        (day(6, 21), {("文水县", 2025, 6, day(6, 20))}),  # overdue in 文水县, too early in 交城县
        (day(6, 22), {("文水县", 2025, 6, day(6, 20)), ("交城县", 2025, 6, day(6, 25))}),
        (day(6, 26), {("交城县", 2025, 6, day(6, 25))}),  # 文水县's overdue days ended on the 25th
        (day(6, 30), {("交城县", 2025, 6, day(6, 25))}),
        (day(7, 1), set()),
    ],
)
def test_each_region_is_reminded_by_its_own_rules(world, today, due):
    assert summary_of(due_reminders(today)) == due


def test_overdue_reminders_of_a_late_close_day_run_into_the_next_month(world):
    with scopes_disabled():
        ReportingRules.objects.create(region=world.regions.jiaocheng, close_day=28, remind_days_before=1)

    due = {d: summary_of(due_reminders(d)) for d in (day(3, 5), day(3, 6))}

    assert due == {day(3, 5): {("交城县", 2025, 2, day(2, 28))}, day(3, 6): set()}
    assert due_reminders(day(3, 5))[0].overdue_days == 5


def test_the_december_report_is_reminded_overdue_in_january(world):
    with scopes_disabled():
        ReportingRules.objects.create(region=world.regions.jiaocheng, close_day=28)

    assert summary_of(due_reminders(day(1, 2, 2026))) == {("交城县", 2025, 12, day(12, 28))}


def test_a_periods_own_close_date_beats_the_rules(world):
    with scopes_disabled():
        Period.objects.create(region=world.regions.jiaocheng, year=2025, month=6, closes_on=day(6, 28))

    assert summary_of(due_reminders(day(6, 26))) == {("交城县", 2025, 6, day(6, 28))}
    assert due_reminders(day(6, 26))[0].overdue_days == 0


def test_a_closed_period_is_not_reminded(world):
    with scopes_disabled():
        Period.for_month(world.regions.jiaocheng, 2025, 6).close(by=world.users.coordinator)

    assert summary_of(due_reminders(day(6, 23))) == {("文水县", 2025, 6, day(6, 20))}


# ---- who, about what ----


def test_each_active_reporter_gets_exactly_their_projects_without_a_submitted_report(world):
    report(world.projects.road, ReportStatus.SUBMITTED)
    report(world.projects.materials, ReportStatus.DRAFT)

    due = due_reminders(day(6, 23))

    # The road is in; the drafted materials report is still missing; 文水县 is overdue.
    assert by_reporter(due) == {"jc_reporter": (MATERIALS,), "ws_reporter": (HOSPITAL,)}
    assert {r.region.name: [p.name for p in r.projects] for r in due} == {"交城县": [MATERIALS], "文水县": [HOSPITAL]}


def test_approved_reports_count_as_in_and_returned_ones_as_missing(world):
    report(world.projects.road, ReportStatus.APPROVED)
    report(world.projects.materials, ReportStatus.RETURNED)
    report(world.projects.hospital, ReportStatus.APPROVED, month=5)  # last month's does not count

    assert by_reporter(due_reminders(day(6, 23))) == {"jc_reporter": (MATERIALS,), "ws_reporter": (HOSPITAL,)}


def test_a_reporter_of_two_missing_projects_gets_both_in_name_order(world):
    assert by_reporter(due_reminders(day(6, 24))) == {
        "jc_reporter": (ROAD, MATERIALS),  # 交 sorts before 华
        "jc_reporter2": (ROAD,),
        "ws_reporter": (HOSPITAL,),
    }


def test_a_reporter_in_two_regions_gets_one_message_per_close_date(world):
    world.projects.hospital.reporters.add(world.users.reporter)
    world.projects.xiaodian.reporters.add(world.users.reporter)
    with scopes_disabled():
        Project.objects.filter(pk=world.projects.xiaodian.pk).update(stage=Stage.PREPARING)

    messages = reminders.reporter_messages(due_reminders(day(6, 23)))

    mine = sorted((m.closes_on, m.projects) for m in messages if m.user == world.users.reporter)
    # Regions in tree order (太原市 before 吕梁市), projects by name within each.
    assert mine == [(day(6, 20), (HOSPITAL,)), (day(6, 25), ("小店区智能制造产业园项目", ROAD, MATERIALS))]


def test_projects_that_owe_no_report_are_not_reminded(world):
    with scopes_disabled():
        world.projects.materials.archive(by=world.users.coordinator)
        Project.objects.filter(pk=world.projects.road.pk).update(stage=Stage.SUSPENDED)

    assert summary_of(due_reminders(day(6, 23))) == {("文水县", 2025, 6, day(6, 20))}


def test_a_missing_project_without_reporters_still_goes_to_the_group(world):
    world.projects.road.reporters.clear()

    jiaocheng = next(r for r in due_reminders(day(6, 23)) if r.region == world.regions.jiaocheng)

    assert [(p.name, p.reporters) for p in jiaocheng.projects] == [(ROAD, ()), (MATERIALS, (world.users.reporter,))]


@pytest.mark.parametrize("extra_regions", [0, 3])
def test_deciding_costs_the_same_queries_for_2_or_5_regions(world, extra_regions, django_assert_num_queries):
    regions = [world.regions.lvliang, world.regions.taiyuan, world.regions.xiaodian][:extra_regions]
    with scopes_disabled():
        for index, region in enumerate(regions):
            project = Project.objects.create(
                name=f"项目{index}", region=region, category="industry", total_investment=1, stage=Stage.PREPARING
            )
            project.reporters.set([_reporter(f"r{index}", "填报", region, "")])

    # 1 regions with reporting projects, 2 their rules and their ancestors', 3 the periods of the three
    # months around today, 4 the missing projects with their reporters (one month due), 5 the reporters.
    with django_assert_num_queries(5):
        due = due_reminders(day(6, 23))

    assert len(due) == 2 + extra_regions


# ---- sending ----


def test_sending_notifies_emails_and_posts_to_the_group(world, robot):
    summary = send_reminders(day(6, 23))

    assert summary == reminders.ReminderSummary(
        regions=2, projects=3, reporters=3, emails=2, webhooks=1, webhooks_failed=0, already_sent=0
    )
    with scopes_disabled():
        sent = sorted(Notification.objects.values_list("user__username", "kind", "text", "url"))
    mine, kind = "/reports/?month=2025-06", "report_reminder"  # the reporter's list at that month
    assert sent == [
        ("jc_reporter", kind, f"您负责的 2 个项目尚未报送 6 月月报（截止 6 月 25 日）：{ROAD}、{MATERIALS}。", mine),
        ("jc_reporter2", kind, f"您负责的 1 个项目尚未报送 6 月月报（截止 6 月 25 日）：{ROAD}。", mine),
        (
            "ws_reporter",
            kind,
            f"您负责的 1 个项目 6 月月报已逾期 3 天（截止 6 月 20 日）仍未报送：{HOSPITAL}。请尽快报送。",
            mine,
        ),
    ]


def test_emails_go_to_reporters_with_an_address_one_each(world, robot):
    send_reminders(day(6, 23))

    assert sorted((m.to, m.subject, m.body.splitlines()[0]) for m in mail.outbox) == [
        (
            ["qian@jiaocheng.gov.cn"],
            "6 月月报报送提醒",
            f"您负责的 1 个项目尚未报送 6 月月报（截止 6 月 25 日）：{ROAD}。",
        ),
        (
            ["sun@jiaocheng.gov.cn"],
            "6 月月报报送提醒",
            f"您负责的 2 个项目尚未报送 6 月月报（截止 6 月 25 日）：{ROAD}、{MATERIALS}。",
        ),
    ]


def test_the_group_robot_gets_the_text_message_wecom_and_dingtalk_accept(world, robot):
    send_reminders(day(6, 27))

    text = f"交城县：2 个项目尚未报送 6 月月报，截止 6 月 25 日，已逾期 2 天\n1. {ROAD}\n2. {MATERIALS}"
    assert posted(robot) == [(WEBHOOK, {"msgtype": "text", "text": {"content": text}})]
    request = robot.call_args.args[0]
    assert (request.method, request.headers["Content-type"]) == ("POST", "application/json; charset=utf-8")
    assert robot.call_args.kwargs == {"timeout": 5}


def test_a_long_list_is_cut_to_the_2048_bytes_wecom_accepts(world, robot):
    with scopes_disabled():
        for index in range(120):
            Project.objects.create(
                name=f"交城县第{index:03d}号重点建设项目", region=world.regions.jiaocheng, category="urban",
                total_investment=1, stage=Stage.CONSTRUCTION,
            )

    send_reminders(day(6, 23))

    content = posted(robot)[0][1]["text"]["content"]
    assert len(content.encode()) <= 2048
    assert content.startswith("交城县：122 个项目尚未报送 6 月月报，截止 6 月 25 日\n1. 交城县城区道路提质改造工程\n")
    assert content.endswith("\n……等共 122 个项目")


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_sends_again(world, robot):
    send_reminders(day(6, 23))

    again = send_reminders(day(6, 23))

    assert again == reminders.ReminderSummary(already_sent=2)
    assert (Notification.objects.count(), len(mail.outbox), robot.call_count) == (3, 2, 1)
    next_day = send_reminders(day(6, 24))
    assert (next_day.regions, Notification.objects.count(), len(mail.outbox), robot.call_count) == (2, 6, 4, 2)


def test_a_region_claimed_by_another_run_is_left_to_it(world, robot):
    with scopes_disabled():
        ReminderRun.objects.create(region=world.regions.jiaocheng, year=2025, month=6, sent_on=day(6, 23), claim=1)

    summary = send_reminders(day(6, 23))

    assert (summary.regions, summary.already_sent, robot.call_count) == (1, 1, 0)  # 文水县 has no webhook
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["ws_reporter"]
    with scopes_disabled():
        runs = sorted(ReminderRun.objects.values_list("region__name", "month", "sent_on", "projects"))
    assert runs == [("交城县", 6, day(6, 23), 0), ("文水县", 6, day(6, 23), 1)]


def test_a_failing_robot_does_not_stop_the_other_channels(world, robot, caplog):
    robot.side_effect = urllib.error.URLError("connection refused")

    summary = send_reminders(day(6, 23))

    assert (summary.webhooks, summary.webhooks_failed, summary.reporters, summary.emails) == (0, 1, 3, 2)
    assert Notification.objects.count() == 3
    assert "connection refused" in caplog.text


def test_nothing_due_sends_nothing(world, robot, django_assert_num_queries):
    with django_assert_num_queries(3):  # regions, rules, periods: no missing-report query for no due region
        summary = send_reminders(day(6, 10))

    assert summary == reminders.ReminderSummary()
    assert (Notification.objects.count(), len(mail.outbox), robot.call_count) == (0, 0, 0)


# ---- commands and tasks ----


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_send_reminders_command_prints_its_summary(world, robot):
    assert run("send_reminders", "--date", "2025-06-23") == (
        "Reminders: 2 regions, 3 projects missing, 3 reporters notified, 2 e-mails, "
        "1 group messages (0 failed), 0 regions already reminded today.\n"
    )
    assert run("send_reminders", "--date", "2025-06-23") == (
        "Reminders: 0 regions, 0 projects missing, 0 reporters notified, 0 e-mails, "
        "0 group messages (0 failed), 2 regions already reminded today.\n"
    )


def test_the_send_reminders_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="--date takes YYYY-MM-DD, not '23.6.2025'"):
        run("send_reminders", "--date", "23.6.2025")


def test_open_periods_opens_one_period_per_region_with_projects_at_its_close_day(world):
    with scopes_disabled():
        Period.objects.create(region=world.regions.jiaocheng, year=2025, month=7, closes_on=day(7, 27))

    first = run("open_periods", "--year", "2025", "--month", "7")
    again = run("open_periods", "--year", "2025", "--month", "7")

    assert first == "Periods 2025-07: 2 opened, 1 already open.\n"  # 文水县 and 小店区; 交城县 had its own
    assert again == "Periods 2025-07: 0 opened, 3 already open.\n"
    with scopes_disabled():
        july = Period.objects.filter(year=2025, month=7)
        periods = sorted(july.values_list("region__name", "closes_on", "closed_at"))
    assert periods == [("交城县", day(7, 27), None), ("小店区", day(7, 25), None), ("文水县", day(7, 20), None)]


def test_open_periods_sets_the_close_date_period_for_month_would(world):
    regions = [world.regions.jiaocheng, world.regions.wenshui, world.regions.xiaodian]
    run("open_periods", "--year", "2025", "--month", "8")
    with scopes_disabled():
        opened = [(p.region, p.closes_on) for p in Period.objects.filter(year=2025, month=8).order_by("region__path")]
        Period.objects.filter(year=2025, month=8).delete()
        on_first_use = [(r, Period.for_month(r, 2025, 8).closes_on) for r in sorted(regions, key=lambda r: r.path)]

    assert opened == on_first_use


def test_open_periods_defaults_to_this_month(world, monkeypatch):
    monkeypatch.setattr(tasks, "this_month", lambda: (2025, 9))

    assert run("open_periods") == "Periods 2025-09: 3 opened, 0 already open.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "13"], "--month must lie between 1 and 12, not 13."),
        (["--month", "0"], "--month must lie between 1 and 12, not 0."),
        (["--year", "1999"], "--year must lie between 2000 and 2100, not 1999."),
    ],
)
def test_month_commands_refuse_a_month_that_does_not_exist(db, args, message):
    for command in ("open_periods", "recompute_colours"):
        with pytest.raises(CommandError) as error:
            run(command, *args)
        assert str(error.value) == message


def test_recompute_colours_runs_the_recompute_for_one_region(cast):
    with mock.patch("reports.colours.recompute", return_value=2) as recompute:
        out = run("recompute_colours", "--year", "2025", "--month", "6", "--region", "141122")

    assert out == "Colours 2025-06, 交城县 (141122) and below: 2 projects recomputed.\n"
    assert recompute.call_args == mock.call(2025, 6, region=cast.regions.jiaocheng)


def test_recompute_colours_writes_the_colours_of_the_regions_projects_only(cast):
    out = run("recompute_colours", "--year", "2025", "--month", "6", "--region", "141122")

    assert out == "Colours 2025-06, 交城县 (141122) and below: 2 projects recomputed.\n"
    with scopes_disabled():
        coloured = set(ProjectColour.objects.filter(year=2025, month=6).values_list("project__name", flat=True))
    assert coloured == {MATERIALS, ROAD}


def test_recompute_colours_defaults_to_this_month_for_all_regions(db, monkeypatch):
    monkeypatch.setattr(tasks, "this_month", lambda: (2025, 6))
    with mock.patch("reports.colours.recompute", return_value=17) as recompute:
        out = run("recompute_colours")

    assert out == "Colours 2025-06, all regions: 17 projects recomputed.\n"
    assert recompute.call_args == mock.call(2025, 6, region=None)


def test_recompute_colours_refuses_an_unknown_region(cast):
    with pytest.raises(CommandError, match="No region with code 999999."):
        run("recompute_colours", "--region", "999999")


@pytest.mark.parametrize(
    ("task", "runs_at", "not_at"),
    [
        (tasks.send_reminders_daily, (8, 0), (8, 1)),
        (tasks.recompute_colours_nightly, (2, 0), (3, 0)),
        (tasks.open_periods_daily, (0, 30), (0, 0)),
    ],
)
def test_each_task_runs_daily_at_its_beijing_hour(task, runs_at, not_at):
    at = [task.task_class().validate_datetime(datetime.datetime(2025, 6, 23, *hm)) for hm in (runs_at, not_at)]

    assert at == [True, False]
    assert HUEY.utc is False  # the crontab is read in local time, which Django sets to Asia/Shanghai


def test_the_tasks_run_the_same_functions_as_the_commands(monkeypatch):
    monkeypatch.setattr(tasks, "this_month", lambda: (2025, 6))
    with (
        mock.patch.object(tasks, "send_reminders") as send,
        mock.patch.object(tasks, "recompute_colours") as recompute,
        mock.patch.object(tasks, "open_periods") as open_periods,
    ):
        tasks.send_reminders_daily.call_local()
        tasks.recompute_colours_nightly.call_local()
        tasks.open_periods_daily.call_local()

    assert (send.call_args, recompute.call_args, open_periods.call_args) == (
        mock.call(),
        mock.call(2025, 6),
        mock.call(2025, 6),
    )

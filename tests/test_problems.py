"""Problems (挂号销号): the state machine and who may move it, the timeline and its attachments, escalation
by date (督办), and the screens: raising from a project page, a problem's page and its moves, the list with
its filters and export, the escalation rules.

Every write is checked by reading the rows back; every refusal by checking nothing changed.
"""

import csv
import datetime
import io
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from org.models import Notification, Role, User
from problems import escalation
from problems.escalation import escalate
from problems.models import EscalationRules, Level, Problem, ProblemEvent, Status
from problems.tasks import escalate as escalate_task
from reports import colours
from reports.models import MonthlyReport, Period, ProjectColour, ReportStatus

from .conftest import PASSWORD, reload

pytestmark = pytest.mark.usefixtures("unscoped")

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
LIST_URL = reverse("problems:list")
RULES_URL = reverse("problems:rules")

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
ZIP = b"PK\x03\x04" + b"\x00" * 32


# ---- helpers ----


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people(cast):
    """The cast, plus a handler of another county department, a second land handler, and an inactive one."""
    land, housing = cast.departments.land, cast.departments.housing
    cast.users.other_handler = _user("jc_housing", Role.HANDLER, cast.region, "钱住建", department=housing)
    cast.users.second_handler = _user("jc_land2", Role.HANDLER, cast.region, "冯资源", department=land)
    cast.users.retired_handler = _user(
        "jc_land3", Role.HANDLER, cast.region, "褚退休", department=land, is_active=False
    )
    cast.users.wenshui_leader = _user("ws_leader", Role.LEADER, cast.regions.wenshui, "蒋县长")
    return cast


def _user(username, role, region, full_name, **extra) -> User:
    return User.objects.create_user(username, password=PASSWORD, role=role, region=region, full_name=full_name, **extra)


def make_problem(cast, *, project=None, status=Status.REGISTERED, deadline=None, level=Level.DEPARTMENT, **extra):
    """A problem on the graphite plant for the land department, led by the city's vice mayor."""
    fields = {
        "project": project or cast.projects.materials,
        "category": "land",
        "description": "二期用地指标未落实，影响厂房开工",
        "department": cast.departments.land,
        "leader": cast.users.city_leader,
        "deadline": deadline or TODAY + 10 * DAY,
        "status": status,
        "level": level,
        "raised_by": cast.users.coordinator,
        **extra,
    }
    return Problem.objects.create(**fields)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def detail_url(problem) -> str:
    return reverse("problems:detail", args=[problem.pk])


def act_url(problem) -> str:
    return reverse("problems:act", args=[problem.pk])


def create_url(project) -> str:
    return reverse("problems:create", args=[project.pk])


def timeline(problem) -> list[tuple]:
    return list(
        ProblemEvent.objects.filter(problem=problem).values_list("action", "from_status", "to_status", "by", "note")
    )


def field_errors(response, form="form") -> dict:
    return {name: list(errors) for name, errors in response.context[form].errors.items()}


def list_descriptions(response) -> list[str]:
    return [p.description for p in response.context["page"].object_list]


# ---- the state machine: status × action × role ----

# (status, action) -> the status the move leads to, or None where the state machine refuses it.
MOVES = {
    (Status.REGISTERED, "accept"): Status.IN_PROGRESS,
    (Status.REGISTERED, "propose"): Status.PROPOSED,
    (Status.REGISTERED, "strike_off"): None,
    (Status.REGISTERED, "return"): None,
    (Status.IN_PROGRESS, "accept"): None,
    (Status.IN_PROGRESS, "propose"): Status.PROPOSED,
    (Status.IN_PROGRESS, "strike_off"): None,
    (Status.IN_PROGRESS, "return"): None,
    (Status.PROPOSED, "accept"): None,
    (Status.PROPOSED, "propose"): None,
    (Status.PROPOSED, "strike_off"): Status.STRUCK_OFF,
    (Status.PROPOSED, "return"): Status.RETURNED,
    (Status.RETURNED, "accept"): Status.IN_PROGRESS,
    (Status.RETURNED, "propose"): Status.PROPOSED,
    (Status.RETURNED, "strike_off"): None,
    (Status.RETURNED, "return"): None,
    (Status.STRUCK_OFF, "accept"): None,
    (Status.STRUCK_OFF, "propose"): None,
    (Status.STRUCK_OFF, "strike_off"): None,
    (Status.STRUCK_OFF, "return"): None,
}
ROLES = [
    "coordinator", "admin", "city_coordinator", "handler", "other_handler", "leader", "reporter", "promoter",
    "enterprise", "outsider",
]  # fmt: skip
# Who may make each move (in any state): the land department's handler works it, the offices confirm.
WHO = {
    "accept": {"coordinator", "admin", "city_coordinator", "handler"},
    "propose": {"coordinator", "admin", "city_coordinator", "handler"},
    "strike_off": {"coordinator", "admin", "city_coordinator"},
    "return": {"coordinator", "admin", "city_coordinator"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("status", "action"), list(MOVES), ids=[f"{s}-{a}" for s, a in MOVES])
def test_each_move_is_allowed_only_from_its_states_and_to_its_roles(people, status, action, role):
    problem = make_problem(people, status=status)
    user = getattr(people.users, role)
    leads_to = MOVES[(status, action)]

    if role not in WHO[action]:
        with pytest.raises(PermissionDenied):
            problem.act(action, by=user, note="说明")
    elif leads_to is None:
        with pytest.raises(ValidationError):
            problem.act(action, by=user, note="说明")
    else:
        problem.act(action, by=user, note="说明")

    assert reload(problem).status == (leads_to if leads_to and role in WHO[action] else status)
    expected_events = [(action, status, leads_to, user.pk, "说明")] if leads_to and role in WHO[action] else []
    assert timeline(problem) == expected_events


def test_the_moves_offered_are_those_allowed_now_for_the_user(people):
    registered, proposed = make_problem(people), make_problem(people, status=Status.PROPOSED)

    assert registered.actions_for(people.users.handler) == ["accept", "propose"]
    assert registered.actions_for(people.users.coordinator) == ["accept", "propose"]
    assert proposed.actions_for(people.users.handler) == []
    assert proposed.actions_for(people.users.coordinator) == ["strike_off", "return"]
    assert registered.actions_for(people.users.leader) == []
    assert registered.actions_for(people.users.other_handler) == []


@pytest.mark.parametrize(("action", "status"), [("propose", Status.IN_PROGRESS), ("return", Status.PROPOSED)])
def test_proposing_and_returning_need_a_note(cast, action, status):
    problem = make_problem(cast, status=status)

    with pytest.raises(ValidationError) as error:
        problem.act(action, by=cast.users.coordinator, note="  ")

    assert error.value.message_dict == {"note": ["请填写办理情况或退回原因。"]}
    assert (reload(problem).status, timeline(problem)) == (status, [])


def test_the_timeline_keeps_every_step_with_its_actor_and_note(people):
    users = people.users
    problem = Problem.register(
        project=people.projects.materials, by=users.coordinator, note="月度调度会提出", category="land",
        description="二期用地指标未落实", department=people.departments.land, leader=users.city_leader,
        deadline=TODAY + 5 * DAY,
    )  # fmt: skip
    problem.act("accept", by=users.handler, note="已安排专人对接")
    problem.act("propose", by=users.handler, note="已报批用地指标 120 亩")
    problem.act("return", by=users.coordinator, note="批复文件未上传")
    problem.act("propose", by=users.second_handler, note="已上传省厅批复")
    problem.strike_off(by=users.coordinator, note="同意销号")

    assert timeline(problem) == [
        ("register", "", Status.REGISTERED, users.coordinator.pk, "月度调度会提出"),
        ("accept", Status.REGISTERED, Status.IN_PROGRESS, users.handler.pk, "已安排专人对接"),
        ("propose", Status.IN_PROGRESS, Status.PROPOSED, users.handler.pk, "已报批用地指标 120 亩"),
        ("return", Status.PROPOSED, Status.RETURNED, users.coordinator.pk, "批复文件未上传"),
        ("propose", Status.RETURNED, Status.PROPOSED, users.second_handler.pk, "已上传省厅批复"),
        ("strike_off", Status.PROPOSED, Status.STRUCK_OFF, users.coordinator.pk, "同意销号"),
    ]
    stored = reload(problem)
    assert (stored.status, stored.resolution, stored.raised_by, stored.closed_on_time) == (
        Status.STRUCK_OFF, "已上传省厅批复", users.coordinator, True,
    )
    assert stored.closed_at is not None


def test_a_problem_struck_off_after_its_deadline_is_not_closed_on_time(cast):
    problem = make_problem(cast, status=Status.PROPOSED, deadline=TODAY - DAY)

    problem.strike_off(by=cast.users.coordinator)

    assert reload(problem).closed_on_time is False


def test_registering_is_refused_to_roles_that_may_not_raise(cast):
    with pytest.raises(PermissionDenied):
        Problem.register(
            project=cast.projects.materials, by=cast.users.handler, category="land", description="x",
            department=cast.departments.land, deadline=TODAY,
        )  # fmt: skip
    assert not Problem.objects.exists()


@pytest.mark.parametrize(
    ("role", "assigned", "may"),
    [
        ("coordinator", False, True),
        ("admin", False, True),
        ("leader", False, True),
        ("reporter", True, True),
        ("reporter", False, False),
        ("handler", False, False),
        ("promoter", False, False),
        ("enterprise", False, False),
        ("outsider", False, False),
    ],
)
def test_who_may_raise_a_problem(cast, role, assigned, may):
    if assigned:
        cast.users.reporter.reported_projects.set([cast.projects.materials])

    assert Problem.may_raise(getattr(cast.users, role), cast.projects.materials) is may


# ---- attachments ----


@pytest.mark.parametrize(
    ("name", "content"),
    [("批复.pdf", PDF), ("现场.png", PNG), ("现场.JPG", JPG), ("说明.docx", ZIP), ("台账.xlsx", ZIP)],
)
def test_an_attachment_of_each_accepted_type_is_stored_on_the_step(cast, name, content):
    problem = make_problem(cast)

    event = problem.act("accept", by=cast.users.handler, attachment=upload(name, content))

    stored = ProblemEvent.objects.get(pk=event.pk)
    assert stored.attachment.name.startswith(f"problems/{problem.pk}/")
    assert stored.attachment.name.endswith("." + name.rsplit(".", 1)[1].lower())
    assert stored.attachment.read() == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("程序.exe", b"MZ\x90\x00", "附件只支持 PDF、JPG、PNG、DOCX 或 XLSX 格式。"),
        ("说明.txt", "说明".encode(), "附件只支持 PDF、JPG、PNG、DOCX 或 XLSX 格式。"),
        ("无扩展名", PDF, "附件只支持 PDF、JPG、PNG、DOCX 或 XLSX 格式。"),
        ("假的.pdf", b"<html>not a pdf</html>", "附件内容与其扩展名（pdf）不符。"),
        ("假的.png", JPG, "附件内容与其扩展名（png）不符。"),
        ("过大.pdf", PDF + b"\x00" * (10 * 1024 * 1024), "附件不能超过 10 MB。"),
    ],
)
def test_an_attachment_of_another_type_or_too_big_is_refused_and_nothing_moves(cast, name, content, message):
    problem = make_problem(cast)

    with pytest.raises(ValidationError) as error:
        problem.act("accept", by=cast.users.handler, attachment=upload(name, content))

    assert error.value.message_dict == {"attachment": [message]}
    assert (reload(problem).status, timeline(problem)) == (Status.REGISTERED, [])


def test_a_file_of_exactly_10_mb_is_accepted(cast):
    problem = make_problem(cast)
    content = PDF + b"\x00" * (10 * 1024 * 1024 - len(PDF))

    event = problem.act("accept", by=cast.users.handler, attachment=upload("批复.pdf", content))

    assert ProblemEvent.objects.get(pk=event.pk).attachment.size == 10 * 1024 * 1024


# ---- escalation (督办) by date ----


@pytest.mark.parametrize(
    ("days_overdue", "level"),
    [(-1, Level.DEPARTMENT), (0, Level.DEPARTMENT), (1, Level.LEADER), (14, Level.LEADER), (15, Level.COUNTY)],
)
def test_default_rules_raise_a_level_at_1_and_15_days_overdue(cast, days_overdue, level):
    deadline = datetime.date(2026, 6, 1)
    problem = make_problem(cast, deadline=deadline)

    escalate(today=deadline + days_overdue * DAY)

    assert reload(problem).level == level
    events = list(ProblemEvent.objects.filter(problem=problem).values_list("action", "by", "note"))
    if level == Level.DEPARTMENT:
        assert events == []
    else:
        assert events == [("escalate", None, f"逾期 {days_overdue} 天，由部门督办升为{level.label}。")]


def test_a_problem_rises_step_by_step_as_days_pass_and_never_twice_the_same_day(cast):
    deadline = datetime.date(2026, 6, 1)
    problem = make_problem(cast, deadline=deadline)
    levels = []
    for days in (0, 1, 1, 2, 15, 15, 40):
        escalate(today=deadline + days * DAY)
        levels.append(reload(problem).level)

    assert levels == [0, 1, 1, 1, 2, 2, 2]
    assert list(ProblemEvent.objects.filter(problem=problem).values_list("note", flat=True)) == [
        "逾期 1 天，由部门督办升为包联领导督办。",
        "逾期 15 天，由包联领导督办升为县领导挂牌督办。",
    ]


def test_running_twice_the_same_day_changes_and_sends_nothing_more(people):
    deadline = datetime.date(2026, 6, 1)
    make_problem(people, deadline=deadline)
    make_problem(people, deadline=deadline - 20 * DAY)
    day = deadline + 3 * DAY

    first = escalate(today=day)
    rows = (ProblemEvent.objects.count(), Notification.objects.count(), sorted(Problem.objects.values_list("level")))
    second = escalate(today=day)

    assert (first.overdue, first.to_leader, first.to_county, first.raised) == (2, 1, 1, 2)
    assert (second.overdue, second.raised, second.notified) == (2, 0, 0)
    assert (ProblemEvent.objects.count(), Notification.objects.count()) == rows[:2]
    assert sorted(Problem.objects.values_list("level")) == rows[2]


def test_a_long_overdue_problem_jumps_straight_to_the_county_with_one_entry(cast):
    problem = make_problem(cast, deadline=datetime.date(2026, 5, 1))

    escalate(today=datetime.date(2026, 6, 1))

    assert reload(problem).level == Level.COUNTY
    assert list(ProblemEvent.objects.filter(problem=problem).values_list("note", flat=True)) == [
        "逾期 31 天，由部门督办升为县领导挂牌督办。"
    ]


def test_closed_problems_and_problems_due_later_are_left_alone(cast):
    deadline = datetime.date(2026, 6, 1)
    struck = make_problem(cast, deadline=deadline, status=Status.STRUCK_OFF)
    later = make_problem(cast, deadline=deadline + 30 * DAY)

    summary = escalate(today=deadline + 20 * DAY)

    assert (reload(struck).level, reload(later).level, summary.overdue, summary.raised) == (0, 0, 0, 0)


def test_each_problem_follows_the_rules_nearest_to_its_projects_region(cast):
    EscalationRules.objects.create(region=cast.regions.lvliang, to_leader_days=3, to_county_days=10)
    EscalationRules.objects.create(region=cast.regions.xiaodian, to_leader_days=1, to_county_days=2)
    deadline = datetime.date(2026, 6, 1)
    county = make_problem(cast, deadline=deadline)  # 交城县 inherits 吕梁市
    wenshui = make_problem(cast, deadline=deadline, project=cast.projects.hospital)  # so does 文水县
    xiaodian = make_problem(cast, deadline=deadline, project=cast.projects.xiaodian)  # its own rules

    escalate(today=deadline + 2 * DAY)
    after_2 = [reload(p).level for p in (county, wenshui, xiaodian)]
    EscalationRules.objects.create(region=cast.region, to_leader_days=1, to_county_days=4)
    escalate(today=deadline + 4 * DAY)
    after_4 = [reload(p).level for p in (county, wenshui, xiaodian)]

    assert after_2 == [Level.DEPARTMENT, Level.DEPARTMENT, Level.COUNTY]
    assert after_4 == [Level.COUNTY, Level.LEADER, Level.COUNTY]


def test_a_level_is_never_lowered_when_the_rules_are_relaxed(cast):
    deadline = datetime.date(2026, 6, 1)
    problem = make_problem(cast, deadline=deadline)
    escalate(today=deadline + 15 * DAY)
    EscalationRules.objects.create(region=cast.region, to_leader_days=30, to_county_days=60)

    summary = escalate(today=deadline + 16 * DAY)

    assert (reload(problem).level, summary.raised) == (Level.COUNTY, 0)


def _notified(kind=escalation.KIND) -> list[tuple[str, str, str]]:
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", "text", "url"))


def test_the_leader_level_tells_the_departments_active_handlers_and_the_responsible_leader(people):
    deadline = datetime.date(2026, 6, 1)
    problem = make_problem(people, deadline=deadline)

    summary = escalate(today=deadline + DAY)

    text = f"问题督办：{people.projects.materials.name} 的问题已逾期 1 天，升为包联领导督办，请尽快办结。"
    url = detail_url(problem)
    assert _notified() == [("jc_handler", text, url), ("jc_land2", text, url), ("ll_leader", text, url)]
    assert summary.notified == 3


def test_the_county_level_also_tells_the_leaders_of_the_projects_county(people):
    deadline = datetime.date(2026, 6, 1)
    make_problem(people, deadline=deadline, leader=None)  # falls back to the project's leader, jc_leader
    make_problem(people, deadline=deadline, project=people.projects.hospital, department=people.departments.housing)

    escalate(today=deadline + 15 * DAY)

    recipients = sorted(Notification.objects.values_list("user__username", flat=True))
    # 交城县: the land handlers, jc_leader once (project leader and county leader); 文水县: the housing handler,
    # the vice mayor (the problem's leader) and 文水县's own leader. Nobody is told twice of one problem.
    assert recipients == ["jc_handler", "jc_housing", "jc_land2", "jc_leader", "ll_leader", "ws_leader"]


@pytest.mark.parametrize("count", [3, 21])
def test_escalation_runs_the_same_queries_for_3_or_21_problems(cast, count, django_assert_num_queries):
    deadline = datetime.date(2026, 6, 1)
    for index in range(count):
        make_problem(cast, deadline=deadline - (index % 3) * 10 * DAY)  # 1, 11 and 21 days overdue

    # 1 the overdue problems' regions, 2 all escalation rules, 3 the regions' paths, 4-5 claim and raise those
    # due for the county, 6-7 those due for the leader, 8 the timeline entries, 9 the people to tell, 10 the
    # notifications, 11 the overdue count; 12-13 the savepoint around it all.
    with django_assert_num_queries(13):
        summary = escalate(today=deadline + DAY)

    assert (summary.to_leader, summary.to_county) == (count // 3 * 2, count // 3)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_raise_each_problem_once(cast):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the row locks are PostgreSQL's")
    for _ in range(30):
        make_problem(cast, deadline=datetime.date(2026, 6, 1))
    barrier, results = threading.Barrier(2), []

    def worker():
        barrier.wait()
        results.append(escalate(today=datetime.date(2026, 6, 20)).raised)
        connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 30]
    assert ProblemEvent.objects.count() == 30


def test_the_command_escalates_as_of_the_given_day(cast):
    make_problem(cast, deadline=datetime.date(2026, 6, 1))
    out = io.StringIO()

    call_command("escalate_problems", "--date", "2026-06-16", stdout=out)

    assert out.getvalue().strip() == (
        "Overdue problems: 1; raised to the responsible leader: 0, to the county leaders: 1; notifications: 3."
    )
    with pytest.raises(CommandError, match="--date must be YYYY-MM-DD"):
        call_command("escalate_problems", "--date", "16/06/2026")


def test_the_daily_task_runs_at_07_30_beijing_time_and_escalates(cast):
    problem = make_problem(cast, deadline=TODAY - DAY)

    task = escalate_task.task_class()
    assert [task.validate_datetime(datetime.datetime(2026, 6, 1, *hm)) for hm in ((7, 30), (8, 0))] == [True, False]
    escalate_task.call_local()
    assert reload(problem).level == Level.LEADER


# ---- the colours follow the problems ----


def test_striking_off_an_overdue_problem_recolours_the_project_after_commit(
    cast, django_capture_on_commit_callbacks
):
    year, month = colours.current_month()
    project = cast.projects.materials
    problem = make_problem(cast, status=Status.PROPOSED, deadline=TODAY - 40 * DAY)
    colours.recompute(year, month, project_ids=[project.pk])
    before = ProjectColour.objects.get(project=project, year=year, month=month)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        problem.strike_off(by=cast.users.coordinator)

    after = ProjectColour.objects.get(project=project, year=year, month=month)
    assert (before.problem_overdue_days, before.reason_flags & colours.Reason.RED_PROBLEM) == (
        40, colours.Reason.RED_PROBLEM,
    )
    assert (after.problem_overdue_days, after.reason_flags & colours.Reason.RED_PROBLEM) == (0, 0)
    assert len(callbacks) == 1


# ---- raising a problem from a project page ----


def problem_data(cast, **overrides) -> dict:
    return {
        "category": "approvals",
        "description": "环评批复迟迟未下达，影响开工",
        "department": cast.departments.land.pk,
        "leader": cast.users.leader.pk,
        "deadline": (TODAY + 7 * DAY).isoformat(),
        **overrides,
    }


def test_a_coordinator_raises_a_problem_and_every_field_is_stored(cast, client_for):
    project = cast.projects.materials

    response = client_for(cast.users.coordinator).post(create_url(project), problem_data(cast))

    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(problem)
    assert (
        problem.project, problem.category, problem.description, problem.department, problem.leader,
        problem.deadline, problem.status, problem.level, problem.raised_by, problem.source_report,
    ) == (
        project, "approvals", "环评批复迟迟未下达，影响开工", cast.departments.land, cast.users.leader,
        TODAY + 7 * DAY, Status.REGISTERED, Level.DEPARTMENT, cast.users.coordinator, None,
    )  # fmt: skip
    assert timeline(problem) == [("register", "", Status.REGISTERED, cast.users.coordinator.pk, "")]


def test_the_form_starts_from_the_projects_department_and_leader(cast, client_for):
    response = client_for(cast.users.coordinator).get(create_url(cast.projects.materials))

    form = response.context["form"]
    assert response.status_code == 200
    assert (form["department"].value(), form["leader"].value()) == (cast.departments.drc.pk, cast.users.leader.pk)
    departments = {d.name for d in form.fields["department"].queryset}
    assert departments == {"交城县发展和改革局", "交城县自然资源局", "交城县住房和城乡建设局"}
    assert set(form.fields["leader"].queryset) == {cast.users.leader, cast.users.city_leader}


def test_a_problem_raised_from_a_monthly_report_keeps_its_source(cast, client_for):
    project = cast.projects.materials
    period = Period.for_month(project.region, TODAY.year, TODAY.month)
    report = MonthlyReport.objects.create(
        project=project, period=period, year=TODAY.year, month=TODAY.month, completed=10,
        status=ReportStatus.SUBMITTED, problems_text="施工用电增容未批复",
    )  # fmt: skip
    client = client_for(cast.users.coordinator)
    url = f"{create_url(project)}?report={report.pk}"

    page = client.get(url)
    response = client.post(url, problem_data(cast, description=page.context["form"]["description"].value()))

    problem = Problem.objects.get()
    assert response.status_code == 302
    assert (problem.source_report, problem.description) == (report, "施工用电增容未批复")


@pytest.mark.parametrize("report", ["abc", "999999", "", "-1"])
def test_a_junk_or_foreign_report_parameter_is_ignored(cast, client_for, report):
    response = client_for(cast.users.coordinator).get(create_url(cast.projects.materials), {"report": report})

    assert (response.status_code, response.context["report"]) == (200, None)


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"deadline": (TODAY - DAY).isoformat()}, {"deadline": ["限时办结日期不能早于今天。"]}),
        ({"deadline": "明天"}, {"deadline": ["请填写有效的日期。"]}),
        (
            {"category": "", "description": "", "department": "", "deadline": ""},
            {
                "category": ["请选择问题类别。"],
                "description": ["请填写问题描述。"],
                "department": ["请选择责任单位。"],
                "deadline": ["请填写限时办结日期。"],
            },
        ),
        ({"category": "weather"}, {"category": ["请选择有效的问题类别。"]}),
        ({"department": "wenshui"}, {"department": ["所选责任单位不在您的区划范围内。"]}),
        ({"department": "xiaodian"}, {"department": ["所选责任单位不在您的区划范围内。"]}),
        ({"leader": "outsider"}, {"leader": ["所选责任领导不是本项目所在区划的领导。"]}),
        ({"leader": "coordinator"}, {"leader": ["所选责任领导不是本项目所在区划的领导。"]}),
    ],
)
def test_invalid_input_is_refused_field_by_field_in_chinese(cast, client_for, overrides, errors):
    named = {
        "wenshui": cast.departments.wenshui_drc.pk,
        "xiaodian": cast.departments.xiaodian_drc.pk,
        "outsider": cast.users.outsider.pk,
        "coordinator": cast.users.coordinator.pk,
    }
    data = problem_data(cast, **{k: named.get(v, v) for k, v in overrides.items()})

    response = client_for(cast.users.coordinator).post(create_url(cast.projects.materials), data)

    assert response.status_code == 400
    assert field_errors(response) == errors
    assert "未保存：请按红色提示修改。" in response.content.decode()
    assert not Problem.objects.exists()


@pytest.mark.parametrize(
    ("user", "status"),
    [("leader", 200), ("reporter", 403), ("handler", 403), ("promoter", 403), ("enterprise", 403), ("outsider", 404)],
)
def test_raising_is_open_to_leaders_and_closed_to_other_roles(cast, client_for, user, status):
    response = client_for(getattr(cast.users, user)).get(create_url(cast.projects.materials))
    posted = client_for(getattr(cast.users, user)).post(create_url(cast.projects.materials), problem_data(cast))

    assert (response.status_code, posted.status_code) == (status, 302 if status == 200 else status)


def test_a_reporter_raises_problems_on_the_projects_they_report_only(cast, client_for):
    cast.users.reporter.reported_projects.set([cast.projects.materials])
    client = client_for(cast.users.reporter)

    own = client.post(create_url(cast.projects.materials), problem_data(cast))
    other = client.post(create_url(cast.projects.road), problem_data(cast))

    assert (own.status_code, other.status_code) == (302, 403)
    assert Problem.objects.get().raised_by == cast.users.reporter


def test_raising_answers_get_and_post_only(cast, client_for):
    response = client_for(cast.users.coordinator).put(create_url(cast.projects.materials))

    assert response.status_code == 405


# ---- a problem's page and its moves ----


def test_the_page_shows_the_timeline_and_the_forms_the_user_may_use(people, client_for):
    problem = make_problem(people)
    problem.record("register", people.users.coordinator, "月度调度会提出")

    handler = client_for(people.users.handler).get(detail_url(problem))
    leader = client_for(people.users.leader).get(detail_url(problem))

    assert [f.action_name for f in handler.context["forms"]] == ["accept", "propose"]
    assert leader.context["forms"] == []
    html = handler.content.decode()
    assert 'data-testid="event-register"' in html and "月度调度会提出" in html and "李晓梅" in html
    assert 'data-testid="action-accept"' in html and 'data-testid="action-strike_off"' not in html


def test_the_department_handler_accepts_and_proposes_with_an_attachment(people, client_for, tmp_path):
    problem = make_problem(people)
    client = client_for(people.users.handler)

    accepted = client.post(act_url(problem), {"action": "accept", "note": "已对接"})
    proposed = client.post(
        act_url(problem), {"action": "propose", "note": "指标已批复", "attachment": upload("批复.pdf", PDF)}
    )

    assert (accepted.status_code, proposed.status_code) == (302, 302)
    stored = reload(problem)
    assert (stored.status, stored.resolution) == (Status.PROPOSED, "指标已批复")
    event = ProblemEvent.objects.get(action="propose")
    assert (event.by, event.note, event.attachment.read()) == (people.users.handler, "指标已批复", PDF)


def test_proposing_without_a_resolution_is_refused_with_the_fields_message(cast, client_for):
    problem = make_problem(cast, status=Status.IN_PROGRESS)

    response = client_for(cast.users.handler).post(act_url(problem), {"action": "propose", "note": " "})

    assert response.status_code == 400
    assert field_errors(response, "failed") == {"note": ["申请销号须填写办理结果。"]}
    assert (reload(problem).status, timeline(problem)) == (Status.IN_PROGRESS, [])


def test_a_move_the_state_no_longer_allows_is_refused_with_the_reason_shown(cast, client_for):
    problem = make_problem(cast, status=Status.STRUCK_OFF)

    response = client_for(cast.users.coordinator).post(act_url(problem), {"action": "accept"})

    assert response.status_code == 400
    assert "当前状态（已销号）下不能执行此操作。" in response.content.decode()
    assert (reload(problem).status, timeline(problem)) == (Status.STRUCK_OFF, [])


def test_a_refused_attachment_is_shown_on_its_form_and_nothing_moves(cast, client_for):
    problem = make_problem(cast)

    response = client_for(cast.users.handler).post(
        act_url(problem), {"action": "accept", "attachment": upload("病毒.exe", b"MZ")}
    )

    assert response.status_code == 400
    assert field_errors(response, "failed") == {"attachment": ["附件只支持 PDF、JPG、PNG、DOCX 或 XLSX 格式。"]}
    assert (reload(problem).status, timeline(problem)) == (Status.REGISTERED, [])


@pytest.mark.parametrize(
    ("user", "action", "status", "code"),
    [
        ("coordinator", "strike_off", Status.PROPOSED, 302),
        ("coordinator", "return", Status.PROPOSED, 400),  # no reason
        ("coordinator", "accept", Status.STRUCK_OFF, 400),  # not from this state
        ("coordinator", "dance", Status.REGISTERED, 400),
        ("coordinator", "", Status.REGISTERED, 400),
        ("handler", "strike_off", Status.PROPOSED, 403),
        ("handler", "return", Status.PROPOSED, 403),
        ("handler", "accept", Status.IN_PROGRESS, 400),
        ("other_handler", "accept", Status.REGISTERED, 403),
        ("leader", "accept", Status.REGISTERED, 403),
        ("promoter", "accept", Status.REGISTERED, 403),
        ("reporter", "accept", Status.REGISTERED, 403),
        ("enterprise", "accept", Status.REGISTERED, 404),  # enterprises never reach the internal file
        ("outsider", "accept", Status.REGISTERED, 404),
    ],
)
def test_each_move_posted_gets_its_status_and_only_a_302_changes_anything(
    people, client_for, user, action, status, code
):
    problem = make_problem(people, status=status)

    response = client_for(getattr(people.users, user)).post(act_url(problem), {"action": action})

    assert response.status_code == code
    changed = reload(problem).status != status
    assert changed is (code == 302)
    assert len(timeline(problem)) == (1 if code == 302 else 0)


@pytest.mark.parametrize(("user", "status"), [("outsider", 404), ("other_handler", 403), ("promoter", 200)])
def test_a_problem_page_is_not_found_outside_the_region_and_forbidden_to_another_department(
    people, client_for, user, status
):
    problem = make_problem(people)

    assert client_for(getattr(people.users, user)).get(detail_url(problem)).status_code == status


def test_an_enterprise_never_opens_the_internal_problem_file_even_of_its_own_project(cast, client_for):
    own, road = make_problem(cast), make_problem(cast, project=cast.projects.road)
    client = client_for(cast.users.enterprise)

    assert (client.get(detail_url(own)).status_code, client.get(detail_url(road)).status_code) == (404, 404)


def test_an_attachment_is_served_through_the_access_check(people, client_for):
    problem = make_problem(people)
    event = problem.act("accept", by=people.users.handler, attachment=upload("现场.png", PNG))
    url = reverse("problems:attachment", args=[event.pk])

    response = client_for(people.users.leader).get(url)

    assert response.status_code == 200
    assert (b"".join(response.streaming_content), response["Content-Type"]) == (PNG, "image/png")
    assert response["Content-Disposition"].startswith("attachment;")
    statuses = [client_for(getattr(people.users, u)).get(url).status_code for u in ("outsider", "other_handler")]
    assert statuses == [404, 403]


def test_an_entry_without_attachment_has_nothing_to_serve(cast, client_for):
    event = make_problem(cast).act("accept", by=cast.users.handler)

    response = client_for(cast.users.coordinator).get(reverse("problems:attachment", args=[event.pk]))

    assert response.status_code == 404


# ---- the list ----


@pytest.fixture
def listed(people):
    """Four 交城县 problems and one in 文水县 (only the city sees it) and one in 小店区."""
    land, housing = people.departments.land, people.departments.housing
    people.listed = {
        "overdue": make_problem(people, description="用地逾期", deadline=TODAY - 3 * DAY, level=Level.LEADER),
        "fresh": make_problem(people, description="资金缺口", category="funding", deadline=TODAY + 20 * DAY),
        "road": make_problem(
            people, project=people.projects.road, description="征拆未完成", category="demolition",
            department=housing, deadline=TODAY + 5 * DAY, status=Status.IN_PROGRESS,
        ),
        "closed": make_problem(
            people, description="已解决的供电", category="utilities", deadline=TODAY - 30 * DAY,
            status=Status.STRUCK_OFF,
        ),
        "wenshui": make_problem(
            people, project=people.projects.hospital, description="文水审批", department=people.departments.wenshui_drc,
        ),
        "xiaodian": make_problem(
            people, project=people.projects.xiaodian, description="小店环评",
            department=people.departments.xiaodian_drc,
        ),
    }  # fmt: skip
    assert land
    return people


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["已解决的供电", "用地逾期", "征拆未完成", "资金缺口"]),
        ({"status": "open"}, ["用地逾期", "征拆未完成", "资金缺口"]),
        ({"status": "struck_off"}, ["已解决的供电"]),
        ({"category": "demolition"}, ["征拆未完成"]),
        ({"department": "housing"}, ["征拆未完成"]),
        ({"level": "1"}, ["用地逾期"]),
        ({"overdue": "on"}, ["用地逾期"]),
        ({"q": "资金"}, ["资金缺口"]),
        ({"q": "道路"}, ["征拆未完成"]),  # the project's name
        ({"region": "zone"}, ["已解决的供电", "用地逾期", "资金缺口"]),  # the graphite plant lies in the zone
        ({"sort": "-deadline"}, ["资金缺口", "征拆未完成", "用地逾期", "已解决的供电"]),
        ({"status": "open", "sort": "-level"}, ["用地逾期", "征拆未完成", "资金缺口"]),  # ties by deadline
    ],
)
def test_the_list_filters_and_sorts(listed, client_for, params, expected):
    named = {"housing": listed.departments.housing.pk, "zone": listed.regions.zone.pk}
    query = {k: named.get(v, v) for k, v in params.items()}

    response = client_for(listed.users.coordinator).get(LIST_URL, query)

    assert response.status_code == 200
    got = list_descriptions(response)
    assert (got if "sort" in params else sorted(got)) == (expected if "sort" in params else sorted(expected))


def test_the_list_is_ordered_by_deadline_and_flags_the_overdue(listed, client_for):
    response = client_for(listed.users.coordinator).get(LIST_URL)

    assert list_descriptions(response) == ["已解决的供电", "用地逾期", "征拆未完成", "资金缺口"]
    html = response.content.decode()
    assert html.count('data-testid="problem-overdue"') == 1
    assert '<span class="badge text-bg-danger" data-testid="problem-overdue">逾期3天</span>' in html
    assert '<span class="badge text-bg-warning" data-testid="problem-level">包联领导督办</span>' in html


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("city_coordinator", {"用地逾期", "资金缺口", "征拆未完成", "已解决的供电", "文水审批"}),
        ("handler", {"用地逾期", "资金缺口", "已解决的供电"}),  # the land department's only
        ("other_handler", {"征拆未完成"}),
        ("enterprise", set()),  # enterprises follow their requests instead
        ("outsider", {"小店环评"}),
    ],
)
def test_each_user_lists_the_problems_they_may_read(listed, client_for, user, expected):
    response = client_for(getattr(listed.users, user)).get(LIST_URL)

    assert set(list_descriptions(response)) == expected


def test_a_region_filter_narrows_the_city_to_one_county(listed, client_for):
    response = client_for(listed.users.city_coordinator).get(LIST_URL, {"region": listed.regions.wenshui.pk})

    assert list_descriptions(response) == ["文水审批"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"}, {"level": "x"}, {"level": "9"}, {"department": "abc"}, {"region": "999999"},
        {"overdue": "maybe"}, {"sort": "password"}, {"page": "zz"}, {"page": "999"}, {"q": "\x00'"},
        {"category": ["land", "funding"]},
    ],
)  # fmt: skip
def test_junk_parameters_are_ignored(listed, client_for, params):
    client = client_for(listed.users.coordinator)

    response = client.get(LIST_URL, params)
    export = client.get(reverse("problems:export", args=["csv"]), params)

    assert (response.status_code, export.status_code) == (200, 200)


def test_the_list_pages_by_50(cast, client_for):
    for index in range(51):
        make_problem(cast, description=f"问题{index:02d}", deadline=TODAY + index * DAY)

    client = client_for(cast.users.coordinator)
    first, second = client.get(LIST_URL), client.get(LIST_URL, {"page": 2})

    assert (len(list_descriptions(first)), list_descriptions(second)) == (50, ["问题50"])


@pytest.mark.parametrize("count", [2, 30])
def test_the_list_runs_the_same_queries_for_2_or_30_problems(cast, client_for, count, django_assert_num_queries):
    for index in range(count):
        make_problem(cast, description=f"问题{index}", deadline=TODAY - (index % 2) * DAY)
    client = client_for(cast.users.coordinator)

    # 1 session, 2 user, 3 the user's region (scope), 4 count, 5 the page's keys, 6 its rows (project,
    # region, department, leader), 7 unread notifications, 8 the department filter's choices, 9 the region
    # filter's, 10-12 session expiry.
    with django_assert_num_queries(12):
        response = client.get(LIST_URL)

    assert len(list_descriptions(response)) == count


def test_the_export_writes_the_filtered_list_in_xlsx_and_csv(listed, client_for):
    client = client_for(listed.users.coordinator)

    xlsx = client.get(reverse("problems:export", args=["xlsx"]), {"overdue": "on"})
    plain = client.get(reverse("problems:export", args=["csv"]), {"status": "open"})

    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][:11] == (
        "序号", "项目名称", "所在区划", "问题类别", "问题描述", "责任单位", "责任领导", "限时办结日期", "状态",
        "督办级别", "逾期天数",
    )  # fmt: skip
    assert rows[1][:11] == (
        1, listed.projects.materials.name, "交城县", "用地", "用地逾期", "交城县自然资源局", "刘副市长",
        datetime.datetime.combine(TODAY - 3 * DAY, datetime.time()), "已挂号", "包联领导督办", 3,
    )  # fmt: skip
    assert len(rows) == 2
    lines = list(csv.reader(io.StringIO(plain.content.decode("utf-8-sig"))))
    assert [line[4] for line in lines[1:]] == ["用地逾期", "征拆未完成", "资金缺口"]
    assert client.get(reverse("problems:export", args=["pdf"])).status_code == 404


# ---- the project page's card ----


def test_the_project_page_lists_its_problems_with_flags_and_offers_to_raise_one(listed, client_for):
    project_url = reverse("projects:detail", args=[listed.projects.materials.pk])

    coordinator = client_for(listed.users.coordinator).get(project_url).content.decode()
    promoter = client_for(listed.users.promoter).get(project_url).content.decode()

    assert coordinator.count('data-testid="project-problem"') == 3
    assert "逾期3天" in coordinator and "包联领导督办" in coordinator
    assert f'href="{create_url(listed.projects.materials)}"' in coordinator
    assert promoter.count('data-testid="project-problem"') == 3
    assert 'data-testid="raise-problem"' not in promoter


# ---- escalation rules ----


def test_the_rules_page_shows_the_defaults_then_saves_the_countys_own(cast, client_for):
    client = client_for(cast.users.coordinator)

    page = client.get(RULES_URL)
    saved = client.post(RULES_URL, {"action": "save", "to_leader_days": "2", "to_county_days": "10"})

    assert "当前使用系统默认规则" in page.content.decode()
    assert (page.context["form"]["to_leader_days"].value(), page.context["form"]["to_county_days"].value()) == (1, 15)
    assert saved.status_code == 302
    rules = EscalationRules.objects.get()
    assert (rules.region, rules.to_leader_days, rules.to_county_days) == (cast.region, 2, 10)


def test_the_rules_page_shows_the_inherited_rules_and_reset_falls_back_to_them(cast, client_for):
    EscalationRules.objects.create(region=cast.regions.lvliang, to_leader_days=3, to_county_days=20)
    EscalationRules.objects.create(region=cast.region, to_leader_days=1, to_county_days=5)
    client = client_for(cast.users.coordinator)

    reset = client.post(RULES_URL, {"action": "reset"})
    page = client.get(RULES_URL)
    again = client.post(RULES_URL, {"action": "reset"})

    assert reset.status_code == 302
    assert list(EscalationRules.objects.values_list("region__name", flat=True)) == ["吕梁市"]
    assert "当前沿用吕梁市的规则" in page.content.decode()
    assert page.context["form"]["to_county_days"].value() == 20
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"to_leader_days": "5", "to_county_days": "5"},
            {"to_county_days": ["升至县领导挂牌督办的天数须大于升至包联领导督办的天数。"]},
        ),
        ({"to_leader_days": "0", "to_county_days": "5"}, {"to_leader_days": ["至少逾期 1 天才升级督办。"]}),
        (
            {"to_leader_days": "", "to_county_days": "x"},
            {"to_leader_days": ["请填写天数。"], "to_county_days": ["请填写整数天数。"]},
        ),
    ],
)  # fmt: skip
def test_invalid_rules_are_refused_field_by_field(cast, client_for, data, errors):
    response = client_for(cast.users.coordinator).post(RULES_URL, {"action": "save", **data})

    assert response.status_code == 400
    assert field_errors(response) == errors
    assert not EscalationRules.objects.exists()


@pytest.mark.parametrize("user", ["leader", "handler", "reporter", "promoter", "enterprise"])
def test_only_the_key_project_office_sets_the_rules(cast, client_for, user):
    client = client_for(getattr(cast.users, user))

    statuses = (client.get(RULES_URL).status_code, client.post(RULES_URL, {"action": "reset"}).status_code)

    assert statuses == (403, 403)

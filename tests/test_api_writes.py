"""The REST API, writing: projects (with the edit form's rules), stage moves, monthly reports (draft, submit,
review), problems (register, the moves) and approval items. Every write is checked by reading the rows back;
every refusal by the whole error body and by checking that nothing was saved.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from approvals.models import ApprovalItem
from problems.models import Problem, ProblemEvent, Status
from projects.models import AnnualPlan, Project, Stage, StageChange
from reports import colours
from reports.models import Correction, MonthlyReport, Period, ReportStatus

from .conftest import THIS_YEAR, reload
from .test_api import api_client, detail, token_for

pytestmark = pytest.mark.usefixtures("unscoped")

TODAY = timezone.localdate()
YEAR, MONTH = colours.current_month()
PROJECTS = reverse("api:project-list")
REPORTS = reverse("api:report-list")
PROBLEMS = reverse("api:problem-list")


@pytest.fixture(autouse=True)
def _fresh_rates(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def _counts() -> tuple:
    return (
        Project.objects.count(), Project.history.count(), AnnualPlan.objects.count(), StageChange.objects.count(),
        MonthlyReport.objects.count(), Period.objects.count(), Problem.objects.count(), ProblemEvent.objects.count(),
        ApprovalItem.history.count(),
    )  # fmt: skip


# ---- projects ----


def _new_project(cast, **changes) -> dict:
    return {
        "name": "交城县光伏储能一体化项目",
        "owner_name": "交城县新能源有限公司",
        "category": "industry",
        "region": cast.region.pk,
        "zone": cast.regions.zone.pk,
        "total_investment": "5000",
        "fund_enterprise": "3000",
        "fund_bank_loans": 2000,
        "chain_tags": [cast.tags.materials.pk],
        "leader": cast.users.leader.pk,
        "department": cast.departments.land.pk,
        "planned_start_on": f"{THIS_YEAR + 1}-03-01",
        "annual_plans": [{"year": THIS_YEAR + 1, "amount": "1200.5"}],
        **changes,
    }


def test_a_coordinator_creates_a_project_with_its_annual_plans(cast):
    response = api_client(cast.users.coordinator).post(PROJECTS, _new_project(cast), format="json")

    assert response.status_code == 201, response.json()
    project = Project.objects.get(name="交城县光伏储能一体化项目")
    assert response["Location"] == detail("project", project.pk)
    assert response.json()["id"] == project.pk and response.json()["total_investment"] == "5000.00"
    assert (project.region, project.zone, project.leader, project.department) == (
        cast.region, cast.regions.zone, cast.users.leader, cast.departments.land,
    )  # fmt: skip
    assert (project.total_investment, project.fund_enterprise, project.fund_bank_loans, project.fund_other) == (
        Decimal("5000"), Decimal("3000"), Decimal("2000"), Decimal("0"),
    )  # fmt: skip
    # The form's defaults where the body says nothing: the model's.
    assert (project.level, project.nature, project.stage) == ("county", "new", Stage.PLANNING)
    assert list(project.chain_tags.all()) == [cast.tags.materials]
    assert list(project.annual_plans.values_list("year", "amount")) == [(THIS_YEAR + 1, Decimal("1200.50"))]
    change = StageChange.objects.get(project=project)
    assert (change.to_stage, change.note, change.by) == ("planning", "新建项目", cast.users.coordinator)
    assert {record.history_user for record in project.history.all()} == {cast.users.coordinator}


def test_a_project_that_breaks_the_forms_rules_is_not_saved(cast):
    before = _counts()

    response = api_client(cast.users.coordinator).post(
        PROJECTS, _new_project(cast, fund_bank_loans="2500.5"), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"fund_other": ["各资金来源合计 5500.50 万元超过了总投资 5000.00 万元。"]}
    assert _counts() == before


def test_a_region_outside_the_users_subtree_and_a_zone_in_a_county_are_refused(cast):
    body = _new_project(cast, region=cast.regions.xiaodian.pk, zone=None, national_code="2026-14112")
    before = _counts()

    response = api_client(cast.users.coordinator).post(PROJECTS, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "region": ["选择一个有效的选项： 该选择不在可用的选项中。"],
        "national_code": ["项目代码格式应为 YYYY-RRRRRR-DD-TT-NNNNNN（年份-区划代码-行业代码-项目类型-流水号）。"],
    }
    assert _counts() == before


def test_badly_typed_input_is_answered_field_by_field(cast):
    body = _new_project(cast, total_investment="五千", category="space", chain_tags="新材料", planned_start_on="明年")

    response = api_client(cast.users.coordinator).post(PROJECTS, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "total_investment": ["请填写合法的数字。"],
        "category": ["“space” 不是合法选项。"],
        "chain_tags": ["期望为一个包含物件的列表，得到的类型是“str”。"],
        "planned_start_on": ["日期格式错误。请从这些格式中选择：YYYY-MM-DD。"],
    }


def test_duplicate_plan_years_are_refused_and_nothing_is_saved(cast):
    plans = [{"year": THIS_YEAR, "amount": "100"}, {"year": THIS_YEAR, "amount": "200"}]
    before = _counts()

    response = api_client(cast.users.coordinator).post(PROJECTS, _new_project(cast, annual_plans=plans), format="json")

    assert response.status_code == 400
    assert response.json() == {"annual_plans": ["同一年度只能填报一条年度计划，请合并重复的年度。"]}
    assert _counts() == before


def test_a_leader_may_not_create_a_project(cast):
    before = _counts()

    response = api_client(cast.users.leader).post(PROJECTS, _new_project(cast), format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "您没有执行该操作的权限。"}
    assert _counts() == before


def test_a_patch_changes_only_what_it_names_and_replaces_the_annual_plans(cast):
    project = cast.projects.materials
    plans = [{"year": THIS_YEAR, "amount": "35000"}, {"year": THIS_YEAR + 1, "amount": "40000"}]
    history = project.history.count()

    response = api_client(cast.users.coordinator).patch(
        detail("project", project.pk), {"name": "华鑫特种石墨项目（二期）", "annual_plans": plans}, format="json"
    )

    assert response.status_code == 200, response.json()
    saved = reload(project)
    assert saved.name == "华鑫特种石墨项目（二期）"
    assert (saved.total_investment, saved.zone, saved.leader, saved.started_on) == (
        Decimal("120000"), cast.regions.zone, cast.users.leader, datetime.date(2024, 4, 18),
    )  # fmt: skip
    assert set(saved.chain_tags.all()) == {cast.tags.materials, cast.tags.steel}
    assert list(saved.annual_plans.values_list("year", "amount")) == [
        (THIS_YEAR, Decimal("35000")), (THIS_YEAR + 1, Decimal("40000")),
    ]  # fmt: skip
    assert project.history.count() == history + 1
    assert project.history.first().history_user == cast.users.coordinator
    assert response.json()["annual_plans"] == [
        {"year": THIS_YEAR, "amount": "35000.00"}, {"year": THIS_YEAR + 1, "amount": "40000.00"},
    ]  # fmt: skip


def test_a_patch_that_fails_saves_none_of_its_changes(cast):
    project = cast.projects.materials
    before = _counts()

    response = api_client(cast.users.coordinator).patch(
        detail("project", project.pk),
        {"name": "改名", "completed_on": "2024-01-01", "annual_plans": [{"year": THIS_YEAR, "amount": "1"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"completed_on": ["竣工日期不能早于实际开工日期（2024-04-18）。"]}
    assert reload(project).name == "华鑫年产5万吨特种石墨项目"
    assert AnnualPlan.objects.get(project=project, year=THIS_YEAR).amount == Decimal("30000")
    assert _counts() == before


def test_an_empty_patch_saves_nothing(cast):
    project = cast.projects.road
    before = (_counts(), reload(project).updated_at)

    response = api_client(cast.users.coordinator).patch(detail("project", project.pk), {}, format="json")

    assert response.status_code == 200
    assert (_counts(), reload(project).updated_at) == before


def test_an_approved_plans_dates_move_only_by_change_request(cast):
    project = cast.projects.materials
    project.approve_plan(by=cast.users.coordinator)

    response = api_client(cast.users.coordinator).patch(
        detail("project", project.pk), {"planned_start_on": "2024-05-01"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"planned_start_on": ["计划已批准，调整计划日期须提交变更申请"]}
    assert reload(project).planned_start_on == datetime.date(2024, 3, 1)


def test_a_project_code_used_in_another_region_is_refused(cast):
    response = api_client(cast.users.coordinator).patch(
        detail("project", cast.projects.road.pk), {"national_code": cast.projects.xiaodian.national_code}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"national_code": ["该项目代码已被其他项目使用。"]}


def test_a_change_made_with_a_token_is_recorded_under_the_tokens_user(cast):
    client = api_client(token=token_for(cast.users.city_coordinator))

    response = client.patch(detail("project", cast.projects.road.pk), {"contact_name": "马工"}, format="json")

    assert response.status_code == 200
    record = cast.projects.road.history.first()
    assert (record.contact_name, record.history_user) == ("马工", cast.users.city_coordinator)


def test_a_stage_move_follows_the_project_pages_rules(cast):
    project = cast.projects.materials
    client = api_client(cast.users.coordinator)

    backwards = client.post(
        reverse("api:project-stage", args=[project.pk]), {"action": "advance", "to": "planning"}, format="json"
    )
    forward = client.post(
        reverse("api:project-stage", args=[project.pk]),
        {"action": "advance", "to": "completed", "on": TODAY.isoformat(), "reason": "主体完工"},
        format="json",
    )

    assert backwards.status_code == 400
    assert backwards.json() == {"to": ["只能向后推进阶段；回退须通过阶段更正并说明原因。"]}
    assert forward.status_code == 200 and forward.json()["stage"] == "completed"
    assert (reload(project).stage, reload(project).completed_on) == (Stage.COMPLETED, TODAY)
    change = StageChange.objects.get(project=project)
    assert (change.from_stage, change.to_stage, change.note, change.by) == (
        "construction", "completed", "主体完工", cast.users.coordinator,
    )  # fmt: skip


# ---- monthly reports ----


@pytest.fixture
def reporter(cast):
    """The county's reporter files the road project's reports (not the graphite plant's)."""
    cast.users.reporter.reported_projects.set([cast.projects.road])
    return cast


def _report(project, status=ReportStatus.SUBMITTED, year=YEAR, month=MONTH, completed="10") -> MonthlyReport:
    period = Period.for_month(project.region, year, month)
    return MonthlyReport.objects.create(
        project=project, period=period, year=year, month=month, completed=Decimal(completed), status=status
    )


def test_a_reporter_saves_a_draft_then_submits_it(reporter):
    client = api_client(reporter.users.reporter)
    body = {"project": reporter.projects.road.pk, "year": YEAR, "month": MONTH, "completed": "120.5"}

    created = client.post(REPORTS, {**body, "progress": "路基完成60%"}, format="json")
    report = MonthlyReport.objects.get(project=reporter.projects.road)
    submitted = client.patch(detail("report", report.pk), {"completed": "130", "submit": True}, format="json")

    assert created.status_code == 201 and created.json()["status"] == "draft"
    assert submitted.status_code == 200, submitted.json()
    saved = reload(report)
    assert (saved.status, saved.completed, saved.progress, saved.submitted_by) == (
        ReportStatus.SUBMITTED, Decimal("130"), "路基完成60%", reporter.users.reporter,
    )  # fmt: skip
    assert submitted.json()["status"] == "submitted" and submitted.json()["completed"] == "130.00"


def test_a_report_for_a_future_month_is_refused_and_opens_no_period(reporter):
    following = (YEAR + MONTH // 12, MONTH % 12 + 1)
    body = {"project": reporter.projects.road.pk, "year": following[0], "month": following[1], "completed": "1"}
    before = _counts()

    response = api_client(reporter.users.reporter).post(REPORTS, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"month": ["不能填报未来月份的月报。"]}
    assert _counts() == before


def test_a_month_over_the_total_investment_needs_its_confirmation_and_saves_nothing_without(reporter):
    body = {"project": reporter.projects.road.pk, "year": YEAR, "month": MONTH, "completed": "9000", "submit": True}
    before = _counts()

    refused = api_client(reporter.users.reporter).post(REPORTS, body, format="json")
    after_refusal = _counts()
    confirmed = api_client(reporter.users.reporter).post(REPORTS, {**body, "over_total_confirmed": True}, format="json")

    assert refused.status_code == 400
    assert refused.json() == {
        "over_total_confirmed": ["开工以来累计完成 9000.00 万元将超过总投资 8000.00 万元；如属实请勾选确认。"]
    }
    assert after_refusal == before
    assert confirmed.status_code == 201 and confirmed.json()["status"] == "submitted"


def test_a_second_report_for_the_same_month_is_refused(reporter):
    _report(reporter.projects.road, ReportStatus.DRAFT)
    body = {"project": reporter.projects.road.pk, "year": YEAR, "month": MONTH, "completed": "1"}

    response = api_client(reporter.users.reporter).post(REPORTS, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["该月月报已存在，请修改已有的月报。"]}


def test_a_reporter_files_only_its_own_projects_and_a_project_outside_is_bad_input(reporter):
    client = api_client(reporter.users.reporter)
    body = {"year": YEAR, "month": MONTH, "completed": "1"}

    other = client.post(REPORTS, {**body, "project": reporter.projects.materials.pk}, format="json")
    outside = client.post(REPORTS, {**body, "project": reporter.projects.xiaodian.pk}, format="json")

    assert other.status_code == 403
    assert outside.status_code == 400
    assert outside.json() == {"project": ["项目不存在或不在您的区划范围内。"]}
    assert MonthlyReport.objects.count() == 0


def test_a_submitted_report_can_no_longer_be_changed_by_its_reporter(reporter):
    report = _report(reporter.projects.road)

    response = api_client(reporter.users.reporter).patch(detail("report", report.pk), {"completed": "1"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["该月报当前不能修改（已提交、已审核或本期已关账）。"]}
    assert reload(report).completed == Decimal("10")


def test_the_office_approves_returns_and_corrects(reporter):
    client = api_client(reporter.users.coordinator)
    first, second = _report(reporter.projects.road), _report(reporter.projects.materials)

    approved = client.post(reverse("api:report-approve", args=[first.pk]))
    returned = client.post(reverse("api:report-return", args=[second.pk]), {"return_reason": "形象进度未填"})
    corrected = client.post(
        reverse("api:report-correct", args=[first.pk]), {"completed": "12.5", "reason": "统计口径调整"}
    )

    assert (approved.status_code, returned.status_code, corrected.status_code) == (200, 200, 200)
    assert (reload(first).status, reload(first).approved_by, reload(first).completed) == (
        ReportStatus.APPROVED, reporter.users.coordinator, Decimal("12.5"),
    )  # fmt: skip
    assert (reload(second).status, reload(second).return_reason) == (ReportStatus.RETURNED, "形象进度未填")
    correction = Correction.objects.get()
    assert (correction.old_completed, correction.new_completed, correction.reason, correction.by) == (
        Decimal("10"), Decimal("12.5"), "统计口径调整", reporter.users.coordinator,
    )  # fmt: skip
    assert corrected.json()["corrections"][0]["new_completed"] == "12.50"


def test_a_reporter_may_not_approve_and_a_closed_period_refuses_a_return(reporter):
    report = _report(reporter.projects.road)
    Period.objects.filter(pk=report.period_id).update(closed_at=timezone.now())

    approve = api_client(reporter.users.reporter).post(reverse("api:report-approve", args=[report.pk]))
    back = api_client(reporter.users.coordinator).post(
        reverse("api:report-return", args=[report.pk]), {"return_reason": "数据有误"}
    )

    assert approve.status_code == 403
    assert back.status_code == 400
    assert back.json() == {"non_field_errors": ["本期已关账，不能退回；如数据有误请审核后更正。"]}
    assert reload(report).status == ReportStatus.SUBMITTED


# ---- problems ----


def test_a_problem_is_registered_with_the_projects_department_and_leader_by_default(cast):
    deadline = TODAY + datetime.timedelta(days=15)
    body = {"project": cast.projects.road.pk, "category": "demolition", "description": "沿街商铺征拆未完成",
            "deadline": deadline.isoformat()}  # fmt: skip

    response = api_client(cast.users.leader).post(PROBLEMS, body, format="json")

    assert response.status_code == 201, response.json()
    problem = Problem.objects.get()
    assert (problem.department, problem.leader, problem.raised_by, problem.deadline, problem.status) == (
        cast.departments.housing, cast.users.city_leader, cast.users.leader, deadline, Status.REGISTERED,
    )  # fmt: skip
    assert [event.action for event in problem.events.all()] == ["register"]
    assert response.json()["events"][0]["by"] == {"id": cast.users.leader.pk, "name": "王建国"}


def test_a_problem_with_a_past_deadline_is_refused(cast):
    body = {"project": cast.projects.road.pk, "category": "land", "description": "用地",
            "deadline": (TODAY - datetime.timedelta(days=1)).isoformat()}  # fmt: skip
    before = _counts()

    response = api_client(cast.users.coordinator).post(PROBLEMS, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"deadline": ["限时办结日期不能早于今天。"]}
    assert _counts() == before


def test_only_the_projects_reporters_raise_problems_on_it(reporter):
    body = {"category": "land", "description": "用地", "deadline": TODAY.isoformat()}
    client = api_client(reporter.users.reporter)

    own = client.post(PROBLEMS, {**body, "project": reporter.projects.road.pk}, format="json")
    other = client.post(PROBLEMS, {**body, "project": reporter.projects.materials.pk}, format="json")
    handler = api_client(reporter.users.handler).post(PROBLEMS, {**body, "project": reporter.projects.road.pk})

    assert (own.status_code, other.status_code, handler.status_code) == (201, 403, 403)
    assert Problem.objects.count() == 1


@pytest.fixture
def problem(cast):
    return Problem.objects.create(
        project=cast.projects.materials, category="land", description="二期用地指标未落实",
        department=cast.departments.land, deadline=TODAY + datetime.timedelta(days=10),
    )  # fmt: skip


def test_the_departments_handler_accepts_and_proposes_with_an_attachment(cast, problem):
    client = api_client(cast.users.handler)
    url = reverse("api:problem-act", args=[problem.pk])
    pdf = SimpleUploadedFile("批复.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")

    accepted = client.post(url, {"action": "accept"}, format="json")
    no_note = client.post(url, {"action": "propose"}, format="json")
    proposed = client.post(url, {"action": "propose", "note": "已办理用地预审", "attachment": pdf}, format="multipart")

    assert accepted.status_code == 200 and accepted.json()["status"] == "in_progress"
    assert no_note.status_code == 400
    assert no_note.json() == {"note": ["申请销号须填写办理结果。"]}
    assert proposed.status_code == 200, proposed.json()
    assert (reload(problem).status, reload(problem).resolution) == (Status.PROPOSED, "已办理用地预审")
    event = ProblemEvent.objects.get(action="propose")
    assert event.attachment.read() == b"%PDF-1.7\n%%EOF\n"
    assert proposed.json()["events"][-1]["attachment"] == f"http://testserver/problems/attachments/{event.pk}/"
    assert proposed.json()["actions"] == []  # striking off is the office's


def test_a_handler_may_not_strike_off_and_the_office_may(cast, problem):
    problem.status = Status.PROPOSED
    problem.save()
    url = reverse("api:problem-act", args=[problem.pk])

    handler = api_client(cast.users.handler).post(url, {"action": "strike_off"}, format="json")
    office = api_client(cast.users.coordinator).post(url, {"action": "strike_off", "note": "已解决"}, format="json")

    assert handler.status_code == 403
    assert office.status_code == 200
    saved = reload(problem)
    assert (saved.status, saved.closed_on_time) == (Status.STRUCK_OFF, True)


def test_a_junk_action_is_bad_input(cast, problem):
    response = api_client(cast.users.coordinator).post(
        reverse("api:problem-act", args=[problem.pk]), {"action": "delete"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"action": ["“delete” 不是合法选项。"]}


# ---- approval items ----


@pytest.fixture
def item(cast):
    return ApprovalItem.objects.create(
        project=cast.projects.materials, kind="land_preview", name="用地预审与选址意见书",
        department=cast.departments.land, status="in_progress", applied_on=TODAY - datetime.timedelta(days=20),
        statutory_days=20, promised_days=10,
    )  # fmt: skip


def test_a_handler_records_the_approval_of_its_departments_item(cast, item):
    body = {"status": "approved", "approved_on": TODAY.isoformat(), "document_no": "交自然资预〔2026〕12号"}

    response = api_client(cast.users.handler).patch(detail("approval-item", item.pk), body, format="json")

    assert response.status_code == 200, response.json()
    saved = reload(item)
    assert (saved.status, saved.approved_on, saved.document_no) == ("approved", TODAY, "交自然资预〔2026〕12号")
    assert saved.handling_days is not None and saved.handling_days > 0
    assert response.json()["handling_days"] == saved.handling_days and response.json()["clock"] is None
    assert saved.history.first().history_user == cast.users.handler


def test_a_handler_may_not_change_the_limits_or_the_department(cast, item):
    before = _counts()

    response = api_client(cast.users.handler).patch(
        detail("approval-item", item.pk), {"promised_days": 5, "department": cast.departments.drc.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"department": ["您无权修改该项。"], "promised_days": ["您无权修改该项。"]}
    assert _counts() == before


def test_the_office_changes_the_limits_with_the_forms_rules(cast, item):
    client = api_client(cast.users.coordinator)

    refused = client.patch(detail("approval-item", item.pk), {"promised_days": 30}, format="json")
    saved = client.patch(detail("approval-item", item.pk), {"promised_days": 8}, format="json")

    assert refused.status_code == 400
    assert refused.json() == {"promised_days": ["承诺时限不能超过法定时限。"]}
    assert saved.status_code == 200 and reload(item).promised_days == 8

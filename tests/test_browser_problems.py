"""Browser test of 挂号销号: the coordinator raises a problem from a project page, the land department's
handler accepts it and proposes a resolution with an attachment, the coordinator strikes it off, and the
timeline shows every step. An older problem past its deadline shows its red "逾期N天" badge and its level.
Screenshots of every problem page go to artifacts/problems-*.png.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from org.models import Department, Region, Role, User
from problems.models import Level, Problem, ProblemEvent, Status
from projects.models import AnnualPlan, Project, Stage

from .browser import ARTIFACTS, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"
NAME = "交城县新材料产业园标准化厂房项目"
TODAY = timezone.localdate()





@pytest.fixture
def county():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        land = Department.objects.create(region=county, name="交城县自然资源局", short_name="自然资源局")
        housing = Department.objects.create(region=county, name="交城县住房和城乡建设局", short_name="住建局")
        leader = User.objects.create_user(
            "leader", password=PASSWORD, role=Role.LEADER, region=county, full_name="王建国", title="副县长"
        )
        User.objects.create_user(
            "coordinator", password=PASSWORD, role=Role.COORDINATOR, region=county, full_name="李晓梅"
        )
        User.objects.create_user(
            "handler", password=PASSWORD, role=Role.HANDLER, region=county, department=land, full_name="周经办"
        )
        project = Project.objects.create(
            name=NAME, region=county, category="industry", total_investment=Decimal("36000"),
            stage=Stage.CONSTRUCTION, started_on=datetime.date(2026, 3, 1), leader=leader, department=housing,
        )  # fmt: skip
        AnnualPlan.objects.create(project=project, year=TODAY.year, amount=Decimal("12000"))
        overdue = Problem.objects.create(
            project=project, category="utilities", description="施工用电增容未批复，临时用电不足",
            department=housing, leader=leader, deadline=TODAY - datetime.timedelta(days=6), level=Level.LEADER,
        )  # fmt: skip
    return {"project": project, "land": land, "overdue": overdue}




def logout(page) -> None:
    page.click("button:has-text('退出')")
    page.wait_for_url("**/accounts/login/")


def test_a_problem_is_raised_worked_proposed_and_struck_off(page, county, tmp_path):
    project = county["project"]

    # The coordinator raises it from the project page.
    login(page, "coordinator")
    page.goto(f"/projects/{project.pk}/")
    card = page.get_by_test_id("project-problems")
    assert "逾期6天" in card.inner_text() and "包联领导督办" in card.inner_text()
    page.get_by_test_id("raise-problem").click()
    page.wait_for_selector("[data-testid=problem-form]")
    page.fill("#id_deadline", (TODAY - datetime.timedelta(days=1)).isoformat())
    page.click("[data-testid=save-problem]")
    assert page.locator("[data-field-error=category]").inner_text() == "请选择问题类别。"
    assert page.locator("[data-field-error=description]").inner_text() == "请填写问题描述。"
    assert page.locator("[data-field-error=deadline]").inner_text() == "限时办结日期不能早于今天。"
    shot(page, "problems-01-form-errors")

    page.select_option("#id_category", "land")
    page.fill("#id_description", "二期厂房用地指标未落实，影响 6 月开工")
    page.select_option("#id_department", str(county["land"].pk))
    page.fill("#id_deadline", (TODAY + datetime.timedelta(days=10)).isoformat())
    page.click("[data-testid=save-problem]")
    page.wait_for_selector("text=问题已挂号")
    assert page.get_by_test_id("problem-status").first.inner_text() == "已挂号"
    shot(page, "problems-02-registered")
    logout(page)

    # The land department's handler finds it in the list, accepts it, then proposes with a document.
    login(page, "handler")
    page.goto("/problems/")
    rows = page.get_by_test_id("problem-row")
    assert rows.count() == 1  # the housing department's overdue problem is not the land handler's
    shot(page, "problems-03-handler-list")
    page.get_by_test_id("problem-link").click()
    page.fill("#id_accept_note", "已安排专人对接省厅")
    page.get_by_test_id("submit-accept").click()
    page.wait_for_selector("text=已签收办理")
    assert page.get_by_test_id("problem-status").first.inner_text() == "办理中"

    page.get_by_test_id("submit-propose").click()  # no resolution yet
    assert page.locator("[data-field-error=note]").inner_text() == "申请销号须填写办理结果。"
    shot(page, "problems-04-propose-error")
    reply = tmp_path / "用地批复.pdf"
    reply.write_bytes(b"%PDF-1.4\n% reply\n%%EOF\n")
    page.fill("#id_propose_note", "省厅已下达用地指标 120 亩，批复见附件")
    page.set_input_files("#id_propose_attachment", str(reply))
    page.get_by_test_id("submit-propose").click()
    page.wait_for_selector("text=已申请销号")
    assert page.get_by_test_id("resolution").inner_text() == "省厅已下达用地指标 120 亩，批复见附件"
    assert page.get_by_test_id("action-strike_off").count() == 0  # only the office strikes off
    shot(page, "problems-05-proposed")
    logout(page)

    # The coordinator strikes it off; the timeline shows every step.
    login(page, "coordinator")
    page.goto("/problems/?status=proposed")
    page.get_by_test_id("problem-link").click()
    page.fill("#id_strike_off_note", "经核实已解决，同意销号")
    page.get_by_test_id("submit-strike_off").click()
    page.wait_for_selector("text=已确认销号")
    timeline = page.get_by_test_id("timeline").inner_text()
    for step in ("挂号", "李晓梅", "签收办理", "已安排专人对接省厅", "周经办", "申请销号", "用地指标 120 亩",
                 "确认销号", "同意销号"):  # fmt: skip
        assert step in timeline, step
    assert page.get_by_test_id("attachment-link").inner_text() == "附件（PDF）"
    assert page.get_by_test_id("problem-status").first.inner_text() == "已销号"
    shot(page, "problems-06-struck-off")

    with page.expect_download() as download:
        page.get_by_test_id("attachment-link").click()
    assert Path(download.value.path()).read_bytes() == reply.read_bytes()

    with scopes_disabled():
        problem = Problem.objects.exclude(pk=county["overdue"].pk).get()
        steps = list(ProblemEvent.objects.filter(problem=problem).values_list("action", "by__username"))
    assert (problem.status, problem.closed_on_time) == (Status.STRUCK_OFF, True)
    assert steps == [
        ("register", "coordinator"), ("accept", "handler"), ("propose", "handler"), ("strike_off", "coordinator"),
    ]

    page.goto("/problems/")
    assert "逾期6天" in page.get_by_test_id("problem-list").inner_text()
    shot(page, "problems-07-list")
    page.goto("/problems/rules/")
    shot(page, "problems-08-rules")
    page.goto(f"/projects/{project.pk}/#problems")
    assert page.get_by_test_id("project-problem").count() == 2
    page.get_by_test_id("project-problems").screenshot(path=str(ARTIFACTS / "problems-09-project-card.png"))

"""Browser test of the enterprise channel (企业诉求直通车) closing its loop: an enterprise raises a request, the
county's key-project office turns it into a problem for the land bureau, the bureau's handler takes it from
the department inbox and proposes a resolution on the problem page, the office strikes it off, and the
enterprise sees "已销号" with the resolution, and nothing of the internal handling. Screenshots of every step
go to artifacts/requests-*.png.
"""

import datetime
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from approvals.models import ApprovalItem
from lib.codes import make_credit_code
from org.models import Department, Region, Role, User
from problems.models import EnterpriseRequest, Problem, ProblemEvent, Status
from projects.models import Project, Stage

from .browser import follow_menu, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"
CODE = make_credit_code("91141122MA0JC0001")
PROJECT = "华鑫年产5万吨特种石墨项目"
SUBJECT = "二期项目用地预审迟迟未办结"
TEXT = "二期项目用地预审材料已于上月提交，至今未出具预审意见，影响施工许可办理，恳请协调加快。"
RESOLUTION = "已与省自然资源厅会商，用地预审意见已出具（晋自然资预〔2026〕18号）"





def _user(username: str, role: str, region: Region, full_name: str, **extra) -> User:
    return User.objects.create_user(username, password=PASSWORD, role=role, region=region, full_name=full_name, **extra)


@pytest.fixture
def county():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        land = Department.objects.create(region=county, name="交城县自然资源局", short_name="自然资源局")
        Department.objects.create(region=county, name="交城县住房和城乡建设局", short_name="住建局")
        _user("coordinator", Role.COORDINATOR, county, "李晓梅")
        _user("handler", Role.HANDLER, county, "周经办", department=land)
        _user("leader", Role.LEADER, county, "王建国", title="副县长")
        _user(
            "enterprise", Role.ENTERPRISE, county, "郑企业", enterprise_name="山西华鑫新材料有限公司", credit_code=CODE
        )
        project = Project.objects.create(
            name=PROJECT, region=county, category="industry", total_investment=Decimal("120000"),
            owner_name="山西华鑫新材料有限公司", credit_code=CODE, stage=Stage.PREPARING,
            preparing_on=datetime.date(2025, 6, 1),
        )  # fmt: skip
        Project.objects.create(
            name="交城县城区道路提质改造工程", region=county, category="urban", total_investment=Decimal("8000"),
            owner_name="交城县住房和城乡建设局", credit_code=make_credit_code("11141122MB1234567"),
        )  # fmt: skip
        applied = datetime.date.today() - datetime.timedelta(days=30)
        for kind, name, applied_on in (
            ("land_preview", "用地预审与选址意见书", applied),
            ("land_planning", "建设用地规划许可证", None),
        ):
            ApprovalItem.objects.create(
                project=project, department=land, kind=kind, name=name, applied_on=applied_on,
                status=ApprovalItem.Status.IN_PROGRESS if applied_on else ApprovalItem.Status.NOT_STARTED,
                statutory_days=20, promised_days=10,
            )  # fmt: skip
    return {"project": project, "land": land}




def logout(page) -> None:
    page.click("button:has-text('退出')")
    page.wait_for_url("**/accounts/login/")


def the_request() -> EnterpriseRequest:
    with scopes_disabled():
        return EnterpriseRequest.objects.select_related("problem").get()


def test_request_converted_resolved_struck_off_and_seen_by_the_enterprise(page, county):
    # The enterprise raises a request about its project; only its own project is offered.
    login(page, "enterprise")
    follow_menu(page, "企业诉求")
    page.click("[data-testid=new-request]")
    options = page.locator("#id_project option").all_inner_texts()
    assert options == ["不涉及具体项目（一般诉求）", PROJECT]
    page.select_option("#id_project", label=PROJECT)
    page.select_option("#id_category", label="用地")
    page.fill("#id_subject", SUBJECT)
    page.fill("#id_text", TEXT)
    shot(page, "requests-01-enterprise-form")
    page.click("[data-testid=submit]")
    page.wait_for_selector("text=诉求已提交，重点办将尽快处理。")
    assert page.get_by_test_id("state").inner_text() == "待处理"
    shot(page, "requests-02-enterprise-submitted")
    logout(page)

    # The county office is told, finds it in the channel and turns it into a problem for the land bureau.
    login(page, "coordinator")
    assert page.get_by_test_id("unread-count").inner_text().startswith("1")
    follow_menu(page, "企业诉求")
    row = page.get_by_test_id("request-row").filter(has_text=SUBJECT)
    assert "山西华鑫新材料有限公司" in row.inner_text()
    shot(page, "requests-03-coordinator-list")
    row.locator(f"a:has-text('{SUBJECT}')").click()
    page.wait_for_selector("[data-testid=convert-form]")
    page.select_option("#id_department", label="交城县自然资源局")
    page.select_option("#id_leader", label="王建国")
    deadline = datetime.date.today() + datetime.timedelta(days=15)
    page.fill("#id_deadline", deadline.isoformat())
    shot(page, "requests-04-convert-form")
    page.click("[data-testid=convert]")
    page.wait_for_selector("text=已转为问题挂号办理，并已通知企业。")
    assert page.get_by_test_id("state").inner_text() == "已转为问题"
    assert page.get_by_test_id("problem-status").inner_text() == "已挂号"
    shot(page, "requests-05-converted")
    problem = the_request().problem
    assert (problem.department, problem.description, problem.deadline) == (county["land"], TEXT, deadline)
    logout(page)

    # The land bureau's handler sees it in the department inbox, accepts it and proposes the resolution.
    login(page, "handler")
    follow_menu(page, "部门待办")
    page.wait_for_url("**/problems/inbox/**")
    rows = page.get_by_test_id("problem-row")
    assert rows.count() == 1
    assert PROJECT in rows.first.inner_text()
    assert page.get_by_test_id("open").inner_text() == "1"
    items = page.get_by_test_id("item-row")
    assert items.count() == 2
    assert "用地预审与选址意见书" in items.first.inner_text()  # applied 30 days ago, 10 working days promised
    assert items.first.get_by_test_id("overdue").inner_text().startswith("逾期")
    assert "未申报" in items.nth(1).inner_text()
    shot(page, "requests-06-handler-inbox")
    rows.first.locator("a", has_text=TEXT[:10]).click()
    page.wait_for_selector("[data-testid=action-accept]")
    page.click("[data-testid=submit-accept]")
    page.wait_for_selector("[data-testid=action-propose]")
    page.fill("#id_propose_note", RESOLUTION)
    page.click("[data-testid=submit-propose]")
    page.wait_for_selector("[data-testid=event-propose]")
    shot(page, "requests-07-handler-proposed")
    logout(page)

    # The office strikes it off from the problem page reached through the request.
    login(page, "coordinator")
    page.goto(f"/problems/requests/{the_request().pk}/")
    assert page.get_by_test_id("problem-status").inner_text() == "申请销号"
    page.click("[data-testid=problem-link]")
    page.wait_for_selector("[data-testid=action-strike_off]")
    page.fill("#id_strike_off_note", "经核实，预审意见已出具，同意销号")
    page.click("[data-testid=submit-strike_off]")
    page.wait_for_selector("[data-testid=event-strike_off]")
    shot(page, "requests-08-struck-off")
    # The bureau's figures now count one problem closed within its deadline.
    follow_menu(page, "部门待办")
    row = page.get_by_test_id("department-row").filter(has_text="交城县自然资源局")
    assert row.locator("td").all_inner_texts()[2:6] == ["0", "0", "1", "100.0%"]
    shot(page, "requests-09-coordinator-figures")
    page.select_option("#id_department", label="交城县 · 交城县自然资源局")
    page.wait_for_selector("[data-testid=department-line]")
    assert page.get_by_test_id("no-problems").count() == 1
    assert page.get_by_test_id("closed").inner_text() == "1"
    shot(page, "requests-10-coordinator-department")
    logout(page)
    with scopes_disabled():
        assert Problem.objects.get().status == Status.STRUCK_OFF
        assert ProblemEvent.objects.filter(problem=problem).count() == 4

    # The enterprise sees 已销号 and the resolution, and nothing of the internal timeline.
    login(page, "enterprise")
    follow_menu(page, "企业诉求")
    row = page.get_by_test_id("request-row").filter(has_text=SUBJECT)
    assert row.get_by_test_id("problem-status").inner_text() == "已销号"
    shot(page, "requests-11-enterprise-list")
    row.locator(f"a:has-text('{SUBJECT}')").click()
    assert page.get_by_test_id("problem-status").inner_text() == "已销号"
    assert page.get_by_test_id("resolution").inner_text() == RESOLUTION
    body = page.locator("main").inner_text()
    for internal in ("由企业诉求转办", "经核实，预审意见已出具", "交城县自然资源局", "王建国", "办理时间轴"):
        assert internal not in body
    assert page.get_by_test_id("problem-link").count() == 0
    shot(page, "requests-12-enterprise-struck-off")

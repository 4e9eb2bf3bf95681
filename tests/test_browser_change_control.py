"""Browser test of change control and suspensions: the coordinator approves the plan, a reporter asks to
move the planned start, the coordinator approves the request, and the project page shows the baseline
beside the current date; then a suspension with its reason list and its quarterly confirmation.
Screenshots go to artifacts/change-*.png.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from lib.codes import make_credit_code
from org.models import Notification, Region, Role, User
from projects.models import ChangeRequest, Milestone, PlanBaseline, Project, Stage, quarter_start

from .browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(page):
    page.on("dialog", lambda dialog: dialog.accept())  # the "approve the plan?" confirmation
    return page

PASSWORD = "browser-pass-2026"
NAME = "交城县年产10万吨高端碳材料项目"
START, NEW_START = datetime.date(2026, 3, 1), datetime.date(2026, 5, 18)





@pytest.fixture
def world():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        coordinator = User.objects.create_user(
            "coordinator", password=PASSWORD, role=Role.COORDINATOR, region=county, full_name="李晓梅"
        )
        reporter = User.objects.create_user(
            "reporter", password=PASSWORD, role=Role.REPORTER, region=county, full_name="孙填报"
        )
        project = Project.objects.create(
            name=NAME,
            region=county,
            category="industry",
            total_investment=Decimal("120000"),
            owner_name="山西示例新材料有限公司",
            credit_code=make_credit_code("91141122MA0000001"),
            stage=Stage.PREPARING,
            preparing_on=datetime.date(2025, 11, 1),
            planned_start_on=START,
            planned_completion_on=datetime.date(2027, 12, 31),
            planned_production_on=datetime.date(2028, 6, 30),
        )
        project.reporters.add(reporter)
        Milestone.objects.create(project=project, name="场地平整", sort_order=1, planned_on=datetime.date(2026, 4, 30))
        Milestone.objects.create(project=project, name="主体封顶", sort_order=2, planned_on=datetime.date(2026, 12, 31))
    return {"project": project, "coordinator": coordinator, "reporter": reporter}




def logout(page) -> None:
    page.click("button:has-text('退出')")
    page.wait_for_url("**/accounts/login/")


def _line(page, key: str) -> dict[str, str]:
    row = page.get_by_test_id(f"plan-line-{key}")
    return {cell: row.get_by_test_id(cell).inner_text().strip() for cell in ("baseline", "current", "pending")}


def test_plan_approval_change_request_and_baseline_against_current(page, world):
    project = world["project"]
    detail = f"/projects/{project.pk}/"

    login(page, "coordinator")
    page.goto(detail)
    page.get_by_test_id("change-control").scroll_into_view_if_needed()
    page.get_by_test_id("approve-plan").click()
    page.wait_for_selector("text=计划已批准，计划日期已锁定为基线")
    assert _line(page, "planned_start_on") == {"baseline": "2026-03-01", "current": "2026-03-01", "pending": ""}
    shot(page, "change-01-plan-approved")

    # A direct edit of a planned date is now refused next to the field.
    page.goto(f"{detail}edit/")
    page.fill("#id_planned_start_on", "2026-05-18")
    page.click("[data-testid=save]")
    assert "计划已批准，调整计划日期须提交变更申请" in page.locator("[data-field-error=planned_start_on]").inner_text()
    shot(page, "change-02-edit-refused")
    logout(page)

    login(page, "reporter")
    page.goto(detail)
    page.get_by_test_id("plan-line-planned_start_on").locator("a:has-text('申请调整')").click()
    page.click("[data-testid=submit-change]")  # empty: the form says what is missing
    assert page.locator("[data-field-error=new_date]").is_visible()
    page.fill("#id_new_date", "2026-05-18")
    page.fill("#id_reason", "征地拆迁补偿协议延后签订，开工推迟约两个半月。")
    shot(page, "change-03-request-form")
    page.click("[data-testid=submit-change]")
    page.wait_for_selector("text=变更申请已提交")
    assert _line(page, "planned_start_on")["pending"].startswith("→ 2026-05-18")
    shot(page, "change-04-requested")
    logout(page)

    login(page, "coordinator")
    page.get_by_test_id("change-requests-link").click()
    queue = page.get_by_test_id("change-queue")
    assert queue.locator("[data-testid=change-row]").count() == 1
    assert "2026-03-01 → 2026-05-18" in queue.inner_text()
    shot(page, "change-05-queue")
    page.get_by_test_id("approve-change").click()
    page.wait_for_selector("text=已批准变更")
    assert page.get_by_test_id("empty").is_visible()

    page.goto(detail)
    line = _line(page, "planned_start_on")
    assert (line["baseline"], line["current"]) == ("2026-03-01", "2026-05-18 已调整")
    assert "已批准" in page.get_by_test_id("decided-changes").inner_text()
    page.get_by_test_id("change-control").scroll_into_view_if_needed()
    shot(page, "change-06-baseline-vs-current")

    with scopes_disabled():
        saved = Project.objects.get(pk=project.pk)
        baseline = PlanBaseline.objects.get(project=project, field_name="planned_start_on")
        change = ChangeRequest.objects.get()
        told = list(Notification.objects.filter(user=world["reporter"]).values_list("text", flat=True))
    assert (saved.planned_start_on, baseline.baseline_on, change.status) == (NEW_START, START, "approved")
    assert told == [f"计划变更申请已批准：{NAME}，计划开工日期 2026-03-01 → 2026-05-18。"]


def test_suspension_with_reason_list_flag_and_quarterly_confirmation(page, world):
    project = world["project"]
    today = timezone.localdate()
    login(page, "coordinator")
    page.goto(f"/projects/{project.pk}/stage/")
    page.select_option("#id_action", "suspend")
    page.fill("#id_on", str(today))
    page.fill("#id_reason", "企业融资未落实，暂缓施工准备。")
    page.click("button:has-text('确定')")
    assert "请选择暂停原因" in page.locator("[data-field-error=reason_code]").inner_text()
    page.select_option("#id_reason_code", "funding")
    page.fill("#id_expected_resume_on", str(today + datetime.timedelta(days=150)))
    shot(page, "change-07-suspend-form")
    page.click("button:has-text('确定')")
    page.wait_for_selector("text=阶段已更新")
    assert "资金不到位" in page.get_by_test_id("suspension").locator("..").inner_text()

    # Last confirmed before this quarter began: flagged on the ledger, the page and the list.
    with scopes_disabled():
        last_quarter = quarter_start(today) - datetime.timedelta(days=1)
        Project.objects.filter(pk=project.pk).update(suspension_confirmed_on=last_quarter)
    page.goto("/projects/")
    assert page.get_by_test_id("ledger").get_by_test_id("suspension-unconfirmed").count() == 1
    page.get_by_test_id("suspensions-link").click()
    assert page.get_by_test_id("unconfirmed").inner_text() == "暂停未按季确认"
    shot(page, "change-08-suspensions-flagged")

    page.get_by_test_id("suspension-row").get_by_role("link", name="确认", exact=True).click()
    page.fill("#id_note", "企业已与银行达成授信意向，预计明年二季度复工。")
    shot(page, "change-09-confirm-form")
    page.get_by_test_id("confirm-suspension").click()
    page.wait_for_selector("text=本季度仍处于暂停状态")
    assert page.get_by_test_id("suspension-row").locator("text=本季度已确认").is_visible()
    shot(page, "change-10-suspensions-confirmed")
    with scopes_disabled():
        assert Project.objects.get(pk=project.pk).suspension_confirmed_on == today

"""Browser test of the monthly report loop: a reporter submits, the coordinator returns it, the reporter
fixes and resubmits, the coordinator approves, and the project's colour turns from red (or yellow) to blue.

The project has an annual plan of 1,200 万元 and the linear schedule: with nothing approved it is far
behind; once 1,150 万元 is approved it is at most 5 points behind in any month, so blue. Screenshots of
every reporting page go to artifacts/reports-*.png.
"""

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled
from PIL import Image

from org.models import Region, Role, User
from projects.models import AnnualPlan, Milestone, Project, Stage
from reports import colours
from reports.models import Colour, MonthlyReport, ProjectColour, ReportStatus

from .browser import follow_menu, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"
YEAR, MONTH = colours.current_month()
NAME = "交城县新材料产业园标准化厂房项目"





@pytest.fixture
def county():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        coordinator = User.objects.create_user(
            "coordinator", password=PASSWORD, role=Role.COORDINATOR, region=county, full_name="李晓梅"
        )
        reporter = User.objects.create_user(
            "reporter", password=PASSWORD, role=Role.REPORTER, region=county, full_name="孙填报", phone="13900000001"
        )
        project = Project.objects.create(
            name=NAME, region=county, category="industry", total_investment=Decimal("5000"),
            stage=Stage.CONSTRUCTION, started_on=f"{YEAR - 1}-04-01", planned_start_on=f"{YEAR - 1}-03-01",
            opening_completed=Decimal("800"),
        )  # fmt: skip
        project.reporters.add(reporter)
        AnnualPlan.objects.create(project=project, year=YEAR, amount=Decimal("1200"))
        Milestone.objects.create(project=project, name="主体厂房封顶", sort_order=1, planned_on=f"{YEAR}-06-30")
        waiting = Project.objects.create(
            name="交城县城区污水处理厂提标改造工程", region=county, category="ecology",
            total_investment=Decimal("9000"), stage=Stage.PREPARING, preparing_on=f"{YEAR - 1}-09-01",
            planned_start_on=f"{YEAR - 1}-10-01",  # long overdue: red
        )  # fmt: skip
        waiting.reporters.add(reporter)
        wenshui = Region.objects.create(code="141121", name="文水县", kind=Region.Kind.COUNTY, parent=city)
        Project.objects.create(
            name="文水县人民医院新院区建设项目", region=wenshui, category="livelihood",
            total_investment=Decimal("45000"), stage=Stage.CONSTRUCTION, started_on=f"{YEAR - 1}-09-01",
        )  # fmt: skip
        User.objects.create_user("city", password=PASSWORD, role=Role.COORDINATOR, region=city, full_name="陈市办")
        colours.recompute(YEAR, MONTH, region=city)
    return {"project": project, "county": county, "coordinator": coordinator}




def logout(page) -> None:
    page.click("button:has-text('退出')")
    page.wait_for_url("**/accounts/login/")


def colour_of(project) -> str:
    with scopes_disabled():
        return ProjectColour.objects.get(project=project, year=YEAR, month=MONTH).colour


def report_of(project) -> MonthlyReport:
    with scopes_disabled():
        return MonthlyReport.objects.get(project=project, year=YEAR, month=MONTH)


def test_report_returned_fixed_approved_and_the_colour_turns_blue(page, county, tmp_path):
    project = county["project"]
    photo = tmp_path / "site.png"
    Image.new("RGB", (320, 240), (90, 140, 200)).save(photo)
    assert colour_of(project) in (Colour.RED, Colour.YELLOW)

    # The reporter finds the project under 月报填报 and submits a figure with a typo.
    login(page, "reporter")
    follow_menu(page, "月报填报")
    rows = page.get_by_test_id("my-reports").locator("tbody tr")
    assert rows.count() == 2
    shot(page, "reports-01-my-reports")
    rows.filter(has_text=NAME).locator("a:has-text('填报')").click()
    page.wait_for_selector("[data-testid=report-form]")
    page.fill("#id_completed", "-115")
    page.click("[data-testid=submit]")
    assert page.locator("[data-field-error=completed]").inner_text() == "金额不能为负数。"
    shot(page, "reports-02-form-errors")
    page.fill("#id_completed", "115")
    page.fill("#id_progress", "主体厂房钢结构吊装完成60%")
    page.set_input_files("#id_photos", str(photo))
    page.click("[data-testid=submit]")
    page.wait_for_selector("text=已提交，等待重点办审核")
    assert page.get_by_test_id("report-status").inner_text() == "已提交"
    # The photo is served through the access check: wait until the browser has decoded it.
    page.wait_for_function("() => document.querySelector('[data-testid=photos] img')?.naturalWidth > 0")
    assert page.locator("[data-testid=photos] img").evaluate("img => img.naturalWidth") == 320
    shot(page, "reports-03-submitted")
    logout(page)

    # The coordinator returns it from the queue (htmx: the row is redrawn in place).
    login(page, "coordinator")
    follow_menu(page, "月报审核")
    row = page.get_by_test_id("queue-row").filter(has_text=NAME)
    assert "115.00" in row.inner_text()
    shot(page, "reports-04-queue")
    row.locator("[data-testid=return]").click()
    assert row.locator("[data-field-error=return_reason]").inner_text() == "请填写退回原因。"
    row.locator("input[name=return_reason]").fill("本月完成投资少录一位，请核对后重报")
    row.locator("[data-testid=return]").click()
    page.wait_for_selector("[data-testid=queue-done]")
    assert report_of(project).status == ReportStatus.RETURNED
    shot(page, "reports-05-queue-returned")
    logout(page)

    # The reporter sees the reason, fixes the figure and resubmits.
    login(page, "reporter")
    page.goto(f"/reports/projects/{project.pk}/{YEAR}/{MONTH}/")
    assert "少录一位" in page.get_by_test_id("return-reason").inner_text()
    shot(page, "reports-06-returned")
    page.fill("#id_completed", "1150")
    page.click("[data-testid=submit]")
    page.wait_for_selector("text=已提交，等待重点办审核")
    logout(page)

    # The coordinator approves from the report page; the colour is recomputed on commit.
    login(page, "coordinator")
    page.goto(f"/projects/{project.pk}/")
    page.wait_for_function("document.querySelector('#project-chart canvas') !== null")
    shot(page, "reports-07-project-before")
    page.goto(f"/reports/projects/{project.pk}/{YEAR}/{MONTH}/")
    assert page.get_by_test_id("ytd").inner_text() == "1,150.00"
    shot(page, "reports-08-review")
    page.click("[data-testid=approve]")
    page.wait_for_selector("text=已审核通过")
    assert report_of(project).status == ReportStatus.APPROVED
    assert colour_of(project) == Colour.BLUE

    page.goto(f"/projects/{project.pk}/")
    page.wait_for_function("document.querySelector('#project-chart canvas') !== null")
    chips = page.get_by_test_id("colour-history").locator("[data-colour]")
    assert chips.last.get_attribute("data-colour") == "blue"
    assert "进度正常" in page.get_by_test_id("latest-colour").inner_text()
    shot(page, "reports-09-project-after")


def test_coordinator_pages_render(page, county):
    project = county["project"]
    login(page, "coordinator")

    follow_menu(page, "填报概况")
    assert page.get_by_test_id("expected").inner_text() == "2"
    assert page.get_by_test_id("missing-list").locator("tbody tr").count() == 2
    assert "孙填报" in page.get_by_test_id("missing-list").inner_text()
    shot(page, "reports-10-period")

    follow_menu(page, "红黄蓝")
    assert page.get_by_test_id("colour-row").count() == 2
    shot(page, "reports-11-colours")
    page.get_by_test_id("colour-row").filter(has_text=NAME).locator("a:has-text('调整')").click()
    page.click("[data-testid=save-override]")
    assert "须填写书面理由" in page.locator("[data-field-error=reason]").inner_text()
    page.check("input[name=colour][value=yellow]")
    page.fill("#id_reason", "县政府专题会议确认资金已落实，暂按黄色管理")
    shot(page, "reports-12-override")
    page.click("[data-testid=save-override]")
    page.wait_for_selector("text=已人工调整")
    assert "县政府专题会议" in page.get_by_test_id("override-note").inner_text()
    shot(page, "reports-13-colours-override")

    follow_menu(page, "月报规则")
    page.fill("#id_m6", "40")
    page.fill("#id_m7", "30")
    page.click("[data-testid=save-curve]")
    assert "累计百分比须逐月不减" in page.get_by_test_id("curve-errors").inner_text()
    shot(page, "reports-14-rules-errors")
    page.goto("/reports/rules/")
    page.fill("#id_close_day", "20")
    page.click("[data-testid=save-rules]")
    page.wait_for_selector("text=月报与三色规则已保存")
    shot(page, "reports-15-rules")

    with scopes_disabled():
        MonthlyReport.objects.create(
            project=project, period_id=_period(county["county"]), year=YEAR, month=MONTH,
            completed=Decimal("300"), status=ReportStatus.APPROVED,
        )  # fmt: skip
    page.goto(f"/reports/projects/{project.pk}/{YEAR}/{MONTH}/")
    page.fill("#id_completed", "280")
    page.fill("#id_reason", "设备款重复计入")
    page.click("[data-testid=correct]")
    page.wait_for_selector("text=已记录更正")
    assert "300.00 → 280.00" in page.get_by_test_id("corrections").inner_text()
    shot(page, "reports-16-correction")
    logout(page)

    login(page, "city")
    follow_menu(page, "填报概况")
    rows = page.get_by_test_id("by-region").locator("tbody tr")
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())] == ["文水县", "交城县"]
    assert page.get_by_test_id("expected").inner_text() == "3"
    shot(page, "reports-17-period-city")


def _period(region) -> int:
    from reports.models import Period

    return Period.for_month(region, YEAR, MONTH).pk

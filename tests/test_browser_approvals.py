"""Browser test of the approval checklist: the coordinator makes a project's checklist from a template,
the land bureau's handler marks its item applied (inline) and then approved (on the item's page), and the
statistics page shows the handling time. Screenshots go to artifacts/approvals-*.png.

The live server runs on the real clock, so dates are fixed days of November 2026 (before today) and the
overdue flag is checked for its presence, not its count.
"""

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from approvals.defaults import load_defaults
from approvals.models import ApprovalItem, ApprovalTemplate, ApprovalTemplateItem
from lib import workdays
from org.models import Department, Region, Role, User
from projects.models import Project, Stage

from .browser import follow_menu, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"
NAME = "交城县年产10万吨高端碳材料项目"







def logout(page) -> None:
    page.click("button:has-text('退出')")
    page.wait_for_url("**/accounts/login/")


@pytest.fixture
def county():
    workdays.clear_cache()
    with scopes_disabled():
        load_defaults(ApprovalTemplate, ApprovalTemplateItem)  # the flush of an earlier browser test took them
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        Department.objects.create(region=county, name="交城县发展和改革局")
        land = Department.objects.create(region=county, name="交城县自然资源局")
        Department.objects.create(region=county, name="交城县住房和城乡建设局")
        Department.objects.create(region=city, name="吕梁市生态环境局")
        User.objects.create_user(
            "coordinator", password=PASSWORD, role=Role.COORDINATOR, region=county, full_name="李晓梅"
        )
        User.objects.create_user(
            "handler", password=PASSWORD, role=Role.HANDLER, region=county, department=land, full_name="周经办"
        )
        project = Project.objects.create(
            name=NAME, region=county, category="industry", total_investment=Decimal("120000"), stage=Stage.PREPARING,
            preparing_on="2026-09-01",
        )  # fmt: skip
    yield project
    workdays.clear_cache()


def _item(project, kind) -> ApprovalItem:
    with scopes_disabled():
        return ApprovalItem.objects.get(project=project, kind=kind)


def test_a_checklist_from_template_to_approval_and_into_the_statistics(page, county):
    project = county
    login(page, "coordinator")
    page.goto(f"/projects/{project.pk}/")
    page.get_by_test_id("approvals-link").click()
    assert page.get_by_test_id("empty").is_visible()
    assert page.locator("[data-testid=apply-template] select").input_value() != ""  # 产业类项目 preselected
    page.get_by_test_id("apply").click()
    page.wait_for_selector("text=已按“产业类项目”添加 8 项前期手续。")
    rows = page.get_by_test_id("item-row")
    assert rows.count() == 8
    assert "吕梁市生态环境局" in page.locator("tr[data-kind=eia]").inner_text()  # the county has none
    shot(page, "01-checklist")

    # The coordinator records 立项备案 as applied in October, inline: promised 1 working day, long overdue.
    page.locator("tr[data-kind=project_approval] [data-testid=edit-inline]").click()
    form_row = page.get_by_test_id("item-form-row")
    form_row.locator("select[name=status]").select_option("in_progress")
    form_row.locator("input[name=applied_on]").fill("2026-10-09")
    shot(page, "02-inline-form")
    form_row.get_by_test_id("save-inline").click()
    page.wait_for_selector("tr[data-kind=project_approval] [data-testid=overdue]")
    assert "逾期" in page.locator("tr[data-kind=project_approval]").inner_text()
    shot(page, "03-inline-saved-overdue")
    logout(page)

    # The land bureau's handler sees its three items and edits only those.
    login(page, "handler")
    follow_menu(page, "前期手续")
    page.wait_for_url("**/approvals/")
    assert page.get_by_test_id("item-row").count() == 3
    shot(page, "04-handler-list")
    page.goto(f"/approvals/project/{project.pk}/")
    assert page.get_by_test_id("edit-inline").count() == 3
    page.locator("tr[data-kind=land_preview] [data-testid=edit-inline]").click()
    form_row = page.get_by_test_id("item-form-row")
    form_row.locator("select[name=status]").select_option("in_progress")
    form_row.locator("input[name=applied_on]").fill("2026-11-02")
    form_row.get_by_test_id("save-inline").click()
    page.wait_for_selector("tr[data-kind=land_preview] >> text=2026-11-16")  # 10 working days after 2 November
    assert _item(project, "land_preview").status == "in_progress"

    # Approval on the item's own page: a date before the application is refused first.
    page.locator("tr[data-kind=land_preview] >> text=单独编辑").click()
    page.select_option("#id_status", "approved")
    page.fill("#id_approved_on", "2026-10-30")
    page.fill("#id_document_no", "交自然资预〔2026〕18号")
    page.get_by_test_id("save").click()
    assert page.locator("[data-field-error=approved_on]").inner_text() == "办结日期不能早于申报日期。"
    shot(page, "05-item-form-error")
    page.fill("#id_approved_on", "2026-11-13")
    page.get_by_test_id("save").click()
    page.wait_for_selector("text=已保存“用地预审与选址意见书”。")
    assert "办理9个工作日" in page.locator("tr[data-kind=land_preview]").inner_text()
    shot(page, "06-handler-approved")
    saved = _item(project, "land_preview")
    assert (saved.status, str(saved.approved_on), saved.document_no, saved.handling_days) == (
        "approved",
        "2026-11-13",
        "交自然资预〔2026〕18号",
        9,
    )

    # The statistics: one approved land pre-review, 9 working days against 10 promised and 20 statutory.
    page.goto("/approvals/stats/")
    row = page.get_by_test_id("stats-row")
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert cells == [
        "交城县", "交城县自然资源局", "用地预审与选址意见书", "1", "9.0", "9.0", "10.0", "100.0%", "20.0", "100.0%",
        "9", "9", "0.0",
    ]  # fmt: skip
    assert page.get_by_test_id("total-count").inner_text() == "1"
    shot(page, "07-stats")

    page.goto(f"/projects/{project.pk}/")
    card = page.get_by_test_id("project-approvals")
    assert "已办结 1 / 8 项，办理中 1 项" in card.inner_text()
    card.scroll_into_view_if_needed()
    shot(page, "08-project-card")

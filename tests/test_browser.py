"""Browser tests: Debian's chromium driven by Playwright, screenshots under artifacts/."""

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from lib.codes import make_credit_code
from org.models import Department, Region, Role, User
from projects.models import AnnualPlan, ChainTag, Project, Stage

from .browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"





@pytest.fixture
def ledger():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        other = Region.objects.create(code="141121", name="文水县", kind=Region.Kind.COUNTY, parent=city)
        department = Department.objects.create(region=county, name="交城县自然资源局")
        leader = User.objects.create_user(
            "leader", password=PASSWORD, role=Role.LEADER, region=county, full_name="王建国", title="副县长"
        )
        coordinator = User.objects.create_user(
            "coordinator", password=PASSWORD, role=Role.COORDINATOR, region=county, full_name="李晓梅"
        )
        tag = ChainTag.objects.create(region=county, name="新材料")
        projects = []
        for index, (name, stage, total) in enumerate(
            [
                ("交城县年产10万吨高端碳材料项目", Stage.CONSTRUCTION, "120000"),
                ("交城县城区供热管网改造工程", Stage.PREPARING, "18000"),
                ("交城县第二人民医院新建项目", Stage.CONSTRUCTION, "45000"),
            ]
        ):
            project = Project(
                name=name,
                region=county,
                category="industry" if index == 0 else "livelihood",
                total_investment=Decimal(total),
                stage=stage,
                department=department,
                leader=leader,
                owner_name="山西示例新材料有限公司",
                credit_code=make_credit_code(f"91141122MA0{index:06d}"),
                planned_start_on="2026-03-01",
            )
            if stage == Stage.CONSTRUCTION:
                project.started_on = "2026-03-15"
            project.save()
            AnnualPlan.objects.create(project=project, year=2026, amount=Decimal(total) / 4)
            projects.append(project)
        projects[0].chain_tags.add(tag)
        Project.objects.create(
            name="文水县农产品冷链物流园", region=other, category="industry", total_investment=Decimal("9000")
        )
    return {"coordinator": coordinator, "projects": projects, "county": county}




def test_coordinator_filters_opens_edits_and_sees_history(page, ledger):
    page.goto("/accounts/login/")
    shot(page, "01-login")
    login(page, "coordinator")
    ledger_table = page.get_by_test_id("ledger")
    assert ledger_table.locator("tbody tr").count() == 3  # 文水县 is outside the county
    assert page.get_by_test_id("total-investment").inner_text() == "183,000.00"
    shot(page, "02-ledger")

    page.select_option("#id_stage", "construction")
    page.wait_for_function("document.querySelectorAll('[data-testid=ledger] tbody tr').length === 2")
    assert "stage=construction" in page.url
    assert page.get_by_test_id("total-investment").inner_text() == "165,000.00"
    shot(page, "03-ledger-filtered")

    page.click("text=交城县年产10万吨高端碳材料项目")
    page.wait_for_selector("[data-testid=timeline]")
    assert page.get_by_test_id("stage").inner_text() == "在建"
    shot(page, "04-project-detail")

    page.click("a:has-text('编辑')")
    page.fill("#id_total_investment", "-5")
    page.click("[data-testid=save]")
    error = page.locator("[data-field-error=total_investment]")
    assert "0" in error.inner_text()
    shot(page, "05-project-edit-errors")

    page.fill("#id_total_investment", "150000")
    page.fill("#id_contact_name", "张工")
    page.click("[data-testid=save]")
    page.wait_for_selector("text=已保存")
    history = page.locator("[data-testid=history-entry]").first
    assert "李晓梅" in history.inner_text()
    assert "总投资（万元）：120000.00 → 150000" in history.inner_text()
    shot(page, "06-project-history")
    with scopes_disabled():
        saved = Project.objects.get(pk=ledger["projects"][0].pk)
    assert (saved.total_investment, saved.contact_name) == (Decimal("150000"), "张工")


def test_coordinator_moves_a_stage_and_sees_it_on_the_timeline(page, ledger):
    login(page, "coordinator")
    project = ledger["projects"][1]
    page.goto(f"/projects/{project.pk}/stage/")
    page.select_option("#id_action", "advance")
    page.select_option("#id_to", "completed")
    page.fill("#id_on", "2026-10-01")
    page.click("button:has-text('确定')")
    assert "尚未开工的项目不能竣工" in page.locator("body").inner_text()
    shot(page, "07-stage-error")

    page.select_option("#id_to", "construction")
    page.fill("#id_on", "2026-10-01")
    page.click("button:has-text('确定')")
    page.wait_for_selector("text=阶段已更新")
    assert "前期 → 在建" in page.get_by_test_id("timeline").inner_text()
    shot(page, "08-stage-timeline")


def test_create_form_and_account_pages_render(page, ledger):
    login(page, "coordinator")
    page.goto("/projects/new/")
    page.click("[data-testid=save]")
    assert page.get_by_test_id("form-errors").is_visible()
    assert "这个字段是必填项" in page.locator("[data-field-error=name]").inner_text()
    shot(page, "09-project-create-errors")
    page.goto("/accounts/password/")
    shot(page, "10-password-change")
    page.goto("/projects/999999/")
    assert "不在您的管辖范围" in page.locator("body").inner_text()
    shot(page, "11-not-found")


def test_switching_to_english_translates_the_ledger(page, ledger):
    login(page, "coordinator")
    page.click("button:has-text('English')")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("h1").inner_text() == "Key project ledger"
    assert "Under construction" in page.get_by_test_id("ledger").inner_text()
    shot(page, "12-ledger-english")


def test_lockout_forbidden_and_admin_pages_render(page, ledger):
    with scopes_disabled():
        User.objects.create_user(
            "county_admin", password=PASSWORD, role=Role.ADMIN, region=ledger["county"], is_staff=True,
            is_superuser=True, full_name="赵管理",
        )
        User.objects.create_user("reader", password=PASSWORD, role=Role.LEADER, region=ledger["county"])
    login(page, "county_admin")
    page.goto("/admin/org/user/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 4  # leader, coordinator, county_admin, reader: all of 交城县
    shot(page, "13-admin-users")
    page.goto("/projects/")
    page.click("button:has-text('退出')")
    page.wait_for_url("**/accounts/login/")

    login(page, "reader")
    response = page.goto(f"/projects/{ledger['projects'][0].pk}/edit/")
    assert response.status == 403
    assert "没有执行此操作的权限" in page.locator("body").inner_text()
    shot(page, "14-forbidden")
    page.click("button:has-text('退出')")

    for _ in range(5):
        page.goto("/accounts/login/")
        page.fill("#id_username", "reader")
        page.fill("#id_password", "wrong-password-123")
        page.click("button:has-text('登录')")
    assert "登录失败次数过多" in page.locator("body").inner_text()
    shot(page, "15-locked-out")

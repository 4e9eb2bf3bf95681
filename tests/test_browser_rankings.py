"""Browser test of targets and the horse race: 吕梁市's office splits its targets (a refused over-allocation and a
negative share first), reads the gap table, computes and publishes last month's ranking of the counties (the
rank changes against the month before), switches to quarterly and to departments, and is refused a scheme
whose weights do not add up; 交城县's leader then reads the city's ranking. The bar chart of scores must be
drawn: its canvas present with blue bars on it. Screenshots go to artifacts/rankings-*.png.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from org.models import Department, Region, Role, User
from projects.models import AnnualPlan, Project, Stage
from rankings.compute import compute, last_closed
from rankings.models import Kind, RankingSnapshot, RegionTarget
from reports.models import MonthlyReport, Period, ReportStatus

from .browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"
TODAY = timezone.localdate()
LAST = last_closed(TODAY, Kind.MONTH)
BEFORE = LAST.previous()
COUNTIES = [("141122", "交城县"), ("141121", "文水县"), ("141181", "孝义市"), ("141182", "汾阳市")]


def _report(project, year: int, month: int, amount: str) -> None:
    period = Period.for_month(project.region, year, month)
    MonthlyReport.objects.create(
        project=project, period=period, year=year, month=month, completed=Decimal(amount),
        status=ReportStatus.APPROVED,
        submitted_at=datetime.datetime(year, month, 20, 10, tzinfo=timezone.get_current_timezone()),
    )  # fmt: skip


@pytest.fixture
def city():
    """吕梁市 with four counties; each county a project whose figures put it elsewhere in the two months."""
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        counties = [Region.objects.create(code=c, name=n, kind=Region.Kind.COUNTY, parent=city) for c, n in COUNTIES]
        for name in ("吕梁市发展和改革委员会", "吕梁市工业和信息化局"):
            Department.objects.create(region=city, name=name)
        Department.objects.create(region=counties[0], name="交城县发展和改革局")
        User.objects.create_user(
            "coordinator", password=PASSWORD, role=Role.COORDINATOR, region=city, full_name="陈市办"
        )
        User.objects.create_user("leader", password=PASSWORD, role=Role.LEADER, region=counties[0], full_name="王建国")
        RegionTarget.objects.create(
            region=city, year=TODAY.year, fai_target=Decimal("800000"), plan_target=Decimal("300000")
        )
        # Before: 孝义 > 汾阳 > 文水 > 交城; last month 交城 overtakes everyone.
        amounts = {
            "交城县": ("100", "9000"),
            "文水县": ("1000", "1200"),
            "孝义市": ("3000", "3100"),
            "汾阳市": ("2000", "2100"),
        }
        for county in counties:
            project = Project.objects.create(
                name=f"{county.name}重点项目", region=county, category="industry", total_investment=Decimal("90000"),
                stage=Stage.CONSTRUCTION, started_on=datetime.date(TODAY.year - 1, 3, 1),
            )  # fmt: skip
            AnnualPlan.objects.create(project=project, year=BEFORE.year, amount=Decimal("10000"))
            if LAST.year != BEFORE.year:
                AnnualPlan.objects.create(project=project, year=LAST.year, amount=Decimal("10000"))
            first, second = amounts[county.name]
            _report(project, BEFORE.year, BEFORE.number, first)
            _report(project, LAST.year, LAST.number, second)
        compute(city, BEFORE, "region").publish(by=None)
    return city


def login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_load_state()


def logout(page) -> None:
    page.click("button:has-text('退出')")
    page.wait_for_url("**/accounts/login/")


def blue_pixels(page) -> int:
    """Pixels of the bars' blue (#1c6dd0) on the chart's canvas: 0 when nothing was drawn."""
    return page.evaluate(
        """() => {
          const canvas = document.querySelector('[data-testid=ranking-chart] canvas');
          if (!canvas || !canvas.width || !canvas.height) return 0;
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let count = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (Math.abs(data[i] - 0x1c) < 12 && Math.abs(data[i + 1] - 0x6d) < 12 && Math.abs(data[i + 2] - 0xd0) < 12
                && data[i + 3] > 200) count++;
          }
          return count;
        }"""
    )


def test_targets_are_split_and_the_counties_ranked_and_published(page, city):
    login(page, "coordinator")

    # The split: handing out more than the city's 300,000 is refused, a negative share is a field error.
    page.goto("/rankings/targets/edit/")
    jc, ws = (Region._base_manager.get(code=code) for code in ("141122", "141121"))
    page.fill(f"#id_r{jc.pk}_plan", "200000")
    page.fill(f"#id_r{ws.pk}_plan", "150000")
    assert page.get_by_test_id("r-plan-remainder").inner_text() == "-50,000.00"  # updated as typed
    page.fill(f"#id_r{ws.pk}_fai", "-5")
    page.get_by_test_id("save-split").click()
    page.wait_for_selector("[data-testid=form-errors]")
    assert page.locator(f"[data-field-error=r{ws.pk}_fai]").inner_text() == "金额不能为负数。"
    page.fill(f"#id_r{ws.pk}_fai", "300000")
    page.get_by_test_id("save-split").click()
    page.wait_for_selector("[data-testid=non-field-error]")
    assert page.get_by_test_id("non-field-error").inner_text() == (
        "下级区划重点项目投资计划分解合计 350,000.00 万元，超过目标总额 300,000.00 万元。"
    )
    shot(page, "rankings-01-split-errors")
    page.fill(f"#id_r{ws.pk}_plan", "90000")
    assert page.get_by_test_id("r-plan-remainder").inner_text() == "10,000.00"
    page.get_by_test_id("save-split").click()
    page.wait_for_selector("text=已保存")

    # The gap table: every county with its target, what was done and the gap.
    assert page.get_by_test_id("gap-row").count() == 4
    assert page.get_by_test_id("plan-target").inner_text() == "30.00"  # 亿元
    shot(page, "rankings-02-gap-table")
    with scopes_disabled():
        assert RegionTarget.objects.get(region=ws).plan_target == Decimal("90000")

    # The ranking: compute last month (a draft), check it, publish it.
    page.goto("/rankings/")
    assert page.get_by_test_id("snapshot-meta").inner_text().count(BEFORE.label()) == 1  # the latest published
    page.select_option("#id_dimension", "region")
    page.fill("#id_year", str(LAST.year))
    page.fill("#id_period", str(LAST.number))
    page.get_by_test_id("compute").click()
    page.wait_for_selector("text=草稿（未发布）")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("publish").click()
    page.wait_for_selector("text=已发布")
    page.goto("/rankings/")
    rows = page.get_by_test_id("ranking-row")
    assert rows.count() == 4
    names = [rows.nth(i).locator("td").nth(2).inner_text() for i in range(4)]
    changes = [rows.nth(i).get_by_test_id("rank-change").inner_text() for i in range(4)]
    assert names[0] == "交城县" and changes[0] == "▲3"  # 4th → 1st
    assert page.get_by_test_id("ranking-chart").locator("canvas").count() == 1
    page.wait_for_function("document.querySelector('[data-testid=ranking-chart] canvas') !== null")
    assert blue_pixels(page) > 500
    shot(page, "rankings-03-monthly")

    page.get_by_test_id("kind-quarter").click()
    page.wait_for_selector("[data-testid=empty]")  # no quarterly ranking yet
    page.get_by_test_id("dimension-department").click()
    page.wait_for_selector("[data-testid=empty]")
    shot(page, "rankings-04-quarterly-empty")

    # A scheme whose weights do not add up is refused, each box marked.
    page.goto("/rankings/scheme/")
    page.fill("#id_completion_weight", "50")
    assert page.get_by_test_id("weight-total").inner_text() == "120"
    page.get_by_test_id("save-scheme").click()
    page.wait_for_selector("[data-field-error=weights]")
    assert page.locator("[data-field-error=weights]").inner_text() == "各项权重合计须为 100，当前合计 120。"
    assert page.locator("#id_start_weight.is-invalid").count() == 1
    shot(page, "rankings-05-scheme-error")

    page.goto("/rankings/history/")
    assert page.get_by_test_id("history-row").count() == 2
    shot(page, "rankings-06-history")
    logout(page)

    # 交城县's leader reads the city's ranking: the county's own page ranks departments (none published yet).
    login(page, "leader")
    page.goto("/rankings/?region=141100")
    assert page.get_by_test_id("ranking-row").first.locator("td").nth(2).inner_text() == "交城县"
    assert page.get_by_test_id("compute-form").count() == 0 and page.get_by_test_id("publish").count() == 0
    page.wait_for_function("document.querySelector('[data-testid=ranking-chart] canvas') !== null")
    assert blue_pixels(page) > 500
    shot(page, "rankings-07-leader")
    with scopes_disabled():
        assert RankingSnapshot.objects.filter(published_at__isnull=False).count() == 2

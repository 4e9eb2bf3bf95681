"""Browser test of 批量填报: download the template, upload a file with an error, then a fixed one, apply."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from org.models import Region, Role, User
from projects.models import AnnualPlan, Project, Stage
from reports.bulk import COLUMNS
from reports.models import MonthlyReport

from .browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"
HEADERS = [column.header for column in COLUMNS]
AMOUNT, PROGRESS = HEADERS.index("本月完成投资（万元）") + 1, HEADERS.index("形象进度") + 1





@pytest.fixture
def county():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        User.objects.create_user(
            "coordinator", password=PASSWORD, role=Role.COORDINATOR, region=county, full_name="李晓梅"
        )
        projects = []
        for name, stage, total in [
            ("交城县年产10万吨高端碳材料项目", Stage.CONSTRUCTION, "120000"),
            ("交城县城区供热管网改造工程", Stage.PREPARING, "18000"),
            ("交城县第二人民医院新建项目", Stage.CONSTRUCTION, "45000"),
        ]:
            project = Project.objects.create(
                name=name, region=county, category="industry", total_investment=Decimal(total), stage=stage
            )
            AnnualPlan.objects.create(project=project, year=timezone.localdate().year, amount=Decimal(total) / 4)
            projects.append(project)
    return projects




def _filled(template: Path, target: Path, amounts: dict[int, object]) -> Path:
    book = load_workbook(template)
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(min_row=3):
        if row[0].value in amounts:
            sheet.cell(row[0].row, AMOUNT, amounts[row[0].value])
            sheet.cell(row[0].row, PROGRESS, "主体施工")
    book.save(target)
    return target


def test_coordinator_downloads_fills_uploads_fixes_and_applies(page, county, tmp_path):
    carbon, heating, hospital = county
    login(page, "coordinator")
    page.goto("/reports/bulk/")
    assert page.locator("h1").inner_text() == "月报批量填报"
    shot(page, "bulk-01-page")

    with page.expect_download() as download_info:
        page.get_by_test_id("download").click()
    download = download_info.value
    assert download.suggested_filename.startswith("月报批量填报-交城县-")
    template = tmp_path / "template.xlsx"
    download.save_as(template)

    bad = _filled(template, tmp_path / "bad.xlsx", {carbon.pk: "很多", heating.pk: 800})
    page.set_input_files("#id_file", str(bad))
    page.get_by_test_id("upload").click()
    errors = page.get_by_test_id("errors")
    errors.wait_for()
    assert errors.locator("tbody tr").count() == 1
    assert "本月完成投资" in errors.inner_text() and "须为数字" in errors.inner_text()
    assert page.get_by_test_id("apply").count() == 0
    shot(page, "bulk-02-errors")

    page.click("a:has-text('重新上传')")
    good = _filled(template, tmp_path / "good.xlsx", {carbon.pk: "1,234.5", heating.pk: 800})
    page.set_input_files("#id_file", str(good))
    page.get_by_test_id("upload").click()
    rows = page.get_by_test_id("rows")
    rows.wait_for()
    assert rows.locator("tbody tr").count() == 2
    assert "1,234.50" in rows.inner_text()
    assert "未填写跳过 1 行" in page.locator("body").inner_text()
    shot(page, "bulk-03-review")

    page.get_by_test_id("apply").click()
    page.wait_for_selector("text=已导入并提交 2 份月报")
    assert page.get_by_test_id("status").inner_text() == "已导入"
    shot(page, "bulk-04-applied")
    with scopes_disabled():
        saved = dict(MonthlyReport.objects.values_list("project_id", "completed"))
        statuses = set(MonthlyReport.objects.values_list("status", flat=True))
    assert saved == {carbon.pk: Decimal("1234.50"), heating.pk: Decimal("800.00")}
    assert statuses == {"submitted"}
    assert hospital.pk not in saved

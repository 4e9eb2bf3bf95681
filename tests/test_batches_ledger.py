"""重点项目建设情况表: the official-layout ledger workbook read back with openpyxl — the title and the two
merged header rows, the grand total, subtotals per region (or category), year-to-date from approved reports
only, the number formats, frozen panes and print setup — and its download.

The ledger is 吕梁市's for 2025 up to June; the cast's annual plans are replaced by 2025 plans set here.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from batches.ledger import ledger_workbook
from batches.workbook import workbook_bytes
from projects.models import AnnualPlan, Project, Stage
from reports.models import MonthlyReport, Period, ReportStatus

pytestmark = pytest.mark.usefixtures("unscoped")

D = datetime.date
YEAR, MONTH = 2025, 6
APPROVED, SUBMITTED = ReportStatus.APPROVED, ReportStatus.SUBMITTED


def _report(project, year, month, completed, status=APPROVED, progress=""):
    period = Period.for_month(project.region, year, month)
    MonthlyReport.objects.create(
        project=project, period=period, year=year, month=month, completed=Decimal(completed), status=status,
        progress=progress,
    )  # fmt: skip


@pytest.fixture
def ledger(cast, make_project):
    materials, road = cast.projects.materials, cast.projects.road
    AnnualPlan.objects.all().delete()
    AnnualPlan.objects.create(project=materials, year=YEAR, amount=Decimal("30000"))
    AnnualPlan.objects.create(project=road, year=YEAR, amount=Decimal("3000"))
    Project.objects.filter(pk=materials.pk).update(opening_completed=Decimal("2000"))
    _report(materials, 2024, 12, "5000")
    _report(materials, 2025, 1, "4000", progress="场地平整")
    _report(materials, 2025, 5, "6000", progress="主体厂房封顶")
    _report(materials, 2025, 6, "9999", status=SUBMITTED, progress="设备安装")  # not approved: not counted
    _report(materials, 2025, 7, "7000", progress="设备调试")  # after the month
    own = make_project(
        plan=None, name="吕梁市汾河流域生态修复工程", region=cast.regions.lvliang, category="ecology",
        stage=Stage.RESERVE, total_investment=Decimal("1000"), owner_name="吕梁市水利局",
    )  # fmt: skip
    AnnualPlan.objects.create(project=own, year=YEAR, amount=Decimal("500"))
    for name, stage in (("终止项目", Stage.TERMINATED), ("无计划储备项目", Stage.RESERVE)):
        project = make_project(plan=None, name=name, stage=stage)
        if stage == Stage.TERMINATED:
            AnnualPlan.objects.create(project=project, year=YEAR, amount=Decimal("100"))
    archived = make_project(plan=None, name="归档项目", stage=Stage.CONSTRUCTION)
    Project.objects.filter(pk=archived.pk).update(archived_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    return own


def read(book):
    return load_workbook(io.BytesIO(workbook_bytes(book)))


def values(sheet, row: int) -> list:
    return [cell.value for cell in sheet[row]]


MATERIALS = [
    3, "华鑫年产5万吨特种石墨项目", "山西华鑫新材料有限公司", "新建", None, "2024-2026",
    120000, 0, 80000, 40000, 0, 0, 7000, 30000, 10000, 33.3, "在建：主体厂房封顶", "交城县发展和改革局",
    "王建国 副县长",
]  # fmt: skip


def test_the_ledger_has_the_official_title_and_two_merged_header_rows(cast, ledger):
    sheet = read(ledger_workbook(cast.regions.lvliang, YEAR, MONTH))["重点项目建设情况表"]

    assert sheet["A1"].value == "吕梁市2025年重点项目建设情况表" and "A1:S1" in sheet.merged_cells
    assert (sheet["A2"].value, sheet["J2"].value) == ("截至2025年6月底", "单位：万元")
    assert values(sheet, 3) == [
        "序号", "项目名称", "建设单位", "建设性质", "建设内容及规模", "建设起止年限", "总投资（万元）", None, None,
        None, None, None, "截至上年底累计完成投资（万元）", "本年计划投资（万元）", "本年1-6月完成投资（万元）",
        "完成率（%）", "项目进展", "责任单位", "包联领导",
    ]  # fmt: skip
    assert values(sheet, 4)[6:12] == ["合计", "政府投资", "企业自筹", "银行贷款", "专项债", "基金及其他"]
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert {"G3:L3", "A3:A4", "B3:B4", "F3:F4", "M3:M4", "O3:O4", "S3:S4"} <= merged


def test_the_ledger_totals_then_groups_by_subregion_with_subtotals(cast, ledger):
    sheet = read(ledger_workbook(cast.regions.lvliang, YEAR, MONTH))["重点项目建设情况表"]

    assert values(sheet, 5) == [
        None, "合计（4个）", None, None, None, None, 174000, 28000, 80000, 40000, 25000, 0, 7000, 33500, 10000,
        29.9, None, None, None,
    ]  # fmt: skip
    assert values(sheet, 6)[:2] + values(sheet, 6)[6:16] == [
        "一", "吕梁市本级（1个）", 1000, 0, 0, 0, 0, 0, 0, 500, 0, 0,
    ]  # fmt: skip
    assert values(sheet, 7)[:4] == [1, "吕梁市汾河流域生态修复工程", "吕梁市水利局", "新建"]
    assert values(sheet, 8)[:2] + values(sheet, 8)[6:16] == [
        "二", "文水县（1个）", 45000, 20000, 0, 0, 25000, 0, 0, 0, 0, None,
    ]  # fmt: skip
    assert values(sheet, 9)[:2] + values(sheet, 9)[13:17] == [2, "文水县人民医院新院区建设项目", 0, 0, None, "在建"]
    assert values(sheet, 10)[:2] + values(sheet, 10)[6:16] == [
        "三", "交城县（2个）", 128000, 8000, 80000, 40000, 0, 0, 7000, 33000, 10000, 30.3,
    ]  # fmt: skip
    assert values(sheet, 11) == MATERIALS
    assert values(sheet, 12)[:2] + values(sheet, 12)[13:17] == [4, "交城县城区道路提质改造工程", 3000, 0, 0, "前期"]
    assert sheet.max_row == 12


def test_the_ledger_can_group_by_category(cast, ledger):
    sheet = read(ledger_workbook(cast.regions.lvliang, YEAR, MONTH, "category"))["重点项目建设情况表"]

    groups = [values(sheet, row)[1] for row in range(6, 13) if isinstance(values(sheet, row)[0], str)]
    assert groups == ["产业（1个）", "民生社会事业（1个）", "生态环保（1个）", "城建（1个）"]
    assert values(sheet, 7)[:2] == [1, "华鑫年产5万吨特种石墨项目"]


def test_the_ledger_formats_freezes_and_prints_on_a3(cast, ledger):
    sheet = read(ledger_workbook(cast.regions.lvliang, YEAR, MONTH))["重点项目建设情况表"]

    assert {sheet.cell(row=11, column=column).number_format for column in range(7, 16)} == {"#,##0.00"}
    assert sheet["P11"].number_format == "0.0"
    assert sheet.freeze_panes == "C5"
    assert sheet.print_title_rows == "$3:$4"
    assert (sheet.page_setup.orientation, sheet.page_setup.paperSize) == ("landscape", 8)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1


def test_a_county_ledger_lists_its_own_projects_as_one_group(cast, ledger):
    sheet = read(ledger_workbook(cast.region, YEAR, MONTH))["重点项目建设情况表"]

    assert [values(sheet, row)[1] for row in range(5, sheet.max_row + 1)] == [
        "合计（2个）", "交城县本级（2个）", "华鑫年产5万吨特种石墨项目", "交城县城区道路提质改造工程",
    ]  # fmt: skip


def test_the_ledger_takes_three_queries_whatever_the_size(cast, ledger, django_assert_num_queries):
    # 1 the subregions (group names), 2 the approved sums per project, 3 the projects with plan and progress.
    with django_assert_num_queries(3):
        ledger_workbook(cast.regions.shanxi, YEAR, MONTH)


def test_the_ledger_downloads_for_the_chosen_region_and_month(cast, ledger, client_for):
    response = client_for(cast.users.city_leader).get(
        reverse("batches:ledger_export"), {"region": cast.regions.lvliang.pk, "month": "2025-06", "group": "category"}
    )

    sheet = load_workbook(io.BytesIO(response.content))["重点项目建设情况表"]
    assert response.status_code == 200
    assert (sheet["A1"].value, sheet["A2"].value, sheet["B6"].value) == (
        "吕梁市2025年重点项目建设情况表", "截至2025年6月底", "产业（1个）",
    )  # fmt: skip
    assert "filename*=UTF-8''" in response["Content-Disposition"]


def test_a_future_or_junk_month_falls_back_to_this_month(cast, ledger, client_for):
    today = timezone.localdate()
    client = client_for(cast.users.coordinator)

    for month in ("2999-01", "junk"):
        sheet = load_workbook(io.BytesIO(client.get(reverse("batches:ledger_export"), {"month": month}).content)).active
        assert sheet["A2"].value == f"截至{today.year}年{today.month}月底"


def test_a_region_outside_the_subtree_is_not_found(cast, ledger, client_for):
    response = client_for(cast.users.coordinator).get(
        reverse("batches:ledger_export"), {"region": cast.regions.lvliang.pk}
    )

    assert response.status_code == 404

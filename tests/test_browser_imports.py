"""Browser test of 台账导入: upload a ledger, see the detected mapping, correct a column and save the mapping as a
template, see the dry run's errors, upload the fixed file with the template, confirm, find the projects in the
ledger, and undo the import. Screenshots go to artifacts/imports-*.png.
"""

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled
from openpyxl import Workbook

from imports.models import ImportStatus, LedgerImport
from org.models import Department, Region, Role, User
from projects.models import AnnualPlan, Project, Stage

from .browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"
ROAD = "交城县城区道路提质改造工程"
NEW = ["交城县新能源装备制造产业园项目", "交城县第二中学综合楼建设项目"]
HEAD_1 = ["序号", "项目名称", "项目代码", "项目类别", "项目阶段", "总投资（亿元）", "资金来源（万元）", None,
          "2026年计划投资（万元）", "计划开工", "负责单位"]  # fmt: skip
HEAD_2 = [None] * 6 + ["政府投资", "企业自筹", None, None, None]
MERGES = ["A1:K1"] + [f"{c}2:{c}3" for c in "ABCDEFIJK"] + ["G2:H2"]


@pytest.fixture
def county():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        Department.objects.create(region=county, name="交城县发展和改革局", short_name="发改局")
        Department.objects.create(region=county, name="交城县住房和城乡建设局", short_name="住建局")
        User.objects.create_user(
            "coordinator", password=PASSWORD, role=Role.COORDINATOR, region=county, full_name="李晓梅"
        )
        road = Project.objects.create(
            name=ROAD, national_code="2024-141122-48-01-000002", region=county, category="urban",
            total_investment=Decimal("8000"), stage=Stage.PLANNING,
        )  # fmt: skip
        AnnualPlan.objects.create(project=road, year=2026, amount=Decimal("3000"))
    return road


def _ledger(path, *rows) -> str:
    book = Workbook()
    sheet = book.active
    sheet.append(["交城县2026年重点工程项目建设台账"])
    sheet.append(HEAD_1)
    sheet.append(HEAD_2)
    for row in rows:
        sheet.append(row)
    sheet.append(["合计", None, None, None, None, 4.85])
    for cells in MERGES:
        sheet.merge_cells(cells)
    book.save(path)
    return str(path)


ROAD_ROW = [1, ROAD, "2024-141122-48-01-000002", "城建", "谋划", 0.95, 9500, None, 3500, "2026.09", "住建局"]
PARK_ROW = [2, NEW[0], None, "产业", "谋划", 3.2, None, 32000, 8000, "2027年3月", "发改局"]
SCHOOL_BAD = [3, NEW[1], None, "教育", "谋划", "约0.7亿", 7000, None, 2000, "2027年13月", "教育局"]
SCHOOL_ROW = [3, NEW[1], None, "民生", "谋划", 0.7, 7000, None, 2000, "2027.05", "住建局"]




def _column(page, letter: str):
    return page.locator(f"[data-testid=mapping] tr[data-column={letter}]")


def test_upload_map_check_fix_confirm_and_undo(page, county, tmp_path):
    login(page, "coordinator")
    page.goto("/imports/")
    assert page.locator("h1").inner_text() == "台账导入"
    shot(page, "imports-01-upload")

    # Upload: the two-row merged header under the title is found; 负责单位 is not a name the app knows.
    page.set_input_files("#id_file", _ledger(tmp_path / "交城县台账.xlsx", ROAD_ROW, PARK_ROW, SCHOOL_BAD))
    page.get_by_test_id("upload").click()
    page.wait_for_url("**/mapping/")
    assert _column(page, "G").locator("td").nth(1).inner_text() == "资金来源（万元） / 政府投资"
    assert _column(page, "F").locator("select").first.input_value() == "total_investment"
    assert _column(page, "F").locator("select").nth(1).input_value() == "亿元"
    assert _column(page, "I").locator("input").input_value() == "2026"
    assert _column(page, "K").locator("select").first.input_value() == ""
    shot(page, "imports-02-mapping")

    # Correct it: 负责单位 is the responsible department; keep the mapping as a template.
    _column(page, "K").locator("select").first.select_option("department")
    page.fill("#id_save_as", "交城县月度台账")
    page.get_by_test_id("check").click()
    page.wait_for_url("**/imports/*/")
    errors = page.get_by_test_id("errors")
    assert errors.locator("tbody tr").count() == 4
    assert "日期“2027年13月”无法识别" in errors.inner_text()
    assert "责任单位“教育局”不在系统中" in errors.inner_text()
    assert page.get_by_test_id("apply").count() == 0
    shot(page, "imports-03-errors")

    # Fix the file and upload it again with the saved template: the corrected column stays corrected.
    page.goto("/imports/")
    page.set_input_files("#id_file", _ledger(tmp_path / "交城县台账-改.xlsx", ROAD_ROW, PARK_ROW, SCHOOL_ROW))
    page.select_option("#id_template", label="交城县月度台账")
    page.get_by_test_id("upload").click()
    page.wait_for_url("**/mapping/")
    assert _column(page, "K").locator("select").first.input_value() == "department"
    page.get_by_test_id("check").click()
    page.wait_for_url("**/imports/*/")
    assert page.get_by_test_id("errors").count() == 0
    assert page.get_by_test_id("create-count").inner_text() == "2"
    assert page.get_by_test_id("update-count").inner_text() == "1"
    preview = page.get_by_test_id("preview").inner_text()
    assert "总投资：8000.00 → 9500.00" in preview
    shot(page, "imports-04-checked")

    page.get_by_test_id("apply").click()
    page.wait_for_selector("[data-testid=undo]")
    assert page.get_by_test_id("status").inner_text() == "已导入"
    assert page.get_by_test_id("items").locator("tbody tr").count() == 3
    shot(page, "imports-05-applied")

    page.get_by_test_id("ledger-link").click()
    page.wait_for_url("**/projects/")
    ledger = page.locator("main").inner_text()
    assert NEW[0] in ledger and NEW[1] in ledger
    shot(page, "imports-06-ledger")

    # Undo: back to the import, confirm the dialog.
    page.go_back()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("undo").click()
    page.wait_for_selector("[data-testid=status]:has-text('已撤销')")
    shot(page, "imports-07-undone")
    with scopes_disabled():
        assert not Project.objects.filter(name__in=NEW).exists()
        road = Project.objects.get(pk=county.pk)
        assert (road.total_investment, road.fund_government, road.planned_start_on) == (Decimal("8000.00"), 0, None)
        assert AnnualPlan.objects.get(project=road, year=2026).amount == Decimal("3000.00")
        assert [li.status for li in LedgerImport.objects.order_by("pk")] == [ImportStatus.CHECKED, ImportStatus.UNDONE]

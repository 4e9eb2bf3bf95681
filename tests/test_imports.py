"""台账导入: realistic ledgers made here with openpyxl and csv, read, mapped, checked, saved and undone.

The ledgers look like what offices send: a title row, a note "单位：亿元", two header rows with merged
group headers, amounts in 亿元/万元/元, dates typed every which way, section headings, blank lines, a
totals row with SUM formulas, and a few bad rows. Every saved project is read back field by field.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from openpyxl import Workbook

from imports.cells import CellError, parse_amount, parse_date
from imports.columns import field_for, unit_in
from imports.models import ImportItem, ImportStatus, ImportTemplate, LedgerImport
from lib.codes import make_credit_code
from projects.models import AnnualPlan, Project, StageChange

from .conftest import ENTERPRISE_CODE, HOUSING_CODE, THIS_YEAR, login_client, reload

NEW_CODE = "2025-141122-38-01-000101"
PARK_CREDIT = make_credit_code("91141122MA0JC0101")
LOGISTICS_CREDIT = make_credit_code("91141121MA0WL0202")


# ---- building ledgers --------------------------------------------------------------------------


def xlsx(
    rows: list[list], merges: tuple[str, ...] = (), name: str = "台账.xlsx", sheet: str = "重点项目"
) -> SimpleUploadedFile:
    """A workbook of ``rows`` (row 1 first); strings starting with "=" are written as formulas, as Excel would."""
    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for cells in merges:
        ws.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_file(rows: list[list], encoding: str = "gbk", name: str = "台账.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding))


# The county ledger: title, unit note, a two-row header with merged groups, columns A..T.
TITLE = ["吕梁市2026年重点工程项目建设台账（交城县、文水县）"] + [None] * 19
NOTE = ["填报单位：吕梁市发展和改革委员会"] + [None] * 18 + ["单位：亿元"]
HEAD_1 = [
    "序号", "项目名称", "项目代码", "建设单位", "统一社会信用代码", "建设地点", "县（市、区）", "项目类别",
    "建设性质", "项目阶段", "总投资", "资金来源", None, None, "时间节点", None, "2026年计划投资（万元）",
    "责任单位", "包联领导", "备注",
]  # fmt: skip
HEAD_2 = [None] * 11 + ["政府投资", "企业自筹", "银行贷款", "计划开工", "实际开工", None, None, None, None]
MERGES = (
    "A1:T1", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:F4", "G3:G4", "H3:H4", "I3:I4", "J3:J4",
    "K3:K4", "L3:N3", "O3:P3", "Q3:Q4", "R3:R4", "S3:S4", "T3:T4",
)  # fmt: skip
DETECTED = {
    "A": "", "B": "name", "C": "national_code", "D": "owner_name", "E": "credit_code", "F": "address",
    "G": "region", "H": "category", "I": "nature", "J": "stage", "K": "total_investment", "L": "fund_government",
    "M": "fund_enterprise", "N": "fund_bank_loans", "O": "planned_start_on", "P": "started_on", "Q": "annual_plan",
    "R": "department", "S": "leader", "T": "",
}  # fmt: skip

PARK = [
    1, "交城县新能源装备制造产业园项目", NEW_CODE, "山西交城新能源装备有限公司", PARK_CREDIT,
    "交城经济开发区夏家营片区", "交城县", "产业", "新建", "在建", 12.5, 0, 8, 4.5, "2025.03", "2025-4-18", 30000,
    "发改局", "王建国", None,
]  # fmt: skip
ROAD_UPDATE = [
    2, "交城县城区道路提质改造工程", "2024-141122-48-01-000002", "交城县住房和城乡建设局", HOUSING_CODE, None,
    "交城县", "城建", "续建", "在建", 0.95, 0.95, None, None, "2024/9/1", "2026年3月", 3500, "住建局", None, None,
]  # fmt: skip
LOGISTICS = [
    3, "文水县智慧物流园项目", None, "文水县物流发展有限公司", LOGISTICS_CREDIT, "文水县城南",
    "141121", "产业", "新建", "谋划", 3, None, None, None, "2027年3月", None, 5000, "文水县发展和改革局", None, "新增",
]  # fmt: skip
BAD = [
    4, "交城县文旅康养综合体", "2026-14112-71", "山西卦山文旅有限公司", None, "卦山景区",
    "平遥县", "文旅", "新建", "谋划", "约2亿", None, None, None, "2026年13月", None, -200, "旅游局", None, None,
]  # fmt: skip
# Excel keeps a formula's last value; openpyxl writes none, so the total investment is typed in here.
TOTALS = ["合计", None, None, None, None, None, None, None, None, None, 16.45] + [None] * 5 + ["=SUM(Q5:Q10)"]
FOOTER = ["填表人：李晓梅    联系电话：0358-1234567"]
BAD_ERRORS = [
    {"row": 10, "column": "G", "field": "所在区划", "message": "区划“平遥县”不存在或不在您的管辖范围内。"},
    {"row": 10, "column": "H", "field": "项目类别",
     "message": "“文旅”无法识别，可填：产业、基础设施、民生社会事业、生态环保、城建。"},
    {"row": 10, "column": "K", "field": "总投资", "message": "须为数字（如 1234.5、1,234.5 或 1.2亿），现为“约2亿”。"},
    {"row": 10, "column": "O", "field": "计划开工日期",
     "message": "日期“2026年13月”无法识别，请写成 2026-3-1、2026/3/1、2026.03 或 2026年3月。"},
    {"row": 10, "column": "Q", "field": "年度计划投资（2026年）", "message": "不能为负数。"},
    {"row": 10, "column": "R", "field": "责任单位",
     "message": "责任单位“旅游局”不在系统中，请先由管理员添加该部门，或改填已有部门的名称。"},
    {"row": 10, "column": "C", "field": "项目代码",
     "message": "项目代码格式应为 YYYY-RRRRRR-DD-TT-NNNNNN（年份-区划代码-行业代码-项目类型-流水号）。"},
]  # fmt: skip


def county_ledger(*data: list, name: str = "吕梁市重点项目台账.xlsx") -> SimpleUploadedFile:
    rows = [TITLE, NOTE, HEAD_1, HEAD_2, *data]
    return xlsx(rows, MERGES, name=name)


def full_ledger() -> SimpleUploadedFile:
    """Rows 5..13: a new project, a section heading, an update, a blank line, another new one, a bad row, totals."""
    heading = [None, "二、基础设施项目"]
    return county_ledger(PARK, heading, ROAD_UPDATE, [], LOGISTICS, BAD, TOTALS, [], FOOTER)


# ---- driving the screens -----------------------------------------------------------------------


def upload(client, file, template=None):
    data = {"file": file}
    if template is not None:
        data["template"] = template.pk
    return client.post(reverse("imports:index"), data)


def latest_import() -> LedgerImport:
    with scopes_disabled():
        return LedgerImport.objects.latest("pk")


def mapping_data(ledger_import: LedgerImport, **changes) -> dict:
    """The mapping form as shown, with ``changes`` (e.g. field_7="nature", default_category="industry")."""
    data = {
        "sheet": ledger_import.sheet_name,
        "header_first": ledger_import.header_first,
        "header_last": ledger_import.header_last,
        "default_category": ledger_import.default_category,
        "save_as": "",
    }
    for column in ledger_import.columns:
        index = column["index"]
        data[f"field_{index}"] = column["field"]
        data[f"unit_{index}"] = column["unit"]
        data[f"year_{index}"] = column["year"] or ""
    data.update(changes)
    return data


def check(client, ledger_import: LedgerImport, **changes):
    return client.post(
        reverse("imports:mapping", kwargs={"pk": ledger_import.pk}), mapping_data(ledger_import, **changes)
    )


def apply(client, ledger_import: LedgerImport):
    return client.post(reverse("imports:apply", kwargs={"pk": ledger_import.pk}))


def undo(client, ledger_import: LedgerImport):
    return client.post(reverse("imports:undo", kwargs={"pk": ledger_import.pk}))


def last_message(response) -> str:
    """The message the last request added (earlier ones wait unread in the session)."""
    return [str(m) for m in response.wsgi_request._messages][-1]


def projects_snapshot() -> list[tuple]:
    with scopes_disabled():
        return sorted(Project.objects.values_list("pk", "name", "total_investment", "stage", "updated_at"))


def _field_map(ledger_import: LedgerImport) -> dict[str, str]:
    return {column["letter"]: column["field"] for column in ledger_import.columns}


@pytest.fixture
def coordinator(cast, settings, tmp_path):
    """The county's key-project office (交城县)."""
    settings.MEDIA_ROOT = tmp_path
    return login_client(cast.users.coordinator)


@pytest.fixture
def city(cast, settings, tmp_path):
    """The city's office (吕梁市): the county ledger has a row for 文水县, its other county."""
    settings.MEDIA_ROOT = tmp_path
    return login_client(cast.users.city_coordinator)


# ---- upload and detection ----------------------------------------------------------------------


def test_upload_finds_the_two_row_merged_header_under_the_title_and_the_unit_note(cast, city):
    response = upload(city, full_ledger())

    ledger_import = latest_import()
    assert response.status_code == 302
    assert response.url == reverse("imports:mapping", kwargs={"pk": ledger_import.pk})
    assert (ledger_import.header_first, ledger_import.header_last) == (3, 4)
    assert ledger_import.default_unit == "亿元"
    assert ledger_import.status == ImportStatus.MAPPING
    assert ledger_import.file_kind == "xlsx"
    assert ledger_import.sheet_name == "重点项目"
    assert _field_map(ledger_import) == DETECTED
    by_letter = {column["letter"]: column for column in ledger_import.columns}
    assert by_letter["L"]["header"] == "资金来源 / 政府投资"
    assert by_letter["O"]["header"] == "时间节点 / 计划开工"
    assert by_letter["K"]["unit"] == "亿元"  # no unit in the header: the note above
    assert (by_letter["Q"]["unit"], by_letter["Q"]["year"]) == ("万元", 2026)
    assert by_letter["B"]["sample"] == [
        "交城县新能源装备制造产业园项目",
        "二、基础设施项目",
        "交城县城区道路提质改造工程",
    ]
    with scopes_disabled():
        assert Project.objects.count() == 4  # nothing saved by the upload


def test_mapping_page_lists_every_column_with_its_detected_field(cast, city):
    upload(city, full_ledger())
    ledger_import = latest_import()

    response = city.get(reverse("imports:mapping", kwargs={"pk": ledger_import.pk}))

    assert response.status_code == 200
    rows = response.context["form"].rows()
    assert [(row["letter"], row["field_input"].value()) for row in rows] == list(DETECTED.items())
    assert "交城县新能源装备制造产业园项目" in response.content.decode()


# ---- the dry run -------------------------------------------------------------------------------


def test_dry_run_lists_every_error_by_row_and_column_and_saves_nothing(cast, city):
    before = projects_snapshot()
    upload(city, full_ledger())
    ledger_import = latest_import()

    response = check(city, ledger_import)

    ledger_import = reload(ledger_import)
    assert response.status_code == 302
    assert response.url == reverse("imports:detail", kwargs={"pk": ledger_import.pk})
    assert ledger_import.status == ImportStatus.CHECKED
    assert sorted(ledger_import.errors, key=lambda e: (e["row"], e["column"])) == sorted(
        BAD_ERRORS, key=lambda e: (e["row"], e["column"])
    )
    counts = (
        ledger_import.data_rows,
        ledger_import.create_count,
        ledger_import.update_count,
        ledger_import.skipped_count,
        ledger_import.error_count,
    )
    assert counts == (4, 2, 1, 2, 1)  # skipped: the section heading and the totals row
    assert [(row["row"], row["action"], row["name"]) for row in ledger_import.preview] == [
        (5, "created", "交城县新能源装备制造产业园项目"),
        (7, "updated", "交城县城区道路提质改造工程"),
        (9, "created", "文水县智慧物流园项目"),
    ]
    assert ledger_import.preview[1]["changes"] == [
        "总投资：8000.00 → 9500.00",
        "政府投资：8000.00 → 9500.00",
        "实际开工日期：— → 2026-03-01",
        "项目阶段：前期 → 在建",
        "2026年计划投资：3000.00 → 3500.00",
    ]
    assert projects_snapshot() == before
    page = city.get(response.url).content.decode()
    assert "区划“平遥县”不存在或不在您的管辖范围内。" in page
    assert "确认导入" not in page  # errors: nothing may be applied


def test_confirm_is_refused_while_the_file_has_errors(cast, city):
    upload(city, full_ledger())
    ledger_import = latest_import()
    check(city, ledger_import)
    before = projects_snapshot()

    response = apply(city, ledger_import)

    assert response.status_code == 302
    assert last_message(response) == "文件中有 1 行错误，未保存任何数据；请改正后重新上传。"
    assert reload(ledger_import).status == ImportStatus.CHECKED
    assert projects_snapshot() == before
    with scopes_disabled():
        assert ImportItem.objects.count() == 0


# ---- confirm: every field read back ------------------------------------------------------------


def _import_fixed(client) -> LedgerImport:
    upload(client, county_ledger(PARK, [None, "二、基础设施项目"], ROAD_UPDATE, [], LOGISTICS, TOTALS))
    ledger_import = latest_import()
    check(client, ledger_import)
    assert reload(ledger_import).errors == []
    response = apply(client, ledger_import)
    assert response.status_code == 302
    return reload(ledger_import)


def test_confirm_creates_and_updates_every_row_in_one_go(cast, city):
    ledger_import = _import_fixed(city)

    assert ledger_import.status == ImportStatus.APPLIED
    assert (ledger_import.create_count, ledger_import.update_count) == (2, 1)
    with scopes_disabled():
        park = Project.objects.get(national_code=NEW_CODE)
        logistics = Project.objects.get(name="文水县智慧物流园项目")
        road = Project.objects.get(pk=cast.projects.road.pk)
        plans = {(p.project_id, p.year): p.amount for p in AnnualPlan.objects.all()}
        changes = {c.project_id: (c.from_stage, c.to_stage, c.on, c.note, c.by) for c in StageChange.objects.all()}
    fields = lambda p, names: {name: getattr(p, name) for name in names}  # noqa: E731
    assert fields(park, ["name", "owner_name", "credit_code", "address", "region", "zone", "category", "nature"]) == {
        "name": "交城县新能源装备制造产业园项目",
        "owner_name": "山西交城新能源装备有限公司",
        "credit_code": PARK_CREDIT,
        "address": "交城经济开发区夏家营片区",
        "region": cast.regions.jiaocheng,
        "zone": None,
        "category": "industry",
        "nature": "new",
    }
    assert fields(park, ["stage", "total_investment", "fund_government", "fund_enterprise", "fund_bank_loans"]) == {
        "stage": "construction",
        "total_investment": Decimal("125000.00"),  # 12.5 亿元
        "fund_government": Decimal("0.00"),
        "fund_enterprise": Decimal("80000.00"),
        "fund_bank_loans": Decimal("45000.00"),
    }
    assert fields(park, ["planned_start_on", "started_on", "department", "leader", "level"]) == {
        "planned_start_on": datetime.date(2025, 3, 1),  # "2025.03"
        "started_on": datetime.date(2025, 4, 18),
        "department": cast.departments.drc,  # "发改局": the short name in the row's county
        "leader": cast.users.leader,
        "level": "county",
    }
    assert fields(logistics, ["region", "stage", "total_investment", "planned_start_on", "department"]) == {
        "region": cast.regions.wenshui,  # by code 141121
        "stage": "planning",
        "total_investment": Decimal("30000.00"),
        "planned_start_on": datetime.date(2027, 3, 1),
        "department": cast.departments.wenshui_drc,
    }
    assert fields(road, ["total_investment", "fund_government", "stage", "started_on", "planned_start_on"]) == {
        "total_investment": Decimal("9500.00"),
        "fund_government": Decimal("9500.00"),
        "stage": "construction",
        "started_on": datetime.date(2026, 3, 1),  # "2026年3月"
        "planned_start_on": datetime.date(2024, 9, 1),
    }
    assert road.address == "" and road.department == cast.departments.housing  # blank cells change nothing
    assert plans[(park.pk, 2026)] == Decimal("30000.00")
    assert plans[(logistics.pk, 2026)] == Decimal("5000.00")
    assert plans[(road.pk, THIS_YEAR)] == Decimal("3500.00")
    note = "台账导入：吕梁市重点项目台账.xlsx"
    coordinator_user = cast.users.city_coordinator
    assert changes[park.pk] == ("", "construction", datetime.date.today(), note, coordinator_user)
    assert changes[road.pk] == ("preparing", "construction", datetime.date(2026, 3, 1), note, coordinator_user)
    assert park.history.get().history_user == coordinator_user
    assert road.history.latest().history_change_reason == note


def test_import_history_names_who_when_what_file_and_the_counts(cast, city):
    ledger_import = _import_fixed(city)

    response = city.get(reverse("imports:index"))

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [ledger_import]
    assert ledger_import.by == cast.users.city_coordinator
    assert ledger_import.applied_at is not None
    page = response.content.decode()
    assert "吕梁市重点项目台账.xlsx" in page and "已导入" in page and "陈市办" in page


def test_the_imported_projects_appear_in_the_ledger(cast, city):
    _import_fixed(city)

    response = city.get(reverse("projects:list"))

    names = {project.name for project in response.context["page"].object_list}
    assert {"交城县新能源装备制造产业园项目", "交城县城区道路提质改造工程"} <= names


def test_confirm_twice_saves_once(cast, city):
    ledger_import = _import_fixed(city)

    response = apply(city, ledger_import)

    assert last_message(response) == "该导入已导入，不能再次导入。"
    with scopes_disabled():
        assert Project.objects.filter(national_code=NEW_CODE).count() == 1


def test_reimporting_the_same_ledger_changes_nothing(cast, city):
    _import_fixed(city)
    upload(city, county_ledger(PARK, ROAD_UPDATE, LOGISTICS))
    again = latest_import()

    check(city, again)

    again = reload(again)
    assert (again.create_count, again.update_count, again.unchanged_count, again.error_count) == (0, 0, 3, 0)


# ---- undo --------------------------------------------------------------------------------------


def test_undo_restores_updated_projects_and_removes_created_ones(cast, city):
    road_before = reload(cast.projects.road)
    ledger_import = _import_fixed(city)

    response = undo(city, ledger_import)

    assert last_message(response) == "已撤销本次导入：更新的项目已恢复原值，新建的项目已删除。"
    ledger_import = reload(ledger_import)
    assert (ledger_import.status, ledger_import.undone_by) == (ImportStatus.UNDONE, cast.users.city_coordinator)
    road = reload(cast.projects.road)
    restored = ["total_investment", "fund_government", "stage", "started_on", "planned_start_on", "department_id"]
    assert {f: getattr(road, f) for f in restored} == {f: getattr(road_before, f) for f in restored}
    with scopes_disabled():
        assert not Project.objects.filter(name__in=["交城县新能源装备制造产业园项目", "文水县智慧物流园项目"]).exists()
        assert AnnualPlan.objects.get(project=road, year=THIS_YEAR).amount == Decimal("3000.00")
        assert list(StageChange.objects.filter(project=road)) == []
        assert ImportItem.objects.filter(ledger_import=ledger_import, project__isnull=True).count() == 2
        assert Project.history.filter(history_type="-").count() == 2
        assert road.history.latest().history_change_reason == "撤销台账导入：吕梁市重点项目台账.xlsx"


def test_undo_is_refused_when_a_project_was_edited_after_the_import(cast, city):
    ledger_import = _import_fixed(city)
    with scopes_disabled():
        road = Project.objects.get(pk=cast.projects.road.pk)
        road.contact_name = "张工"
        road.save()
    before = projects_snapshot()

    response = undo(city, ledger_import)

    assert last_message(response) == (
        "不能撤销：1 个项目在导入后又被修改过（第 7 行“交城县城区道路提质改造工程”）。"
        "撤销只能整批进行，请到项目页面逐个修改。"
    )
    assert reload(ledger_import).status == ImportStatus.APPLIED
    assert projects_snapshot() == before


def test_undo_is_refused_when_an_imported_plan_was_changed(cast, city):
    ledger_import = _import_fixed(city)
    with scopes_disabled():
        AnnualPlan.objects.filter(project=cast.projects.road, year=THIS_YEAR).update(amount=Decimal("4000"))

    response = undo(city, ledger_import)

    assert last_message(response).startswith("不能撤销：1 个项目在导入后又被修改过")
    assert reload(ledger_import).status == ImportStatus.APPLIED


def test_undo_is_refused_when_a_created_project_has_gathered_a_problem(cast, city):
    from problems.models import Problem

    ledger_import = _import_fixed(city)
    with scopes_disabled():
        park = Project.objects.get(national_code=NEW_CODE)
        Problem.objects.create(
            project=park, category="land", description="用地指标", department=cast.departments.land,
            deadline=datetime.date.today(),
        )  # fmt: skip

    response = undo(city, ledger_import)

    assert (
        last_message(response)
        == "不能撤销：本次新建的项目在导入后已有问题等数据。撤销只能整批进行，请到项目页面逐个处理。"
    )
    with scopes_disabled():
        assert Project.objects.filter(national_code=NEW_CODE).exists()
    assert reload(ledger_import).status == ImportStatus.APPLIED


def test_undo_twice_is_refused(cast, city):
    ledger_import = _import_fixed(city)
    undo(city, ledger_import)

    response = undo(city, ledger_import)

    assert last_message(response) == "只有已导入的批次可以撤销。"


# ---- mapping correction and templates ----------------------------------------------------------

CITY_HEAD = ["序号", "名称", "所在地", "项目类型", "总投资(亿元)", "负责单位", "计划开工时间"]
CITY_ROWS = [
    [1, "吕梁市文水县污水处理厂提标改造", "文水县", "新建", "1.2", "文水县发展和改革局", "2027-03"],
    [2, "交城县集中供热扩容工程", "交城县", "扩建", "0.8", "交城县住房和城乡建设局", "2027-05"],
]


def city_ledger() -> SimpleUploadedFile:
    return xlsx([["吕梁市重点项目季度调度表"], CITY_HEAD, *CITY_ROWS], ("A1:G1",), name="吕梁市季度调度表.xlsx")


def test_a_corrected_mapping_is_used_by_the_dry_run(cast, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(cast.users.city_coordinator)
    upload(client, city_ledger())
    ledger_import = latest_import()
    assert _field_map(ledger_import) == {
        "A": "", "B": "name", "C": "address", "D": "category", "E": "total_investment", "F": "",
        "G": "planned_start_on",
    }  # fmt: skip

    # 所在地 holds the county, 项目类型 the nature, 负责单位 the department: the user says so.
    check(client, ledger_import, field_2="region", field_3="nature", field_5="department", default_category="urban")

    ledger_import = reload(ledger_import)
    assert ledger_import.errors == []
    assert (ledger_import.create_count, ledger_import.update_count) == (2, 0)
    assert [(c["letter"], c["field"]) for c in ledger_import.mapped] == [
        ("B", "name"), ("C", "region"), ("D", "nature"), ("E", "total_investment"), ("F", "department"),
        ("G", "planned_start_on"),
    ]  # fmt: skip
    apply(client, ledger_import)
    with scopes_disabled():
        plant = Project.objects.get(name="吕梁市文水县污水处理厂提标改造")
    assert (plant.region, plant.nature, plant.category, plant.total_investment, plant.department) == (
        cast.regions.wenshui, "new", "urban", Decimal("12000.00"), cast.departments.wenshui_drc,
    )  # fmt: skip


def test_a_mapping_saved_as_a_template_maps_the_next_upload(cast, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(cast.users.city_coordinator)
    upload(client, city_ledger())
    first = latest_import()
    check(client, first, field_2="region", field_3="nature", field_5="department", default_category="urban",
          save_as="吕梁市季度调度表")  # fmt: skip
    with scopes_disabled():
        template = ImportTemplate.objects.get()
    assert (template.region, template.name, template.default_category, template.by) == (
        cast.regions.lvliang, "吕梁市季度调度表", "urban", cast.users.city_coordinator,
    )  # fmt: skip

    upload(client, city_ledger(), template=template)

    second = latest_import()
    assert second.template == template
    assert second.default_category == "urban"
    assert _field_map(second) == {
        "A": "", "B": "name", "C": "region", "D": "nature", "E": "total_investment", "F": "department",
        "G": "planned_start_on",
    }  # fmt: skip


def test_a_county_sees_its_citys_templates_but_deletes_only_its_own(cast, client_for, coordinator):
    with scopes_disabled():
        city = ImportTemplate.objects.create(region=cast.regions.lvliang, name="市模板", columns=[])
        own = ImportTemplate.objects.create(region=cast.region, name="县模板", columns=[])
        ImportTemplate.objects.create(region=cast.regions.xiaodian, name="小店模板", columns=[])

    page = coordinator.get(reverse("imports:index"))
    listed, offered = (
        [t.name for t in page.context["templates"]],
        list(page.context["form"].fields["template"].queryset),
    )
    refused = coordinator.post(reverse("imports:template_delete", kwargs={"pk": city.pk}))
    deleted = coordinator.post(reverse("imports:template_delete", kwargs={"pk": own.pk}))

    assert listed == ["市模板", "县模板"]
    assert offered == [city, own]
    assert (refused.status_code, deleted.status_code) == (404, 302)
    assert set(ImportTemplate.objects.values_list("name", flat=True)) == {"市模板", "小店模板"}


def test_mapping_refuses_two_columns_for_one_field_and_a_missing_name(cast, city):
    upload(city, full_ledger())
    ledger_import = latest_import()

    response = check(city, ledger_import, field_1="", field_11="fund_enterprise")

    assert response.status_code == 400
    form = response.context["form"]
    assert form.non_field_errors() == ["请指定“项目名称”所在的列。"]
    assert form.errors["field_12"] == ["“企业自筹”对应了 L、M 两列，请只保留一列。"]
    assert reload(ledger_import).status == ImportStatus.MAPPING


def test_changing_the_header_rows_detects_the_columns_again(cast, city):
    upload(city, full_ledger())
    ledger_import = latest_import()

    # Only the upper header row: the group texts 资金来源 and 时间节点 name no field.
    response = check(city, ledger_import, header_first=3, header_last=3)

    ledger_import = reload(ledger_import)
    assert response.url == reverse("imports:mapping", kwargs={"pk": ledger_import.pk})
    assert (ledger_import.header_first, ledger_import.header_last, ledger_import.status) == (3, 3, "mapping")
    assert _field_map(ledger_import) == DETECTED | dict.fromkeys("LMNOP", "")


# ---- CSV ---------------------------------------------------------------------------------------


def test_a_gbk_csv_with_amounts_in_yuan_and_a_totals_row(cast, coordinator):
    rows = [
        ["项目名称", "项目单位", "所在区划", "类别", "总投资（元）", "计划开工日期", "开工日期", "阶段",
         "统一社会信用代码"],
        ["交城县职业中学实训楼", "交城县教育科技局", "交城县", "民生", "35,000,000", "2026/3/1", "", "谋划", ""],
        ["华鑫二期石墨电极项目", "山西华鑫新材料有限公司", "交城县", "产业", "680000000", "2025-6", "2025年7月", "在建",
         ENTERPRISE_CODE],
        ["", "", "", "", "", "", "", "", ""],
        ["总计", "", "", "", "715000000", "", "", "", ""],
    ]  # fmt: skip
    upload(coordinator, csv_file(rows))
    ledger_import = latest_import()
    assert (ledger_import.file_kind, ledger_import.header_first) == ("csv", 1)

    check(coordinator, ledger_import)
    ledger_import = reload(ledger_import)
    assert ledger_import.errors == []
    assert (ledger_import.create_count, ledger_import.skipped_count) == (2, 1)
    apply(coordinator, ledger_import)

    with scopes_disabled():
        school = Project.objects.get(name="交城县职业中学实训楼")
        electrode = Project.objects.get(name="华鑫二期石墨电极项目")
    assert (school.category, school.total_investment, school.planned_start_on, school.stage) == (
        "livelihood", Decimal("3500.00"), datetime.date(2026, 3, 1), "planning",
    )  # fmt: skip
    assert (electrode.total_investment, electrode.planned_start_on, electrode.started_on, electrode.credit_code) == (
        Decimal("68000.00"), datetime.date(2025, 6, 1), datetime.date(2025, 7, 1), ENTERPRISE_CODE,
    )  # fmt: skip


def test_a_utf8_csv_with_bom_and_an_excel_serial_date(cast, coordinator):
    rows = [["项目名称", "总投资（万元）", "项目类别", "计划开工"], ["交城县物流仓储中心", "1.5亿", "产业", "46082"]]
    upload(coordinator, csv_file(rows, encoding="utf-8-sig"))
    ledger_import = latest_import()

    check(coordinator, ledger_import)
    apply(coordinator, reload(ledger_import))

    with scopes_disabled():
        project = Project.objects.get(name="交城县物流仓储中心")
    assert (project.total_investment, project.planned_start_on) == (Decimal("15000.00"), datetime.date(2026, 3, 1))


# ---- matching and the model's rules --------------------------------------------------------------


def _check_rows(client, head: list, *rows: list) -> LedgerImport:
    upload(client, xlsx([head, *rows]))
    ledger_import = latest_import()
    check(client, ledger_import, default_category="industry")
    return reload(ledger_import)


def test_a_stage_needs_its_dates_and_facts_as_on_the_form(cast, coordinator):
    head = ["项目名称", "总投资", "项目阶段", "实际开工日期", "竣工日期"]
    ledger_import = _check_rows(
        coordinator,
        head,
        ["甲项目", 100, "在建", None, None],
        ["乙项目", 100, "竣工", "2025-1-1", "2024-12-1"],
        ["丙项目", 100, "暂停", None, None],
        ["丁项目", 100, "储备", None, None],
    )

    assert ledger_import.errors == [
        {"row": 2, "column": "D", "field": "实际开工日期", "message": "项目处于“在建”阶段，须填写实际开工日期。"},
        {"row": 2, "column": "", "field": "项目单位", "message": "签约前须填写项目单位。"},
        {"row": 2, "column": "", "field": "统一社会信用代码", "message": "签约前须填写统一社会信用代码。"},
        {"row": 3, "column": "E", "field": "竣工日期", "message": "竣工日期不能早于实际开工日期（2025-01-01）。"},
        {"row": 3, "column": "", "field": "项目单位", "message": "签约前须填写项目单位。"},
        {"row": 3, "column": "", "field": "统一社会信用代码", "message": "签约前须填写统一社会信用代码。"},
        {
            "row": 4,
            "column": "C",
            "field": "项目阶段",
            "message": "暂停、终止须在项目页面操作并说明原因，不能通过导入设置。",
        },
        {"row": 5, "column": "", "field": "入库日期", "message": "项目处于“储备”阶段，须填写入库日期。"},
    ]


def test_an_existing_projects_stage_only_moves_forward(cast, coordinator):
    head = ["项目代码", "项目名称", "总投资", "项目阶段"]
    ledger_import = _check_rows(
        coordinator, head, ["2023-141122-26-03-000001", "华鑫年产5万吨特种石墨项目", 120000, "前期"]
    )

    assert ledger_import.errors == [
        {
            "row": 2,
            "column": "D",
            "field": "项目阶段",
            "message": "阶段只能向后推进；回退须在项目页面通过“阶段更正”并说明原因。",
        }
    ]


def test_a_code_of_another_regions_project_is_refused_not_updated(cast, coordinator):
    head = ["项目代码", "项目名称", "总投资"]
    ledger_import = _check_rows(coordinator, head, ["2024-140105-34-03-000004", "小店区智能制造产业园项目", 1])

    assert ledger_import.errors == [
        {
            "row": 2,
            "column": "A",
            "field": "项目代码",
            "message": "项目代码已被其他区划（不在您管辖范围内）的项目使用，不能导入。",
        }
    ]
    assert reload(cast.projects.xiaodian).total_investment == Decimal("200000.00")


def test_rows_match_by_name_owner_and_region_and_duplicates_are_errors(cast, coordinator):
    head = ["项目名称", "项目单位", "所在区划", "总投资"]
    ledger_import = _check_rows(
        coordinator,
        head,
        ["交城县城区道路提质改造工程", "交城县住房和城乡建设局", "交城县", 8800],
        ["交城县城区道路提质改造工程", "交城县住房和城乡建设局", "交城县", 8900],
        ["交城县城区道路提质改造工程", "另一家单位", "交城县", 100],
    )

    assert ledger_import.errors == [
        {"row": 3, "column": "A", "field": "项目名称", "message": "与第 2 行是同一项目，请删除重复的行。"}
    ]
    assert [(r["row"], r["action"]) for r in ledger_import.preview] == [(2, "updated"), (4, "created")]


def test_planned_dates_of_an_approved_plan_are_frozen(cast, coordinator):
    with scopes_disabled():
        cast.projects.materials.approve_plan(by=cast.users.coordinator)
    head = ["项目代码", "项目名称", "计划开工日期", "计划竣工日期"]
    ledger_import = _check_rows(
        coordinator, head, ["2023-141122-26-03-000001", "华鑫年产5万吨特种石墨项目", "2024-3-1", "2027-6-30"]
    )

    assert ledger_import.errors == [
        {"row": 2, "column": "D", "field": "计划竣工日期", "message": "计划已批准，调整计划日期须提交变更申请"}
    ]


def test_a_zone_named_as_the_place_puts_the_project_in_its_county_and_zone(cast, coordinator):
    head = ["项目名称", "所在区划", "总投资", "项目类别"]
    ledger_import = _check_rows(coordinator, head, ["开发区氢能产业园", "交城经济开发区", 5000, "产业"])
    apply(coordinator, ledger_import)

    with scopes_disabled():
        project = Project.objects.get(name="开发区氢能产业园")
    assert (project.region, project.zone) == (cast.regions.jiaocheng, cast.regions.zone)


def test_a_new_project_needs_a_category_from_its_column_or_the_default(cast, coordinator):
    upload(coordinator, xlsx([["项目名称", "总投资"], ["无类别项目", 10]]))
    ledger_import = latest_import()

    check(coordinator, ledger_import)

    assert reload(ledger_import).errors == [
        {"row": 2, "column": "", "field": "项目类别",
         "message": "新建项目须有项目类别：请映射“项目类别”列，或在列映射页选择默认项目类别。"},
    ]  # fmt: skip


def test_funding_above_the_total_is_the_models_error(cast, coordinator):
    head = ["项目名称", "总投资（万元）", "政府投资（万元）", "企业自筹（万元）"]
    ledger_import = _check_rows(coordinator, head, ["超额项目", 100, 80, 40])

    assert ledger_import.errors == [
        {
            "row": 2,
            "column": "",
            "field": "基金及其他",
            "message": "各资金来源合计 120.00 万元超过了总投资 100.00 万元。",
        }
    ]


# ---- cells and headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-3-1", datetime.date(2026, 3, 1)),
        ("2026/3/1", datetime.date(2026, 3, 1)),
        ("2026.03", datetime.date(2026, 3, 1)),
        ("2026.3.15", datetime.date(2026, 3, 15)),
        ("2026年3月", datetime.date(2026, 3, 1)),
        ("2026年3月5日", datetime.date(2026, 3, 5)),
        ("２０２６年３月", datetime.date(2026, 3, 1)),  # full-width digits
        ("20260301", datetime.date(2026, 3, 1)),
        (46082, datetime.date(2026, 3, 1)),  # an Excel serial number
        (datetime.datetime(2026, 3, 1, 8, 30), datetime.date(2026, 3, 1)),
    ],
)
def test_dates_are_read_as_offices_type_them(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2026", "2026年13月", "明年三月", "2026-02-30", 12.5])
def test_a_date_that_is_no_date_is_an_error(value):
    with pytest.raises(CellError):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (12.5, "亿元", Decimal("125000.00")),
        ("1,234.5", "万元", Decimal("1234.50")),
        (35000000, "元", Decimal("3500.00")),
        ("1.2亿", "万元", Decimal("12000.00")),  # the cell's own unit wins
        ("3000万元", "亿元", Decimal("3000.00")),
        ("500元", "万元", Decimal("0.05")),
        ("０．５", "亿元", Decimal("5000.00")),
    ],
)
def test_amounts_in_yuan_wan_and_yi_become_wan(value, unit, expected):
    assert parse_amount(value, unit) == expected


@pytest.mark.parametrize(
    ("header", "field", "unit"),
    [
        ("项目名称", "name", ""),
        ("名称", "name", ""),
        ("总投资（万元）", "total_investment", "万元"),
        ("总投资(亿元)", "total_investment", "亿元"),
        ("项目总投资 （亿元）", "total_investment", "亿元"),
        ("建设地点", "address", ""),
        ("所在地", "address", ""),
        ("2026年计划投资（万元）", "annual_plan", "万元"),
        ("其中：专项债", "fund_special_bonds", ""),
        ("投资强度（万元/亩）", "", ""),
        ("单位：亿元", "", "亿元"),
    ],
)
def test_header_variants_name_their_field_and_unit(header, field, unit):
    assert (field_for(header), unit_in(header)) == (field, unit)


def test_a_stored_file_gone_missing_is_refused_not_a_server_error(cast, coordinator):
    upload(coordinator, xlsx([["项目名称", "总投资"], ["甲项目", 1]]))
    ledger_import = latest_import()
    ledger_import.file.delete(save=False)

    response = check(coordinator, ledger_import, default_category="industry")

    assert response.url == reverse("imports:mapping", kwargs={"pk": ledger_import.pk})
    assert last_message(response) == "原文件已不存在，请重新上传。"


# ---- pages: what they cost ----------------------------------------------------------------------


def test_the_import_history_costs_the_same_queries_for_any_number_of_imports(
    cast, coordinator, django_assert_num_queries
):
    with scopes_disabled():
        for number in range(25):
            LedgerImport.objects.create(
                region=cast.region, by=cast.users.coordinator, file_name=f"台账{number}.xlsx", file_kind="xlsx"
            )

    # 1 session, 2 user, 3 the user's region (scope), 4 count, 5 unread notifications, 6 the templates listed,
    # 7 the templates offered in the upload form, 8 the page of imports (uploader and region joined), 9-11 the
    # session saved (savepoint, update, release).
    with django_assert_num_queries(11):
        response = coordinator.get(reverse("imports:index"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 20


def test_the_detail_page_costs_the_same_queries_for_any_number_of_items(cast, city, django_assert_num_queries):
    ledger_import = _import_fixed(city)

    # 1 session, 2 user, 3 the user's region (scope), 4 the import (region, uploader, template joined), 5 count
    # of its items, 6 unread notifications, 7 the page of items (project and region joined), 8-10 the session
    # saved (the messages of the import read).
    with django_assert_num_queries(10):
        response = city.get(reverse("imports:detail", kwargs={"pk": ledger_import.pk}))

    assert [item.row for item in response.context["page"].object_list] == [5, 7, 9]


def test_a_county_merged_down_over_its_projects_counts_in_each_row(cast, city):
    rows = [
        ["项目名称", "县区", "总投资（万元）"],
        ["文水县冷链物流中心", "文水县", 800],
        ["文水县农产品加工园", None, 900],
    ]
    upload(city, xlsx(rows, ("B2:B3",)))
    ledger_import = latest_import()

    check(city, ledger_import, default_category="industry")
    apply(city, reload(ledger_import))

    with scopes_disabled():
        regions = dict(Project.objects.filter(name__startswith="文水县").values_list("name", "region__name"))
    assert regions == {
        "文水县冷链物流中心": "文水县",
        "文水县农产品加工园": "文水县",
        "文水县人民医院新院区建设项目": "文水县",
    }


def test_a_departments_short_name_is_read_in_the_matched_projects_county(cast, city):
    head = ["项目代码", "项目名称", "责任单位"]
    hospital = ["2023-141121-84-01-000003", "文水县人民医院新院区建设项目", "发改局"]
    road = ["2024-141122-48-01-000002", "交城县城区道路提质改造工程", "发改局"]
    upload(city, xlsx([head, hospital, road]))
    ledger_import = latest_import()

    check(city, ledger_import)
    apply(city, reload(ledger_import))

    assert reload(cast.projects.hospital).department == cast.departments.wenshui_drc  # unchanged: it was already
    assert reload(cast.projects.road).department == cast.departments.drc  # 交城县's, not 文水县's or 小店区's

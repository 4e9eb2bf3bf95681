"""The stalled lists (三未): derived from the ledger's dates on a frozen ``TODAY``, exact membership and days
overdue, region subtrees and zones, the counts in two queries, the page (who sees what) and the Excel export.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from attraction.models import Agreement, Lead, TargetEnterprise
from batches.exports import stalled_workbook
from batches.stalled import KEYS, stalled_counts, stalled_lists
from batches.workbook import workbook_bytes
from projects.models import Stage

pytestmark = pytest.mark.usefixtures("unscoped")

D = datetime.date
TODAY = D(2025, 10, 1)


@pytest.fixture
def on_today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def stalled(cast, make_project):
    """Projects past (and not past) their planned dates; ``cast.projects.road`` is 395 days past its start."""
    regions, users, departments = cast.regions, cast.users, cast.departments
    made = {
        "wenshui_signed": make_project(
            name="文水县新材料项目", region=regions.wenshui, stage=Stage.SIGNED, signed_on=D(2025, 3, 1),
            planned_start_on=D(2025, 9, 30), total_investment=Decimal("26000"),
        ),
        "due_today": make_project(name="今日计划开工项目", stage=Stage.SIGNED, planned_start_on=TODAY),
        "suspended": make_project(name="暂停项目", stage=Stage.SUSPENDED, planned_start_on=D(2025, 1, 1)),
        "archived": make_project(
            name="归档项目", stage=Stage.SIGNED, planned_start_on=D(2025, 1, 1),
            archived_at=datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC),
        ),
        "late_works": make_project(
            name="交城县城区供热管网改造工程", stage=Stage.CONSTRUCTION, started_on=D(2024, 4, 1),
            planned_completion_on=D(2025, 6, 30), leader=users.leader, department=departments.housing,
            total_investment=Decimal("15000"),
        ),
        "zone_works": make_project(
            name="开发区标准化厂房项目", zone=regions.zone, stage=Stage.CONSTRUCTION, started_on=D(2024, 4, 1),
            planned_completion_on=D(2025, 9, 1), total_investment=Decimal("22000"),
        ),
        "idle_plant": make_project(
            name="交城县储能电池项目", stage=Stage.COMPLETED, started_on=D(2023, 4, 1), completed_on=D(2025, 5, 1),
            planned_production_on=D(2025, 8, 1), total_investment=Decimal("60000"),
        ),
        "terminated": make_project(
            name="终止项目", stage=Stage.TERMINATED, started_on=D(2023, 4, 1), completed_on=D(2025, 5, 1),
            planned_production_on=D(2025, 8, 1),
        ),
        "xiaodian_works": make_project(
            name="小店区物流园项目", region=regions.xiaodian, stage=Stage.CONSTRUCTION, started_on=D(2023, 4, 1),
            planned_completion_on=D(2025, 1, 1),
        ),
    }  # fmt: skip
    made["agreement"] = _agreement(cast, "华鑫二期碳材料项目", regions.jiaocheng, D(2025, 9, 1))
    made["started_agreement"] = _agreement(cast, "已开工协议项目", regions.jiaocheng, D(2025, 8, 1), made["late_works"])
    made["xiaodian_agreement"] = _agreement(cast, "小店区协议项目", regions.xiaodian, D(2025, 2, 1))
    return made


def _agreement(cast, name, region, agreed_start_on, project=None) -> Agreement:
    enterprise = TargetEnterprise.objects.create(region=region, name=f"{name}投资方")
    lead = Lead.objects.create(
        region=region, enterprise=enterprise, name=name, stage="signed", intended_investment=Decimal("50000"),
        project=project,
    )  # fmt: skip
    return Agreement.objects.create(
        lead=lead, region=region, name=name, contracted_investment=Decimal("50000"), signed_on=D(2025, 1, 10),
        agreed_start_on=agreed_start_on,
    )  # fmt: skip


def lines(rows) -> list[tuple]:
    return [(row.name, row.planned_on, row.days_overdue) for row in rows]


def test_each_list_holds_exactly_the_subtree_rows_past_their_planned_date(cast, stalled):
    lists = stalled_lists(cast.regions.lvliang, TODAY)

    assert {key: lines(rows) for key, rows in lists.items()} == {
        "signed_not_started": [
            ("交城县城区道路提质改造工程", D(2024, 9, 1), 395),
            ("文水县新材料项目", D(2025, 9, 30), 1),
        ],
        "started_not_completed": [
            ("交城县城区供热管网改造工程", D(2025, 6, 30), 93),
            ("开发区标准化厂房项目", D(2025, 9, 1), 30),
        ],
        "completed_not_in_production": [("交城县储能电池项目", D(2025, 8, 1), 61)],
        "agreements_not_started": [("华鑫二期碳材料项目", D(2025, 9, 1), 30)],
    }


def test_a_row_carries_its_project_leader_department_and_link(cast, stalled):
    row = next(iter(stalled_lists(cast.region, TODAY)["started_not_completed"]))

    assert row.project == stalled["late_works"] and row.agreement is None
    assert (row.project.leader, row.project.department) == (cast.users.leader, cast.departments.housing)
    assert (row.investment, row.url) == (Decimal("15000"), f"/projects/{stalled['late_works'].pk}/")


def test_an_agreement_row_links_to_the_agreement(cast, stalled):
    row = next(iter(stalled_lists(cast.region, TODAY)["agreements_not_started"]))

    assert (row.agreement, row.project, row.investment) == (stalled["agreement"], None, Decimal("50000"))
    assert row.url == reverse("attraction:agreement_detail", kwargs={"pk": stalled["agreement"].pk})


def test_a_zone_lists_only_the_projects_placed_in_it(cast, stalled):
    lists = stalled_lists(cast.regions.zone, TODAY)

    assert {key: [row.name for row in rows] for key, rows in lists.items()} == {
        "signed_not_started": [],
        "started_not_completed": ["开发区标准化厂房项目"],
        "completed_not_in_production": [],
        "agreements_not_started": [],
    }


def test_the_province_sees_every_city_and_the_next_day_adds_the_project_due_today(cast, stalled):
    lists = stalled_lists(cast.regions.shanxi, TODAY + datetime.timedelta(days=1))

    assert [row.name for row in lists["signed_not_started"]] == [
        "交城县城区道路提质改造工程",
        "文水县新材料项目",
        "今日计划开工项目",
    ]
    assert [row.name for row in lists["started_not_completed"]] == [
        "小店区物流园项目", "交城县城区供热管网改造工程", "开发区标准化厂房项目",
    ]  # fmt: skip
    assert [row.days_overdue for row in lists["agreements_not_started"]] == [243, 31]


def test_the_lists_are_lazy_and_the_counts_take_two_queries(cast, stalled, django_assert_num_queries):
    with django_assert_num_queries(0):
        lists = stalled_lists(cast.regions.lvliang, TODAY)

    with django_assert_num_queries(2):
        counts = stalled_counts(cast.regions.lvliang, TODAY)

    assert counts == {key: len(list(lists[key])) for key in KEYS}
    assert counts == {
        "signed_not_started": 2, "started_not_completed": 2, "completed_not_in_production": 1,
        "agreements_not_started": 1,
    }  # fmt: skip


def test_the_page_shows_one_list_with_every_count(cast, stalled, on_today, client_for, django_assert_num_queries):
    client = client_for(cast.users.city_leader)
    url = reverse("batches:stalled") + "?list=started_not_completed"

    # 1 session, 2 user, 3 the user's region, 4 the project counts, 5 the agreement count, 6 the page of rows,
    # 7 the unread notifications, 8 the region choices, 9-11 the session's new expiry.
    with django_assert_num_queries(11):
        response = client.get(url)

    body = response.content.decode()
    assert response.status_code == 200
    assert [(item.key, count) for item, count in response.context["tabs"]] == [
        ("signed_not_started", 2), ("started_not_completed", 2), ("completed_not_in_production", 1),
        ("agreements_not_started", 1),
    ]  # fmt: skip
    assert lines(response.context["page"].object_list) == [
        ("交城县城区供热管网改造工程", D(2025, 6, 30), 93),
        ("开发区标准化厂房项目", D(2025, 9, 1), 30),
    ]
    assert "逾期93天" in body and "王建国" in body and "交城县住房和城乡建设局" in body


def test_the_page_filters_by_a_region_of_the_subtree(cast, stalled, on_today, client_for):
    client = client_for(cast.users.province_coordinator)

    response = client.get(
        reverse("batches:stalled"), {"region": cast.regions.xiaodian.pk, "list": "started_not_completed"}
    )

    assert [row.name for row in response.context["page"].object_list] == ["小店区物流园项目"]
    assert response.context["region"] == cast.regions.xiaodian


def test_a_region_outside_the_subtree_is_not_found(cast, stalled, on_today, client_for):
    response = client_for(cast.users.coordinator).get(reverse("batches:stalled"), {"region": cast.regions.xiaodian.pk})

    assert response.status_code == 404


def test_a_junk_list_falls_back_to_the_first(cast, stalled, on_today, client_for):
    response = client_for(cast.users.coordinator).get(reverse("batches:stalled"), {"list": "<script>", "region": "x"})

    assert response.status_code == 200
    assert (response.context["current"].key, response.context["region"]) == ("signed_not_started", cast.region)


def test_a_reporter_sees_the_project_lists_but_not_the_agreements(cast, stalled, on_today, client_for):
    client = client_for(cast.users.reporter)

    response = client.get(reverse("batches:stalled"), {"list": "agreements_not_started"})

    assert [item.key for item, _count in response.context["tabs"]] == KEYS[:3]
    assert response.context["current"].key == "signed_not_started"
    book = load_workbook(io.BytesIO(client.get(reverse("batches:stalled_export")).content))
    assert book.sheetnames == ["签而未开", "开而未竣", "竣而未投"]


def test_an_enterprise_user_is_refused(cast, stalled, client_for):
    client = client_for(cast.users.enterprise)

    assert client.get(reverse("batches:stalled")).status_code == 403
    assert client.get(reverse("batches:stalled_export")).status_code == 403


def test_the_export_has_one_sheet_per_list_with_a_total(cast, stalled):
    book = load_workbook(io.BytesIO(workbook_bytes(stalled_workbook(cast.regions.lvliang, TODAY))))

    assert book.sheetnames == ["签而未开", "开而未竣", "竣而未投", "协议逾期未开工"]
    sheet = book["开而未竣"]
    assert sheet["A1"].value == "吕梁市开工未竣工项目清单" and "A1:I1" in sheet.merged_cells
    assert sheet["A2"].value == "截至2025年10月1日"
    assert [c.value for c in sheet[3]] == [
        "序号", "项目名称", "所在区划", "项目阶段", "计划竣工日期", "逾期天数", "总投资（万元）", "包联领导",
        "责任单位",
    ]  # fmt: skip
    assert "A3:A4" in sheet.merged_cells
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=5, max_row=7)] == [
        [1, "交城县城区供热管网改造工程", "交城县", "在建", datetime.datetime(2025, 6, 30), 93, 15000, "王建国",
         "交城县住房和城乡建设局"],
        [2, "开发区标准化厂房项目", "交城县", "在建", datetime.datetime(2025, 9, 1), 30, 22000, None, None],
        [None, "合计（2个）", None, None, None, None, 37000, None, None],
    ]  # fmt: skip
    agreements = book["协议逾期未开工"]
    assert [[c.value for c in row] for row in agreements.iter_rows(min_row=5, max_row=6)] == [
        [1, "华鑫二期碳材料项目", "交城县", datetime.datetime(2025, 9, 1), 30, 50000],
        [None, "合计（1个）", None, None, None, 50000],
    ]


def test_the_export_downloads_for_the_chosen_region(cast, stalled, on_today, client_for):
    response = client_for(cast.users.city_leader).get(reverse("batches:stalled_export"), {"region": cast.region.pk})

    book = load_workbook(io.BytesIO(response.content))
    assert response.status_code == 200
    assert book["签而未开"]["A1"].value == "交城县签约未开工项目清单"
    assert book["签而未开"]["B5"].value == "交城县城区道路提质改造工程"

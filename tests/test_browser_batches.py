"""Browser test of the three batches and the stalled lists: the coordinator builds an event from a window,
removes a project from a batch, exports the list to Excel and Word, opens the stalled lists and downloads
the official-layout ledger. Screenshots go to artifacts/batches-*.png.
"""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from docx import Document
from openpyxl import load_workbook

from batches.models import BatchEntry, BatchEvent
from org.models import Department, Region, Role, User
from projects.models import AnnualPlan, Project, Stage

from .browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"
TODAY = timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


@pytest.fixture
def county():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        housing = Department.objects.create(region=county, name="交城县住房和城乡建设局", short_name="住建局")
        leader = User.objects.create_user(
            "leader", password=PASSWORD, role=Role.LEADER, region=county, full_name="王建国", title="副县长"
        )
        User.objects.create_user(
            "coordinator", password=PASSWORD, role=Role.COORDINATOR, region=county, full_name="李晓梅"
        )
        common = {"region": county, "category": "industry", "leader": leader, "department": housing}
        projects = [
            Project.objects.create(
                name="交城县年产10万吨针状焦项目", owner_name="山西鑫源化工有限公司", total_investment=Decimal("56000"),
                stage=Stage.SIGNED, signed_on=days_ago(20), planned_start_on=days_ago(5), **common,
            ),
            Project.objects.create(
                name="交城县特种专用车生产基地项目", owner_name="山西瑞光专用汽车有限公司",
                total_investment=Decimal("43900"), stage=Stage.PREPARING, signed_on=days_ago(12), **common,
            ),
            Project.objects.create(
                name="交城县200MW光伏发电项目", owner_name="山西汇能新能源发展有限公司",
                total_investment=Decimal("80000"),
                stage=Stage.CONSTRUCTION, signed_on=days_ago(200), started_on=days_ago(15), **common,
            ),
            Project.objects.create(
                name="交城县年产5万吨高纯镁合金项目", owner_name="山西瑞泽镁业有限公司",
                total_investment=Decimal("30100"),
                stage=Stage.PRODUCTION, started_on=days_ago(700), completed_on=days_ago(40), production_on=days_ago(3),
                **common,
            ),
            Project.objects.create(
                name="交城县城区供热管网改造工程", owner_name="交城县热力有限公司", total_investment=Decimal("15000"),
                stage=Stage.CONSTRUCTION, started_on=days_ago(500), planned_completion_on=days_ago(45), **common,
            ),
            Project.objects.create(
                name="交城县储能电池项目", owner_name="山西储能科技有限公司", total_investment=Decimal("60000"),
                stage=Stage.COMPLETED, started_on=days_ago(800), completed_on=days_ago(90),
                planned_production_on=days_ago(61), **common,
            ),
        ]  # fmt: skip
        for project in projects:
            AnnualPlan.objects.create(project=project, year=TODAY.year, amount=project.total_investment / 4)
    return county




def test_a_coordinator_builds_edits_and_exports_a_batch_event_then_opens_the_stalled_lists(page, county):
    login(page, "coordinator")
    page.goto("/batches/")
    assert page.get_by_test_id("empty").is_visible()
    shot(page, "batches-01-empty-list")

    # Build from the last 30 days.
    page.get_by_test_id("new-event").click()
    page.fill("#id_name", "交城县重大项目“三个一批”集中活动")
    page.fill("#id_held_on", TODAY.isoformat())
    page.fill("#id_window_start", days_ago(30).isoformat())
    page.fill("#id_window_end", days_ago(31).isoformat())
    page.get_by_test_id("save-event").click()
    assert page.locator("[data-field-error=window_end]").inner_text() == "统计截止日期不能早于起始日期。"
    shot(page, "batches-02-form-error")
    page.fill("#id_window_end", TODAY.isoformat())
    page.get_by_test_id("save-event").click()
    page.wait_for_selector("text=已生成")
    assert page.get_by_test_id("total-signed").inner_text().endswith("2 个 9.99 亿元")
    assert page.get_by_test_id("total-started").inner_text().endswith("1 个 8.00 亿元")
    assert page.get_by_test_id("total-production").inner_text().endswith("1 个 3.01 亿元")
    shot(page, "batches-03-event")

    # Remove the special vehicles project from the signed batch.
    signed = page.get_by_test_id("batch-signed")
    signed.get_by_test_id("entry-row").filter(has_text="特种专用车").get_by_test_id("remove-entry").click()
    page.wait_for_selector("text=移出签约一批")
    assert page.get_by_test_id("total-signed").inner_text().endswith("1 个 5.60 亿元")
    assert page.get_by_test_id("batch-signed").get_by_test_id("entry-name").all_inner_texts() == [
        "交城县年产10万吨针状焦项目"
    ]
    page.get_by_test_id("candidates-signed").locator("summary").click()
    shot(page, "batches-04-removed")

    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert [c.value for c in book["签约一批"][5]][1] == "交城县年产10万吨针状焦项目"
    assert book["汇总"]["C5"].value == 1
    with page.expect_download() as download:
        page.get_by_test_id("export-docx").click()
    document = Document(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert "一、签约一批（1 个 5.60 亿元）" in [p.text for p in document.paragraphs]
    assert download.value.suggested_filename == "交城县重大项目“三个一批”集中活动.docx"

    with scopes_disabled():
        event = BatchEvent.objects.get()
        assert sorted(BatchEntry.objects.filter(event=event).values_list("kind", "name")) == [
            ("production", "交城县年产5万吨高纯镁合金项目"),
            ("signed", "交城县年产10万吨针状焦项目"),
            ("started", "交城县200MW光伏发电项目"),
        ]

    page.goto("/batches/")
    assert page.get_by_test_id("event-row").count() == 1
    shot(page, "batches-05-list")
    with page.expect_download() as download:
        page.get_by_test_id("ledger-download").click()
    ledger = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert ledger["A1"].value == f"交城县{TODAY.year}年重点项目建设情况表"
    assert ledger["B5"].value == "合计（6个）"

    # The stalled lists.
    page.get_by_test_id("stalled-link").click()
    assert page.get_by_test_id("count-signed_not_started").inner_text() == "1"
    assert page.get_by_test_id("count-started_not_completed").inner_text() == "1"
    assert page.get_by_test_id("count-completed_not_in_production").inner_text() == "1"
    assert page.get_by_test_id("stalled-name").all_inner_texts() == ["交城县年产10万吨针状焦项目"]
    assert page.get_by_test_id("days-overdue").inner_text() == "逾期5天"
    shot(page, "batches-06-stalled-signed")
    page.get_by_test_id("tab-completed_not_in_production").click()
    page.wait_for_url("**list=completed_not_in_production**")
    assert page.get_by_test_id("stalled-name").all_inner_texts() == ["交城县储能电池项目"]
    assert page.get_by_test_id("days-overdue").inner_text() == "逾期61天"
    shot(page, "batches-07-stalled-completed")
    with page.expect_download() as download:
        page.get_by_test_id("stalled-export").click()
    stalled = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert stalled.sheetnames == ["签而未开", "开而未竣", "竣而未投", "协议逾期未开工"]

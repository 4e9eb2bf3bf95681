"""The three batches (三个一批): building an event from a window, the frozen figures and their refresh, editing
the batches, the screens (who may do what), and the Excel and Word lists read back.

The window is the second quarter of 2025; every project's dates are set explicitly, so which project lands
in which batch is exact.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from batches.document import batch_document
from batches.exports import batch_workbook
from batches.models import BatchEntry, BatchEvent, BatchKind
from projects.models import Project, Stage

from .conftest import reload

pytestmark = pytest.mark.usefixtures("unscoped")

D = datetime.date
START, END = D(2025, 4, 1), D(2025, 6, 30)


@pytest.fixture
def window(cast, make_project):
    """Projects around the window; ``cast.projects`` (signed 2023/2024, started 2023/2024) fall outside it."""
    wenshui, xiaodian = cast.regions.wenshui, cast.regions.xiaodian
    return {
        "signed": make_project(
            name="交城县年产10万吨针状焦项目", owner_name="山西鑫源化工有限公司", total_investment=Decimal("56000"),
            stage=Stage.SIGNED, signed_on=D(2025, 4, 1), national_code="2025-141122-26-03-000011",
        ),
        "signed_late": make_project(
            name="文水县杂粮精深加工项目", region=wenshui, owner_name="文水县嘉禾农业开发有限公司",
            total_investment=Decimal("12000"), stage=Stage.PREPARING, signed_on=D(2025, 6, 30),
        ),
        "started": make_project(
            name="交城县200MW光伏发电项目", owner_name="山西汇能新能源发展有限公司", total_investment=Decimal("80000"),
            stage=Stage.CONSTRUCTION, signed_on=D(2024, 12, 1), started_on=D(2025, 5, 20),
        ),
        "production": make_project(
            name="文水县年产5万吨高纯镁合金项目", region=wenshui, owner_name="山西瑞泽镁业有限公司",
            total_investment=Decimal("30100"), stage=Stage.PRODUCTION, signed_on=D(2023, 1, 5),
            started_on=D(2023, 6, 1), completed_on=D(2025, 3, 1), production_on=D(2025, 6, 15),
        ),
        "before": make_project(
            name="窗口前签约项目", total_investment=Decimal("9000"), stage=Stage.SIGNED, signed_on=D(2025, 3, 31),
        ),
        "after": make_project(
            name="窗口后开工项目", total_investment=Decimal("9000"), stage=Stage.CONSTRUCTION,
            signed_on=D(2025, 1, 1), started_on=D(2025, 7, 1),
        ),
        "terminated": make_project(
            name="已终止签约项目", total_investment=Decimal("9000"), stage=Stage.TERMINATED, signed_on=D(2025, 5, 1),
        ),
        "archived": make_project(
            name="已归档签约项目", total_investment=Decimal("9000"), stage=Stage.SIGNED, signed_on=D(2025, 5, 2),
            archived_at=datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC),
        ),
        "xiaodian": make_project(
            name="小店区数据中心项目", region=xiaodian, owner_name="太原数字科技有限公司",
            total_investment=Decimal("40000"), stage=Stage.SIGNED, signed_on=D(2025, 5, 5),
        ),
    }  # fmt: skip


def build(cast, region=None, by=None, **fields) -> BatchEvent:
    values = {
        "name": "2025年第二季度重大项目“三个一批”活动",
        "held_on": D(2025, 7, 8),
        "window_start": START,
        "window_end": END,
    }
    region, by = region or cast.regions.lvliang, by or cast.users.city_coordinator
    return BatchEvent.build(region=region, by=by, **{**values, **fields})


def batch_names(event: BatchEvent) -> dict[str, list[str]]:
    names = {kind: [] for kind in BatchKind.values}
    for entry in BatchEntry.objects.filter(event=event).order_by("kind", "-total_investment", "pk"):
        names[entry.kind].append(entry.name)
    return names


# ---- building ----


def test_an_event_lists_the_subtree_projects_signed_started_and_in_production_in_its_window(cast, window):
    event = build(cast)

    assert batch_names(event) == {
        "signed": ["交城县年产10万吨针状焦项目", "文水县杂粮精深加工项目"],
        "started": ["交城县200MW光伏发电项目"],
        "production": ["文水县年产5万吨高纯镁合金项目"],
    }
    assert reload(event).frozen_at is not None


def test_a_province_event_reaches_every_city_and_names_the_place_below_it(cast, window):
    event = build(cast, region=cast.regions.shanxi, by=cast.users.province_coordinator)

    entries = {e.name: e for e in BatchEntry.objects.filter(event=event, kind=BatchKind.SIGNED)}
    assert list(entries) == ["交城县年产10万吨针状焦项目", "小店区数据中心项目", "文水县杂粮精深加工项目"]
    assert {name: e.location for name, e in entries.items()} == {
        "交城县年产10万吨针状焦项目": "吕梁市交城县",
        "小店区数据中心项目": "太原市小店区",
        "文水县杂粮精深加工项目": "吕梁市文水县",
    }


def test_an_entry_keeps_a_frozen_copy_of_its_project(cast, window):
    event = build(cast)

    entry = BatchEntry.objects.get(event=event, project=window["signed"])
    assert (entry.kind, entry.name, entry.owner_name, entry.national_code, entry.category) == (
        "signed", "交城县年产10万吨针状焦项目", "山西鑫源化工有限公司", "2025-141122-26-03-000011", "industry",
    )  # fmt: skip
    assert (entry.total_investment, entry.location, entry.stage_on) == (Decimal("56000"), "交城县", D(2025, 4, 1))
    assert entry.added_by == cast.users.city_coordinator


def test_each_batch_counts_its_projects_and_totals_them_in_yi(cast, window):
    event = build(cast)

    totals = {t.kind: (t.count, t.total_investment, t.line) for t in event.totals()}

    assert totals == {
        "signed": (2, Decimal("68000"), "2 个 6.80 亿元"),
        "started": (1, Decimal("80000"), "1 个 8.00 亿元"),
        "production": (1, Decimal("30100"), "1 个 3.01 亿元"),
    }


def test_an_empty_window_builds_an_event_with_empty_batches(cast, window):
    event = build(cast, window_start=D(2020, 1, 1), window_end=D(2020, 1, 31))

    assert [(t.count, t.total_investment) for t in event.totals()] == [(0, Decimal("0"))] * 3


def test_a_window_ending_before_it_starts_is_refused_and_nothing_is_saved(cast, window):
    with pytest.raises(ValidationError):
        build(cast, window_start=D(2025, 7, 1), window_end=D(2025, 6, 30))

    assert (BatchEvent.objects.count(), BatchEntry.objects.count()) == (0, 0)


# ---- frozen figures and refresh ----


def test_a_later_ledger_edit_does_not_change_the_list_until_it_is_refreshed(cast, window):
    event = build(cast)
    Project.objects.filter(pk=window["signed"].pk).update(name="针状焦项目（更名）", total_investment=Decimal("60000"))

    entry = BatchEntry.objects.with_ledger_changes().get(event=event, project=window["signed"])
    assert (entry.name, entry.total_investment, entry.ledger_changed) == ("交城县年产10万吨针状焦项目", 56000, True)
    others = BatchEntry.objects.with_ledger_changes().filter(event=event).exclude(pk=entry.pk)
    assert [e.ledger_changed for e in others] == [False, False, False]

    changed = event.refresh(by=cast.users.city_coordinator)

    entry = reload(entry)
    assert (changed, entry.name, entry.total_investment) == (1, "针状焦项目（更名）", Decimal("60000"))
    assert entry.history.first().history_user == cast.users.city_coordinator
    assert event.totals()[0].line == "2 个 7.20 亿元"


# ---- editing the batches ----


def test_a_removed_project_leaves_its_batch_and_can_be_added_back(cast, window):
    event = build(cast)
    entry = BatchEntry.objects.get(event=event, project=window["signed_late"])

    event.remove(entry, by=cast.users.city_coordinator)
    assert batch_names(event)["signed"] == ["交城县年产10万吨针状焦项目"]

    event.add(BatchKind.SIGNED, window["signed_late"], by=cast.users.city_coordinator)
    assert batch_names(event)["signed"] == ["交城县年产10万吨针状焦项目", "文水县杂粮精深加工项目"]


@pytest.mark.parametrize(
    ("project", "message"),
    [
        ("xiaodian", "该项目不在本次活动的区划范围内。"),
        ("terminated", "已终止或已归档的项目不能列入。"),
        ("signed", "该项目已在签约一批中。"),
    ],
)
def test_adding_a_project_that_does_not_fit_is_refused(cast, window, project, message):
    event = build(cast)
    before = BatchEntry.objects.count()

    with pytest.raises(ValidationError) as raised:
        event.add(BatchKind.SIGNED, window[project], by=cast.users.city_coordinator)

    assert raised.value.message_dict == {"project": [message]}
    assert BatchEntry.objects.count() == before


# ---- the screens ----


def test_the_coordinator_builds_an_event_from_the_form(cast, window, client_for):
    data = {
        "region": cast.regions.lvliang.pk, "name": "二季度“三个一批”", "held_on": "2025-07-08",
        "window_start": "2025-04-01", "window_end": "2025-06-30",
    }  # fmt: skip

    response = client_for(cast.users.city_coordinator).post(reverse("batches:create"), data)

    event = BatchEvent.objects.get()
    assert response.status_code == 302 and response.url == reverse("batches:detail", kwargs={"pk": event.pk})
    assert (event.region, event.name, event.held_on, event.window_start, event.window_end, event.created_by) == (
        cast.regions.lvliang, "二季度“三个一批”", D(2025, 7, 8), START, END, cast.users.city_coordinator,
    )  # fmt: skip
    assert [t.count for t in event.totals()] == [2, 1, 1]


def test_the_build_form_names_each_bad_field_and_saves_nothing(cast, window, client_for):
    data = {"region": cast.regions.taiyuan.pk, "name": "", "held_on": "x", "window_start": "2025-07-01",
            "window_end": "2025-06-30"}  # fmt: skip

    response = client_for(cast.users.coordinator).post(reverse("batches:create"), data)

    assert response.status_code == 400
    assert {name: list(errors) for name, errors in response.context["form"].errors.items()} == {
        "region": ["所选区划不在您的管辖范围内。"],
        "name": ["请填写活动名称。"],
        "held_on": ["请填写有效的日期。"],
        "window_end": ["统计截止日期不能早于起始日期。"],
    }
    assert BatchEvent.objects.count() == 0


def test_the_event_page_shows_each_batch_with_its_line(cast, window, client_for, django_assert_num_queries):
    event = build(cast)
    client = client_for(cast.users.city_leader)

    # 1 session, 2 user, 3 the user's region (for the scope), 4 the event, 5 its entries with their projects,
    # 6 the totals, 7 the unread notifications, 8-10 the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(10):
        response = client.get(reverse("batches:detail", kwargs={"pk": event.pk}))

    body = response.content.decode()
    assert response.status_code == 200
    for text in ("2 个 6.80 亿元", "1 个 8.00 亿元", "1 个 3.01 亿元", "交城县年产10万吨针状焦项目"):
        assert text in body
    assert "remove-entry" not in body  # a leader reads only


def test_the_editor_page_offers_the_window_projects_not_listed(cast, window, client_for, django_assert_num_queries):
    event = build(cast)
    BatchEntry.objects.filter(event=event, project=window["signed_late"]).delete()
    client = client_for(cast.users.city_coordinator)

    # The reader's 10 (see above), and per batch the candidates (one more than shown, to know if there are more).
    with django_assert_num_queries(13):
        response = client.get(reverse("batches:detail", kwargs={"pk": event.pk}))

    batches = {batch["totals"].kind: batch for batch in response.context["batches"]}
    assert [p.name for p in batches["signed"]["candidates"]["shown"]] == ["文水县杂粮精深加工项目"]
    assert [len(batches[kind]["candidates"]["shown"]) for kind in ("signed", "started", "production")] == [1, 0, 0]
    assert batches["signed"]["candidates"]["more"] is False


def test_the_candidates_say_when_there_are_more_than_shown(cast, window, client_for, monkeypatch):
    from batches import views

    monkeypatch.setattr(views, "CANDIDATES_SHOWN", 1)
    event = build(cast)
    BatchEntry.objects.filter(event=event, kind="signed").delete()

    response = client_for(cast.users.city_coordinator).get(reverse("batches:detail", kwargs={"pk": event.pk}))

    candidates = response.context["batches"][0]["candidates"]
    assert ([p.name for p in candidates["shown"]], candidates["more"]) == (["交城县年产10万吨针状焦项目"], True)
    assert "统计区间内另有 1 个以上项目未列入（按总投资列出前 1 个）" in response.content.decode()


def test_a_coordinator_removes_an_entry_and_adds_one_by_its_code(cast, window, client_for):
    event = build(cast)
    client = client_for(cast.users.city_coordinator)
    entry = BatchEntry.objects.get(event=event, project=window["signed"])

    response = client.post(reverse("batches:remove", kwargs={"pk": entry.pk}))
    assert response.status_code == 302
    assert batch_names(event)["signed"] == ["文水县杂粮精深加工项目"]

    data = {"kind": "started", "project": "2025-141122-26-03-000011"}
    response = client.post(reverse("batches:add", kwargs={"pk": event.pk}), data)
    assert response.status_code == 302
    added = BatchEntry.objects.get(event=event, kind="started", project=window["signed"])
    assert (added.stage_on, added.added_by) == (None, cast.users.city_coordinator)  # not started: no date


def test_a_candidate_is_added_by_its_id(cast, window, client_for):
    event = build(cast)
    BatchEntry.objects.filter(event=event, project=window["started"]).delete()

    response = client_for(cast.users.city_coordinator).post(
        reverse("batches:add", kwargs={"pk": event.pk}), {"kind": "started", "project_id": window["started"].pk}
    )

    assert response.status_code == 302
    assert batch_names(event)["started"] == ["交城县200MW光伏发电项目"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "signed", "project": ""}, "project", "请输入项目代码或项目名称。"),
        ({"kind": "signed", "project": "小店区数据中心项目"}, "project", "在本次活动的区划内没有找到该项目。"),
        ({"kind": "signed", "project": "交城县年产10万吨针状焦项目"}, "project", "该项目已在签约一批中。"),
        ({"kind": "planned", "project": "窗口前签约项目"}, "kind", "请选择批次。"),
        ({"kind": "signed", "project_id": "x"}, "project_id", "请从列表中选择项目。"),
    ],
)
def test_adding_bad_input_shows_the_error_and_changes_nothing(cast, window, client_for, data, field, message):
    event = build(cast)
    before = sorted(BatchEntry.objects.values_list("pk", flat=True))

    response = client_for(cast.users.city_coordinator).post(reverse("batches:add", kwargs={"pk": event.pk}), data)

    assert response.status_code == 400
    assert sorted(BatchEntry.objects.values_list("pk", flat=True)) == before
    if field != "kind":
        form = {b["totals"].kind: b for b in response.context["batches"]}[data["kind"]]["form"]
        assert form.errors == {field: [message]}
        assert message in response.content.decode()
    else:
        assert message in response.content.decode()


def test_two_projects_of_the_same_name_must_be_added_by_code(cast, window, client_for, make_project):
    event = build(cast)
    make_project(name="同名项目", region=cast.regions.jiaocheng)
    make_project(name="同名项目", region=cast.regions.wenshui)

    response = client_for(cast.users.city_coordinator).post(
        reverse("batches:add", kwargs={"pk": event.pk}), {"kind": "signed", "project": "同名项目"}
    )

    form = response.context["batches"][0]["form"]
    assert (response.status_code, form.errors) == (400, {"project": ["有多个同名项目，请改用项目代码。"]})


def test_the_coordinator_renames_and_redates_the_event(cast, window, client_for):
    event = build(cast)

    response = client_for(cast.users.city_coordinator).post(
        reverse("batches:edit", kwargs={"pk": event.pk}),
        {"name": "吕梁市二季度集中签约开工投产活动", "held_on": "2025-07-10"},
    )

    event = reload(event)
    assert response.status_code == 302
    assert (event.name, event.held_on, event.window_start) == (
        "吕梁市二季度集中签约开工投产活动",
        D(2025, 7, 10),
        START,
    )
    assert event.history.first().history_user == cast.users.city_coordinator


def test_refresh_and_delete_from_the_page(cast, window, client_for):
    event = build(cast)
    Project.objects.filter(pk=window["started"].pk).update(total_investment=Decimal("90000"))
    client = client_for(cast.users.city_coordinator)

    client.post(reverse("batches:refresh", kwargs={"pk": event.pk}))
    assert BatchEntry.objects.get(project=window["started"]).total_investment == Decimal("90000")

    response = client.post(reverse("batches:delete", kwargs={"pk": event.pk}))
    assert response.url == reverse("batches:index")
    assert (BatchEvent.objects.count(), BatchEntry.objects.count()) == (0, 0)


def test_an_event_of_another_region_is_not_found_even_for_its_entries(cast, window, client_for):
    event = build(cast)
    entry = BatchEntry.objects.filter(event=event).first()
    county = client_for(cast.users.coordinator)  # 交城县: below 吕梁市, so the city's event is not its own

    assert county.get(reverse("batches:detail", kwargs={"pk": event.pk})).status_code == 404
    assert county.post(reverse("batches:remove", kwargs={"pk": entry.pk})).status_code == 404
    assert BatchEntry.objects.filter(pk=entry.pk).exists()


def test_the_event_list_shows_each_batch_of_each_event(cast, window, client_for, django_assert_num_queries):
    build(cast)
    build(cast, name="上半年活动", window_start=D(2025, 1, 1), held_on=D(2025, 7, 1))
    client = client_for(cast.users.city_leader)

    # 1 session, 2 user, 3 the user's region, 4 count, 5 the page of events, 6 their totals, 7 the ledger form's
    # regions, 8 the unread notifications, 9-11 the session's new expiry.
    with django_assert_num_queries(11):
        response = client.get(reverse("batches:index"))

    rows = [(event.name, [batch.get("count", 0) for batch in batches]) for event, batches in response.context["rows"]]
    assert rows == [("2025年第二季度重大项目“三个一批”活动", [2, 1, 1]), ("上半年活动", [4, 1, 1])]


# ---- exports ----


def test_the_excel_list_has_a_summary_and_one_sheet_per_batch_with_totals(cast, window):
    event = build(cast)

    book = load_workbook(io.BytesIO(_xlsx(event)))

    assert book.sheetnames == ["汇总", "签约一批", "开工一批", "投产一批"]
    summary = book["汇总"]
    assert summary["A1"].value == "2025年第二季度重大项目“三个一批”活动"
    assert "A1:E1" in summary.merged_cells and "D3:E3" in summary.merged_cells and "A3:A4" in summary.merged_cells
    assert [c.value for c in summary[3]] == ["序号", "批次", "项目个数", "总投资", None]
    assert [c.value for c in summary[4]][3:] == ["万元", "亿元"]
    assert [[c.value for c in row] for row in summary.iter_rows(min_row=5, max_row=8)] == [
        [1, "签约一批", 2, 68000, 6.8],
        [2, "开工一批", 1, 80000, 8],
        [3, "投产一批", 1, 30100, 3.01],
        [None, "合计", 4, 178100, 17.81],
    ]
    signed = book["签约一批"]
    assert signed["A2"].value == "共 2 个，总投资 6.80 亿元"
    assert [c.value for c in signed[3]] == [
        "序号",
        "项目名称",
        "项目单位",
        "所在地",
        "项目类别",
        "签约日期",
        "总投资",
        None,
    ]
    assert [[c.value for c in row] for row in signed.iter_rows(min_row=5, max_row=7)] == [
        [1, "交城县年产10万吨针状焦项目", "山西鑫源化工有限公司", "交城县", "产业", datetime.datetime(2025, 4, 1),
         56000, 5.6],
        [2, "文水县杂粮精深加工项目", "文水县嘉禾农业开发有限公司", "文水县", "产业", datetime.datetime(2025, 6, 30),
         12000, 1.2],
        [None, "合计（2个）", None, None, None, None, 68000, 6.8],
    ]  # fmt: skip
    assert signed["G5"].number_format == "#,##0.00" and signed.freeze_panes == "C5"
    assert signed.print_title_rows == "$3:$4" and signed.page_setup.orientation == "landscape"


def test_formula_like_names_are_written_as_quoted_text(cast, window):
    Project.objects.filter(pk=window["signed"].pk).update(name='=HYPERLINK("http://x","点我")', owner_name="@SUM(1)")
    event = build(cast)

    signed = load_workbook(io.BytesIO(_xlsx(event)))["签约一批"]

    cells = [signed["B5"], signed["C5"]]
    assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [
        ('=HYPERLINK("http://x","点我")', "s", True),
        ("@SUM(1)", "s", True),
    ]


def test_the_word_list_has_a_title_and_a_table_and_a_total_per_batch(cast, window):
    event = build(cast)

    document = Document(io.BytesIO(batch_document(event)))

    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "2025年第二季度重大项目“三个一批”活动"
    assert "一、签约一批（2 个 6.80 亿元）" in texts and "合计：2 个 6.80 亿元" in texts
    assert "三、投产一批（1 个 3.01 亿元）" in texts and "合计：1 个 3.01 亿元" in texts
    assert len(document.tables) == 3
    assert [[cell.text for cell in row.cells] for row in document.tables[0].rows] == [
        ["序号", "项目名称", "项目单位", "总投资（亿元）", "所在地"],
        ["1", "交城县年产10万吨针状焦项目", "山西鑫源化工有限公司", "5.60", "交城县"],
        ["2", "文水县杂粮精深加工项目", "文水县嘉禾农业开发有限公司", "1.20", "文水县"],
    ]
    run = document.tables[0].rows[1].cells[1].paragraphs[0].runs[0]
    assert run.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_the_word_font_table_names_fangsong_as_the_fallback(cast, window):
    document = Document(io.BytesIO(batch_document(build(cast))))

    part = next(r.target_part for r in document.part.rels.values() if r.reltype.endswith("/fontTable"))
    assert b'w:name="\xe4\xbb\xbf\xe5\xae\x8b_GB2312"><w:altName w:val="\xe4\xbb\xbf\xe5\xae\x8b"/>' in part.blob


@pytest.mark.parametrize(("fmt", "kind"), [("xlsx", "spreadsheetml"), ("docx", "wordprocessingml")])
def test_the_exports_download_with_the_event_name(cast, window, client_for, fmt, kind):
    event = build(cast, region=cast.region, by=cast.users.coordinator)

    response = client_for(cast.users.handler).get(reverse("batches:export", kwargs={"pk": event.pk, "fmt": fmt}))

    assert response.status_code == 200 and kind in response["Content-Type"]
    assert response["Content-Disposition"].endswith(
        "%E2%80%9C%E4%B8%89%E4%B8%AA%E4%B8%80%E6%89%B9%E2%80%9D%E6%B4%BB%E5%8A%A8." + fmt
    )


def test_an_unknown_export_format_is_not_found(cast, window, client_for):
    event = build(cast)

    response = client_for(cast.users.city_coordinator).get(
        reverse("batches:export", kwargs={"pk": event.pk, "fmt": "pdf"})
    )

    assert response.status_code == 404


def _xlsx(event) -> bytes:
    from batches.workbook import workbook_bytes

    with scopes_disabled():
        return workbook_bytes(batch_workbook(event))


# ---- demo ----


def test_the_demo_builds_a_past_province_event_and_a_city_event_of_this_year(cast, make_project):
    import random
    from types import SimpleNamespace

    from batches import demo

    today = datetime.date.today()
    if (today - D(today.year, 1, 1)).days < 10:
        pytest.skip("the demo's events need some days of the year behind them")
    signed = make_project(name="今年签约项目", stage=Stage.SIGNED, signed_on=D(today.year, 1, 2))
    world = SimpleNamespace(today=today, regions={"140000": cast.regions.shanxi, "141100": cast.regions.lvliang})
    accounts = [cast.users.province_coordinator, cast.users.city_coordinator, cast.users.leader]

    line = demo.build(world, accounts, random.Random(7))

    events = list(BatchEvent.objects.order_by("-held_on"))
    assert [(e.region, e.created_by, e.window_start) for e in events] == [
        (cast.regions.shanxi, cast.users.province_coordinator, D(today.year, 1, 1)),
        (cast.regions.lvliang, cast.users.city_coordinator, D(today.year, 1, 1)),
    ]
    assert all(D(today.year, 1, 1) <= e.held_on < today and e.window_end <= e.held_on for e in events)
    assert [e.name for e in events] == [
        f"{today.year}年山西省重大项目“三个一批”活动",
        f"{today.year}年吕梁市重大项目“三个一批”活动",
    ]
    assert set(BatchEntry.objects.filter(kind="signed").values_list("event__region__code", "project")) == {
        ("140000", signed.pk), ("141100", signed.pk),
    }  # fmt: skip
    assert line.startswith("Three batches: 山西省 on ") and "1 signed 0.10 亿元" in line

"""批量填报: the Excel template, the dry run and the all-or-nothing apply (reports/bulk.py)."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from openpyxl import Workbook, load_workbook

from projects.models import Project, Stage
from reports.bulk import COLUMNS, parse_amount
from reports.models import BulkUpload, MonthlyReport, Period, ReportStatus

from .conftest import THIS_YEAR, login_client, reload

# A past month, so the test never meets a "future month" refusal, whatever today is.
YEAR, MONTH = THIS_YEAR - 1, 12
HEADERS = [column.header for column in COLUMNS]
ID, AMOUNT, PROGRESS, PROBLEMS = (
    HEADERS.index(header) + 1 for header in ("项目ID", "本月完成投资（万元）", "形象进度", "存在问题")
)
XLSX_ONLY = "只接受 .xlsx 格式的 Excel 文件；.xls、.csv 等请在 Excel 中“另存为” .xlsx 后再上传。"


# ---- helpers --------------------------------------------------------------------------


def _report(project, status, completed, year=YEAR, month=MONTH, **fields) -> MonthlyReport:
    with scopes_disabled():
        return MonthlyReport.objects.create(
            project=project, period=Period.for_month(project.region, year, month), year=year, month=month,
            completed=Decimal(completed), status=status, **fields,
        )


def _download(client, year=YEAR, month=MONTH):
    response = client.get(reverse("reports:bulk_template"), {"year": year, "month": month})
    assert response.status_code == 200, response.content[:200]
    return response, load_workbook(io.BytesIO(response.content))


def _xlsx(book: Workbook, name: str = "月报.xlsx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def _upload(client, file, year=YEAR, month=MONTH):
    return client.post(reverse("reports:bulk_upload"), {"year": year, "month": month, "file": file})


def _row_of(sheet, project) -> int:
    return next(row[0].row for row in sheet.iter_rows(min_row=3) if row[ID - 1].value == project.pk)


def _fill(sheet, project, amount, progress=None, problems=None) -> None:
    row = _row_of(sheet, project)
    sheet.cell(row, AMOUNT, amount)
    sheet.cell(row, PROGRESS, progress)
    sheet.cell(row, PROBLEMS, problems)


def _handmade(rows, headers=None, title=f"交城县 {YEAR}年{MONTH}月 重点项目月报批量填报") -> Workbook:
    """A workbook laid out like the template: title row, header row, then ``rows`` (ID, amount, progress)."""
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(headers or ["项目ID", "项目名称", "本月完成投资（万元）", "形象进度", "存在问题"])
    for row in rows:
        pk, amount, *texts = row if row else (None, None)
        sheet.append([pk, None, amount, *texts])
    return book


def _reports() -> list[tuple]:
    with scopes_disabled():
        return sorted(
            MonthlyReport.objects.values_list("project_id", "year", "month", "completed", "status", "progress")
        )


def _uploaded(response) -> BulkUpload:
    assert response.status_code == 302, response.content[:500]
    with scopes_disabled():
        return BulkUpload.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))


@pytest.fixture
def coordinator(cast):
    return login_client(cast.users.coordinator)


# ---- the template ---------------------------------------------------------------------


def test_template_lists_the_reporting_projects_with_their_figures_and_prefilled_drafts(cast, coordinator):
    _report(cast.projects.materials, ReportStatus.APPROVED, "500", month=MONTH - 1)
    _report(cast.projects.road, ReportStatus.RETURNED, "12.5", progress="路基完成", problems_text="资金缺口")

    response, book = _download(coordinator)

    sheet = book.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == f"交城县 {YEAR}年{MONTH}月 重点项目月报批量填报 [{YEAR}-{MONTH:02d}]"
    assert rows[1] == HEADERS
    materials, road = cast.projects.materials, cast.projects.road
    assert sorted(rows[2:]) == sorted(
        [
            [materials.pk, materials.national_code, materials.name, "交城县", 120000, 20000, 500, "未填报"]
            + [None, None, None],
            [road.pk, road.national_code, road.name, "交城县", 8000, None, 0, "已退回", 12.5, "路基完成", "资金缺口"],
        ]
    )
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E6%9C%88%E6%8A%A5%E6%89%B9%E9%87%8F%E5%A1%AB%E6%8A%A5-"
        "%E4%BA%A4%E5%9F%8E%E5%8E%BF-" + f"{YEAR}%E5%B9%B412%E6%9C%88.xlsx"
    )


def test_template_marks_the_fill_columns_and_validates_the_amount(cast, coordinator):
    _, book = _download(coordinator)

    sheet = book.worksheets[0]
    assert sheet.cell(3, AMOUNT).fill.fgColor.rgb == "00FFF2CC"
    assert sheet.cell(3, PROBLEMS).fill.fgColor.rgb == "00FFF2CC"
    assert sheet.cell(3, AMOUNT - 1).fill.fill_type is None
    (validation,) = sheet.data_validations.dataValidation
    assert (validation.type, validation.operator, validation.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert str(validation.sqref) == "I3:I204"
    assert book.sheetnames == ["月报", "填写说明"]


def test_city_coordinator_template_covers_its_counties(cast):
    _, book = _download(login_client(cast.users.city_coordinator))

    ids = {row[0] for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
    assert ids == {cast.projects.materials.pk, cast.projects.road.pk, cast.projects.hospital.pk}


# ---- the round trip -------------------------------------------------------------------


def test_round_trip_downloads_fills_checks_applies_and_submits(cast, coordinator):
    materials, road = cast.projects.materials, cast.projects.road
    draft = _report(road, ReportStatus.DRAFT, "12.5", progress="旧进度")
    _, book = _download(coordinator)
    _fill(book.worksheets[0], materials, "1,234.5", "主体结构封顶", "用地指标不足")
    _fill(book.worksheets[0], road, 300, "路基完成\n路面摊铺 40%", None)

    upload = _uploaded(_upload(coordinator, _xlsx(book)))

    assert (upload.status, upload.errors, upload.region) == ("checked", [], cast.region)
    assert upload.by == cast.users.coordinator
    sheet = book.worksheets[0]
    assert sorted(upload.rows, key=lambda r: r["row"]) == sorted(
        [
            {
                "row": _row_of(sheet, materials), "project": materials.pk, "name": materials.name, "region": "交城县",
                "completed": "1234.50", "progress": "主体结构封顶", "problems": "用地指标不足", "warning": "",
            },
            {
                "row": _row_of(sheet, road), "project": road.pk, "name": road.name, "region": "交城县",
                "completed": "300.00", "progress": "路基完成\n路面摊铺 40%", "problems": "", "warning": "",
            },
        ],
        key=lambda r: r["row"],
    )
    assert _reports() == [(road.pk, YEAR, MONTH, Decimal("12.5"), "draft", "旧进度")]  # the dry run saved nothing

    review = coordinator.get(reverse("reports:bulk_review", kwargs={"pk": upload.pk}))
    assert review.status_code == 200
    assert b'data-testid="apply"' in review.content

    response = coordinator.post(reverse("reports:bulk_apply", kwargs={"pk": upload.pk}), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "已导入并提交 2 份月报（新建 1 份，更新 1 份），已进入审核队列。"
    ]
    with scopes_disabled():
        saved = {
            r.project_id: r
            for r in MonthlyReport.objects.filter(year=YEAR, month=MONTH).select_related("period", "submitted_by")
        }
    assert {pk: (r.completed, r.progress, r.problems_text, r.status, r.submitted_by) for pk, r in saved.items()} == {
        materials.pk: (Decimal("1234.50"), "主体结构封顶", "用地指标不足", "submitted", cast.users.coordinator),
        road.pk: (Decimal("300.00"), "路基完成\n路面摊铺 40%", "", "submitted", cast.users.coordinator),
    }
    assert saved[road.pk].pk == draft.pk  # the draft was updated, not duplicated
    assert (saved[materials.pk].period.region, saved[materials.pk].period.month) == (cast.region, MONTH)
    upload = reload(upload)
    assert upload.status == "applied" and upload.applied_at is not None


def test_rows_with_nothing_in_the_fill_columns_are_skipped(cast, coordinator):
    _, book = _download(coordinator)
    _fill(book.worksheets[0], cast.projects.road, 0)

    response = _upload(coordinator, _xlsx(book))

    upload = _uploaded(response)
    assert [(row["project"], row["completed"]) for row in upload.rows] == [(cast.projects.road.pk, "0.00")]
    messages = [str(m) for m in coordinator.get(response.url).context["messages"]]
    assert messages == ["已校验：可导入 1 行，有错误 0 行，未填写跳过 1 行。"]


# ---- row errors -----------------------------------------------------------------------


def test_a_file_with_errors_lists_each_by_row_and_column_and_saves_nothing(cast, coordinator, make_project):
    materials, road, hospital = cast.projects.materials, cast.projects.road, cast.projects.hospital
    approved = make_project(name="已审核项目", stage=Stage.CONSTRUCTION)
    _report(approved, ReportStatus.APPROVED, "10")
    formula, no_amount, skipped, too_big = (make_project(name=f"项目{i}", stage=Stage.CONSTRUCTION) for i in range(4))
    planning = make_project(name="谋划项目")  # stage planning: owes no report
    before = _reports()
    book = _handmade(
        [
            (materials.pk, "很多"),  # row 3
            (road.pk, -5),  # 4
            (999999, 10),  # 5: no such project
            (hospital.pk, 10),  # 6: 文水县, outside 交城县
            None,  # 7: blank
            (materials.pk, 10),  # 8: materials again
            (approved.pk, 10),  # 9
            (formula.pk, "=100*2"),  # 10
            (no_amount.pk, None, "只写了进度"),  # 11
            (skipped.pk, None),  # 12: nothing to fill in: skipped
            (too_big.pk, 5000),  # 13: total investment 1000
            (planning.pk, 10),  # 14
            ("十二", 10),  # 15
        ],
        # Header texts are matched loosely: spaces, half-width brackets, case.
        headers=["项目 id", "项目名称", "本月完成投资(万元)", "形象进度", "存在问题"],
    )

    upload = _uploaded(_upload(coordinator, _xlsx(book)))

    outside = "项目ID不存在或不在您的管辖范围内。"
    too_big_message = "本月完成投资 5000.00 万元超过项目总投资 1000.00 万元，请核对单位是否为万元。"
    assert upload.errors == [
        {"row": 3, "column": "本月完成投资", "message": "须为数字，单位万元（如 1234.5 或 1,234.5）。"},
        {"row": 4, "column": "本月完成投资", "message": "不能为负数。"},
        {"row": 5, "column": "项目ID", "message": outside},
        {"row": 6, "column": "项目ID", "message": outside},
        {"row": 8, "column": "项目ID", "message": "项目重复：与第 3 行是同一项目。"},
        {"row": 9, "column": "项目ID", "message": "本月月报已审核，不能覆盖。"},
        {"row": 10, "column": "本月完成投资", "message": "不能使用公式，请填写数值。"},
        {"row": 11, "column": "本月完成投资", "message": "请填写本月完成投资。"},
        {"row": 13, "column": "本月完成投资", "message": too_big_message},
        {"row": 14, "column": "项目ID", "message": "该项目不在前期或在建阶段（或已归档），无需填报月报。"},
        {"row": 15, "column": "项目ID", "message": "项目ID须为整数，请勿修改模板中的项目ID。"},
    ]
    assert upload.rows == []
    review = coordinator.get(reverse("reports:bulk_review", kwargs={"pk": upload.pk}))
    assert b'data-testid="errors"' in review.content and b'data-testid="apply"' not in review.content
    assert review.context["blocked"] == "文件中有错误，请修改后重新上传。"

    refused = coordinator.post(reverse("reports:bulk_apply", kwargs={"pk": upload.pk}))

    assert refused.status_code == 400
    assert refused.context["refusal"] == "未保存任何数据：文件中有错误，请修改后重新上传。"
    assert _reports() == before
    assert reload(upload).status == "checked"


def test_a_submitted_report_cannot_be_overwritten(cast, coordinator):
    _report(cast.projects.road, ReportStatus.SUBMITTED, "10")

    upload = _uploaded(_upload(coordinator, _xlsx(_handmade([(cast.projects.road.pk, 20)]))))

    assert upload.errors == [{"row": 3, "column": "项目ID", "message": "本月月报已提交，不能覆盖。"}]


def test_a_closed_period_takes_no_more_reports(cast, coordinator):
    with scopes_disabled():
        Period.for_month(cast.region, YEAR, MONTH).close(by=cast.users.coordinator)

    upload = _uploaded(_upload(coordinator, _xlsx(_handmade([(cast.projects.road.pk, 20)]))))

    assert upload.errors == [{"row": 3, "column": "项目ID", "message": "本月填报期已关账，不能再填报。"}]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1234.5, (Decimal("1234.50"), "")),
        (0, (Decimal("0.00"), "")),
        ("1,234.5", (Decimal("1234.50"), "")),
        (" １２３ ", (Decimal("123.00"), "")),  # full-width digits, spaces
        ("0.005", (Decimal("0.01"), "")),
        (0.1 + 0.2, (Decimal("0.30"), "")),
        ("", (None, "请填写本月完成投资。")),
        ("abc", (None, "须为数字，单位万元（如 1234.5 或 1,234.5）。")),
        ("1,23", (None, "须为数字，单位万元（如 1234.5 或 1,234.5）。")),
        ("1e5", (None, "须为数字，单位万元（如 1234.5 或 1,234.5）。")),
        ("-1", (None, "不能为负数。")),
        (-0.5, (None, "不能为负数。")),
        ("=A1*2", (None, "不能使用公式，请填写数值。")),
        (True, (None, "须为数字。")),
        (datetime.datetime(2025, 1, 1), (None, "须为数字。")),
        (10**13, (None, "数值过大，请核对单位是否为万元。")),
    ],
)
def test_amounts_are_read_as_wan_yuan_to_the_cent(value, expected):
    assert parse_amount(value) == expected


# ---- the over-total warning -----------------------------------------------------------


def test_since_start_above_the_total_needs_an_explicit_confirmation(cast, coordinator):
    road = cast.projects.road
    with scopes_disabled():
        road.opening_completed = Decimal("7900")
        road.save()
    upload = _uploaded(_upload(coordinator, _xlsx(_handmade([(road.pk, 300)]))))
    assert upload.rows[0]["warning"] == "开工以来累计完成 8200.00 万元将超过总投资 8000.00 万元。"
    review = coordinator.get(reverse("reports:bulk_review", kwargs={"pk": upload.pk}))
    assert b'name="confirm_over_total"' in review.content

    unconfirmed = coordinator.post(reverse("reports:bulk_apply", kwargs={"pk": upload.pk}))

    assert unconfirmed.status_code == 400
    assert unconfirmed.context["refusal"] == "未保存任何数据：有项目开工以来累计完成将超过总投资，请核实后勾选确认。"
    assert _reports() == []

    confirmed = coordinator.post(reverse("reports:bulk_apply", kwargs={"pk": upload.pk}), {"confirm_over_total": "on"})

    assert confirmed.status_code == 302
    with scopes_disabled():
        report = MonthlyReport.objects.get(project=road, year=YEAR, month=MONTH)
    assert (report.completed, report.over_total_confirmed, report.status) == (Decimal("300.00"), True, "submitted")


# ---- refused files --------------------------------------------------------------------


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


NOT_A_WORKBOOK = "文件不是有效的 Excel 工作簿（可能是改了扩展名的其他文件），请使用本页下载的模板。"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("月报.xls", b"\xd0\xcf\x11\xe0old excel", XLSX_ONLY),
        ("月报.csv", "项目ID,本月完成投资\n1,2\n".encode(), XLSX_ONLY),
        ("月报.xlsx", "项目ID,本月完成投资\n1,2\n".encode(), NOT_A_WORKBOOK),  # text renamed
        ("报告.xlsx", _zip_without_workbook(), NOT_A_WORKBOOK),  # a zip, but not a workbook
        ("大文件.xlsx", b"PK" + b"0" * (5 * 1024 * 1024), "文件不能超过 5 MB。"),
        (
            "无表头.xlsx",
            _bytes(_handmade([(1, 2)], headers=["编号", "金额"])),
            "找不到表头行：前 10 行中须有“项目ID”和“本月完成投资（万元）”两列，请使用本页下载的模板。",
        ),
        (
            "上月.xlsx",
            _bytes(_handmade([(1, 2)], title=f"交城县 {YEAR}年11月 重点项目月报批量填报")),
            f"文件是{YEAR}年11月的填报模板，与所选填报期{YEAR}年12月不一致，请下载本月模板或切换填报期。",
        ),
        ("空白.xlsx", _bytes(_handmade([None, None])), "文件中没有填写任何项目的本月完成投资。"),
    ],
    ids=["xls", "csv", "renamed-text", "zip-not-workbook", "oversize", "no-header", "other-month", "nothing-filled"],
)
def test_files_that_are_not_a_filled_template_are_refused_with_a_message(cast, coordinator, name, content, message):
    response = _upload(coordinator, SimpleUploadedFile(name, content))

    assert response.status_code == 400
    assert response.context["form"].errors == {"file": [message]}
    assert message.encode() in response.content
    with scopes_disabled():
        assert BulkUpload.objects.count() == 0


def _damaged_sheet() -> bytes:
    """A real workbook whose sheet XML is cut off halfway."""
    source = zipfile.ZipFile(io.BytesIO(_bytes(_handmade([(1, 2)] * 50))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
    return buffer.getvalue()


def test_a_damaged_sheet_is_refused(cast, coordinator):
    response = _upload(coordinator, SimpleUploadedFile("坏.xlsx", _damaged_sheet()))

    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["文件内容已损坏，无法读取；请在 Excel 中打开并另存后再上传。"]}


def test_a_file_over_the_row_limit_is_refused(cast, coordinator, monkeypatch):
    monkeypatch.setattr("reports.bulk.MAX_ROWS", 3)
    rows = [(cast.projects.road.pk, 1)] + [None] * 20 + [(cast.projects.materials.pk, 1)]

    response = _upload(coordinator, _xlsx(_handmade(rows)))

    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["文件超过 3 行，请分批上传。"]}


def test_a_file_filling_more_projects_than_one_apply_takes_is_refused(cast, coordinator, monkeypatch):
    monkeypatch.setattr("reports.bulk.MAX_FILLED_ROWS", 1)
    rows = [(cast.projects.road.pk, 1), (cast.projects.materials.pk, None), (cast.projects.materials.pk, 1)]

    response = _upload(coordinator, _xlsx(_handmade(rows)))

    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["一次最多导入 1 个项目，请分批上传。"]}


def test_a_future_month_is_refused(cast, coordinator):
    today = timezone.localdate()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)

    response = _upload(coordinator, _xlsx(_handmade([(cast.projects.road.pk, 1)])), year=year, month=month)

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["不能填报未来月份。"]


def test_a_template_for_an_impossible_month_sends_back_to_the_page(cast, coordinator):
    response = coordinator.get(reverse("reports:bulk_template"), {"year": YEAR, "month": 13}, follow=True)

    assert response.redirect_chain == [(reverse("reports:bulk_upload"), 302)]
    assert [str(m) for m in response.context["messages"]] == ["填报期有误。"]


def test_the_page_defaults_to_this_month(cast, coordinator):
    response = coordinator.get(reverse("reports:bulk_upload"))

    today = timezone.localdate()
    assert (response.status_code, response.context["year"], response.context["month"]) == (200, today.year, today.month)
    template_url = f'{reverse("reports:bulk_template")}?year={today.year}&amp;month={today.month}'
    assert template_url.encode() in response.content


# ---- who may apply --------------------------------------------------------------------


def _checked_upload(region, rows=(), by=None) -> BulkUpload:
    with scopes_disabled():
        return BulkUpload.objects.create(
            region=region, year=YEAR, month=MONTH, file_name="a.xlsx", rows=list(rows), by=by
        )


def _row(project, number=3, completed="10.00") -> dict:
    return {"row": number, "project": project.pk, "name": project.name, "region": project.region.name,
            "completed": completed, "progress": "", "problems": "", "warning": ""}


def test_another_regions_upload_is_not_found(cast, coordinator):
    upload = _checked_upload(cast.regions.xiaodian, [_row(cast.projects.xiaodian)])

    for name in ("reports:bulk_review", "reports:bulk_apply", "reports:bulk_discard"):
        method = coordinator.get if name == "reports:bulk_review" else coordinator.post
        assert method(reverse(name, kwargs={"pk": upload.pk})).status_code == 404, name
    assert reload(upload).status == "checked"


def test_a_city_coordinator_cannot_apply_a_county_upload(cast):
    upload = _checked_upload(cast.region, [_row(cast.projects.road)])

    response = login_client(cast.users.city_coordinator).post(reverse("reports:bulk_apply", kwargs={"pk": upload.pk}))

    assert response.status_code == 404
    assert _reports() == []


@pytest.mark.parametrize("role", ["reporter", "leader", "handler", "promoter", "enterprise"])
def test_other_roles_may_not_apply_or_download(cast, role):
    upload = _checked_upload(cast.region, [_row(cast.projects.road)])
    client = login_client(getattr(cast.users, role))

    assert client.post(reverse("reports:bulk_apply", kwargs={"pk": upload.pk})).status_code == 403
    assert client.get(reverse("reports:bulk_template")).status_code == 403
    assert client.get(reverse("reports:bulk_upload")).status_code == 403
    assert _reports() == []
    assert reload(upload).status == "checked"


# ---- apply is all or nothing ----------------------------------------------------------


def test_a_report_submitted_after_the_dry_run_aborts_the_whole_apply(cast, coordinator):
    materials, road = cast.projects.materials, cast.projects.road
    upload = _uploaded(_upload(coordinator, _xlsx(_handmade([(materials.pk, 100), (road.pk, 200)]))))
    meanwhile = _report(road, ReportStatus.DRAFT, "55")
    with scopes_disabled():
        meanwhile.submit(by=cast.users.reporter)
    before = _reports()

    response = coordinator.post(reverse("reports:bulk_apply", kwargs={"pk": upload.pk}))

    assert response.status_code == 400
    assert response.context["refusal"] == "未保存任何数据：部分项目的月报状态已变化。"
    assert _reports() == before == [(road.pk, YEAR, MONTH, Decimal("55"), "submitted", "")]
    upload = reload(upload)
    assert upload.status == "checked"
    assert upload.errors == [{"row": 4, "column": "项目ID", "message": "本月月报已提交，不能覆盖。"}]
    review = coordinator.get(reverse("reports:bulk_review", kwargs={"pk": upload.pk}))
    assert b'data-testid="apply"' not in review.content


def test_a_row_failing_at_save_time_rolls_back_the_rows_saved_before_it(cast, coordinator):
    materials, road = cast.projects.materials, cast.projects.road
    upload = _uploaded(_upload(coordinator, _xlsx(_handmade([(materials.pk, 100), (road.pk, 300)]))))
    # Meanwhile an earlier month of the road is approved: its since-start now passes the total investment.
    _report(road, ReportStatus.APPROVED, "7900", month=MONTH - 1)
    before = _reports()

    response = coordinator.post(reverse("reports:bulk_apply", kwargs={"pk": upload.pk}))

    assert response.status_code == 400
    assert response.context["refusal"] == "未保存任何数据：部分月报未通过校验。"
    assert _reports() == before  # materials, saved first inside the transaction, is gone too
    with scopes_disabled():
        assert not Period.objects.filter(region=cast.region, year=YEAR, month=MONTH).exists()
    (error,) = reload(upload).errors
    assert (error["row"], error["column"]) == (4, "本月完成投资")
    assert error["message"].startswith("开工以来累计完成 8200") and "将超过总投资 8000" in error["message"]
    assert reload(upload).status == "checked"


def test_an_upload_is_applied_once(cast, coordinator):
    upload = _checked_upload(cast.region, [_row(cast.projects.road)], by=cast.users.coordinator)
    url = reverse("reports:bulk_apply", kwargs={"pk": upload.pk})

    assert coordinator.post(url).status_code == 302
    again = coordinator.post(url)

    assert again.status_code == 400
    assert again.context["refusal"] == "未保存任何数据：该文件已导入，不能再导入。"
    with scopes_disabled():
        assert MonthlyReport.objects.filter(project=cast.projects.road).count() == 1


def test_a_check_older_than_a_day_must_be_uploaded_again(cast, coordinator):
    upload = _checked_upload(cast.region, [_row(cast.projects.road)])
    with scopes_disabled():
        BulkUpload.objects.filter(pk=upload.pk).update(created_at=timezone.now() - datetime.timedelta(hours=25))

    response = coordinator.post(reverse("reports:bulk_apply", kwargs={"pk": upload.pk}))

    assert response.status_code == 400
    assert response.context["refusal"] == "未保存任何数据：校验结果已超过 24 小时，数据可能已变化，请重新上传。"
    assert _reports() == []


def test_discarding_marks_the_upload_and_saves_nothing(cast, coordinator):
    upload = _checked_upload(cast.region, [_row(cast.projects.road)])

    response = coordinator.post(reverse("reports:bulk_discard", kwargs={"pk": upload.pk}))

    assert response.status_code == 302
    assert response.url == f"{reverse('reports:bulk_upload')}?year={YEAR}&month={MONTH}"
    assert reload(upload).status == "discarded"
    assert coordinator.post(reverse("reports:bulk_apply", kwargs={"pk": upload.pk})).status_code == 400
    assert _reports() == []


# ---- query counts ---------------------------------------------------------------------


def test_review_page_query_count_does_not_grow_with_rows(cast, coordinator, django_assert_num_queries):
    rows = [_row(cast.projects.road, number=n) for n in range(3, 503)]
    upload = _checked_upload(cast.region, rows, by=cast.users.coordinator)
    url = reverse("reports:bulk_review", kwargs={"pk": upload.pk})

    # 1 session, 2 user, 3 the user's region (scope), 4 the upload with its uploader, 5 the unread
    # notifications badge, 6-8 the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(8):
        response = coordinator.get(url)

    assert response.status_code == 200
    assert len(response.context["upload"].rows) == 500


def test_an_english_template_of_another_month_is_still_recognised():
    from django.core.exceptions import ValidationError

    from reports.bulk import _check_title_period

    with pytest.raises(ValidationError, match="与所选填报期"):
        _check_title_period(["Jiaocheng 11/2026 bulk monthly reporting [2026-11]"], 2026, 10)
    _check_title_period(["Jiaocheng 10/2026 bulk monthly reporting [2026-10]"], 2026, 10)


def test_template_writes_formula_like_text_as_text(cast, coordinator):
    with scopes_disabled():
        Project.objects.filter(pk=cast.projects.road.pk).update(name='=HYPERLINK("http://x.example","点此")')
    _report(cast.projects.road, ReportStatus.RETURNED, "12.5", progress="=1+1")

    _response, book = _download(coordinator)

    names = {row[2]: row for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
    row = names["'=HYPERLINK(\"http://x.example\",\"点此\")"]
    assert row[9] == "'=1+1"

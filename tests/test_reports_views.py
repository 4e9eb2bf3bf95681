"""The reporting screens: the report form and its workflow, review, corrections, photos,
the period overview, the colour lists, the rules page and the project page's reporting card.

Every write is checked by reading the rows back; every refusal by checking nothing changed.
"""

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from openpyxl import load_workbook
from PIL import Image

from projects.models import Milestone, Project, Stage
from reports import colours
from reports.models import (
    Colour,
    Correction,
    MonthlyReport,
    Period,
    ProjectColour,
    ReportingRules,
    ReportPhoto,
    ReportStatus,
    ScheduleCurve,
    previous_month,
)

from .conftest import THIS_YEAR, reload

pytestmark = pytest.mark.usefixtures("unscoped")

YEAR, MONTH = colours.current_month()
LAST_YEAR, LAST_MONTH = previous_month(YEAR, MONTH)


# ---- helpers ----


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def assigned(cast):
    """The county reporter fills the reports of the graphite plant and the road."""
    cast.users.reporter.reported_projects.set([cast.projects.materials, cast.projects.road])
    return cast


def report_url(project, year=YEAR, month=MONTH) -> str:
    return reverse("reports:report", kwargs={"pk": project.pk, "year": year, "month": month})


def make_report(project, status=ReportStatus.DRAFT, completed="100", year=YEAR, month=MONTH, by=None, **extra):
    """A report written straight to the database, in the state asked for."""
    period = Period.for_month(project.region, year, month)
    if status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED):
        extra.setdefault("submitted_at", timezone.now())
        extra.setdefault("submitted_by", by)
    if status == ReportStatus.APPROVED:
        extra.setdefault("approved_at", timezone.now())
    return MonthlyReport.objects.create(
        project=project, period=period, year=year, month=month, completed=Decimal(completed), status=status, **extra
    )


def form_data(action="save", **overrides) -> dict:
    data = {
        "completed": "1234.50",
        "progress": "主体结构完成至第6层",
        "problems_text": "施工用电增容待批复",
        "action": action,
    }
    data.update(overrides)
    return data


def png_upload(name="site.png", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def field_errors(response, form="form") -> dict:
    return {name: list(errors) for name, errors in response.context[form].errors.items()}


def report_row(project, year=YEAR, month=MONTH) -> MonthlyReport:
    return MonthlyReport.objects.get(project=project, year=year, month=month)


# ---- the report form: saving and the workflow ----


def test_reporter_saves_a_draft_and_every_field_is_stored(assigned, client_for):
    project = assigned.projects.materials
    milestone = Milestone.objects.create(project=project, name="主体封顶", planned_on=datetime.date(YEAR, 1, 31))
    today = timezone.localdate()

    response = client_for(assigned.users.reporter).post(
        report_url(project), form_data(over_total_confirmed="on", **{f"milestone_{milestone.pk}": today.isoformat()})
    )

    assert response.status_code == 302
    assert response.url == report_url(project)
    report = report_row(project)
    assert (report.status, report.completed, report.progress, report.problems_text, report.over_total_confirmed) == (
        ReportStatus.DRAFT, Decimal("1234.50"), "主体结构完成至第6层", "施工用电增容待批复", True,
    )  # fmt: skip
    assert (report.period.region, report.period.year, report.period.month) == (assigned.region, YEAR, MONTH)
    assert (report.submitted_at, report.submitted_by) == (None, None)
    assert reload(milestone).actual_on == today


def test_the_workflow_draft_submitted_returned_resubmitted_approved(
    assigned, client_for, django_capture_on_commit_callbacks
):
    project = assigned.projects.materials
    reporter = client_for(assigned.users.reporter)
    coordinator = client_for(assigned.users.coordinator)

    reporter.post(report_url(project), form_data("save", completed="100"))
    assert report_row(project).status == ReportStatus.DRAFT

    reporter.post(report_url(project), form_data("submit", completed="100"))
    report = report_row(project)
    assert (report.status, report.submitted_by) == (ReportStatus.SUBMITTED, assigned.users.reporter)
    assert report.submitted_at is not None

    response = coordinator.post(
        reverse("reports:return", args=[report.pk]), {"return_reason": "本月完成投资与台账不符"}
    )
    assert response.status_code == 302
    report = reload(report)
    assert (report.status, report.return_reason) == (ReportStatus.RETURNED, "本月完成投资与台账不符")

    page = reporter.get(report_url(project))
    assert page.context["editable"] is True
    assert "本月完成投资与台账不符" in page.content.decode()

    reporter.post(report_url(project), form_data("submit", completed="2600"))
    report = reload(report)
    assert (report.status, report.completed, report.return_reason) == (ReportStatus.SUBMITTED, Decimal("2600"), "")

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(reverse("reports:approve", args=[report.pk]))
    assert response.status_code == 302
    report = reload(report)
    assert (report.status, report.approved_by) == (ReportStatus.APPROVED, assigned.users.coordinator)
    colour = ProjectColour.objects.get(project=project, year=YEAR, month=MONTH)
    assert colour.ytd_completed == Decimal("2600")


def test_a_new_report_can_be_submitted_in_one_step(assigned, client_for):
    project = assigned.projects.road

    response = client_for(assigned.users.reporter).post(report_url(project), form_data("submit", completed="0"))

    assert response.status_code == 302
    report = report_row(project)
    assert (report.status, report.completed) == (ReportStatus.SUBMITTED, Decimal("0"))


def test_a_coordinator_may_fill_in_a_report_for_any_project_of_the_county(cast, client_for):
    response = client_for(cast.users.coordinator).post(report_url(cast.projects.road), form_data("save"))

    assert response.status_code == 302
    assert report_row(cast.projects.road).completed == Decimal("1234.50")


def test_the_page_shows_year_to_date_since_start_schedule_share_and_colour(assigned, client_for):
    project = assigned.projects.materials
    with scopes_disabled():
        Project.objects.filter(pk=project.pk).update(opening_completed=Decimal("5000"))
    make_report(project, ReportStatus.APPROVED, completed="300", year=LAST_YEAR, month=LAST_MONTH)
    make_report(project, ReportStatus.DRAFT, completed="200")
    colours.recompute(YEAR, MONTH, project_ids=[project.pk])

    response = client_for(assigned.users.reporter).get(report_url(project))

    context = response.context
    same_year = LAST_YEAR == YEAR
    assert context["ytd"] == Decimal("500" if same_year else "200")
    assert context["since_start"] == Decimal("5500")
    assert context["plan"] == Decimal("30000")
    assert context["share"] == ScheduleCurve.linear()[MONTH - 1]
    assert context["colour"] == ProjectColour.objects.get(project=project, year=YEAR, month=MONTH)
    reasons = re.search(r'data-testid="colour-reasons">(.*?)</ul>', response.content.decode(), re.S)[1]
    assert colours.reason_texts(context["colour"])[0] in reasons


def test_a_submitted_report_is_read_only_for_its_reporter(assigned, client_for):
    report = make_report(assigned.projects.materials, ReportStatus.SUBMITTED, completed="100")
    client = client_for(assigned.users.reporter)

    page = client.get(report_url(assigned.projects.materials))
    response = client.post(report_url(assigned.projects.materials), form_data("submit", completed="999"))

    assert page.context["form"] is None
    assert response.status_code == 400
    assert "该月报当前不能修改" in response.content.decode()
    assert reload(report).completed == Decimal("100")


def test_an_approved_report_is_read_only_even_for_the_coordinator(assigned, client_for):
    report = make_report(assigned.projects.materials, ReportStatus.APPROVED, completed="100")

    response = client_for(assigned.users.coordinator).post(report_url(assigned.projects.materials), form_data())

    assert response.status_code == 400
    assert reload(report).completed == Decimal("100")


def test_nothing_is_written_in_a_closed_period(assigned, client_for):
    project = assigned.projects.materials
    Period.for_month(project.region, YEAR, MONTH).close(by=assigned.users.coordinator)

    response = client_for(assigned.users.reporter).post(report_url(project), form_data("submit"))

    assert response.status_code == 400
    assert not MonthlyReport.objects.filter(project=project).exists()


# ---- the report form: who may ----


def test_a_reporter_writes_only_the_reports_of_projects_assigned_to_them(assigned, client_for):
    client = client_for(assigned.users.reporter)
    hospital = assigned.projects.hospital  # 文水县: outside the county
    with scopes_disabled():
        other = Project.objects.create(
            name="未指派项目", region=assigned.region, category="industry", total_investment=Decimal("100"),
            stage=Stage.PREPARING, preparing_on=datetime.date(2024, 1, 1),
        )  # fmt: skip

    assert client.get(report_url(other)).status_code == 403
    assert client.post(report_url(other), form_data()).status_code == 403
    assert client.get(report_url(hospital)).status_code == 404
    assert client.post(report_url(hospital), form_data()).status_code == 404
    assert not MonthlyReport.objects.exists()


def test_a_leader_reads_a_report_but_may_not_write_it(cast, client_for):
    make_report(cast.projects.materials, ReportStatus.SUBMITTED, completed="88")
    client = client_for(cast.users.leader)

    page = client.get(report_url(cast.projects.materials))
    response = client.post(report_url(cast.projects.materials), form_data())

    assert (page.status_code, page.context["form"], page.context["report"].completed) == (200, None, Decimal("88"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("user", "status"), [("enterprise", 403), ("handler", 403), ("promoter", 403), ("outsider", 404)]
)
def test_other_roles_may_not_open_a_report(cast, client_for, user, status):
    assert client_for(getattr(cast.users, user)).get(report_url(cast.projects.materials)).status_code == status


@pytest.mark.parametrize(("year", "month"), [(YEAR, 13), (1999, 5), (YEAR + 1, 1)])
def test_a_month_that_is_not_reportable_is_not_found(cast, client_for, year, month):
    url = f"/reports/projects/{cast.projects.materials.pk}/{year}/{month}/"

    assert client_for(cast.users.coordinator).get(url).status_code == 404


# ---- the report form: bad input ----


def test_a_negative_figure_is_refused_with_a_chinese_message(assigned, client_for):
    response = client_for(assigned.users.reporter).post(
        report_url(assigned.projects.materials), form_data(completed="-5")
    )

    assert response.status_code == 400
    assert field_errors(response) == {"completed": ["金额不能为负数。"]}
    assert not MonthlyReport.objects.exists()


def test_a_missing_figure_and_a_missing_action_are_refused(assigned, client_for):
    client = client_for(assigned.users.reporter)

    empty = client.post(report_url(assigned.projects.materials), {})
    no_action = client.post(report_url(assigned.projects.materials), form_data(action=""))

    assert empty.status_code == no_action.status_code == 400
    assert field_errors(empty)["completed"] == ["这个字段是必填项。"]
    assert field_errors(no_action) == {"__all__": ["请选择“保存草稿”或“提交”。"]}
    assert not MonthlyReport.objects.exists()


def test_passing_the_total_investment_needs_an_explicit_confirmation(assigned, client_for):
    project = assigned.projects.road  # total investment 8,000
    client = client_for(assigned.users.reporter)

    refused = client.post(report_url(project), form_data("submit", completed="9000"))
    confirmed = client.post(report_url(project), form_data("submit", completed="9000", over_total_confirmed="on"))

    assert refused.status_code == 400
    assert "超过总投资 8000.00 万元" in field_errors(refused)["over_total_confirmed"][0]
    assert confirmed.status_code == 302
    assert report_row(project).over_total_confirmed is True


def test_a_milestone_date_in_the_future_is_refused(assigned, client_for):
    project = assigned.projects.materials
    milestone = Milestone.objects.create(project=project, name="设备安装")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client_for(assigned.users.reporter).post(
        report_url(project), form_data(**{f"milestone_{milestone.pk}": tomorrow.isoformat()})
    )

    assert response.status_code == 400
    assert field_errors(response) == {f"milestone_{milestone.pk}": ["实际完成日期不能晚于今天。"]}
    assert reload(milestone).actual_on is None


# ---- photos ----


def test_a_real_png_is_accepted_stored_and_served_through_the_access_check(assigned, client_for, tmp_path):
    project = assigned.projects.materials
    upload = png_upload()

    response = client_for(assigned.users.reporter).post(report_url(project), {**form_data(), "photos": [upload]})

    assert response.status_code == 302
    photo = ReportPhoto.objects.get(report__project=project)
    assert (tmp_path / photo.image.name).exists()
    served = client_for(assigned.users.leader).get(reverse("reports:photo", args=[photo.pk]))
    assert (served.status_code, served["Content-Type"]) == (200, "image/png")
    assert b"".join(served.streaming_content) == (tmp_path / photo.image.name).read_bytes()
    assert client_for(assigned.users.outsider).get(reverse("reports:photo", args=[photo.pk])).status_code == 404
    assert client_for(assigned.users.handler).get(reverse("reports:photo", args=[photo.pk])).status_code == 403


def test_a_text_file_renamed_jpg_is_refused(assigned, client_for):
    fake = SimpleUploadedFile("site.jpg", "这不是图片".encode(), content_type="image/jpeg")

    response = client_for(assigned.users.reporter).post(
        report_url(assigned.projects.materials), {**form_data(), "photos": [fake]}
    )

    assert response.status_code == 400
    assert field_errors(response) == {"photos": ["site.jpg：文件不是有效的图片。"]}
    assert not MonthlyReport.objects.exists()
    assert not ReportPhoto.objects.exists()


def test_a_photo_over_5_mb_is_refused(assigned, client_for):
    # A real PNG padded past the limit: the size check comes before any decoding.
    big = SimpleUploadedFile("big.png", png_upload().read() + bytes(5 * 1024 * 1024), content_type="image/png")

    response = client_for(assigned.users.reporter).post(
        report_url(assigned.projects.materials), {**form_data(), "photos": [big]}
    )

    assert response.status_code == 400
    assert field_errors(response) == {"photos": ["big.png：照片不能超过 5 MB。"]}
    assert not ReportPhoto.objects.exists()


def test_a_photo_of_a_draft_can_be_deleted_by_its_reporter_only(assigned, client_for, tmp_path):
    report = make_report(assigned.projects.materials)
    photo = ReportPhoto.objects.create(report=report, image=png_upload())
    stored = tmp_path / photo.image.name
    url = reverse("reports:photo_delete", args=[photo.pk])

    assert client_for(assigned.users.leader).post(url).status_code == 403
    response = client_for(assigned.users.reporter).post(url)

    assert response.status_code == 302
    assert not ReportPhoto.objects.exists()
    assert not stored.exists()


# ---- review: approve, return, correct ----


def test_return_needs_a_reason(assigned, client_for):
    report = make_report(assigned.projects.materials, ReportStatus.SUBMITTED)

    response = client_for(assigned.users.coordinator).post(reverse("reports:return", args=[report.pk]), {})

    assert response.status_code == 400
    assert field_errors(response, "return_form") == {"return_reason": ["请填写退回原因。"]}
    assert reload(report).status == ReportStatus.SUBMITTED


def test_approving_a_draft_is_refused(assigned, client_for):
    report = make_report(assigned.projects.materials, ReportStatus.DRAFT)

    response = client_for(assigned.users.coordinator).post(reverse("reports:approve", args=[report.pk]))

    assert response.status_code == 400
    assert "只有已提交的月报可以审核通过。" in response.content.decode()
    assert reload(report).status == ReportStatus.DRAFT


@pytest.mark.parametrize("user", ["reporter", "leader", "enterprise"])
def test_only_coordinators_review(assigned, client_for, user):
    report = make_report(assigned.projects.materials, ReportStatus.SUBMITTED)
    client = client_for(getattr(assigned.users, user))

    statuses = [
        client.post(reverse("reports:approve", args=[report.pk])).status_code,
        client.post(reverse("reports:return", args=[report.pk]), {"return_reason": "x"}).status_code,
    ]

    assert statuses == [403, 403]
    assert reload(report).status == ReportStatus.SUBMITTED


def test_a_correction_records_who_why_and_old_to_new(assigned, client_for):
    report = make_report(assigned.projects.materials, ReportStatus.APPROVED, completed="500")
    client = client_for(assigned.users.coordinator)

    response = client.post(
        reverse("reports:correct", args=[report.pk]), {"completed": "450", "reason": "重复统计设备款"}
    )

    assert response.status_code == 302
    correction = Correction.objects.get(report=report)
    assert (correction.old_completed, correction.new_completed, correction.reason, correction.by) == (
        Decimal("500"), Decimal("450"), "重复统计设备款", assigned.users.coordinator,
    )  # fmt: skip
    assert correction.is_restatement is False
    assert (reload(report).completed, reload(report).status) == (Decimal("450"), ReportStatus.APPROVED)
    page = client.get(report_url(assigned.projects.materials)).content.decode()
    assert "重复统计设备款" in page and "500.00 → 450.00" in page


def test_a_correction_after_the_period_closed_is_a_restatement(assigned, client_for):
    report = make_report(assigned.projects.materials, ReportStatus.APPROVED, completed="500")
    client = client_for(assigned.users.coordinator)
    client.post(reverse("reports:period_close", args=[YEAR, MONTH]))

    client.post(reverse("reports:correct", args=[report.pk]), {"completed": "520", "reason": "补录漏报"})

    correction = Correction.objects.get(report=report)
    assert (correction.is_restatement, correction.new_completed) == (True, Decimal("520"))
    page = client.get(report_url(assigned.projects.materials)).content.decode()
    assert "重述" in page


def test_a_correction_needs_a_reason_and_a_figure(assigned, client_for):
    report = make_report(assigned.projects.materials, ReportStatus.APPROVED, completed="500")

    response = client_for(assigned.users.coordinator).post(
        reverse("reports:correct", args=[report.pk]), {"completed": "-1"}
    )

    assert response.status_code == 400
    assert field_errors(response, "correction_form") == {
        "completed": ["金额不能为负数。"],
        "reason": ["请填写更正原因。"],
    }
    assert not Correction.objects.exists()


def test_a_draft_cannot_be_corrected(assigned, client_for):
    report = make_report(assigned.projects.materials, ReportStatus.DRAFT, completed="500")

    response = client_for(assigned.users.coordinator).post(
        reverse("reports:correct", args=[report.pk]), {"completed": "1", "reason": "试试"}
    )

    assert response.status_code == 400
    assert field_errors(response, "correction_form") == {
        "__all__": ["只有已审核的月报需要更正；草稿或退回的月报请直接修改。"]
    }
    assert reload(report).completed == Decimal("500")


# ---- the approval queue ----

QUEUE_URL = reverse("reports:queue")


def queue_names(response) -> list[str]:
    return [report.project.name for report in response.context["page"].object_list]


def test_the_queue_lists_submitted_reports_of_the_subtree_oldest_first_with_flags(cast, client_for):
    now = timezone.now()
    make_report(cast.projects.road, ReportStatus.SUBMITTED, submitted_at=now, over_total_confirmed=True)
    make_report(cast.projects.materials, ReportStatus.SUBMITTED, submitted_at=now - datetime.timedelta(hours=1),
                is_outlier=True)  # fmt: skip
    make_report(cast.projects.hospital, ReportStatus.SUBMITTED)  # 文水县: not the county's
    make_report(cast.projects.materials, ReportStatus.APPROVED, year=LAST_YEAR, month=LAST_MONTH, completed="300")

    response = client_for(cast.users.coordinator).get(QUEUE_URL)

    assert queue_names(response) == [cast.projects.materials.name, cast.projects.road.name]
    html = response.content.decode()
    assert html.count('data-testid="outlier"') == 1 and html.count('data-testid="over-total"') == 1
    materials = response.context["page"].object_list[0]
    same_year = LAST_YEAR == YEAR
    assert (materials.annual_plan, materials.ytd_with_this) == (
        Decimal("30000"), Decimal("400") if same_year else Decimal("100"),
    )  # fmt: skip
    assert queue_names(client_for(cast.users.city_coordinator).get(QUEUE_URL)) == [
        cast.projects.materials.name, cast.projects.road.name, cast.projects.hospital.name,
    ]  # fmt: skip


def test_the_queue_filters_by_region_and_flag(cast, client_for):
    make_report(cast.projects.road, ReportStatus.SUBMITTED)
    make_report(cast.projects.materials, ReportStatus.SUBMITTED, is_outlier=True)
    make_report(cast.projects.hospital, ReportStatus.SUBMITTED)
    client = client_for(cast.users.city_coordinator)

    wenshui = client.get(QUEUE_URL, {"region": cast.regions.wenshui.pk})
    flagged = client.get(QUEUE_URL, {"flag": "flagged"})

    assert queue_names(wenshui) == [cast.projects.hospital.name]
    assert queue_names(flagged) == [cast.projects.materials.name]


def test_htmx_approve_redraws_the_row(cast, client_for):
    report = make_report(cast.projects.materials, ReportStatus.SUBMITTED)

    response = client_for(cast.users.coordinator).post(
        reverse("reports:approve", args=[report.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert 'data-testid="queue-done"' in response.content.decode()
    assert reload(report).status == ReportStatus.APPROVED


def test_htmx_return_without_a_reason_redraws_the_row_with_its_error(cast, client_for):
    report = make_report(cast.projects.materials, ReportStatus.SUBMITTED)

    response = client_for(cast.users.coordinator).post(
        reverse("reports:return", args=[report.pk]), {"return_reason": "  "}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400
    assert 'data-field-error="return_reason">请填写退回原因。' in response.content.decode()
    assert reload(report).status == ReportStatus.SUBMITTED


def test_a_plain_approve_goes_back_to_the_page_it_came_from_but_never_off_site(cast, client_for):
    first = make_report(cast.projects.materials, ReportStatus.SUBMITTED)
    second = make_report(cast.projects.road, ReportStatus.SUBMITTED)
    client = client_for(cast.users.coordinator)

    inside = client.post(reverse("reports:approve", args=[first.pk]), {"next": f"{QUEUE_URL}?page=2"})
    outside = client.post(reverse("reports:approve", args=[second.pk]), {"next": "https://evil.example/"})

    assert (inside.url, outside.url) == (f"{QUEUE_URL}?page=2", QUEUE_URL)


def test_an_empty_queue_says_so(cast, client_for):
    response = client_for(cast.users.coordinator).get(QUEUE_URL)

    assert 'data-testid="empty"' in response.content.decode()


@pytest.mark.parametrize("count", [2, 30])
def test_the_queue_runs_the_same_queries_for_2_or_30_reports(
    cast, client_for, make_project, count, django_assert_num_queries
):
    for index in range(count):
        project = make_project(name=f"批量项目{index}", stage=Stage.CONSTRUCTION, started_on=datetime.date(2024, 1, 1))
        make_report(project, ReportStatus.SUBMITTED, by=cast.users.reporter)
    client = client_for(cast.users.coordinator)

    # 1 session, 2 user, 3 the user's region (scope), 4 count, 5 unread notifications, 6 the region filter's
    # choices, 7 the page (project, region, submitter, period; plan and sums in subqueries), 8-10 session expiry.
    with django_assert_num_queries(10):
        response = client.get(QUEUE_URL)

    assert len(queue_names(response)) == count


# ---- the period overview ----

PERIOD_URL = reverse("reports:period")


@pytest.fixture
def period_fixture(assigned, make_project):
    """吕梁市 this month: 交城县 5 owing (1 approved, 1 submitted late, 1 returned, 1 draft, 1 none),
    文水县 2 owing (1 approved late by Beijing time, 1 none), 吕梁市本级 1 owing (none);
    plus rows that must not count."""
    c = assigned
    built = lambda **kw: make_project(stage=Stage.CONSTRUCTION, started_on=datetime.date(2024, 1, 1), **kw)  # noqa: E731
    jc_a, jc_b = built(name="交城A项目"), built(name="交城B项目")
    jc_c = make_project(name="交城C项目", stage=Stage.PREPARING, preparing_on=datetime.date(2024, 1, 1))
    ws_b = built(name="文水B项目", region=c.regions.wenshui)
    city = built(name="吕梁市本级项目", region=c.regions.lvliang)
    built(name="已归档项目").archive(by=c.users.coordinator)
    signed = make_project(
        name="签约项目",
        stage=Stage.SIGNED,
        owner_name="某公司",
        credit_code=c.users.enterprise.credit_code,
        signed_on=datetime.date(2024, 1, 1),
    )
    closes_on = Period.for_month(c.region, YEAR, MONTH).closes_on
    Period.for_month(c.regions.wenshui, YEAR, MONTH)
    beijing = timezone.get_fixed_timezone(8 * 60)
    on_time = datetime.datetime.combine(closes_on, datetime.time(23, 30), tzinfo=beijing)
    late = datetime.datetime.combine(closes_on + datetime.timedelta(days=1), datetime.time(0, 30), tzinfo=beijing)
    make_report(jc_a, ReportStatus.APPROVED, submitted_at=on_time)
    make_report(jc_b, ReportStatus.SUBMITTED, submitted_at=late)
    make_report(jc_c, ReportStatus.RETURNED, return_reason="数据有误")
    make_report(c.projects.materials, ReportStatus.DRAFT)
    make_report(c.projects.hospital, ReportStatus.APPROVED, submitted_at=late)
    make_report(signed, ReportStatus.APPROVED)  # owes no report: not counted
    make_report(c.projects.road, ReportStatus.APPROVED, year=LAST_YEAR, month=LAST_MONTH)  # another month
    make_report(c.projects.xiaodian, ReportStatus.DRAFT)  # another city
    return {"jc_c": jc_c, "ws_b": ws_b, "city": city}


def test_the_overview_counts_exactly_overall_and_per_subregion(period_fixture, cast, client_for):
    response = client_for(cast.users.city_coordinator).get(PERIOD_URL)

    overview = response.context["overview"]
    keys = ["expected", "submitted", "approved", "returned", "draft", "missing", "late"]
    as_tuple = lambda s: tuple(getattr(s, k) for k in keys)  # noqa: E731
    assert as_tuple(overview.total) == (8, 1, 2, 1, 1, 5, 2)
    assert [(row.region.name if row.region else "本级", as_tuple(row.summary)) for row in overview.rows] == [
        ("本级", (1, 0, 0, 0, 0, 1, 0)),
        ("文水县", (2, 0, 1, 0, 0, 1, 1)),
        ("交城县", (5, 1, 1, 1, 1, 3, 1)),
    ]
    assert overview.rate == 38  # 3 of 8 filed


def test_the_overview_lists_the_missing_projects_with_their_reporters(period_fixture, cast, client_for):
    response = client_for(cast.users.city_coordinator).get(PERIOD_URL)

    rows = [
        (p.name, p.report_status, [str(r) for r in p.reporters.all()]) for p in response.context["page"].object_list
    ]
    assert rows == [
        ("吕梁市本级项目", None, []),
        ("文水B项目", None, []),
        ("交城C项目", "returned", []),
        (cast.projects.road.name, None, ["孙填报"]),
        (cast.projects.materials.name, "draft", ["孙填报"]),
    ]
    assert response.context["page"].paginator.count == 5


def test_a_county_sees_its_own_counts_and_a_month_of_its_choice(period_fixture, cast, client_for):
    client = client_for(cast.users.leader)

    now = client.get(PERIOD_URL)
    before = client.get(PERIOD_URL, {"month": f"{LAST_YEAR}-{LAST_MONTH:02d}"})

    assert (now.context["overview"].total.expected, now.context["overview"].total.missing) == (5, 3)
    assert (before.context["year"], before.context["month"]) == (LAST_YEAR, LAST_MONTH)
    assert (before.context["overview"].total.approved, before.context["overview"].total.missing) == (1, 4)
    assert 'data-testid="close-period"' not in now.content.decode()  # leaders read only


@pytest.mark.parametrize("month", ["abc", "2026-13", "2099-01", "1999-12", "", "2026-1-1"])
def test_junk_months_fall_back_to_the_running_month(cast, client_for, month):
    response = client_for(cast.users.coordinator).get(PERIOD_URL, {"month": month, "page": "zz"})

    assert response.status_code == 200
    assert (response.context["year"], response.context["month"]) == (YEAR, MONTH)


def test_the_coordinator_closes_the_period_of_their_region(cast, client_for):
    response = client_for(cast.users.coordinator).post(reverse("reports:period_close", args=[YEAR, MONTH]))

    assert response.status_code == 302
    period = Period.objects.get(region=cast.region, year=YEAR, month=MONTH)
    assert (period.is_closed, period.closed_by) == (True, cast.users.coordinator)
    assert Period.objects.filter(closed_at__isnull=False).count() == 1


def test_a_future_period_cannot_be_closed(cast, client_for):
    next_year, next_month = (YEAR + MONTH // 12, MONTH % 12 + 1)

    response = client_for(cast.users.coordinator).post(reverse("reports:period_close", args=[next_year, next_month]))

    assert response.status_code == 404
    assert not Period.objects.exists()


@pytest.mark.parametrize("count", [3, 30])
def test_the_overview_runs_the_same_queries_for_3_or_30_projects(
    cast, client_for, make_project, count, django_assert_num_queries
):
    for index in range(count - 3):  # the city already has 3 projects owing a report
        project = make_project(name=f"批量项目{index}", stage=Stage.CONSTRUCTION, started_on=datetime.date(2024, 1, 1))
        project.reporters.set([cast.users.reporter])
    client = client_for(cast.users.city_coordinator)

    # 1 session, 2 user, 3 the user's region (scope), 4 the subregions, 5 every count by subregion (projects
    # owing, each joined to its report of the month), 6 the period, 7 the rules in force (close day),
    # 8 unread notifications, 9 the page of missing projects, 10 their reporters, 11-13 session expiry.
    with django_assert_num_queries(13):
        response = client.get(PERIOD_URL)

    assert response.context["overview"].total.expected == count


# ---- my reports ----


def test_a_reporter_sees_the_projects_assigned_to_them_with_this_months_status(assigned, client_for):
    make_report(assigned.projects.materials, ReportStatus.RETURNED)

    response = client_for(assigned.users.reporter).get(reverse("reports:mine"))

    rows = [(p.name, p.report_status) for p in response.context["page"].object_list]
    assert rows == [(assigned.projects.road.name, None), (assigned.projects.materials.name, "returned")]


def test_a_reporter_with_no_projects_gets_an_empty_list(cast, client_for):
    response = client_for(cast.users.reporter).get(reverse("reports:mine"), {"month": "junk", "q": "无此项目"})

    assert response.status_code == 200
    assert 'data-testid="empty"' in response.content.decode()


# ---- the red and yellow lists ----

COLOURS_URL = reverse("reports:colours")


@pytest.fixture
def coloured(cast):
    """This month's colours of every project, as the engine computes them, plus one override to blue."""
    colours.recompute(YEAR, MONTH)
    rows = {c.project_id: c for c in ProjectColour.objects.filter(year=YEAR, month=MONTH)}
    return rows


def colour_names(response) -> list[str]:
    return [row.project.name for row in response.context["page"].object_list]


def test_the_list_shows_the_red_and_yellow_projects_of_the_subtree_with_reasons(cast, coloured, client_for):
    response = client_for(cast.users.coordinator).get(COLOURS_URL)

    expected = [
        c for c in coloured.values() if c.colour != Colour.BLUE and c.project.region.path.startswith(cast.region.path)
    ]
    assert sorted(colour_names(response)) == sorted(c.project.name for c in expected)
    html = response.content.decode()
    for colour in expected:
        for text in colours.reason_texts(colour):
            assert text in html
    counts = response.context["counts"]
    assert sum(counts.values()) == len([c for c in coloured.values() if c.project.region == cast.region])


def test_the_list_filters_by_colour_and_region(cast, coloured, client_for):
    client = client_for(cast.users.city_coordinator)

    every = client.get(COLOURS_URL, {"colour": "all"})
    wenshui = client.get(COLOURS_URL, {"colour": "all", "region": cast.regions.wenshui.pk})
    blue = client.get(COLOURS_URL, {"colour": "blue"})

    assert sorted(colour_names(every)) == sorted(
        c.project.name for c in coloured.values() if c.project.region.path.startswith(cast.regions.lvliang.path)
    )
    assert colour_names(wenshui) == [cast.projects.hospital.name]
    assert colour_names(blue) == [c.project.name for c in coloured.values() if c.colour == Colour.BLUE and
                                  c.project.region.path.startswith(cast.regions.lvliang.path)]  # fmt: skip


def test_the_coordinator_overrides_a_colour_with_a_written_reason_and_clears_it(cast, coloured, client_for):
    colour = coloured[cast.projects.materials.pk]
    client = client_for(cast.users.coordinator)
    url = reverse("reports:override", args=[colour.pk])

    refused = client.post(url, {"colour": "blue", "reason": ""})
    saved = client.post(url, {"colour": "blue", "reason": "县政府专题会议确认资金已落实"})

    assert refused.status_code == 400
    assert field_errors(refused) == {"reason": ["人工调整颜色须填写书面理由。"]}
    row = reload(colour)
    assert (saved.status_code, row.colour, row.override_colour, row.override_by) == (
        302, "blue", "blue", cast.users.coordinator,
    )  # fmt: skip
    assert (row.computed, row.override_reason) == (colour.computed, "县政府专题会议确认资金已落实")
    page = client.get(COLOURS_URL, {"colour": "all"}).content.decode()
    assert 'data-testid="override-note"' in page and "县政府专题会议确认资金已落实" in page

    client.post(reverse("reports:clear_override", args=[colour.pk]))

    row = reload(colour)
    assert (row.colour, row.override_colour, row.override_reason, row.override_by) == (colour.computed, "", "", None)


def test_an_override_to_an_unknown_colour_is_refused(cast, coloured, client_for):
    colour = coloured[cast.projects.materials.pk]

    response = client_for(cast.users.coordinator).post(
        reverse("reports:override", args=[colour.pk]), {"colour": "purple", "reason": "x"}
    )

    assert response.status_code == 400
    assert list(field_errors(response)) == ["colour"]
    assert reload(colour).override_colour == ""


def test_leaders_read_the_list_but_may_not_override(cast, coloured, client_for):
    client = client_for(cast.users.leader)
    colour = coloured[cast.projects.materials.pk]

    assert client.get(COLOURS_URL).status_code == 200
    assert (
        client.post(reverse("reports:override", args=[colour.pk]), {"colour": "blue", "reason": "x"}).status_code == 403
    )
    assert 'href="/reports/colours/' not in client.get(COLOURS_URL).content.decode().split("colour-list")[1]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_export_writes_the_filtered_list(cast, coloured, client_for, fmt):
    response = client_for(cast.users.city_coordinator).get(
        reverse("reports:colours_export", args=[fmt]), {"colour": "all", "region": cast.regions.wenshui.pk}
    )

    if fmt == "xlsx":
        rows = [list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]
    else:
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    hospital = coloured[cast.projects.hospital.pk]
    assert rows[0][:4] == ["序号", "项目名称", "所在区划", "颜色"]
    assert len(rows) == 2
    assert [str(v) for v in rows[1][:4]] == [
        "1",
        "文水县人民医院新院区建设项目",
        "文水县",
        hospital.get_colour_display(),
    ]


def test_an_export_of_an_unknown_format_is_not_found(cast, client_for):
    assert client_for(cast.users.coordinator).get(reverse("reports:colours_export", args=["pdf"])).status_code == 404


@pytest.mark.parametrize("params", [{"colour": "purple"}, {"region": "999999"}, {"region": "abc"}, {"page": "-1"},
                                    {"override": "maybe"}, {"month": "2026-99"}])  # fmt: skip
def test_junk_filters_on_the_list_are_ignored(cast, coloured, client_for, params):
    response = client_for(cast.users.coordinator).get(COLOURS_URL, params)

    assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_the_colour_list_runs_the_same_queries_for_3_or_30_projects(
    cast, client_for, make_project, count, django_assert_num_queries
):
    for index in range(count - 2):  # the county already has two
        make_project(name=f"批量项目{index}", stage=Stage.CONSTRUCTION, started_on=datetime.date(2024, 1, 1))
    colours.recompute(YEAR, MONTH, region=cast.region)
    client = client_for(cast.users.coordinator)

    # 1 session, 2 user, 3 the user's region (scope), 4 count, 5 counts by colour, 6 unread notifications,
    # 7 the region filter's choices, 8 the page (project, region, override_by), 9-11 session expiry.
    with django_assert_num_queries(11):
        response = client.get(COLOURS_URL, {"colour": "all"})

    assert len(colour_names(response)) == count


# ---- rules ----

RULES_URL = reverse("reports:rules")
RULES = {
    "close_day": "20", "remind_days_before": "2", "yellow_lag_points": "8", "red_lag_points": "20",
    "red_start_overdue_days": "45", "red_problem_overdue_days": "30", "red_after_yellow_months": "3",
    "colour_memory": "on", "outlier_factor": "4", "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
}  # fmt: skip


def test_the_coordinator_saves_the_rules_of_their_region_and_colours_are_recomputed(
    cast, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(cast.users.coordinator).post(RULES_URL, {**RULES, "action": "rules"})

    assert response.status_code == 302
    rules = ReportingRules.objects.get(region=cast.region)
    saved = {name: getattr(rules, name) for name in RULES}
    assert saved == {
        "close_day": 20, "remind_days_before": 2, "yellow_lag_points": Decimal("8"), "red_lag_points": Decimal("20"),
        "red_start_overdue_days": 45, "red_problem_overdue_days": 30, "red_after_yellow_months": 3,
        "colour_memory": True, "outlier_factor": Decimal("4"), "webhook_url": RULES["webhook_url"],
    }  # fmt: skip
    assert len(callbacks) == 1
    assert set(ProjectColour.objects.filter(year=YEAR, month=MONTH).values_list("project__name", flat=True)) == {
        cast.projects.materials.name, cast.projects.road.name,
    }  # fmt: skip


def test_a_county_starts_from_the_rules_it_inherits(cast, client_for):
    ReportingRules.objects.create(region=cast.regions.lvliang, close_day=22)

    response = client_for(cast.users.coordinator).get(RULES_URL)

    assert response.context["rules_form"].initial["close_day"] == 22
    assert response.context["inherited"].region == cast.regions.lvliang
    assert "当前沿用吕梁市的规则" in response.content.decode()


def test_yellow_must_stay_below_red(cast, client_for):
    response = client_for(cast.users.coordinator).post(
        RULES_URL, {**RULES, "yellow_lag_points": "20", "red_lag_points": "10", "action": "rules"}
    )

    assert response.status_code == 400
    assert field_errors(response, "rules_form") == {"red_lag_points": ["红色阈值必须大于黄色阈值。"]}
    assert not ReportingRules.objects.exists()


def test_the_coordinator_saves_a_schedule_curve_for_a_year(cast, client_for, django_capture_on_commit_callbacks):
    shares = ["5", "10", "20", "30", "40", "50", "58", "66", "75", "84", "92", "100"]
    data = {f"m{i}": v for i, v in enumerate(shares, start=1)}

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(cast.users.coordinator).post(f"{RULES_URL}?year={THIS_YEAR}", {**data, "action": "curve"})

    assert response.status_code == 302
    curve = ScheduleCurve.objects.get(region=cast.region, year=THIS_YEAR)
    assert ScheduleCurve.shares_for(cast.region, THIS_YEAR) == [Decimal(v) for v in shares]
    assert curve.shares[5] == 50
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        (["5", "10", "20", "30", "40", "30", "58", "66", "75", "84", "92", "100"], "累计百分比须逐月不减。"),
        (["5", "10", "20", "30", "40", "50", "58", "66", "75", "84", "92", "99"], "12 月的累计百分比须为 100。"),
    ],
)
def test_a_curve_that_falls_or_ends_below_100_is_refused(cast, client_for, shares, message):
    data = {f"m{i}": v for i, v in enumerate(shares, start=1)}

    response = client_for(cast.users.coordinator).post(RULES_URL, {**data, "action": "curve"})

    assert response.status_code == 400
    assert field_errors(response, "curve_form") == {"__all__": [message]}
    assert not ScheduleCurve.objects.exists()


def test_a_curve_share_over_100_is_a_field_error(cast, client_for):
    data = {f"m{i}": "100" for i in range(1, 13)} | {"m3": "120"}

    response = client_for(cast.users.coordinator).post(RULES_URL, {**data, "action": "curve"})

    assert response.status_code == 400
    assert field_errors(response, "curve_form") == {"m3": ["确保该值小于或等于100。"]}


def test_the_curve_form_shows_the_linear_default_and_resets_to_it(cast, client_for):
    ScheduleCurve.objects.create(region=cast.region, year=THIS_YEAR, shares=[50] * 11 + [100])
    client = client_for(cast.users.coordinator)

    response = client.post(f"{RULES_URL}?year={THIS_YEAR}", {"action": "curve_reset"})
    page = client.get(f"{RULES_URL}?year=junk")

    assert response.status_code == 302
    assert not ScheduleCurve.objects.exists()
    assert [page.context["curve_form"][f"m{m}"].initial for m in range(1, 13)] == ScheduleCurve.linear()


@pytest.mark.parametrize("user", ["leader", "reporter", "enterprise"])
def test_only_coordinators_open_the_rules(cast, client_for, user):
    assert client_for(getattr(cast.users, user)).get(RULES_URL).status_code == 403


# ---- the project page ----


def test_the_project_page_shows_the_colour_history_and_the_chart_data(cast, client_for):
    project = cast.projects.materials
    with scopes_disabled():
        Project.objects.filter(pk=project.pk).update(opening_completed=Decimal("1000"))
    make_report(project, ReportStatus.APPROVED, completed="300", year=LAST_YEAR, month=LAST_MONTH)
    make_report(project, ReportStatus.SUBMITTED, completed="999")  # not approved: not in the chart
    colours.recompute(LAST_YEAR, LAST_MONTH, project_ids=[project.pk])
    colours.recompute(YEAR, MONTH, project_ids=[project.pk])

    response = client_for(cast.users.leader).get(reverse("projects:detail", args=[project.pk]))

    html = response.content.decode()
    chart = json.loads(re.search(r'id="project-chart-data" type="application/json">(.*?)</script>', html)[1])
    assert chart["months"][-2:] == [f"{LAST_YEAR}-{LAST_MONTH:02d}", f"{YEAR}-{MONTH:02d}"]
    assert chart["monthly"][-2:] == [300.0, 0.0]
    assert chart["cumulative"][-3:] == [1000.0, 1300.0, 1300.0]
    history = re.search(r'data-testid="colour-history">(.*?)</div>\s*\n\s*(?:<div class="small|<div id)', html, re.S)[1]
    assert history.count("colour-chip colour-") == 12
    assert history.count('data-colour="') == 2
    assert 'data-testid="report-this-month"' not in html  # leaders do not report


@pytest.mark.parametrize("reports", [0, 12])
def test_the_project_page_runs_the_same_queries_with_0_or_12_months_reported(
    cast, client_for, reports, django_assert_num_queries
):
    project = cast.projects.materials
    year, month = YEAR, MONTH
    for _ in range(reports):
        make_report(project, ReportStatus.APPROVED, year=year, month=month)
        year, month = previous_month(year, month)
    colours.recompute(YEAR, MONTH, project_ids=[project.pk])
    client = client_for(cast.users.coordinator)

    # The project page's own 20 queries, the reporting card's 4 (the window's reports, its colours, the
    # approved sum before the window, whether the user reports on the project), the problems card's 1 and
    # the approvals card's 1 (no plan approved here, so change control adds none), the attraction card's 1
    # (the lead the project landed from).
    with django_assert_num_queries(27):
        response = client.get(reverse("projects:detail", args=[project.pk]))

    assert len([m for m in response.context["months"] if m["report"]]) == reports


@pytest.mark.parametrize(
    "params", [{"region": "abc"}, {"region": "999999"}, {"flag": "everything"}, {"page": "zz"}, {"q": "\x00'"}]
)
def test_junk_filters_on_the_queue_are_ignored(cast, client_for, params):
    make_report(cast.projects.materials, ReportStatus.SUBMITTED)

    response = client_for(cast.users.coordinator).get(QUEUE_URL, params)

    assert response.status_code == 200


def test_deleting_the_countys_own_rules_falls_back_to_the_citys(cast, client_for):
    ReportingRules.objects.create(region=cast.regions.lvliang, close_day=22)
    ReportingRules.objects.create(region=cast.region, close_day=10)
    client = client_for(cast.users.coordinator)

    response = client.post(RULES_URL, {"action": "rules_reset"})
    again = client.post(RULES_URL, {"action": "rules_reset"})

    assert response.status_code == 302
    assert ReportingRules.for_region(cast.region).close_day == 22
    assert again.status_code == 400
    assert "本级没有单独设置，无需恢复。" in again.content.decode()

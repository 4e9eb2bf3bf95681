"""Who may do what: one table of role × URL × method → status, run as one parametrized test.

Rows name an object where the URL takes one: ``own`` is the 交城县 project owned by the
enterprise user's company (so every 交城县 role can see it), ``other`` the 小店区 project,
outside every 交城县 user's region. Outside the region is 404 for everyone, even for
writes; a read-only role writing is 403; a method the URL does not take is 405.
"""

import datetime
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django_scopes import scope, scopes_disabled
from django_scopes.exceptions import ScopeError
from PIL import Image

from approvals.models import ApprovalItem
from org.models import User
from problems.models import EnterpriseRequest, Problem, ProblemEvent
from projects.models import ChangeRequest, PlanBaseline, Project, StageChange
from reports import colours
from reports.models import (
    BulkUpload,
    Correction,
    MonthlyReport,
    Period,
    ProjectColour,
    ReportingRules,
    ReportPhoto,
    ReportStatus,
    ScheduleCurve,
)

from .conftest import XIAODIAN_CODE, login_client, reload
from .permission_rows import (
    ANONYMOUS,
    AUDIENCES,
    CSV,
    MONTH,
    REPORTER_AND_LEADER_200,
    THIS_MONTH,
    XLSX,
    YEAR,
    Row,
    api,
    attraction,
    batches,
    bulletins,
    dashboards,
    imports,
    oc4ids,
    rankings,
)

# Apps whose rows live in tests/permission_rows/<app>.py.
EXTENSIONS = [attraction, rankings, batches, dashboards, bulletins, imports, api, oc4ids]

#   URL name                     method     anon editors readers
CORE_TABLE = [
    Row("home", "GET", 302, 302, 302),
    Row("home", "POST", 302, 405, 405),
    Row("login", "GET", 200, 302, 302, login_redirect=False),
    Row("login", "POST", 200, 302, 302, login_redirect=False),
    Row("login", "DELETE", 405, 302, 302, login_redirect=False),
    Row("logout", "POST", 302, 302, 302, login_redirect=False),
    Row("logout", "GET", 405, 405, 405, login_redirect=False),
    Row("password_change", "GET", 302, 200, 200),
    Row("password_change", "POST", 302, 200, 200),  # empty form: shown again with its errors
    Row("password_change", "DELETE", 302, 405, 405),
    Row("password_change_done", "GET", 302, 200, 200),
    Row("password_change_done", "POST", 302, 405, 405),
    Row("set_language", "POST", 302, 302, 302, login_redirect=False),
    Row("set_language", "GET", 302, 302, 302, login_redirect=False),  # redirects without changing anything
    Row("projects:list", "GET", 302, 200, 200),
    Row("projects:list", "POST", 302, 405, 405),
    Row("projects:export", "GET", 302, 200, 200, kwargs=XLSX),
    Row("projects:export", "GET", 302, 200, 200, kwargs=CSV),
    Row("projects:export", "POST", 302, 405, 405, kwargs=XLSX),
    Row("projects:create", "GET", 302, 200, 403),
    Row("projects:create", "POST", 302, 400, 403),  # empty form
    Row("projects:create", "PUT", 302, 405, 405),
    Row("projects:detail", "GET", 302, 200, 200, obj="own"),
    Row("projects:detail", "GET", 302, 404, 404, obj="other"),
    Row("projects:detail", "POST", 302, 405, 405, obj="own"),
    Row("projects:edit", "GET", 302, 200, 403, obj="own"),
    Row("projects:edit", "POST", 302, 400, 403, obj="own"),
    Row("projects:edit", "GET", 302, 404, 404, obj="other"),
    Row("projects:edit", "POST", 302, 404, 404, obj="other"),
    Row("projects:edit", "DELETE", 302, 405, 405, obj="own"),
    Row("projects:stage", "GET", 302, 200, 403, obj="own"),
    Row("projects:stage", "POST", 302, 400, 403, obj="own"),
    Row("projects:stage", "GET", 302, 404, 404, obj="other"),
    Row("projects:stage", "POST", 302, 404, 404, obj="other"),
    Row("projects:stage", "PUT", 302, 405, 405, obj="own"),
    Row("projects:archive", "POST", 302, 302, 403, obj="own"),
    Row("projects:archive", "POST", 302, 404, 404, obj="other"),
    Row("projects:archive", "GET", 302, 405, 405, obj="own"),
    Row("projects:reverse_schedule", "POST", 302, 302, 403, obj="own"),
    Row("projects:reverse_schedule", "POST", 302, 404, 404, obj="other"),
    Row("projects:reverse_schedule", "GET", 302, 405, 405, obj="own"),
    # ---- monthly reports (reports/views.py) ----
    # "reported": the own project, "report": this month's submitted report of it; "photo": a photo of a
    # draft of the county's road project (assigned to the reporter; not the enterprise's); "colour": the own
    # project's colour this month.
    Row("reports:mine", "GET", 302, 200, 403, overrides={"reporter": 200}),
    Row("reports:mine", "POST", 302, 405, 405),
    Row("reports:report", "GET", 302, 200, 403, obj="reported", kwargs=THIS_MONTH, overrides=REPORTER_AND_LEADER_200),
    Row("reports:report", "GET", 302, 404, 404, obj="other", kwargs=THIS_MONTH),
    # The report is submitted, so even its reporter cannot change it: 400.
    Row("reports:report", "POST", 302, 400, 403, obj="reported", kwargs=THIS_MONTH, overrides={"reporter": 400}),
    Row("reports:report", "POST", 302, 404, 404, obj="other", kwargs=THIS_MONTH),
    Row("reports:report", "PUT", 302, 405, 405, obj="reported", kwargs=THIS_MONTH),
    Row("reports:photo", "GET", 302, 200, 403, obj="photo", overrides={**REPORTER_AND_LEADER_200, "enterprise": 404}),
    Row("reports:photo", "GET", 302, 404, 404, obj="other photo"),
    Row("reports:photo", "POST", 302, 405, 405, obj="photo"),
    Row("reports:photo_delete", "POST", 302, 302, 403, obj="photo", overrides={"reporter": 302, "enterprise": 404}),
    Row("reports:photo_delete", "POST", 302, 404, 404, obj="other photo"),
    Row("reports:photo_delete", "GET", 302, 405, 405, obj="photo"),
    Row("reports:queue", "GET", 302, 200, 403),
    Row("reports:queue", "POST", 302, 405, 405),
    Row("reports:approve", "POST", 302, 302, 403, obj="report"),
    Row("reports:approve", "POST", 302, 404, 404, obj="other report"),
    Row("reports:approve", "GET", 302, 405, 405, obj="report"),
    Row("reports:return", "POST", 302, 400, 403, obj="report"),  # no reason given
    Row("reports:return", "POST", 302, 404, 404, obj="other report"),
    Row("reports:return", "GET", 302, 405, 405, obj="report"),
    Row("reports:correct", "POST", 302, 400, 403, obj="report"),  # empty form
    Row("reports:correct", "POST", 302, 404, 404, obj="other report"),
    Row("reports:correct", "GET", 302, 405, 405, obj="report"),
    Row("reports:period", "GET", 302, 200, 403, overrides={"leader": 200}),
    Row("reports:period", "POST", 302, 405, 405),
    Row("reports:period_close", "POST", 302, 302, 403, kwargs=THIS_MONTH),
    Row("reports:period_close", "GET", 302, 405, 405, kwargs=THIS_MONTH),
    Row("reports:colours", "GET", 302, 200, 403, overrides={"leader": 200}),
    Row("reports:colours", "POST", 302, 405, 405),
    Row("reports:colours_export", "GET", 302, 200, 403, kwargs=XLSX, overrides={"leader": 200}),
    Row("reports:colours_export", "GET", 302, 200, 403, kwargs=CSV, overrides={"leader": 200}),
    Row("reports:colours_export", "POST", 302, 405, 405, kwargs=XLSX),
    Row("reports:override", "GET", 302, 200, 403, obj="colour"),
    Row("reports:override", "POST", 302, 400, 403, obj="colour"),  # empty form
    Row("reports:override", "GET", 302, 404, 404, obj="other colour"),
    Row("reports:override", "POST", 302, 404, 404, obj="other colour"),
    Row("reports:override", "PUT", 302, 405, 405, obj="colour"),
    Row("reports:clear_override", "POST", 302, 302, 403, obj="colour"),  # nothing to clear: unchanged
    Row("reports:clear_override", "POST", 302, 404, 404, obj="other colour"),
    Row("reports:clear_override", "GET", 302, 405, 405, obj="colour"),
    Row("reports:rules", "GET", 302, 200, 403),
    Row("reports:rules", "POST", 302, 400, 403),  # empty form
    Row("reports:rules", "PUT", 302, 405, 405),
    # In-app notifications: everyone signed in has their own.
    Row("notifications", "GET", 302, 200, 200),
    Row("notifications", "POST", 302, 405, 405),
    Row("notifications_read", "POST", 302, 302, 302),  # marks only the user's own unread rows read
    Row("notifications_read", "GET", 302, 405, 405),
    # Excel bulk reporting: coordinators and admins of the upload's own region.
    Row("reports:bulk_upload", "GET", 302, 200, 403),
    Row("reports:bulk_upload", "POST", 302, 400, 403),  # empty form
    Row("reports:bulk_upload", "PUT", 302, 405, 405),
    Row("reports:bulk_template", "GET", 302, 200, 403),
    Row("reports:bulk_template", "POST", 302, 405, 405),
    Row("reports:bulk_review", "GET", 302, 200, 403, obj="upload"),
    Row("reports:bulk_review", "GET", 302, 404, 404, obj="other upload"),
    Row("reports:bulk_review", "POST", 302, 405, 405, obj="upload"),
    Row("reports:bulk_apply", "POST", 302, 400, 403, obj="upload"),  # upload without rows: refused, nothing saved
    Row("reports:bulk_apply", "POST", 302, 404, 404, obj="other upload"),
    Row("reports:bulk_apply", "GET", 302, 405, 405, obj="upload"),
    Row("reports:bulk_discard", "POST", 302, 302, 403, obj="upload"),
    Row("reports:bulk_discard", "POST", 302, 404, 404, obj="other upload"),
    Row("reports:bulk_discard", "GET", 302, 405, 405, obj="upload"),
    # Problems (挂号销号): raise on own projects, act by role and department.
    Row("problems:list", "GET", 302, 200, 200),
    Row("problems:list", "POST", 302, 405, 405),
    Row("problems:export", "GET", 302, 200, 200, kwargs=XLSX),
    Row("problems:export", "GET", 302, 200, 200, kwargs=CSV),
    Row("problems:export", "POST", 302, 405, 405, kwargs=XLSX),
    Row("problems:create", "GET", 302, 200, 403, obj="own", overrides={"leader": 200}),
    Row("problems:create", "POST", 302, 400, 403, obj="own", overrides={"leader": 400}),  # empty form
    Row("problems:create", "GET", 302, 404, 404, obj="other"),
    Row("problems:create", "POST", 302, 404, 404, obj="other"),
    Row("problems:create", "PUT", 302, 405, 405, obj="own"),
    Row("problems:detail", "GET", 302, 200, 200, obj="problem", overrides={"enterprise": 404}),  # via requests only
    Row("problems:detail", "GET", 302, 404, 404, obj="other problem"),
    Row("problems:detail", "POST", 302, 405, 405, obj="problem"),
    Row("problems:act", "POST", 302, 400, 403, obj="problem", overrides={"handler": 400, "enterprise": 404}),
    Row("problems:act", "POST", 302, 404, 404, obj="other problem"),
    Row("problems:act", "GET", 302, 405, 405, obj="problem"),
    Row("problems:attachment", "GET", 302, 200, 200, obj="attachment", overrides={"enterprise": 404}),
    Row("problems:attachment", "GET", 302, 404, 404, obj="other attachment"),
    Row("problems:attachment", "POST", 302, 405, 405, obj="attachment"),
    Row("problems:rules", "GET", 302, 200, 403),
    Row("problems:rules", "POST", 302, 400, 403),  # no action chosen
    Row("problems:rules", "PUT", 302, 405, 405),
    # The department inbox and the enterprise channel (企业诉求直通车).
    Row("problems:inbox", "GET", 302, 200, 403, overrides={"handler": 200}),
    Row("problems:inbox", "POST", 302, 405, 405),
    Row("problems:requests", "GET", 302, 200, 403, overrides={"enterprise": 200}),
    Row("problems:requests", "POST", 302, 405, 405),
    Row("problems:request_create", "GET", 302, 403, 403, overrides={"enterprise": 200}),
    Row("problems:request_create", "POST", 302, 403, 403, overrides={"enterprise": 400}),  # empty form
    Row("problems:request_create", "PUT", 302, 405, 405),
    Row("problems:request_detail", "GET", 302, 200, 403, obj="request", overrides={"enterprise": 200}),
    Row("problems:request_detail", "GET", 302, 404, 404, obj="other request"),
    Row("problems:request_detail", "POST", 302, 405, 405, obj="request"),
    Row("problems:request_answer", "POST", 302, 400, 403, obj="request"),  # no reply
    Row("problems:request_answer", "POST", 302, 404, 404, obj="other request"),
    Row("problems:request_answer", "GET", 302, 405, 405, obj="request"),
    Row("problems:request_convert", "POST", 302, 400, 403, obj="request"),  # empty form
    Row("problems:request_convert", "POST", 302, 404, 404, obj="other request"),
    Row("problems:request_convert", "GET", 302, 405, 405, obj="request"),
    # Approval items (前期手续): handlers edit their department's items.
    Row("approvals:list", "GET", 302, 200, 200, overrides={"enterprise": 403}),
    Row("approvals:list", "POST", 302, 405, 405),
    Row("approvals:export", "GET", 302, 200, 200, kwargs=XLSX, overrides={"enterprise": 403}),
    Row("approvals:export", "GET", 302, 200, 200, kwargs=CSV, overrides={"enterprise": 403}),
    Row("approvals:export", "POST", 302, 405, 405, kwargs=XLSX),
    Row("approvals:stats", "GET", 302, 200, 200, overrides={"enterprise": 403}),
    Row("approvals:stats", "POST", 302, 405, 405),
    Row("approvals:project", "GET", 302, 200, 200, obj="own"),
    Row("approvals:project", "GET", 302, 404, 404, obj="other"),
    Row("approvals:project", "POST", 302, 405, 405, obj="own"),
    Row("approvals:apply_template", "POST", 302, 400, 403, obj="own"),  # no template chosen
    Row("approvals:apply_template", "POST", 302, 404, 404, obj="other"),
    Row("approvals:apply_template", "GET", 302, 405, 405, obj="own"),
    Row("approvals:item_edit", "GET", 302, 200, 403, obj="approval", overrides={"handler": 200}),
    Row("approvals:item_edit", "POST", 302, 400, 403, obj="approval", overrides={"handler": 400}),  # empty form
    Row("approvals:item_edit", "GET", 302, 200, 403, obj="drc approval"),  # another department's: handler 403
    Row("approvals:item_edit", "POST", 302, 400, 403, obj="drc approval"),
    Row("approvals:item_edit", "GET", 302, 404, 404, obj="other approval"),
    Row("approvals:item_edit", "POST", 302, 404, 404, obj="other approval"),
    Row("approvals:item_edit", "PUT", 302, 405, 405, obj="approval"),
    # Change control and suspensions.
    Row("projects:approve_plan", "POST", 302, 302, 403, obj="own"),
    Row("projects:approve_plan", "POST", 302, 404, 404, obj="other"),
    Row("projects:approve_plan", "GET", 302, 405, 405, obj="own"),
    Row("projects:change_request", "GET", 302, 200, 403, obj="approved", overrides={"reporter": 200}),
    Row("projects:change_request", "POST", 302, 400, 403, obj="approved", overrides={"reporter": 400}),
    Row("projects:change_request", "GET", 302, 404, 404, obj="other"),
    Row("projects:change_request", "POST", 302, 404, 404, obj="other"),
    Row("projects:change_request", "PUT", 302, 405, 405, obj="approved"),
    Row("projects:change_requests", "GET", 302, 200, 403),
    Row("projects:change_requests", "POST", 302, 405, 405),
    Row("projects:change_approve", "POST", 302, 302, 403, obj="change"),
    Row("projects:change_approve", "POST", 302, 404, 404, obj="other change"),
    Row("projects:change_approve", "GET", 302, 405, 405, obj="change"),
    Row("projects:change_reject", "POST", 302, 400, 403, obj="change"),  # no note
    Row("projects:change_reject", "POST", 302, 404, 404, obj="other change"),
    Row("projects:change_reject", "GET", 302, 405, 405, obj="change"),
    Row("projects:suspensions", "GET", 302, 200, 403, overrides={"leader": 200}),
    Row("projects:suspensions", "POST", 302, 405, 405),
    Row("projects:suspension_confirm", "GET", 302, 200, 403, obj="own"),
    Row("projects:suspension_confirm", "POST", 302, 400, 403, obj="own"),  # empty form, not suspended
    Row("projects:suspension_confirm", "GET", 302, 404, 404, obj="other"),
    Row("projects:suspension_confirm", "POST", 302, 404, 404, obj="other"),
    Row("projects:suspension_confirm", "PUT", 302, 405, 405, obj="own"),
    # Only staff reach the admin; everyone else is sent to the admin's own login page.
    Row("admin:index", "GET", 302, 302, 302, overrides={"admin": 200}, login_redirect=False),
]

# Rows whose success changes data, each with the check that it did.
WRITES = {
    ("projects:archive", "POST"): lambda cast: reload(cast.projects.materials).archived_at is not None,
    ("reports:approve", "POST"): lambda cast: reload(cast.reporting.report).status == ReportStatus.APPROVED,
    ("reports:photo_delete", "POST"): lambda cast: not ReportPhoto._base_manager.filter(pk=cast.reporting.photo.pk),
    ("reports:period_close", "POST"): lambda cast: Period._base_manager.get(region=cast.region, **THIS_MONTH).is_closed,
    ("reports:bulk_discard", "POST"): lambda cast: BulkUpload._base_manager.get().status == BulkUpload.Status.DISCARDED,
    ("projects:approve_plan", "POST"): lambda cast: reload(cast.projects.materials).plan_approved_at is not None,
    ("projects:change_approve", "POST"): lambda cast: ChangeRequest._base_manager.get().status == "approved",
}

TABLE = CORE_TABLE + [row for extension in EXTENSIONS for row in extension.ROWS]
for extension in EXTENSIONS:
    WRITES.update(extension.WRITES)


def _row_id(row: Row) -> str:
    return "-".join(filter(None, [row.method, row.name, row.obj, row.kwargs.get("fmt")]))


def _url(row: Row, cast) -> str:
    kwargs = dict(row.kwargs)
    if row.obj:
        kwargs["pk"] = OBJECTS[row.obj](cast)
    return reverse(row.name, kwargs=kwargs)


def _reporting(cast) -> SimpleNamespace:
    """Reports, photos and colours for the reports rows, made once per test on first use."""
    if not hasattr(cast, "reporting"):
        with scopes_disabled():
            cast.users.reporter.reported_projects.set([cast.projects.materials, cast.projects.road])
            colours.recompute(YEAR, MONTH, project_ids=[cast.projects.materials.pk, cast.projects.xiaodian.pk])
            other_report = _report(cast.projects.xiaodian, ReportStatus.SUBMITTED)
            cast.reporting = SimpleNamespace(
                report=_report(cast.projects.materials, ReportStatus.SUBMITTED),
                other_report=other_report,
                photo=_photo(_report(cast.projects.road, ReportStatus.DRAFT)),
                other_photo=_photo(other_report),
                colour=ProjectColour.objects.get(project=cast.projects.materials, **THIS_MONTH),
                other_colour=ProjectColour.objects.get(project=cast.projects.xiaodian, **THIS_MONTH),
            )
    return cast.reporting


def _report(project, status) -> MonthlyReport:
    period = Period.for_month(project.region, YEAR, MONTH)
    return MonthlyReport.objects.create(
        project=project, period=period, completed=Decimal("10"), status=status, **THIS_MONTH
    )


def _photo(report) -> ReportPhoto:
    buffer = BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    return ReportPhoto.objects.create(report=report, image=SimpleUploadedFile("site.png", buffer.getvalue()))


# What a row's ``obj`` names: the primary key the URL takes.
OBJECTS = {
    "own": lambda cast: cast.projects.materials.pk,
    "other": lambda cast: cast.projects.xiaodian.pk,
    "reported": lambda cast: _reporting(cast).report.project_id,  # the own project, its reports made
    "report": lambda cast: _reporting(cast).report.pk,
    "other report": lambda cast: _reporting(cast).other_report.pk,
    "photo": lambda cast: _reporting(cast).photo.pk,
    "other photo": lambda cast: _reporting(cast).other_photo.pk,
    "colour": lambda cast: _reporting(cast).colour.pk,
    "other colour": lambda cast: _reporting(cast).other_colour.pk,
    "upload": lambda cast: _bulk_upload(cast.region).pk,
    "other upload": lambda cast: _bulk_upload(cast.regions.xiaodian).pk,
    "problem": lambda cast: _problems(cast).own.pk,
    "other problem": lambda cast: _problems(cast).other.pk,
    "attachment": lambda cast: _problems(cast).own_event.pk,
    "other attachment": lambda cast: _problems(cast).other_event.pk,
    "request": lambda cast: _requests(cast).own.pk,
    "other request": lambda cast: _requests(cast).other.pk,
    "approval": lambda cast: _approvals(cast).land.pk,
    "drc approval": lambda cast: _approvals(cast).drc.pk,
    "other approval": lambda cast: _approvals(cast).other.pk,
    "approved": lambda cast: _approved(cast).pk,
    "change": lambda cast: _change(_approved(cast), cast.users.reporter).pk,
    "other change": lambda cast: (
        _change(_plan_approved(cast.projects.xiaodian, cast.users.outsider), cast.users.outsider).pk
    ),
}
for extension in EXTENSIONS:
    OBJECTS.update(extension.OBJECTS)


def _problems(cast) -> SimpleNamespace:
    if not hasattr(cast, "problems"):
        deadline = datetime.date.today() + datetime.timedelta(days=10)
        with scopes_disabled():
            own = Problem.objects.create(
                project=cast.projects.materials,
                category="land",
                description="用地指标未落实",
                department=cast.departments.land,
                deadline=deadline,
            )
            other = Problem.objects.create(
                project=cast.projects.xiaodian,
                category="land",
                description="用地指标未落实",
                department=cast.departments.xiaodian_drc,
                deadline=deadline,
            )
            cast.problems = SimpleNamespace(own=own, other=other, own_event=_event(own), other_event=_event(other))
    return cast.problems


def _event(problem) -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem, action="accept", attachment=SimpleUploadedFile("批复.pdf", b"%PDF-1.4\n%%EOF\n")
    )


def _requests(cast) -> SimpleNamespace:
    if not hasattr(cast, "requests"):
        with scopes_disabled():
            outsider = User.objects.create_user(
                "xd_enterprise", role="enterprise", region=cast.regions.xiaodian, credit_code=XIAODIAN_CODE
            )
            cast.requests = SimpleNamespace(
                own=EnterpriseRequest.objects.create(
                    submitted_by=cast.users.enterprise,
                    project=cast.projects.materials,
                    region=cast.region,
                    category="land",
                    subject="用地",
                    text="用地指标",
                ),
                other=EnterpriseRequest.objects.create(
                    submitted_by=outsider,
                    project=cast.projects.xiaodian,
                    region=cast.regions.xiaodian,
                    category="land",
                    subject="用地",
                    text="用地指标",
                ),
            )
    return cast.requests


def _approvals(cast) -> SimpleNamespace:
    if not hasattr(cast, "approvals"):
        with scopes_disabled():
            cast.approvals = SimpleNamespace(
                land=ApprovalItem.objects.create(
                    project=cast.projects.materials,
                    kind="land_preview",
                    name="用地预审与选址意见书",
                    department=cast.departments.land,
                    status="in_progress",
                    applied_on=datetime.date(2026, 9, 18),
                    promised_days=10,
                    statutory_days=20,
                ),
                drc=ApprovalItem.objects.create(
                    project=cast.projects.materials,
                    kind="project_approval",
                    name="立项备案",
                    department=cast.departments.drc,
                    promised_days=1,
                    statutory_days=3,
                ),
                other=ApprovalItem.objects.create(
                    project=cast.projects.xiaodian,
                    kind="project_approval",
                    name="立项备案",
                    department=cast.departments.xiaodian_drc,
                    promised_days=1,
                    statutory_days=3,
                ),
            )
    return cast.approvals


def _plan_approved(project, by):
    with scopes_disabled():
        if project.planned_start_on is None:
            Project.objects.filter(pk=project.pk).update(planned_start_on=datetime.date(2025, 3, 1))
            project.refresh_from_db()
        if not reload(project).plan_approved_at:
            project.approve_plan(by=by)
    return project


def _approved(cast):
    with scopes_disabled():
        cast.users.reporter.reported_projects.add(cast.projects.materials)
    return _plan_approved(cast.projects.materials, cast.users.coordinator)


def _change(project, by):
    with scopes_disabled():
        pending = ChangeRequest.objects.filter(project=project, status="pending").first()
        return pending or project.request_change("planned_start_on", datetime.date(2025, 6, 1), "征地延期", by=by)


def _bulk_upload(region) -> BulkUpload:
    with scopes_disabled():
        return BulkUpload.objects.create(region=region, year=YEAR - 1, month=12, file_name="月报.xlsx")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _client(audience: str, cast) -> Client:
    return Client() if audience == ANONYMOUS else login_client(getattr(cast.users, audience))


def _snapshot() -> tuple:
    """Everything a rejected request must leave untouched."""
    with scopes_disabled():
        return (
            sorted(Project.objects.values_list("pk", "archived_at", "updated_at", "stage")),
            Project.history.count(),
            StageChange.objects.count(),
            sorted(MonthlyReport.objects.values_list("pk", "status", "completed", "return_reason")),
            sorted(ReportPhoto.objects.values_list("pk", flat=True)),
            sorted(ProjectColour.objects.values_list("pk", "colour", "override_colour", "override_reason")),
            sorted(Period.objects.values_list("pk", "closed_at")),
            Correction.objects.count(),
            ReportingRules.objects.count(),
            ScheduleCurve.objects.count(),
            sorted(BulkUpload.objects.values_list("pk", "status")),
            sorted(Problem.objects.values_list("pk", "status", "level")),
            sorted(EnterpriseRequest.objects.values_list("pk", "state", "reply", "problem")),
            ProblemEvent.objects.count(),
            sorted(ApprovalItem.objects.values_list("pk", "status", "applied_on", "approved_on", "department_id")),
            sorted(ChangeRequest.objects.values_list("pk", "status")),
            PlanBaseline.objects.count(),
            *(extension.snapshot() for extension in EXTENSIONS),
        )


@pytest.mark.parametrize("row", TABLE, ids=_row_id)
def test_each_audience_gets_the_status_the_table_names(cast, row):
    """Every audience in turn on one cast; each request inside a savepoint rolled back, so a write one
    audience makes is gone before the next asks (the cast is built once per row, not once per audience)."""
    url = _url(row, cast)
    wrong = [problem for audience in AUDIENCES if (problem := _check(row, url, audience, cast))]

    assert wrong == []


def _check(row: Row, url: str, audience: str, cast) -> str | None:
    """What is wrong with this audience's answer, or None."""
    with transaction.atomic():
        try:
            return _answer_problem(row, url, audience, cast)
        finally:
            transaction.set_rollback(True)


def _answer_problem(row: Row, url: str, audience: str, cast) -> str | None:
    before = _snapshot()
    response = getattr(_client(audience, cast), row.method.lower())(url)
    expected = row.expected(audience)
    if response.status_code != expected:
        return f"{audience} {row.method} {url}: {response.status_code}, expected {expected}"
    if audience == ANONYMOUS and row.login_redirect and response.url != f"{reverse('login')}?next={url}":
        return f"{audience} {row.method} {url}: sent to {response.url}"
    if (row.name, row.method) in WRITES and expected == 302 and audience != ANONYMOUS:
        return None if WRITES[(row.name, row.method)](cast) else f"{audience} {row.method} {url}: nothing written"
    return None if _snapshot() == before else f"{audience} {row.method} {url}: data changed"


def test_anonymous_admin_visitor_is_sent_to_the_admin_login(db):
    response = Client().get(reverse("admin:index"))

    assert response.url == f"{reverse('admin:login')}?next={reverse('admin:index')}"


def _url_names(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                yield "admin:index"  # Django's own admin pages stand behind their index
                continue
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, prefix)
        else:
            yield namespace + (pattern.name or f"<unnamed {pattern.pattern}>")


def test_every_url_has_a_row_in_the_permission_table():
    names = set(_url_names(get_resolver().url_patterns))

    assert names - {row.name for row in TABLE} == set()


def test_every_row_of_the_table_names_a_real_url():
    names = set(_url_names(get_resolver().url_patterns))

    assert {row.name for row in TABLE} - names == set()


def test_export_of_an_unknown_format_is_not_found(cast):
    response = login_client(cast.users.coordinator).get(reverse("projects:export", kwargs={"fmt": "pdf"}))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("coordinator", {"materials", "road"}),
        ("city_coordinator", {"materials", "road", "hospital"}),
        ("province_coordinator", {"materials", "road", "hospital", "xiaodian"}),
        ("outsider", {"xiaodian"}),
        ("enterprise", {"materials"}),
    ],
)
def test_each_user_opens_exactly_the_projects_of_its_region_subtree(cast, user, visible):
    client = login_client(getattr(cast.users, user))

    statuses = {
        name: client.get(reverse("projects:detail", kwargs={"pk": project.pk})).status_code
        for name, project in vars(cast.projects).items()
    }

    assert statuses == {name: 200 if name in visible else 404 for name in vars(cast.projects)}


def test_city_coordinator_may_edit_a_county_project_below_it(cast):
    client = login_client(cast.users.city_coordinator)

    response = client.get(reverse("projects:edit", kwargs={"pk": cast.projects.road.pk}))

    assert response.status_code == 200
    assert response.context["form"].instance == cast.projects.road


def test_scope_guard_refuses_a_query_made_without_a_scope(cast):
    with pytest.raises(ScopeError):
        list(Project.objects.all())


def test_scope_guard_hides_rows_outside_the_active_region(cast):
    with scope(region=cast.regions.lvliang.path):
        names = set(Project.objects.values_list("name", flat=True))

    assert names == {cast.projects.materials.name, cast.projects.road.name, cast.projects.hospital.name}

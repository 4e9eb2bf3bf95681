"""Monthly reporting screens: the report form, the approval queue, the period overview,
the red and yellow lists, the rules page, and the photos behind the access check.

Who may do what, in one place per object (the ``_get_*`` helpers): outside the user's
region subtree is 404; a role that may only read gets 403 on writes; reporters write
only the reports of projects assigned to them, coordinators (and admins) review.
"""

import datetime
import mimetypes
from decimal import Decimal
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Subquery, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.export import FORMATS, export_response
from org.models import Role, User
from projects.models import AnnualPlan, Project

from . import colours
from .filtersets import ColourFilterSet, QueueFilterSet
from .forms import CorrectionForm, CurveForm, OverrideForm, ReportForm, ReturnForm, RulesForm, add_model_errors
from .models import (
    Colour,
    MonthlyReport,
    Period,
    ProjectColour,
    ReportingRules,
    ReportPhoto,
    ReportStatus,
    ScheduleCurve,
    previous_month,
)
from .overview import missing_projects, period_overview

PAGE_SIZE = 50


# ---- who may do what ----


def may_review(user: User) -> bool:
    """Approve, return, correct, override colours, close periods, set rules: the key-project office."""
    return user.can_edit_projects


def may_oversee(user: User) -> bool:
    """Read the overview, the colour lists and every report of the subtree."""
    return user.can_edit_projects or user.role == Role.LEADER


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _home_region(user: User):
    # Only a platform superuser has no region; the reporting screens work per region.
    _require(user.region_id is not None)
    return user.region


def _get_project(request, pk: int, *, for_write: bool = False) -> tuple[Project, bool]:
    """A project's reports: outside the subtree 404; neither its reporter nor an overseer 403; returns may_write."""
    user = request.user
    project = get_object_or_404(Project.objects.visible_to(user).select_related("region"), pk=pk)
    may_write = Project.objects.reported_by(user).filter(pk=pk).exists()
    _require(may_write or (may_oversee(user) and not for_write))
    return project, may_write


def _get_report(request, pk: int) -> MonthlyReport:
    """A report to review: outside the subtree 404, not a reviewer 403."""
    report = get_object_or_404(
        MonthlyReport.objects.visible_to(request.user).select_related("project__region", "period"), pk=pk
    )
    _require(may_review(request.user))
    return report


def _get_photo(request, pk: int, *, for_write: bool = False) -> ReportPhoto:
    photo = get_object_or_404(
        ReportPhoto.objects.select_related("report__period"),
        pk=pk,
        report__project__in=Project.objects.visible_to(request.user),
    )
    _get_project(request, photo.report.project_id, for_write=for_write)
    return photo


def _get_colour(request, pk: int) -> ProjectColour:
    """A colour to override: outside the subtree 404, not a reviewer 403."""
    colour = get_object_or_404(ProjectColour.objects.visible_to(request.user).select_related("project"), pk=pk)
    _require(may_review(request.user))
    return colour


# ---- months ----


def _check_month(year: int, month: int) -> None:
    """A month in a URL: a real month, not in the future."""
    if not (2000 <= year <= 2100 and 1 <= month <= 12) or (year, month) > colours.current_month():
        raise Http404


def _month_param(request) -> tuple[int, int]:
    """``?month=YYYY-MM``; anything else (junk, the future) is the running month."""
    try:
        value = datetime.datetime.strptime(request.GET.get("month", ""), "%Y-%m")
    except ValueError:
        return colours.current_month()
    chosen = (value.year, value.month)
    return chosen if (2000, 1) <= chosen <= colours.current_month() else colours.current_month()


def _month_context(year: int, month: int) -> dict:
    this_year, this_month = colours.current_month()
    return {
        "year": year,
        "month": month,
        "month_value": f"{year}-{month:02d}",
        "max_month": f"{this_year}-{this_month:02d}",
    }


def _neighbours(year: int, month: int) -> dict:
    following = (year + month // 12, month % 12 + 1)
    return {
        "previous": previous_month(year, month),
        "following": following if following <= colours.current_month() else None,
    }


def _page(request, queryset, count: int | None = None):
    paginator = Paginator(queryset, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # already known from the summary: saves a query
    return paginator.get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


# ---- the report form ----


def _report_for(project: Project, year: int, month: int) -> MonthlyReport:
    """The month's report, or a new unsaved draft."""
    report = MonthlyReport.objects.filter(project=project, year=year, month=month).select_related("period").first()
    return report or MonthlyReport(project=project, year=year, month=month)


def _is_closed(project: Project, report: MonthlyReport) -> bool:
    if report.period_id:
        return report.period.is_closed
    period = Period.objects.filter(region=project.region, year=report.year, month=report.month).first()
    return bool(period and period.is_closed)


def _figures(project: Project, report: MonthlyReport) -> dict:
    """Year-to-date and since-start counting this month's figure, the plan, the schedule share and the colour."""
    plan = AnnualPlan.objects.filter(project=project, year=report.year).values_list("amount", flat=True).first()
    ytd = report.approved_before() + (report.completed or 0)
    share = ScheduleCurve.share(project.region, report.year, report.month)
    rate = (ytd * 100 / plan).quantize(Decimal("0.1")) if plan else None
    colour = ProjectColour.objects.filter(project=project).order_by("-year", "-month").first()
    return {
        "plan": plan,
        "ytd": ytd,
        "since_start": report.since_start(),
        "rate": rate,
        "share": share,
        "colour": colour,
    }


def _render_report(request, project, report, *, may_write, form=None, status=200, **forms):
    closed = _is_closed(project, report)
    editable = may_write and report.is_editable and not closed
    if editable and form is None:
        form = ReportForm(instance=report, milestones=project.milestones.all())
    reviewer = may_review(request.user)
    context = {
        "project": project,
        "report": report,
        "form": form if editable else None,
        "editable": editable,
        "closed": closed,
        "may_review": reviewer,
        "return_form": forms.get("return_form") or (ReturnForm() if reviewer else None),
        "correction_form": forms.get("correction_form") or (CorrectionForm() if reviewer else None),
        "photos": list(report.photos.all()) if report.pk else [],
        "corrections": list(report.corrections.select_related("by")) if report.pk else [],
        "milestones": list(project.milestones.all()),
        **_figures(project, report),
        **_neighbours(report.year, report.month),
        "year": report.year,
        "month": report.month,
    }
    return render(request, "reports/report.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def report_form(request, pk: int, year: int, month: int):
    _check_month(year, month)
    project, may_write = _get_project(request, pk, for_write=request.method == "POST")
    report = _report_for(project, year, month)
    if request.method == "GET":
        return _render_report(request, project, report, may_write=may_write)
    if not report.is_editable or _is_closed(project, report):
        messages.error(request, _("该月报当前不能修改（已提交、已审核或本期已关账）。"))
        return _render_report(request, project, report, may_write=may_write, status=400)
    return _save_report(request, project, report)


def _save_report(request, project: Project, report: MonthlyReport):
    action = request.POST.get("action")
    if report.pk is None:
        report.period = Period.for_month(project.region, report.year, report.month)
    form = ReportForm(request.POST, request.FILES, instance=report, milestones=project.milestones.all())
    if action in ("save", "submit") and form.is_valid():
        try:
            form.save_report(by=request.user, submit=action == "submit")
        except ValidationError as error:
            add_model_errors(form, error)
        except IntegrityError:
            # Two first saves of the same month at once: the other one won the unique constraint.
            form.add_error(None, _("该月报刚由他人保存，请刷新页面后再修改。"))
        else:
            messages.success(request, _("已提交，等待重点办审核。") if action == "submit" else _("草稿已保存。"))
            return redirect("reports:report", pk=project.pk, year=report.year, month=report.month)
    if action not in ("save", "submit"):
        form.add_error(None, _("请选择“保存草稿”或“提交”。"))
    # The page around the form shows the report as stored, not the refused input the form holds.
    stored = _report_for(project, report.year, report.month)
    return _render_report(request, project, stored, may_write=True, form=form, status=400)


# ---- photos ----


@login_required
@require_GET
def photo(request, pk: int):
    """A report photo through the access check (MEDIA_URL is served in DEBUG only)."""
    photo = _get_photo(request, pk)
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(photo.image.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def photo_delete(request, pk: int):
    photo = _get_photo(request, pk, for_write=True)
    report = photo.report
    if not report.is_editable or report.period.is_closed:
        messages.error(request, _("月报已提交或已关账，照片不能删除。"))
    else:
        photo.image.delete(save=False)
        photo.delete()
        messages.success(request, _("照片已删除。"))
    return redirect("reports:report", pk=report.project_id, year=report.year, month=report.month)


# ---- review: approve, return, correct ----


def _queue_queryset(user: User):
    plan = AnnualPlan.objects.filter(project=OuterRef("project"), year=OuterRef("year")).values("amount")[:1]
    return (
        MonthlyReport.objects.visible_to(user)
        .with_totals()
        # A submitted month is not in the approved sums yet: add it for the reviewer.
        .annotate(annual_plan=Subquery(plan), ytd_with_this=F("ytd_completed") + F("completed"))
        .select_related("project__region", "submitted_by", "period")
        .order_by("submitted_at", "pk")
    )


@login_required
@require_GET
def approval_queue(request):
    _require(may_review(request.user))
    queryset = _queue_queryset(request.user).filter(status=ReportStatus.SUBMITTED)
    filterset = QueueFilterSet(request.GET, queryset=queryset, user=request.user)
    context = {
        "filterset": filterset,
        "page": _page(request, filterset.qs),
        "query": _query_without_page(request),
        "next": request.get_full_path(),
        "return_form": ReturnForm(),
    }
    return render(request, "reports/queue.html", context)


def _after_review(request, report: MonthlyReport, done: str, *, form=None, status=200):
    """htmx: the queue row redrawn; otherwise back where the reviewer came from."""
    if request.htmx:
        row = _queue_queryset(request.user).filter(pk=report.pk).first()
        context = {"report": row, "done": done, "return_form": form or ReturnForm(), "next": _next_url(request, "")}
        return render(request, "reports/_queue_row.html", context, status=status)
    if status == 200:
        messages.success(request, done)
        return redirect(_next_url(request, reverse("reports:queue")))
    return None


@login_required
@require_POST
def report_approve(request, pk: int):
    report = _get_report(request, pk)
    try:
        report.approve(by=request.user)
    except ValidationError as error:
        return _review_failed(request, report, error)
    return _after_review(request, report, _("已审核通过：%(name)s") % {"name": report.project.name})


@login_required
@require_POST
def report_return(request, pk: int):
    report = _get_report(request, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        if _is_closed(report.project, report):
            form.add_error(None, _("本期已关账，不能退回；如数据有误请审核后更正。"))
        else:
            try:
                report.return_to_reporter(by=request.user, reason=form.cleaned_data["return_reason"])
                return _after_review(request, report, _("已退回：%(name)s") % {"name": report.project.name})
            except ValidationError as error:
                report.refresh_from_db()
                add_model_errors(form, error)
    response = _after_review(request, report, "", form=form, status=400)
    return response or _render_report(
        request, report.project, report, may_write=False, return_form=form, status=400
    )


def _review_failed(request, report: MonthlyReport, error: ValidationError):
    report.refresh_from_db()
    if request.htmx:
        form = ReturnForm()
        add_model_errors(form, error)
        return _after_review(request, report, "", form=form, status=400)
    for message in error.messages:
        messages.error(request, message)
    return _render_report(request, report.project, report, may_write=False, status=400)


@login_required
@require_POST
def report_correct(request, pk: int):
    report = _get_report(request, pk)
    form = CorrectionForm(request.POST)
    if form.is_valid() and form.apply(report, by=request.user):
        messages.success(request, _("已记录更正。"))
        return redirect("reports:report", pk=report.project_id, year=report.year, month=report.month)
    return _render_report(request, report.project, report, may_write=False, correction_form=form, status=400)


# ---- my reports ----


@login_required
@require_GET
def my_reports(request):
    """The projects the user reports on, with the chosen month's report status."""
    _require(request.user.role == Role.REPORTER or may_review(request.user))
    year, month = _month_param(request)
    reports = MonthlyReport.objects.filter(project=OuterRef("pk"), year=year, month=month)
    projects = (
        Project.objects.reported_by(request.user)
        .reporting()
        .annotate(report_status=Subquery(reports.values("status")[:1]))
        .select_related("region")
        .order_by("region__path", "name", "pk")
    )
    q = request.GET.get("q", "").strip()
    if q:
        projects = projects.filter(name__icontains=q)
    context = {"page": _page(request, projects), "query": _query_without_page(request), "q": q}
    return render(request, "reports/mine.html", {**context, **_month_context(year, month)})


# ---- period overview ----


@login_required
@require_GET
def period_view(request):
    _require(may_oversee(request.user))
    region = _home_region(request.user)
    year, month = _month_param(request)
    overview = period_overview(region, year, month)
    period = Period.objects.filter(region=region, year=year, month=month).select_related("closed_by").first()
    missing = missing_projects(region, year, month)
    context = {
        "region": region,
        "overview": overview,
        "page": _page(request, missing, count=overview.total.missing),
        "query": _query_without_page(request),
        "period": period,
        "closes_on": period.closes_on if period else _close_date(region, year, month),
        "may_review": may_review(request.user),
        **_month_context(year, month),
    }
    return render(request, "reports/period.html", context)


def _close_date(region, year: int, month: int) -> datetime.date:
    """The deadline a period not opened yet will get."""
    return datetime.date(year, month, ReportingRules.for_region(region).close_day)


@login_required
@require_POST
def period_close(request, year: int, month: int):
    _check_month(year, month)
    _require(may_review(request.user))
    period = Period.for_month(_home_region(request.user), year, month)
    period.close(by=request.user)
    messages.success(request, _("%(period)s 已关账，此后对已审核月报的更正将记为重述。") % {"period": period})
    return redirect(f"{reverse('reports:period')}?month={year}-{month:02d}")


# ---- red and yellow lists ----

SEVERITY = Case(
    When(colour=Colour.RED, then=Value(0)), When(colour=Colour.YELLOW, then=Value(1)), default=Value(2),
    output_field=IntegerField(),
)


def _colour_filterset(request, year: int, month: int) -> ColourFilterSet:
    queryset = (
        ProjectColour.objects.visible_to(request.user)
        .filter(year=year, month=month)
        .select_related("project__region", "override_by")
        .order_by(SEVERITY, "-lag_points", "project__name", "pk")
    )
    return ColourFilterSet(request.GET, queryset=queryset, user=request.user)


def _colour_counts(user: User, year: int, month: int) -> dict:
    rows = ProjectColour.objects.visible_to(user).filter(year=year, month=month).values("colour")
    counts = dict(rows.order_by().annotate(n=Count("pk")).values_list("colour", "n"))
    return {colour: counts.get(colour, 0) for colour in Colour.values}


@login_required
@require_GET
def colour_list(request):
    _require(may_oversee(request.user))
    year, month = _month_param(request)
    filterset = _colour_filterset(request, year, month)
    context = {
        "filterset": filterset,
        "page": _page(request, filterset.qs),
        "counts": _colour_counts(request.user, year, month),
        "query": _query_without_page(request),
        "next": request.get_full_path(),
        "may_review": may_review(request.user),
        **_month_context(year, month),
    }
    return render(request, "reports/colours.html", context)


def colour_rows(colours_qs, year: int, month: int):
    """The colour list as a header row and plain rows (lib.export writes them)."""
    yield [
        _("序号"), _("项目名称"), _("所在区划"), _("颜色"), _("规则颜色"), _("人工调整理由"), _("原因"),
        _("年度计划（万元）"), _("本年完成（万元）"), _("完成率（%）"), _("序时进度（%）"), _("滞后（百分点）"),
        _("月份"),
    ]  # fmt: skip
    for index, row in enumerate(colours_qs, start=1):
        yield [
            index, row.project.name, row.project.region.name, row.get_colour_display(), row.get_computed_display(),
            row.override_reason, "；".join(colours.reason_texts(row)), row.annual_plan, row.ytd_completed,
            row.completion_rate, row.schedule_share, row.lag_points, f"{year}-{month:02d}",
        ]  # fmt: skip


@login_required
@require_GET
def colour_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    _require(may_oversee(request.user))
    year, month = _month_param(request)
    filterset = _colour_filterset(request, year, month)
    filename = _("红黄蓝项目清单") + f"{year}{month:02d}"
    return export_response(colour_rows(filterset.qs, year, month), filename, fmt)


@login_required
@require_http_methods(["GET", "POST"])
def colour_override(request, pk: int):
    colour = _get_colour(request, pk)
    form = OverrideForm(request.POST or None, initial={"colour": colour.override_colour or colour.colour})
    back = _next_url(request, f"{reverse('reports:colours')}?month={colour.year}-{colour.month:02d}")
    if request.method == "POST" and form.is_valid():
        try:
            colour.override(form.cleaned_data["colour"], form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            messages.success(request, _("已人工调整“%(name)s”的颜色。") % {"name": colour.project.name})
            return redirect(back)
    status = 400 if request.method == "POST" else 200
    context = {"colour": colour, "form": form, "next": back, "reasons": colours.reason_texts(colour)}
    return render(request, "reports/override.html", context, status=status)


@login_required
@require_POST
def colour_clear_override(request, pk: int):
    colour = _get_colour(request, pk)
    colour.clear_override(by=request.user)
    messages.success(request, _("已取消人工调整，恢复按规则计算的颜色。"))
    return redirect(_next_url(request, f"{reverse('reports:colours')}?month={colour.year}-{colour.month:02d}"))


# ---- rules ----


RULE_FIELDS = RulesForm._meta.fields


def _rules_instance(region) -> tuple[ReportingRules, ReportingRules | None]:
    """The region's own rules (unsaved, with the inherited values, if it has none) and the row inherited from."""
    rules = ReportingRules.for_region(region)
    if rules.region_id == region.pk:
        return rules, None
    inherited = rules if rules.pk else None
    own = ReportingRules(region=region, **{name: getattr(rules, name) for name in RULE_FIELDS})
    return own, inherited


def _curve_year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _recolour(region) -> None:
    """The running month's colours of the whole subtree, once the new rules are committed."""
    year, month = colours.current_month()
    transaction.on_commit(partial(colours.recompute, year, month, region=region))


@login_required
@require_http_methods(["GET", "POST"])
def rules_view(request):
    _require(may_review(request.user))
    region = _home_region(request.user)
    year = _curve_year(request)
    rules, inherited = _rules_instance(region)
    own_curve = ScheduleCurve.objects.filter(region=region, year=year).first()
    shares = ScheduleCurve.shares_for(region, year)
    action = request.POST.get("action") if request.method == "POST" else None
    rules_form = RulesForm(request.POST if action == "rules" else None, instance=rules)
    curve_form = CurveForm(request.POST if action == "curve" else None, shares=shares)
    done = action and _apply_rules_action(action, region, year, rules_form, curve_form, own_curve, rules)
    if done:
        messages.success(request, done)
        return redirect(f"{reverse('reports:rules')}?year={year}")
    context = {
        "region": region, "year": year, "rules_form": rules_form, "curve_form": curve_form, "inherited": inherited,
        "has_own_rules": rules.pk is not None, "own_curve": own_curve, "shares": shares,
        "linear": ScheduleCurve.linear(),
    }  # fmt: skip
    if action in ("rules_reset", "curve_reset"):
        messages.error(request, _("本级没有单独设置，无需恢复。"))
    elif request.method == "POST" and action not in ("rules", "curve"):
        messages.error(request, _("请选择要保存的内容。"))
    return render(request, "reports/rules.html", context, status=400 if request.method == "POST" else 200)


@transaction.atomic
def _apply_rules_action(action, region, year, rules_form, curve_form, own_curve, rules) -> str | None:
    """Save what the POST asked for; returns the success message, or None when nothing was saved."""
    if action == "rules" and rules_form.is_valid():
        rules_form.save()
        message = _("月报与三色规则已保存，本月颜色将按新规则重新计算。")
    elif action == "curve" and curve_form.is_valid():
        curve_form.save(region, year)
        message = _("%(year)s 年序时进度曲线已保存，本月颜色将重新计算。") % {"year": year}
    elif action == "rules_reset" and rules.pk:
        rules.delete()
        message = _("已删除本级规则，改为沿用上级（或默认）规则。")
    elif action == "curve_reset" and own_curve:
        own_curve.delete()
        message = _("已删除本级 %(year)s 年曲线，改为沿用上级曲线或按月平均。") % {"year": year}
    else:
        return None
    _recolour(region)
    return message


urlpatterns = [
    path("", my_reports, name="mine"),
    path("projects/<int:pk>/<int:year>/<int:month>/", report_form, name="report"),
    path("photos/<int:pk>/", photo, name="photo"),
    path("photos/<int:pk>/delete/", photo_delete, name="photo_delete"),
    path("queue/", approval_queue, name="queue"),
    path("<int:pk>/approve/", report_approve, name="approve"),
    path("<int:pk>/return/", report_return, name="return"),
    path("<int:pk>/correct/", report_correct, name="correct"),
    path("period/", period_view, name="period"),
    path("period/<int:year>/<int:month>/close/", period_close, name="period_close"),
    path("colours/", colour_list, name="colours"),
    path("colours/export.<str:fmt>", colour_export, name="colours_export"),
    path("colours/<int:pk>/override/", colour_override, name="override"),
    path("colours/<int:pk>/clear-override/", colour_clear_override, name="clear_override"),
    path("rules/", rules_view, name="rules"),
]

"""Problem screens (挂号销号): the list with its export, a problem's page with its timeline and the moves the
user may make, raising a problem from a project page (or from one of its monthly reports), timeline
attachments behind the access check, and a region's escalation rules.

Who may do what is answered on the model (``Problem.may_raise``, ``may_read``, ``may``); the ``_get_*``
helpers turn the answers into 404 (outside the user's region subtree) and 403 (inside it, not allowed).
"""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.export import FORMATS, export_response
from lib.paging import page_by_keys
from org.models import User
from projects.models import Project, project_visibility
from reports.forms import add_model_errors
from reports.models import MonthlyReport, nearest

from .filtersets import ProblemFilterSet
from .forms import ActionForm, EscalationRulesForm, ProblemForm
from .models import EscalationRules, Problem, ProblemEvent

PAGE_SIZE = 50


# ---- who may do what ----


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _may_set_rules(user: User) -> bool:
    return user.can_edit_projects and user.region_id is not None


def _get_problem(request, pk: int) -> Problem:
    """A problem: outside the user's subtree (or any problem for an enterprise) 404; another department's 403."""
    queryset = Problem.objects.select_related(
        "project__region", "department", "leader", "raised_by", "source_report"
    ).filter(project_visibility(request.user, "project__"))
    if request.user.is_enterprise:
        queryset = queryset.none()  # enterprises follow their requests, never the internal file
    problem = get_object_or_404(queryset, pk=pk)
    _require(problem.may_read(request.user))
    return problem


def _get_project(request, pk: int) -> Project:
    """The project a problem is raised on: outside the subtree 404; not allowed to raise 403."""
    queryset = Project.objects.visible_to(request.user).select_related("region", "leader", "department")
    project = get_object_or_404(queryset, pk=pk)
    _require(Problem.may_raise(request.user, project))
    return project


def _get_event(request, pk: int) -> ProblemEvent:
    event = get_object_or_404(ProblemEvent.objects.exclude(attachment=""), pk=pk)
    _get_problem(request, event.problem_id)
    return event


# ---- the list and its export ----


def _filterset(request) -> ProblemFilterSet:
    return ProblemFilterSet(request.GET, queryset=Problem.objects.visible_to(request.user), user=request.user)


def _with_related(problems):
    return problems.select_related("project__region", "department", "leader")


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_GET
def problem_list(request):
    filterset = _filterset(request)
    context = {
        "filterset": filterset,
        "page": page_by_keys(filterset.qs, request.GET.get("page"), PAGE_SIZE, _with_related),
        "query": _query_without_page(request),
        "may_set_rules": _may_set_rules(request.user),
    }
    return render(request, "problems/list.html", context)


def problem_rows(problems):
    """The problem list as a header row and plain rows (lib.export writes them)."""
    yield [
        _("序号"), _("项目名称"), _("所在区划"), _("问题类别"), _("问题描述"), _("责任单位"), _("责任领导"),
        _("限时办结日期"), _("状态"), _("督办级别"), _("逾期天数"), _("挂号时间"), _("办理结果"),
    ]  # fmt: skip
    for index, problem in enumerate(problems, start=1):
        yield [
            index, problem.project.name, problem.project.region.name, problem.get_category_display(),
            problem.description, problem.department.name, str(problem.leader or ""), problem.deadline,
            problem.get_status_display(), problem.get_level_display(), problem.days_overdue(),
            timezone.localtime(problem.created_at).strftime("%Y-%m-%d %H:%M"), problem.resolution,
        ]  # fmt: skip


@login_required
@require_GET
def problem_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    filterset = _filterset(request)
    filename = _("问题督办清单") + timezone.localdate().strftime("%Y%m%d")
    return export_response(problem_rows(_with_related(filterset.qs)), filename, fmt)


# ---- a problem's page and its moves ----


def _render_detail(request, problem: Problem, failed: ActionForm | None = None, status: int = 200):
    forms = [
        failed if failed is not None and failed.action_name == action else ActionForm(action=action)
        for action in problem.actions_for(request.user)
    ]
    context = {
        "problem": problem,
        "events": problem.events.select_related("by"),
        "forms": forms,
        "failed": failed,
    }
    return render(request, "problems/detail.html", context, status=status)


@login_required
@require_GET
def problem_detail(request, pk: int):
    return _render_detail(request, _get_problem(request, pk))


@login_required
@require_POST
def problem_act(request, pk: int):
    problem = _get_problem(request, pk)
    user, action = request.user, request.POST.get("action")
    # A move this user may never make is forbidden whatever else the form holds; a junk one is bad input.
    _require(problem.may(user, action) if action in Problem.TRANSITIONS else problem.may_act(user))
    form = ActionForm(request.POST, request.FILES, action=action)
    if form.is_valid():
        try:
            problem.act(action, by=user, note=form.cleaned_data["note"], attachment=form.cleaned_data["attachment"])
        except ValidationError as error:
            problem.refresh_from_db()
            add_model_errors(form, error)
        else:
            messages.success(request, _("已%(action)s。") % {"action": form.button})
            return redirect("problems:detail", pk=problem.pk)
    return _render_detail(request, problem, failed=form, status=400)


@login_required
@require_GET
def attachment(request, pk: int):
    """A timeline attachment through the access check (MEDIA_URL is served in DEBUG only)."""
    event = _get_event(request, pk)
    try:
        handle = event.attachment.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(event.attachment.name)[0] or "application/octet-stream"
    filename = f"{_('问题附件')}-{event.problem_id}-{event.pk}.{event.attachment.name.rsplit('.', 1)[-1]}"
    response = FileResponse(handle, content_type=content_type, as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---- raising a problem ----


def _source_report(request, project: Project) -> MonthlyReport | None:
    """``?report=<pk>``: a monthly report of this project the problem is raised from; anything else is ignored."""
    value = request.GET.get("report", "")
    if not value.isdigit():
        return None
    return MonthlyReport.objects.filter(project=project, pk=int(value)).first()


@login_required
@require_http_methods(["GET", "POST"])
def problem_create(request, pk: int):
    project = _get_project(request, pk)
    report = _source_report(request, project)
    initial = {
        "department": project.department_id,
        "leader": project.leader_id,
        "description": report.problems_text if report else "",
    }
    form = ProblemForm(request.POST or None, project=project, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        problem = form.register(by=request.user, source_report=report)
        messages.success(request, _("问题已挂号，已通知责任单位。"))
        return redirect("problems:detail", pk=problem.pk)
    context = {"form": form, "project": project, "report": report}
    return render(request, "problems/form.html", context, status=400 if request.method == "POST" else 200)


# ---- escalation rules ----


def _rules_instance(region) -> tuple[EscalationRules, EscalationRules | None]:
    """The region's own rules (unsaved, with the inherited values, if it has none) and the row inherited from."""
    rules = nearest(EscalationRules, region)
    if rules is not None and rules.region_id == region.pk:
        return rules, None
    own = EscalationRules(region=region)
    if rules is not None:
        own.to_leader_days, own.to_county_days = rules.to_leader_days, rules.to_county_days
    return own, rules


@login_required
@require_http_methods(["GET", "POST"])
def rules_view(request):
    _require(_may_set_rules(request.user))
    region = request.user.region
    rules, inherited = _rules_instance(region)
    action = request.POST.get("action") if request.method == "POST" else None
    form = EscalationRulesForm(request.POST if action == "save" else None, instance=rules)
    if action == "save" and form.is_valid():
        form.save()
        messages.success(request, _("督办规则已保存，自下次督办扫描（每日 7:30）起生效。"))
        return redirect("problems:rules")
    if action == "reset" and rules.pk:
        rules.delete()
        messages.success(request, _("已删除本级督办规则，改为沿用上级（或默认）规则。"))
        return redirect("problems:rules")
    if action == "reset":
        messages.error(request, _("本级没有单独设置，无需恢复。"))
    elif request.method == "POST" and action != "save":
        messages.error(request, _("请选择要保存的内容。"))
    context = {"region": region, "form": form, "inherited": inherited, "has_own_rules": rules.pk is not None}
    return render(request, "problems/rules.html", context, status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("", problem_list, name="list"),
    path("export.<str:fmt>", problem_export, name="export"),
    path("new/<int:pk>/", problem_create, name="create"),
    path("<int:pk>/", problem_detail, name="detail"),
    path("<int:pk>/act/", problem_act, name="act"),
    path("attachments/<int:pk>/", attachment, name="attachment"),
    path("rules/", rules_view, name="rules"),
]

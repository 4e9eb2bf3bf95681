from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.export import FORMATS, export_response
from lib.history import history_entries

from .exports import ledger_rows
from .filtersets import ProjectFilterSet
from .forms import AnnualPlanFormSet, MilestoneFormSet, ProjectForm, ReverseScheduleForm, StageActionForm
from .models import Project, StageChange


def _get_project(request, pk: int, *, for_write: bool = False, queryset=None) -> Project:
    """The one access check for a project page: outside the region 404, read-only 403."""
    queryset = queryset if queryset is not None else Project.objects.select_related("region")
    project = get_object_or_404(queryset.visible_to(request.user), pk=pk)
    if for_write and not request.user.can_edit_projects:
        raise PermissionDenied
    return project


def _require_editor(request) -> None:
    if not request.user.can_edit_projects:
        raise PermissionDenied


def _plan_year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _ledger(request) -> tuple[ProjectFilterSet, int]:
    year = _plan_year(request)
    queryset = (
        Project.objects.visible_to(request.user)
        .with_annual_plan(year)
        .select_related("region", "zone", "department", "leader")
        .prefetch_related("chain_tags")
    )
    return ProjectFilterSet(request.GET, queryset=queryset, user=request.user), year


@login_required
@require_GET
def project_list(request):
    filterset, year = _ledger(request)
    projects = filterset.qs
    totals = projects.totals(year)
    paginator = Paginator(projects, settings.PROJECT_LIST_PAGE_SIZE)
    paginator.count = totals.count  # already counted with the sums: saves a query
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filterset": filterset, "page": page, "totals": totals, "year": year, "query": query.urlencode()}
    template = "projects/_ledger.html" if request.htmx and not request.htmx.boosted else "projects/list.html"
    return render(request, template, context)


@login_required
@require_GET
def project_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    filterset, year = _ledger(request)
    if not filterset.is_valid():
        messages.error(request, _("筛选条件有误，请修正后再导出。"))
        return redirect("projects:list")
    filename = _("重点项目台账") + timezone.localdate().strftime("%Y%m%d")
    return export_response(ledger_rows(filterset.qs, year), filename, fmt)


@login_required
@require_GET
def project_detail(request, pk: int):
    queryset = Project.objects.select_related("region", "zone", "department", "leader").prefetch_related(
        "chain_tags", "annual_plans", "milestones"
    )
    project = _get_project(request, pk, queryset=queryset)
    context = {
        "project": project,
        "stage_changes": StageChange.objects.filter(project=project).select_related("by"),
        "history": history_entries(project.history.all()),
        "can_edit": request.user.can_edit_projects,
    }
    return render(request, "projects/detail.html", context)


def _save_project(request, project: Project | None):
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    plans = AnnualPlanFormSet(request.POST or None, instance=form.instance, prefix="plans")
    milestones = MilestoneFormSet(request.POST or None, instance=form.instance, prefix="milestones")
    if request.method == "POST" and form.is_valid() and plans.is_valid() and milestones.is_valid():
        with transaction.atomic():
            is_new = form.instance.pk is None
            saved = form.save()
            plans.instance = milestones.instance = saved
            plans.save()
            milestones.save()
            if is_new:
                StageChange.objects.create(
                    project=saved,
                    from_stage="",
                    to_stage=saved.stage,
                    on=timezone.localdate(),
                    by=request.user,
                    note=_("新建项目"),
                )
        messages.success(request, _("已保存“%(name)s”。") % {"name": saved.name})
        return redirect("projects:detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "plans": plans, "milestones": milestones, "project": project}
    return render(request, "projects/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request):
    _require_editor(request)
    return _save_project(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, pk: int):
    project = _get_project(request, pk, for_write=True)
    return _save_project(request, project)


@login_required
@require_http_methods(["GET", "POST"])
def project_stage(request, pk: int):
    project = _get_project(request, pk, for_write=True)
    form = StageActionForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid() and form.apply(by=request.user):
        messages.success(request, _("阶段已更新为“%(stage)s”。") % {"stage": project.get_stage_display()})
        return redirect("projects:detail", pk=project.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/stage.html", {"form": form, "project": project}, status=status)


@login_required
@require_POST
def project_archive(request, pk: int):
    project = _get_project(request, pk, for_write=True)
    project.archive(by=request.user)
    messages.success(request, _("项目已归档，不再出现在默认台账中。"))
    return redirect("projects:detail", pk=project.pk)


@login_required
@require_POST
def project_reverse_schedule(request, pk: int):
    """倒排工期: fill the milestones' planned dates backwards from a target date."""
    project = _get_project(request, pk, for_write=True)
    form = ReverseScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的目标完成日期。"))
    elif not project.milestones.exists():
        messages.error(request, _("请先在编辑页设置形象进度节点及工期。"))
    else:
        project.reverse_schedule(form.cleaned_data["target"])
        messages.success(request, _("已按目标日期倒排各节点计划完成日期。"))
    return redirect("projects:detail", pk=project.pk)

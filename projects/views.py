from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import BooleanField, Case, Count, OuterRef, Q, Subquery, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.export import FORMATS, export_response
from lib.history import history_entries
from lib.notify import notify
from org.models import Role

from .exports import ledger_rows
from .filtersets import ProjectFilterSet
from .forms import (
    AnnualPlanFormSet,
    ChangeRequestForm,
    DecisionForm,
    MilestoneFormSet,
    ProjectForm,
    ReverseScheduleForm,
    StageActionForm,
    SuspensionConfirmForm,
)
from .models import (
    ChangeRequest,
    PlanBaseline,
    Project,
    StageChange,
    SuspensionConfirmation,
    coordinators_by_region,
    quarter_label,
    quarter_start,
)

PAGE_SIZE = 50


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


def _may_request_changes(user, project: Project) -> bool:
    """Coordinators (and admins), and the reporters assigned to the project: ``ProjectQuerySet.reported_by``."""
    return user.can_edit_projects or Project.objects.reported_by(user).filter(pk=project.pk).exists()


def _get_change_request(request, pk: int) -> ChangeRequest:
    """Outside the region 404; deciding is the key-project office's: everyone else 403."""
    queryset = ChangeRequest.objects.visible_to(request.user).select_related("project", "milestone", "requested_by")
    change = get_object_or_404(queryset, pk=pk)
    _require_editor(request)
    return change


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


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
        "change_control": project.change_control(),
        "may_request_changes": _may_request_changes(request.user, project),
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
        try:
            messages.success(request, _reverse_schedule(request, project, form.cleaned_data))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
    return redirect("projects:detail", pk=project.pk)


def _reverse_schedule(request, project: Project, data: dict) -> str:
    """Before plan approval the dates are set; after it each move becomes a change request (all or none)."""
    if not project.plan_is_approved:
        project.reverse_schedule(data["target"])
        return _("已按目标日期倒排各节点计划完成日期。")
    reason = data["reason"].strip() or _("倒排工期：目标完成日期 %(date)s") % {"date": data["target"]}
    created = project.request_reverse_schedule(data["target"], reason, by=request.user)
    if not created:
        return _("倒排结果与现有计划一致，无需变更。")
    return _("计划已批准：倒排结果已生成 %(count)s 项变更申请，批准后生效。") % {"count": len(created)}


# ---- change control ----


@login_required
@require_POST
def project_approve_plan(request, pk: int):
    """Approve the plan: its planned dates become the baseline and move only through change requests."""
    project = _get_project(request, pk, for_write=True)
    try:
        project.approve_plan(by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("计划已批准，计划日期已锁定为基线；调整须提交变更申请。"))
    return redirect(reverse("projects:detail", kwargs={"pk": project.pk}) + "#change-control")


@login_required
@require_http_methods(["GET", "POST"])
def change_request_create(request, pk: int):
    """A reporter of the project or a coordinator asks to move one planned date."""
    project = _get_project(
        request, pk, queryset=Project.objects.select_related("region").prefetch_related("milestones")
    )
    if not _may_request_changes(request.user, project):
        raise PermissionDenied
    form = ChangeRequestForm(request.POST or None, project=project, initial={"target": request.GET.get("target")})
    if request.method == "POST" and form.is_valid():
        change = form.save(by=request.user)
        if change is not None:
            _tell_the_office(request, change)
            messages.success(request, _("变更申请已提交，待重点办审批。"))
            return redirect(reverse("projects:detail", kwargs={"pk": project.pk}) + "#change-control")
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/change_request.html", {"form": form, "project": project}, status=status)


def _tell_the_office(request, change: ChangeRequest) -> None:
    office = coordinators_by_region([change.project.region])[change.project.region_id]
    text = _("%(user)s 提交了计划变更申请：%(project)s，%(target)s %(old)s → %(new)s。") % {
        "user": request.user,
        "project": change.project.name,
        "target": change.target_label,
        "old": change.old_date or "—",
        "new": change.new_date,
    }
    notify(
        [user for user in office if user != request.user], text, reverse("projects:change_requests"), "change_request"
    )


def _change_queue(user):
    """Pending requests of the user's subtree, oldest first, each with its baseline date."""
    by_field = PlanBaseline._base_manager.filter(project=OuterRef("project"), field_name=OuterRef("field_name"))
    by_milestone = PlanBaseline._base_manager.filter(milestone=OuterRef("milestone"))
    return (
        ChangeRequest.objects.visible_to(user)
        .pending()
        .select_related("project__region", "milestone", "requested_by")
        .annotate(
            baseline_on=Case(
                When(milestone__isnull=True, then=Subquery(by_field.values("baseline_on")[:1])),
                default=Subquery(by_milestone.values("baseline_on")[:1]),
            )
        )
        .order_by("requested_at", "pk")
    )


def _render_queue(request, *, failed: ChangeRequest | None = None, form=None, status: int = 200):
    page = Paginator(_change_queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    # After a refused decision the page answers a POST: its forms go back where the decision came from.
    here = (
        request.get_full_path() if request.method == "GET" else _next_url(request, reverse("projects:change_requests"))
    )
    context = {"page": page, "failed": failed, "failed_form": form, "next": here}
    return render(request, "projects/change_requests.html", context, status=status)


@login_required
@require_GET
def change_request_list(request):
    """The coordinator's queue of pending change requests."""
    _require_editor(request)
    return _render_queue(request)


@login_required
@require_POST
def change_request_approve(request, pk: int):
    change = _get_change_request(request, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            change.approve(by=request.user, note=form.cleaned_data["decision_note"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已批准变更：%(target)s 调整为 %(date)s。") % _change_values(change))
            return redirect(_next_url(request, reverse("projects:change_requests")))
    return _render_queue(request, failed=change, form=form, status=400)


@login_required
@require_POST
def change_request_reject(request, pk: int):
    change = _get_change_request(request, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            change.reject(by=request.user, note=form.cleaned_data["decision_note"])
        except ValidationError as error:
            form.add_error("decision_note" if hasattr(error, "error_dict") else None, error.messages)
        else:
            messages.success(request, _("已驳回变更申请：%(target)s。") % _change_values(change))
            return redirect(_next_url(request, reverse("projects:change_requests")))
    return _render_queue(request, failed=change, form=form, status=400)


def _change_values(change: ChangeRequest) -> dict:
    return {"target": f"{change.project.name} · {change.target_label}", "date": change.new_date}


# ---- suspensions ----


def _may_oversee(user) -> bool:
    return user.can_edit_projects or user.role == Role.LEADER


def _unconfirmed(today) -> Q:
    """The SQL twin of ``Project.is_suspension_unconfirmed`` for rows already known to be suspended."""
    return Q(suspension_confirmed_on__isnull=True) | Q(suspension_confirmed_on__lt=quarter_start(today))


def _suspensions(user, today):
    """The subtree's suspended projects, those not confirmed this quarter first."""
    last = SuspensionConfirmation._base_manager.filter(project=OuterRef("pk")).order_by("-on", "-pk")
    return (
        Project.objects.visible_to(user)
        .suspended()
        .select_related("region", "zone")
        .annotate(
            last_note=Subquery(last.values("note")[:1]),
            unconfirmed=Case(When(_unconfirmed(today), then=True), default=False, output_field=BooleanField()),
        )
        .order_by("-unconfirmed", "stopped_on", "pk")
    )


@login_required
@require_GET
def suspension_list(request):
    """All suspended projects of the subtree: reason, summary, expected resume, last confirmation, flag."""
    if not _may_oversee(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    projects = _suspensions(request.user, today)
    counts = projects.aggregate(total=Count("pk"), unconfirmed=Count("pk", filter=_unconfirmed(today)))
    only_unconfirmed = request.GET.get("unconfirmed") == "1"
    if only_unconfirmed:
        projects = projects.filter(_unconfirmed(today))
    paginator = Paginator(projects, PAGE_SIZE)
    paginator.count = counts["unconfirmed" if only_unconfirmed else "total"]  # already counted: saves a query
    context = {
        "page": paginator.get_page(request.GET.get("page")),
        "counts": counts,
        "only_unconfirmed": only_unconfirmed,
        "quarter": quarter_label(today),
        "query": "unconfirmed=1" if only_unconfirmed else "",
    }
    return render(request, "projects/suspensions.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def suspension_confirm(request, pk: int):
    """A coordinator re-confirms a suspension for this quarter, with the current outlook."""
    project = _get_project(request, pk, for_write=True)
    form = SuspensionConfirmForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid() and form.save(by=request.user):
        messages.success(request, _("已确认“%(name)s”本季度仍处于暂停状态。") % {"name": project.name})
        return redirect(_next_url(request, reverse("projects:suspensions")))
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "project": project,
        "next": _next_url(request, ""),
        "quarter": quarter_label(timezone.localdate()),
    }
    return render(request, "projects/suspension_confirm.html", context, status=status)

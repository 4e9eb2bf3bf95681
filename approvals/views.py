"""Approval item screens: the list across the subtree (and its export), a project's checklist with
inline editing, one item's form, applying a template, and the handling-time statistics.

Who may do what, in one place per object (the ``_get_*`` helpers and ``_require``): outside the user's
region subtree is 404; coordinators and admins change every item of their subtree, a department handler
the items of its own department; any other change is 403. The lists and statistics are for the
government side: an enterprise reads only its own project's checklist.
"""

import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.export import FORMATS, export_response
from org.models import User
from projects.models import Project

from . import stats as handling_stats
from .exports import item_rows
from .filtersets import ItemFilterSet
from .forms import ApplyTemplateForm, ItemForm
from .models import ApprovalItem

# ---- who may do what ----


def may_read_lists(user: User) -> bool:
    """The cross-project list, its export and the statistics: every government role."""
    return not user.is_enterprise


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _get_project(request, pk: int) -> Project:
    return get_object_or_404(Project.objects.visible_to(request.user).select_related("region", "zone"), pk=pk)


def _get_item(request, pk: int) -> ApprovalItem:
    """An item to change: outside the subtree 404, not the user's to change 403."""
    queryset = ApprovalItem.objects.readable_by(request.user).select_related("project__region", "department")
    item = get_object_or_404(queryset, pk=pk)
    _require(item.is_editable_by(request.user))
    return item


# ---- the list and its export ----


def _filterset(request) -> ItemFilterSet:
    queryset = (
        ApprovalItem.objects.visible_to(request.user)
        .select_related("project__region", "department")
        .order_by("project__region__path", "project__name", "sort_order", "pk")
    )
    return ItemFilterSet(request.GET, queryset=queryset, user=request.user)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_GET
def item_list(request):
    _require(may_read_lists(request.user))
    filterset = _filterset(request)
    page = Paginator(filterset.qs, settings.PROJECT_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filterset": filterset, "page": page, "query": _query_without_page(request)}
    return render(request, "approvals/list.html", context)


@login_required
@require_GET
def item_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    _require(may_read_lists(request.user))
    filterset = _filterset(request)
    if not filterset.is_valid():
        messages.error(request, _("筛选条件有误，请修正后再导出。"))
        return redirect("approvals:list")
    filename = _("前期手续") + timezone.localdate().strftime("%Y%m%d")
    return export_response(item_rows(filterset.qs, timezone.localdate()), filename, fmt)


# ---- a project's checklist ----


def _render_checklist(request, project: Project, *, apply_form=None, status: int = 200):
    items = ApprovalItem.objects.filter(project=project).select_related("department")
    may_apply = request.user.can_edit_projects
    if may_apply and apply_form is None:
        apply_form = ApplyTemplateForm(project=project)
    context = {"project": project, "items": items, "apply_form": apply_form if may_apply else None}
    return render(request, "approvals/project.html", context, status=status)


@login_required
@require_GET
def project_checklist(request, pk: int):
    return _render_checklist(request, _get_project(request, pk))


@login_required
@require_POST
def apply_template(request, pk: int):
    """Create the project's checklist from a template; items the project already has are skipped."""
    project = _get_project(request, pk)
    _require(request.user.can_edit_projects)
    form = ApplyTemplateForm(request.POST, project=project)
    if not form.is_valid():
        return _render_checklist(request, project, apply_form=form, status=400)
    template = form.cleaned_data["template"]
    created = template.apply_to(project, by=request.user)
    skipped = template.items.count() - len(created)
    messages.success(request, _applied_message(template, len(created), skipped))
    return redirect("approvals:project", pk=project.pk)


def _applied_message(template, created: int, skipped: int) -> str:
    text = ngettext("已按“%(name)s”添加 %(n)d 项前期手续。", "已按“%(name)s”添加 %(n)d 项前期手续。", created) % {
        "name": template.name,
        "n": created,
    }
    if skipped:
        text += ngettext("%(n)d 项已有，未重复添加。", "%(n)d 项已有，未重复添加。", skipped) % {"n": skipped}
    return text


# ---- one item ----


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request, pk: int):
    """One item's form: a whole page, or (htmx) a table row of the checklist swapped in place."""
    item = _get_item(request, pk)
    # The form writes into its instance even when invalid; the page shows the item as saved.
    form = ItemForm(request.POST or None, instance=copy.copy(item), user=request.user)
    inline = bool(request.htmx) and not request.htmx.boosted
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        if inline:
            return render(request, "approvals/_item_row.html", {"item": saved, "saved": True})
        messages.success(request, _("已保存“%(name)s”。") % {"name": saved.name})
        return redirect("approvals:project", pk=saved.project_id)
    status = 400 if request.method == "POST" else 200
    template = "approvals/_item_form_row.html" if inline else "approvals/item_edit.html"
    return render(request, template, {"form": form, "item": item}, status=status)


# ---- statistics ----


def _year_param(request) -> int | None:
    """``?year=YYYY`` (approval year); anything else means all years."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


@login_required
@require_GET
def stats(request):
    _require(may_read_lists(request.user))
    year = _year_param(request)
    approved = ApprovalItem.objects.readable_by(request.user).approved()
    if year:
        approved = approved.filter(approved_on__year=year)
    context = {
        "rows": handling_stats.kind_stats(approved),
        "totals": handling_stats.totals(approved),
        "year": year,
        "this_year": timezone.localdate().year,
    }
    return render(request, "approvals/stats.html", context)


urlpatterns = [
    path("", item_list, name="list"),
    path("export/<str:fmt>/", item_export, name="export"),
    path("stats/", stats, name="stats"),
    path("project/<int:pk>/", project_checklist, name="project"),
    path("project/<int:pk>/apply-template/", apply_template, name="apply_template"),
    path("items/<int:pk>/edit/", item_edit, name="item_edit"),
]

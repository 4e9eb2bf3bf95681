"""The target enterprise library: the list with its export, an enterprise's page, the form, the Excel import."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from lib.export import FORMATS, export_response
from lib.history import history_entries

from .access import get_visible, require_editor, require_reader
from .excel import FileError, Importer, enterprise_rows, read_rows
from .filtersets import EnterpriseFilterSet
from .forms import EnterpriseForm, ImportForm
from .models import Lead, LeadStage, TargetEnterprise, may_edit

PAGE_SIZE = 50


def _filterset(request) -> EnterpriseFilterSet:
    queryset = TargetEnterprise.objects.visible_to(request.user)
    return EnterpriseFilterSet(request.GET, queryset=queryset, user=request.user)


@login_required
@require_GET
def enterprise_list(request):
    require_reader(request)
    filterset = _filterset(request)
    open_leads = Count("leads", filter=Q(leads__stage__in=[LeadStage.LEAD, LeadStage.NEGOTIATING, LeadStage.SIGNED]))
    enterprises = (
        filterset.qs.select_related("region", "promoter")
        .prefetch_related("chain_links__chain")
        .annotate(open_leads=open_leads)
        .order_by("region__path", "name")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": Paginator(enterprises, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "can_edit": may_edit(request.user),
    }
    return render(request, "attraction/enterprise_list.html", context)


@login_required
@require_GET
def enterprise_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    require_reader(request)
    filterset = _filterset(request)
    filename = _("目标企业库") + timezone.localdate().strftime("%Y%m%d")
    return export_response(enterprise_rows(filterset.qs.order_by("region__path", "name")), filename, fmt)


def _get_enterprise(request, pk: int, *, write: bool = False) -> TargetEnterprise:
    queryset = TargetEnterprise.objects.select_related("region", "promoter")
    return get_visible(request, queryset, pk, write=write)


@login_required
@require_GET
def enterprise_detail(request, pk: int):
    enterprise = _get_enterprise(request, pk)
    context = {
        "enterprise": enterprise,
        "links": enterprise.chain_links.select_related("chain"),
        "leads": Lead.objects.filter(enterprise=enterprise).select_related("region", "promoter", "project"),
        "history": history_entries(enterprise.history.all()),
        "can_edit": may_edit(request.user),
    }
    return render(request, "attraction/enterprise_detail.html", context)


def _save_enterprise(request, enterprise: TargetEnterprise | None):
    initial = {} if enterprise else {"region": request.user.region_id, "promoter": _self_if_promoter(request.user)}
    form = EnterpriseForm(request.POST or None, instance=enterprise, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("已保存“%(name)s”。") % {"name": saved.name})
        return redirect(saved)
    status = 400 if request.method == "POST" else 200
    flags = [form[name] for name in ("is_leading", "is_specialised", "is_listed", "is_local")]
    context = {"form": form, "enterprise": enterprise, "flags": flags}
    return render(request, "attraction/enterprise_form.html", context, status=status)


def _self_if_promoter(user):
    return user.pk if user.role == "promoter" else None


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_create(request):
    require_reader(request)
    require_editor(request)
    return _save_enterprise(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request, pk: int):
    return _save_enterprise(request, _get_enterprise(request, pk, write=True))


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_import(request):
    """Upload → dry run (预检: every error by row, nothing saved) → import (all rows saved, or none)."""
    require_reader(request)
    require_editor(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    result, dry_run = None, request.POST.get("action") != "import"
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_rows(form.cleaned_data["file"])
        except FileError as error:
            form.add_error("file", str(error))
        else:
            result = Importer(request.user).run(rows, dry_run=dry_run)
    if result and result.saved:
        messages.success(
            request, _("导入完成：新增 %(c)s 家，更新 %(u)s 家。") % {"c": result.created, "u": result.updated}
        )
        return redirect("attraction:enterprises")
    failed = request.method == "POST" and (not form.is_valid() or (result and not result.ok))
    context = {"form": form, "result": result, "dry_run": dry_run}
    return render(request, "attraction/enterprise_import.html", context, status=400 if failed else 200)


urlpatterns = [
    path("enterprises/", enterprise_list, name="enterprises"),
    path("enterprises/export.<str:fmt>", enterprise_export, name="enterprise_export"),
    path("enterprises/new/", enterprise_create, name="enterprise_create"),
    path("enterprises/import/", enterprise_import, name="enterprise_import"),
    path("enterprises/<int:pk>/", enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", enterprise_edit, name="enterprise_edit"),
]

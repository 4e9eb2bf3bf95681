"""OC4IDS screens: export a region's projects as a project package; import a package (dry run, then confirm).

Who: every government role exports the projects it sees (the ledger's own export is open to
them too); enterprises get 403. Importing writes the ledger: coordinators and admins only (403
for the rest). A region or an import outside the user's subtree is 404, for everyone.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.scoping import user_scope
from org.models import Region
from projects.filtersets import ProjectFilterSet
from projects.models import Project

from . import importer, reading
from .export import Context, iter_package, package_header
from .forms import ImportForm
from .models import PackageImport, action_counts

RECENT_IMPORTS = 10
OUTCOMES_PER_PAGE = 50
# The ledger filters that make sense for a package (the sort order is the package's own: by id).
IGNORED_FILTERS = ("sort", "page")


def _require_government(request) -> None:
    if request.user.is_enterprise:
        raise PermissionDenied


def _require_importer(request) -> None:
    if not request.user.can_edit_projects:
        raise PermissionDenied


def _filters(request, region: Region | None = None) -> ProjectFilterSet:
    data = request.GET.copy()
    for name in IGNORED_FILTERS:
        data.pop(name, None)
    if region is not None:
        data["region"] = str(region.pk)
    queryset = Project.objects.visible_to(request.user)
    return ProjectFilterSet(data, queryset=queryset, user=request.user)


def _query_without_region(request) -> str:
    query = request.GET.copy()
    for name in (*IGNORED_FILTERS, "region"):
        query.pop(name, None)
    return query.urlencode()


def _export_page(request, region: Region) -> str:
    """The export page with the region and filters of this request (where a refused download goes back to)."""
    query = request.GET.copy()
    for name in IGNORED_FILTERS:
        query.pop(name, None)
    query["region"] = str(region.pk)
    return f"{reverse('oc4ids:export')}?{query.urlencode()}"


@login_required
@require_GET
def export_page(request):
    """Choose the region and the ledger filters; see how many projects the package will hold; download."""
    _require_government(request)
    filterset = _filters(request)
    valid = filterset.is_valid()
    region = (filterset.form.cleaned_data.get("region") if valid else None) or request.user.region
    context = {
        "filterset": filterset,
        "count": filterset.qs.count() if valid else None,
        "region": region,
        "query": _query_without_region(request),
        "can_import": request.user.can_edit_projects,
    }
    return render(request, "oc4ids/export.html", context)


@login_required
@require_GET
def download(request, code: str):
    """The package of the region's projects matching the filters, streamed as it is written."""
    region = get_object_or_404(Region.objects.visible_to(request.user), code=code)
    _require_government(request)
    filterset = _filters(request, region)
    back = _export_page(request, region)
    if not filterset.is_valid():
        messages.error(request, _("筛选条件有误，请修正后再导出。"))
        return redirect(back)
    projects = filterset.qs
    if not projects.exists():
        messages.error(request, _("没有符合条件的项目：OC4IDS 项目包至少须含一个项目。"))
        return redirect(back)
    header = package_header(region, request.build_absolute_uri())
    chunks = _in_scope(request.user, iter_package(projects, header, Context.for_region(region)))
    response = StreamingHttpResponse(chunks, content_type="application/json; charset=utf-8")
    filename = f"oc4ids-{region.code}-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _in_scope(user, chunks):
    # The response is written after the view returns, outside the middleware's scope: keep the user's.
    with user_scope(user):
        yield from chunks


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    """Upload a package: the schema check and the dry run, then the review page."""
    _require_importer(request)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        region = form.cleaned_data["region"]
        outcomes = importer.check(form.package, region, request.user)
        upload = PackageImport.objects.create(
            region=region,
            file_name=form.cleaned_data["file"].name[:200],
            package=form.package,
            outcomes=[outcome.as_dict() for outcome in outcomes],
            by=request.user,
        )
        return redirect("oc4ids:review", pk=upload.pk)
    recent = PackageImport.objects.visible_to(request.user).defer("package", "outcomes").select_related("region", "by")
    context = {"form": form, "imports": recent[:RECENT_IMPORTS], "max_projects": reading.MAX_PROJECTS}
    return render(request, "oc4ids/import.html", context, status=400 if request.method == "POST" else 200)


def _get_import(request, pk: int) -> PackageImport:
    """The one access check for an import: outside the subtree 404, a role that may not import 403."""
    upload = get_object_or_404(PackageImport.objects.visible_to(request.user).select_related("region", "by"), pk=pk)
    _require_importer(request)
    return upload


@login_required
@require_GET
def import_review(request, pk: int):
    return _render_review(request, _get_import(request, pk))


def _render_review(request, upload: PackageImport, *, refusal: str = "", status: int = 200):
    only_problems = request.GET.get("only") == "problems"
    outcomes = [o for o in upload.outcomes if o["errors"] or o["warnings"]] if only_problems else upload.outcomes
    page = Paginator(outcomes, OUTCOMES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "upload": upload,
        "page": page,
        "counts": upload.counts,
        "refusal": refusal,
        "only_problems": only_problems,
        "query": "only=problems" if only_problems else "",
        "can_apply": upload.status == PackageImport.Status.CHECKED and not upload.error_count,
    }
    return render(request, "oc4ids/review.html", context, status=status)


@login_required
@require_POST
def import_apply(request, pk: int):
    """Confirm: the import again, for real, in one transaction with the claim on the upload; all or nothing."""
    upload = _get_import(request, pk)
    if upload.status != PackageImport.Status.CHECKED:
        messages.error(request, _("该项目包%(status)s，不能再次导入。") % {"status": upload.get_status_display()})
        return redirect("oc4ids:review", pk=upload.pk)
    if upload.error_count:
        return _render_review(request, upload, refusal=_("项目包中有错误，不能导入；请修正后重新上传。"), status=400)
    try:
        outcomes = _apply(upload, request.user)
    except importer.ImportRefused as refused:
        upload.outcomes = [outcome.as_dict() for outcome in refused.outcomes]
        upload.save(update_fields=["outcomes"])
        refusal = _("数据已在校验后发生变化，有项目未通过校验，未保存任何数据。")
        return _render_review(request, upload, refusal=refusal, status=400)
    if outcomes is None:
        messages.error(request, _("该项目包已被处理。"))
        return redirect("oc4ids:review", pk=upload.pk)
    counts = action_counts([outcome.as_dict() for outcome in outcomes])
    messages.success(request, _("已导入：新建 %(create)s 个项目，更新 %(update)s 个，未变 %(unchanged)s 个。") % counts)
    return redirect("oc4ids:review", pk=upload.pk)


@transaction.atomic
def _apply(upload: PackageImport, user) -> list[importer.Outcome] | None:
    # The claim is a conditional update: of two confirmations at once only one imports.
    claimed = PackageImport._base_manager.filter(pk=upload.pk, status=PackageImport.Status.CHECKED)
    if not claimed.update(status=PackageImport.Status.APPLIED, applied_at=timezone.now()):
        return None
    outcomes = importer.apply(upload.package, upload.region, user)
    PackageImport._base_manager.filter(pk=upload.pk).update(outcomes=[o.as_dict() for o in outcomes])
    return outcomes


@login_required
@require_POST
def import_discard(request, pk: int):
    upload = _get_import(request, pk)
    discarded = PackageImport._base_manager.filter(pk=upload.pk, status=PackageImport.Status.CHECKED)
    if not discarded.update(status=PackageImport.Status.DISCARDED):
        messages.error(request, _("该项目包%(status)s，不能放弃。") % {"status": upload.get_status_display()})
        return redirect("oc4ids:review", pk=upload.pk)
    messages.success(request, _("已放弃该项目包，未保存任何数据。"))
    return redirect("oc4ids:import")

"""台账导入 screens: upload → column mapping → dry run → confirm → (undo); the history and the templates.

Coordinators and admins only (403 for every other role); an import belongs to the region of the
person who made it and is seen from that region and the regions above; another region's is 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import apply, tasks
from .check import read_import_table
from .columns import FIELDS
from .files import Refused
from .forms import MappingForm, UploadForm, detect_into
from .models import ImportItem, ImportStatus, ImportTemplate, LedgerImport

HISTORY_PAGE_SIZE = 20
ITEMS_PAGE_SIZE = 50
EDITABLE = (ImportStatus.MAPPING, ImportStatus.CHECKED)
MONEY_FIELDS = [field.key for field in FIELDS if field.is_money]


def _require_importer(request) -> None:
    # An import belongs to a region; a platform superuser without one has nowhere to file it.
    if not request.user.can_edit_projects or request.user.region_id is None:
        raise PermissionDenied


def _get_import(request, pk: int) -> LedgerImport:
    """The one access check for an import: outside the subtree 404, a role that may not import 403."""
    queryset = LedgerImport.objects.visible_to(request.user).select_related("region", "by", "undone_by", "template")
    ledger_import = get_object_or_404(queryset, pk=pk)
    _require_importer(request)
    return ledger_import


@login_required
@require_http_methods(["GET", "POST"])
def import_index(request):
    """Upload a ledger; below, the import history of the region and the saved mapping templates."""
    _require_importer(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        ledger_import = form.save()
        messages.info(request, _("已读取文件，请核对每一列对应的项目字段，确认后进行校验。"))
        return redirect("imports:mapping", pk=ledger_import.pk)
    history = LedgerImport.objects.visible_to(request.user).select_related("by", "region")
    page = Paginator(history.defer("columns", "errors", "preview"), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "templates": ImportTemplate.objects.visible_to(request.user).select_related("region", "by"),
    }
    return render(request, "imports/index.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request, pk: int):
    """The detected mapping of columns to fields, for the user to correct; confirming runs the dry run."""
    ledger_import = _get_import(request, pk)
    if ledger_import.status not in EDITABLE:
        status = {"status": ledger_import.get_status_display()}
        messages.error(request, _("该导入%(status)s，不能再修改列映射。") % status)
        return redirect("imports:detail", pk=pk)
    form = MappingForm(request.POST or None, ledger_import=ledger_import)
    if request.method == "POST" and form.is_valid():
        if form.layout_changed:
            return _redetect(request, ledger_import, form)
        form.save(request.user)
        return _check_and_show(request, ledger_import)
    status = 400 if request.method == "POST" else 200
    context = {"import": ledger_import, "form": form, "money_fields": MONEY_FIELDS}
    return render(request, "imports/mapping.html", context, status=status)


def _redetect(request, ledger_import: LedgerImport, form: MappingForm):
    data = form.cleaned_data
    try:
        table = read_import_table(ledger_import, data.get("sheet") or ledger_import.sheet_name)
    except Refused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:mapping", pk=ledger_import.pk)
    same_sheet = table.sheet == ledger_import.sheet_name
    first, last = (data["header_first"], data["header_last"]) if same_sheet else (None, None)
    detect_into(ledger_import, table, first, last)
    ledger_import.status = ImportStatus.MAPPING
    ledger_import.save()
    messages.info(request, _("已按新的工作表或表头行重新识别各列，请核对后再校验。"))
    return redirect("imports:mapping", pk=ledger_import.pk)


def _check_and_show(request, ledger_import: LedgerImport):
    if tasks.runs_in_background(ledger_import):
        tasks.start(ledger_import, request.user, "check")
        return redirect("imports:detail", pk=ledger_import.pk)
    try:
        apply.run_check(ledger_import, request.user)
    except Refused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:mapping", pk=ledger_import.pk)
    _tell_check(request, ledger_import)
    return redirect("imports:detail", pk=ledger_import.pk)


def _tell_check(request, ledger_import: LedgerImport) -> None:
    counts = {
        "create": ledger_import.create_count,
        "update": ledger_import.update_count,
        "errors": ledger_import.error_count,
    }
    if ledger_import.error_count:
        messages.warning(request, _("校验完成：%(errors)s 行有错误，改正前不能导入。") % counts)
    else:
        messages.success(request, _("校验通过：将新建 %(create)s 个项目、更新 %(update)s 个项目。") % counts)


@login_required
@require_GET
def import_detail(request, pk: int):
    """The dry run's result (errors by row and column, what will be saved), or what an import saved."""
    ledger_import = _get_import(request, pk)
    items = ImportItem._base_manager.filter(ledger_import=ledger_import).select_related("project__region")
    page = Paginator(items.order_by("row"), ITEMS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "import": ledger_import,
        "page": page,
        "can_apply": ledger_import.status == ImportStatus.CHECKED and not ledger_import.error_count,
        "max_errors": apply.MAX_STORED_ERRORS,
        "preview_limit": apply.PREVIEW_ROWS,
    }
    return render(request, "imports/detail.html", context)


@login_required
@require_GET
def import_progress(request, pk: int):
    """The progress card of a running import, polled by htmx; once done, the page reloads itself."""
    ledger_import = _get_import(request, pk)
    response = render(request, "imports/_progress.html", {"import": ledger_import})
    if not ledger_import.is_running:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_apply(request, pk: int):
    ledger_import = _get_import(request, pk)
    if ledger_import.status == ImportStatus.CHECKED and tasks.runs_in_background(ledger_import):
        if not tasks.start(ledger_import, request.user, "apply"):
            messages.error(request, _("该导入已被处理（已导入或已撤销），请刷新页面。"))
        return redirect("imports:detail", pk=pk)
    try:
        result = apply.apply_import(ledger_import, request.user)
    except (apply.ImportRefused, Refused) as exc:
        message = exc.message if isinstance(exc, apply.ImportRefused) else " ".join(exc.messages)
        messages.error(request, message)
        return redirect("imports:detail", pk=pk)
    counts = {"create": result.creates, "update": result.updates}
    messages.success(request, _("已导入：新建 %(create)s 个项目，更新 %(update)s 个项目。") % counts)
    return redirect("imports:detail", pk=pk)


@login_required
@require_POST
def import_undo(request, pk: int):
    ledger_import = _get_import(request, pk)
    try:
        apply.undo_import(ledger_import, request.user)
    except apply.ImportRefused as exc:
        messages.error(request, exc.message)
        return redirect("imports:detail", pk=pk)
    messages.success(request, _("已撤销本次导入：更新的项目已恢复原值，新建的项目已删除。"))
    return redirect("imports:detail", pk=pk)


@login_required
@require_POST
def template_delete(request, pk: int):
    """Delete one of the region's own templates (those inherited from above are the upper office's)."""
    template = get_object_or_404(ImportTemplate.objects.own(request.user), pk=pk)
    _require_importer(request)
    template.delete()
    messages.success(request, _("已删除映射模板“%(name)s”。") % {"name": template.name})
    return redirect("imports:index")

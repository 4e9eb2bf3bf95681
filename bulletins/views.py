"""Bulletin screens: the list with the generate form, the preview page, regenerate, issue, discard a draft,
the progress of a running job, and the downloads (Word, PDF, the Excel annex) behind the access check.

Generating and issuing run as a huey task (``bulletins.tasks``): the click claims the bulletin and redirects
to its page, which shows the job's progress (``bulletins:progress``, polled by htmx every 2 s) and reloads
itself when the job has ended. While a job holds a bulletin, regenerate, issue and delete are refused (400).

Who may do what, in one place (``_get_bulletin`` and ``_require``): enterprises 403 everywhere; a bulletin
outside the user's region subtree, or a draft shown to a role that only reads, 404; a reader writing 403.
Coordinators and admins generate, regenerate, issue and discard; every other government role reads the
issued bulletins of its subtree.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import tasks
from .documents import CONTENT_TYPES, FIELDS, document_context, download_name
from .forms import GenerateForm
from .models import Bulletin

PAGE_SIZE = 30


# ---- who may do what ----


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def may_generate(user) -> bool:
    return user.can_edit_projects


def _require_government(user) -> None:
    """Bulletins are internal: an enterprise account is refused outright."""
    _require(not user.is_enterprise)


def _get_bulletin(request, pk: int, *, for_write: bool = False) -> Bulletin:
    _require_government(request.user)
    queryset = Bulletin.objects.visible_to(request.user).select_related("region", "generated_by", "issued_by")
    bulletin = get_object_or_404(queryset, pk=pk)
    _require(may_generate(request.user) or not for_write)
    return bulletin


# ---- the list and generating ----


def _render_list(request, form=None, status: int = 200):
    bulletins = (
        Bulletin.objects.visible_to(request.user)
        .select_related("region")
        .order_by("-year", "-month", "region__path", "pk")
    )
    may = may_generate(request.user)
    context = {
        "page": Paginator(bulletins, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": "",
        "form": (form or GenerateForm(user=request.user)) if may else None,
        "may_generate": may,
    }
    return render(request, "bulletins/list.html", context, status=status)


@login_required
@require_GET
def bulletin_list(request):
    _require_government(request.user)
    return _render_list(request)


@login_required
@require_POST
def bulletin_generate(request):
    _require_government(request.user)
    _require(may_generate(request.user))
    form = GenerateForm(request.POST, user=request.user)
    if form.is_valid():
        year, month = form.cleaned_data["month"]
        try:
            bulletin = tasks.start_generation(form.cleaned_data["region"], year, month, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.info(request, _("正在后台生成通报草稿，完成后本页自动显示。"))
            return redirect("bulletins:detail", pk=bulletin.pk)
    return _render_list(request, form=form, status=400)


# ---- one bulletin ----


def _render_detail(request, bulletin: Bulletin, status: int = 200):
    context = {
        "bulletin": bulletin,
        "figures": bulletin.content.get("figures", {}),
        "may_generate": may_generate(request.user),
        # Nothing to show while a generation runs (the content is about to change) or before the first one.
        "shows_document": bulletin.has_content and not (bulletin.is_busy and bulletin.job == Bulletin.Job.GENERATE),
        **(document_context(bulletin.content) if bulletin.has_content else {"is_draft": bulletin.is_draft}),
    }
    return render(request, "bulletins/detail.html", context, status=status)


@login_required
@require_GET
def bulletin_detail(request, pk: int):
    return _render_detail(request, _get_bulletin(request, pk))


def _refused(request, bulletin: Bulletin, error: ValidationError):
    for message in error.messages:
        messages.error(request, message)
    try:
        bulletin.refresh_from_db()
    except Bulletin.DoesNotExist:  # deleted meanwhile by someone else
        return redirect("bulletins:list")
    return _render_detail(request, bulletin, status=400)


@login_required
@require_POST
def bulletin_regenerate(request, pk: int):
    bulletin = _get_bulletin(request, pk, for_write=True)
    try:
        tasks.start_generation(bulletin.region, bulletin.year, bulletin.month, by=request.user)
    except ValidationError as error:
        return _refused(request, bulletin, error)
    messages.info(request, _("正在后台按最新数据重新生成通报草稿，完成后本页自动显示。"))
    return redirect("bulletins:detail", pk=bulletin.pk)


@login_required
@require_POST
def bulletin_issue(request, pk: int):
    bulletin = _get_bulletin(request, pk, for_write=True)
    try:
        tasks.start_issue(bulletin, by=request.user)
    except ValidationError as error:
        return _refused(request, bulletin, error)
    messages.info(request, _("正在后台印发：分配文号并生成正式文件，完成后本页自动显示。"))
    return redirect("bulletins:detail", pk=bulletin.pk)


@login_required
@require_POST
def bulletin_delete(request, pk: int):
    bulletin = _get_bulletin(request, pk, for_write=True)
    try:
        bulletin.delete_draft()
    except ValidationError as error:
        return _refused(request, bulletin, error)
    messages.success(request, _("通报草稿已删除。"))
    return redirect("bulletins:list")


@login_required
@require_GET
def bulletin_progress(request, pk: int):
    """The job's status card, polled by htmx while a job runs; once it has ended, the page reloads itself."""
    bulletin = _get_bulletin(request, pk)
    response = render(request, "bulletins/_progress.html", {"bulletin": bulletin})
    if not bulletin.is_busy:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def bulletin_download(request, pk: int, fmt: str):
    if fmt not in FIELDS:
        raise Http404
    bulletin = _get_bulletin(request, pk)
    stored = getattr(bulletin, FIELDS[fmt])
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=download_name(bulletin, fmt), content_type=CONTENT_TYPES[fmt]
    )
    response["Cache-Control"] = "private, no-cache"
    return response


urlpatterns = [
    path("", bulletin_list, name="list"),
    path("generate/", bulletin_generate, name="generate"),
    path("<int:pk>/", bulletin_detail, name="detail"),
    path("<int:pk>/regenerate/", bulletin_regenerate, name="regenerate"),
    path("<int:pk>/issue/", bulletin_issue, name="issue"),
    path("<int:pk>/delete/", bulletin_delete, name="delete"),
    path("<int:pk>/progress/", bulletin_progress, name="progress"),
    path("<int:pk>/download.<str:fmt>", bulletin_download, name="download"),
]

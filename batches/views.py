"""The three batches (三个一批): events, their batches and exports; the stalled lists (三未); the ledger export.

Who may do what, in one place: the whole app is the government's (an enterprise user gets 403); every other
role reads the events, lists and exports of its region subtree; coordinators and admins (``can_edit_projects``)
build and edit events. An event outside the user's subtree is 404, even for a write.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from org.models import Region, User
from reports.forms import add_model_errors

from . import stalled as stalled_lists
from .document import batch_document
from .exports import batch_workbook, stalled_workbook
from .forms import AddForm, BuildForm, EventForm, LedgerForm
from .ledger import BY_REGION, GROUPINGS, ledger_filename, ledger_workbook
from .models import BatchEntry, BatchEvent, BatchKind, default_window
from .workbook import download, workbook_bytes

PAGE_SIZE = 50
CANDIDATES_SHOWN = 20
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# ---- who may do what ----


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _require_reader(user: User) -> None:
    _require(not user.is_enterprise)


def _get_event(request, pk: int, *, for_write: bool = False) -> BatchEvent:
    """Enterprise 403; outside the subtree 404; a read-only role writing 403."""
    _require_reader(request.user)
    event = get_object_or_404(BatchEvent.objects.visible_to(request.user).select_related("region", "created_by"), pk=pk)
    _require(not for_write or request.user.can_edit_projects)
    return event


def _get_entry(request, pk: int) -> BatchEntry:
    _require_reader(request.user)
    queryset = BatchEntry.objects.filter(event__in=BatchEvent.objects.visible_to(request.user))
    entry = get_object_or_404(queryset.select_related("event__region"), pk=pk)
    _require(request.user.can_edit_projects)
    return entry


def _home_region(user: User) -> Region:
    """The user's region; a platform superuser without one gets the top of the tree."""
    region = user.region if user.region_id else Region.objects.filter(parent__isnull=True).order_by("code").first()
    if region is None:
        raise Http404
    return region


def _region_param(request) -> Region:
    """``?region=<pk>`` within the user's subtree (404 outside it); otherwise the user's own region."""
    value = request.GET.get("region", "")
    if not value.isdigit():
        return _home_region(request.user)
    return get_object_or_404(Region.objects.visible_to(request.user), pk=int(value))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# ---- the events ----


def _totals_by_event(events) -> dict[int, dict[str, dict]]:
    """Event pk -> kind -> {"count", "total"} for a page of events, in one grouped query."""
    rows = (
        BatchEntry._base_manager.filter(event__in=[event.pk for event in events])
        .order_by()
        .values("event", "kind")
        .annotate(count=Count("pk"), total=Sum("total_investment"))
    )
    found: dict[int, dict[str, dict]] = {}
    for row in rows:
        found.setdefault(row["event"], {})[row["kind"]] = row
    return found


def _ledger_form(request) -> LedgerForm:
    today = timezone.localdate()
    initial = {"region": request.user.region_id, "month": f"{today.year}-{today.month:02d}", "group": BY_REGION}
    return LedgerForm(initial=initial, user=request.user)


@login_required
@require_GET
def event_list(request):
    _require_reader(request.user)
    events = BatchEvent.objects.visible_to(request.user).select_related("region")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = _totals_by_event(page.object_list)
    rows = [(event, [totals.get(event.pk, {}).get(kind, {}) for kind in BatchKind.values]) for event in page]
    context = {
        "page": page,
        "rows": rows,
        "kinds": BatchKind.choices,
        "query": _query_without_page(request),
        "may_edit": request.user.can_edit_projects,
        "ledger_form": _ledger_form(request),
    }
    return render(request, "batches/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request):
    _require_reader(request.user)
    _require(request.user.can_edit_projects)
    start, end = default_window(timezone.localdate())
    initial = {"region": request.user.region_id, "held_on": end, "window_start": start, "window_end": end}
    form = BuildForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        event = form.build(by=request.user)
        batch = _("%(batch)s %(count)s 个")
        counts = "，".join(batch % {"batch": t.label, "count": t.count} for t in event.totals())
        messages.success(request, _("已生成“%(name)s”：%(counts)s。") % {"name": event.name, "counts": counts})
        return redirect(event)
    return render(request, "batches/form.html", {"form": form}, status=400 if request.method == "POST" else 200)


def _batches(event: BatchEvent, may_edit: bool, forms: dict | None = None) -> list[dict]:
    """Each batch with its totals, its entries (flagged where the ledger changed since) and, for editors,
    the window's projects not in it."""
    entries = {kind: [] for kind in BatchKind.values}
    queryset = BatchEntry.objects.filter(event=event).with_ledger_changes().select_related("project")
    for entry in queryset.order_by("kind", "-total_investment", "pk"):
        entries[entry.kind].append(entry)
    batches = []
    for totals in event.totals():
        batch = {"totals": totals, "entries": entries[totals.kind]}
        if may_edit:
            batch["form"] = (forms or {}).get(totals.kind) or AddForm(initial={"kind": totals.kind}, event=event)
            batch["form"].auto_id = f"id_{totals.kind}_%s"
            batch["candidates"] = _candidates(event, totals.kind)
        batches.append(batch)
    return batches


def _candidates(event: BatchEvent, kind: str) -> dict:
    """The largest projects of the window not in the batch; one more is read to know whether there are more
    (a count over a province's year of projects cost more than the rest of the page)."""
    listed = BatchEntry._base_manager.filter(event=event, kind=kind).values("project")
    candidates = list(event.candidates(kind).exclude(pk__in=listed).select_related("region")[: CANDIDATES_SHOWN + 1])
    return {"shown": candidates[:CANDIDATES_SHOWN], "more": len(candidates) > CANDIDATES_SHOWN}


def _render_detail(request, event: BatchEvent, forms: dict | None = None, status: int = 200):
    may_edit = request.user.can_edit_projects
    context = {"event": event, "batches": _batches(event, may_edit, forms), "may_edit": may_edit}
    return render(request, "batches/detail.html", context, status=status)


@login_required
@require_GET
def event_detail(request, pk: int):
    return _render_detail(request, _get_event(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request, pk: int):
    event = _get_event(request, pk, for_write=True)
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        event = form.save(commit=False)
        event._history_user = request.user
        event.save()
        messages.success(request, _("活动信息已保存。"))
        return redirect(event)
    context = {"form": form, "event": event}
    return render(request, "batches/form.html", context, status=400 if request.method == "POST" else 200)


def _entry_words(entry: BatchEntry) -> dict:
    return {"name": entry.name, "batch": entry.get_kind_display()}


@login_required
@require_POST
def event_add(request, pk: int):
    event = _get_event(request, pk, for_write=True)
    form = AddForm(request.POST, event=event)
    if form.is_valid():
        try:
            entry = form.add(by=request.user)
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            messages.success(request, _("已将“%(name)s”列入%(batch)s。") % _entry_words(entry))
            return redirect(f"{event.get_absolute_url()}#batch-{entry.kind}")
    kind = request.POST.get("kind")
    forms = {kind: form} if kind in BatchKind.values else {}
    if kind not in BatchKind.values:
        messages.error(request, _("请选择批次。"))
    return _render_detail(request, event, forms, status=400)


@login_required
@require_POST
def entry_remove(request, pk: int):
    entry = _get_entry(request, pk)
    event = entry.event
    event.remove(entry, by=request.user)
    messages.success(request, _("已将“%(name)s”移出%(batch)s。") % _entry_words(entry))
    return redirect(f"{event.get_absolute_url()}#batch-{entry.kind}")


@login_required
@require_POST
def event_refresh(request, pk: int):
    event = _get_event(request, pk, for_write=True)
    changed = event.refresh(by=request.user)
    messages.success(request, _("已按台账刷新项目数据，%(n)s 个项目有变化。") % {"n": changed})
    return redirect(event)


@login_required
@require_POST
def event_delete(request, pk: int):
    event = _get_event(request, pk, for_write=True)
    event._history_user = request.user
    name = event.name
    event.delete()
    messages.success(request, _("已删除“%(name)s”。") % {"name": name})
    return redirect("batches:index")


@login_required
@require_GET
def event_export(request, pk: int, fmt: str):
    if fmt not in ("xlsx", "docx"):
        raise Http404
    event = _get_event(request, pk)
    if fmt == "docx":
        return download(batch_document(event), f"{event.name}.docx", DOCX)
    return download(workbook_bytes(batch_workbook(event)), f"{event.name}.xlsx")


# ---- the stalled lists ----


def _list_key(request, keys: list[str]) -> str:
    key = request.GET.get("list", "")
    return key if key in keys else keys[0]


@login_required
@require_GET
def stalled(request):
    _require_reader(request.user)
    keys = stalled_lists.keys_for(request.user)
    region, key, today = _region_param(request), _list_key(request, keys), timezone.localdate()
    counts = stalled_lists.stalled_counts(region, today)
    rows = stalled_lists.stalled_list(key, region, today)
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = counts[key]  # counted with the others already
    keep = request.GET.copy()
    keep.pop("list", None)
    keep.pop("page", None)
    context = {
        "region": region,
        "regions": Region.objects.visible_to(request.user).only("pk", "name", "depth", "path"),
        "current": stalled_lists.LISTS[key],
        "tabs": [(stalled_lists.LISTS[item], counts[item]) for item in keys],
        "page": paginator.get_page(request.GET.get("page")),
        "query": _query_without_page(request),
        "keep": keep.urlencode(),
        "today": today,
    }
    return render(request, "batches/stalled.html", context)


@login_required
@require_GET
def stalled_export(request):
    _require_reader(request.user)
    region, today = _region_param(request), timezone.localdate()
    filename = _("%(region)s三未项目清单%(day)s.xlsx") % {"region": region.name, "day": today.strftime("%Y%m%d")}
    book = stalled_workbook(region, today, stalled_lists.keys_for(request.user))
    return download(workbook_bytes(book), filename)


# ---- the official-layout ledger ----


def _month_param(request) -> tuple[int, int]:
    """``?month=YYYY-MM`` up to this month; anything else is this month."""
    today = timezone.localdate()
    try:
        value = datetime.datetime.strptime(request.GET.get("month", ""), "%Y-%m")
    except ValueError:
        return today.year, today.month
    chosen = (value.year, value.month)
    return chosen if (2000, 1) <= chosen <= (today.year, today.month) else (today.year, today.month)


@login_required
@require_GET
def ledger_export(request):
    _require_reader(request.user)
    region = _region_param(request)
    year, month = _month_param(request)
    group = request.GET.get("group") if request.GET.get("group") in GROUPINGS else BY_REGION
    book = ledger_workbook(region, year, month, group)
    return download(workbook_bytes(book), ledger_filename(region, year, month))


urlpatterns = [
    path("", event_list, name="index"),
    path("new/", event_create, name="create"),
    path("<int:pk>/", event_detail, name="detail"),
    path("<int:pk>/edit/", event_edit, name="edit"),
    path("<int:pk>/add/", event_add, name="add"),
    path("<int:pk>/refresh/", event_refresh, name="refresh"),
    path("<int:pk>/delete/", event_delete, name="delete"),
    path("<int:pk>/export.<str:fmt>", event_export, name="export"),
    path("entries/<int:pk>/remove/", entry_remove, name="remove"),
    path("stalled/", stalled, name="stalled"),
    path("stalled/export.xlsx", stalled_export, name="stalled_export"),
    path("ledger.xlsx", ledger_export, name="ledger_export"),
]

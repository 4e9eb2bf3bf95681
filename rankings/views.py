"""Targets and rankings screens: the gap table, the split of targets, the FAI figures, the ranking page, a
snapshot and its history, computing and publishing, the scheme.

Who may do what, in one place (the helpers below): every government role reads (an enterprise gets 403);
the key-project office (coordinators, admins) computes, publishes and edits targets and schemes. A region in
a query string outside what the user may see is 404: for targets and figures the user's subtree; for the
rankings also the regions above it (a county reads its city's ranking of the counties).
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.export import FORMATS, export_response
from org.models import Department, Region, ancestor_codes
from reports.views import add_model_errors

from . import compute as computing
from .forms import ComputeForm, FaiForm, SchemeForm, SplitForm
from .models import (
    INDICATOR_HELP,
    INDICATORS,
    DepartmentTarget,
    Dimension,
    FaiActual,
    Kind,
    RankingEntry,
    RankingPeriod,
    RankingScheme,
    RankingSnapshot,
    RegionTarget,
    weight_field,
)
from .targets import gap_by_department, gap_table, may_set_total, region_gap, save_split

PAGE_SIZE = 30


# ---- who may do what ----


def may_read(user) -> bool:
    return not user.is_enterprise


def may_edit(user) -> bool:
    """Compute, publish, edit targets, FAI figures and schemes: the key-project office."""
    return user.can_edit_projects


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _home(user) -> Region:
    if user.region_id is not None:
        return user.region
    root = Region.objects.filter(parent__isnull=True).order_by("code").first()
    if root is None:
        raise Http404
    return root


def _in_subtree(user, region: Region) -> bool:
    return user.region_id is None or region.path.startswith(user.region.path)


def _around(user, region: Region) -> bool:
    """The region is the user's, above it or below it (the rankings' reach)."""
    return user.region_id is None or _in_subtree(user, region) or region.code in ancestor_codes(user.region)


def _region_param(request, source=None, *, ancestors: bool = False) -> Region:
    """``region=CODE`` from the query (or ``source``), default the user's; out of reach: 404."""
    code = (source if source is not None else request.GET).get("region", "").strip()
    if not code:
        return _home(request.user)
    region = Region._base_manager.filter(code=code).exclude(kind=Region.Kind.ZONE).first()
    reach = _around if ancestors else _in_subtree
    if region is None or not reach(request.user, region):
        raise Http404
    return region


def _int_param(request, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return default
    return value if low <= value <= high else default


def _choice_param(request, name: str, choices, default: str) -> str:
    value = request.GET.get(name, "")
    return value if value in choices else default


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _this_year() -> int:
    return timezone.localdate().year


def _chain(user, region: Region, reach=_in_subtree) -> list[Region]:
    """``region`` and the regions above it that the user may open (``reach``), root first (breadcrumbs)."""
    regions = Region._base_manager.filter(code__in=ancestor_codes(region)).order_by("depth")
    return [r for r in regions if reach(user, r)]


def _reachable_children(user, region: Region) -> list[Region]:
    """The subregions the user may open from a ranking: all below the user's region, else the one it lies in."""
    return [child for child in _children(region) if _around(user, child)]


def _children(region: Region) -> list[Region]:
    return list(Region._base_manager.filter(parent=region).exclude(kind=Region.Kind.ZONE).order_by("code"))


# ---- targets: the gap table ----


@login_required
@require_GET
def targets(request):
    _require(may_read(request.user))
    region = _region_param(request)
    year = _int_param(request, "year", _this_year(), 2000, 2100)
    context = {
        "region": region,
        "year": year,
        "chain": _chain(request.user, region),
        "total": region_gap(region, year),
        "rows": gap_table(region, year),
        "departments": [row for row in gap_by_department(region, year) if _has_figures(row)],
        "may_edit": may_edit(request.user),
        "year_query": f"&year={year}",
    }
    return render(request, "rankings/targets.html", context)


def _has_figures(row) -> bool:
    """A department with a target, a plan or money spent (a province's departments mostly own no projects)."""
    return any([row.fai_target is not None, row.plan_target is not None, row.annual_plan, row.completed])


def gap_rows(region: Region, year: int):
    """The gap table as a header row and plain rows (lib.export writes them)."""
    yield [
        _("类别"), _("名称"), _("固定资产投资目标（万元）"), _("固定资产投资完成（万元）"), _("统计截至月份"),
        _("固定资产投资完成率（%）"), _("固定资产投资差距（万元）"), _("重点项目投资计划（万元）"),
        _("项目年度计划合计（万元）"), _("重点项目完成投资（万元）"), _("完成率（%）"), _("差距（万元）"), _("年度"),
    ]  # fmt: skip
    lines = [(_("本级合计"), region_gap(region, year))]
    lines += [(_("下级区划"), row) for row in gap_table(region, year)]
    lines += [(_("部门"), row) for row in gap_by_department(region, year)]
    for what, row in lines:
        yield [
            what, row.subject_name, row.fai_target, row.fai_actual, row.fai_month, row.fai_rate, row.fai_gap,
            row.plan_target, row.annual_plan, row.completed, row.rate, row.gap, year,
        ]  # fmt: skip


@login_required
@require_GET
def targets_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    _require(may_read(request.user))
    region = _region_param(request)
    year = _int_param(request, "year", _this_year(), 2000, 2100)
    filename = _("投资目标差距") + f"{region.name}{year}"
    return export_response(gap_rows(region, year), filename, fmt)


# ---- targets: the split ----


def _split_form(request, region: Region, year: int) -> SplitForm:
    children = _children(region)
    departments = list(Department._base_manager.filter(region=region).order_by("name", "pk"))
    stored = {
        row.region_id: row for row in RegionTarget._base_manager.filter(year=year, region__in=[region, *children])
    }
    own = stored.get(region.pk)
    total = (own.fai_target, own.plan_target) if own else None
    initial = {}
    if own:
        initial.update(total_fai=own.fai_target, total_plan=own.plan_target)
    for child in children:
        if child.pk in stored:
            initial.update(
                {f"r{child.pk}_fai": stored[child.pk].fai_target, f"r{child.pk}_plan": stored[child.pk].plan_target}
            )
    for target in DepartmentTarget._base_manager.filter(year=year, department__in=departments):
        initial.update(
            {f"d{target.department_id}_fai": target.fai_target, f"d{target.department_id}_plan": target.plan_target}
        )
    data = request.POST if request.method == "POST" else None
    return SplitForm(
        data, initial=initial, children=children, departments=departments, total=total,
        total_editable=may_set_total(region),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def targets_edit(request):
    _require(may_read(request.user))
    region = _region_param(request)
    _require(may_edit(request.user))
    year = _int_param(request, "year", _this_year(), 2000, 2100)
    form = _split_form(request, region, year)
    if request.method == "POST" and form.is_valid():
        try:
            changed = save_split(region, year, form.split(), by=request.user)
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            messages.success(request, _("已保存%(year)s年目标分解（%(n)s 项有变化）。") % {"year": year, "n": changed})
            return redirect(f"{reverse('rankings:targets')}?region={region.code}&year={year}")
    context = {
        "region": region, "year": year, "form": form, "chain": _chain(request.user, region),
        "parent": region.parent if region.parent_id else None, "summary": form.summary(),
        "year_query": f"&year={year}",
    }  # fmt: skip
    return render(request, "rankings/targets_edit.html", context, status=400 if request.method == "POST" else 200)


# ---- FAI actuals from the statistics office ----


def _month_param(request) -> tuple[int, int]:
    today = timezone.localdate()
    try:
        value = datetime.datetime.strptime(request.GET.get("month", ""), "%Y-%m")
    except ValueError:
        return today.year, today.month
    chosen = (value.year, value.month)
    return chosen if (2000, 1) <= chosen <= (today.year, today.month) else (today.year, today.month)


@login_required
@require_http_methods(["GET", "POST"])
def fai(request):
    _require(may_read(request.user))
    region = _region_param(request)
    _require(may_edit(request.user))
    year, month = _month_param(request)
    regions = [region, *_children(region)]
    stored = FaiActual._base_manager.filter(year=year, month=month, region__in=regions)
    initial = {f"r{row.region_id}": row.amount for row in stored}
    form = FaiForm(request.POST if request.method == "POST" else None, initial=initial, regions=regions)
    if request.method == "POST" and form.is_valid():
        changed = _save_fai(form.amounts(), year, month, request.user)
        messages.success(
            request,
            _("已保存%(y)s年%(m)s月固定资产投资完成数（%(n)s 项有变化）。") % {"y": year, "m": month, "n": changed},
        )
        return redirect(f"{reverse('rankings:fai')}?region={region.code}&month={year}-{month:02d}")
    today = timezone.localdate()
    context = {
        "region": region, "form": form, "year": year, "month": month, "month_value": f"{year}-{month:02d}",
        "max_month": f"{today.year}-{today.month:02d}", "chain": _chain(request.user, region),
        "keep": [("region", region.code)],
    }  # fmt: skip
    return render(request, "rankings/fai.html", context, status=400 if request.method == "POST" else 200)


@transaction.atomic
def _save_fai(amounts: dict, year: int, month: int, by) -> int:
    changed = 0
    rows = {
        row.region_id: row for row in FaiActual._base_manager.filter(year=year, month=month, region__in=list(amounts))
    }
    for region_id, amount in amounts.items():
        row = rows.get(region_id)
        if amount is None:
            if row is not None:
                row._history_user = by
                row.delete()
                changed += 1
            continue
        if row is not None and row.amount == amount:
            continue
        row = row or FaiActual(region_id=region_id, year=year, month=month)
        row.amount, row.entered_by, row._history_user = amount, by, by
        row.save()
        changed += 1
    return changed


# ---- the ranking page ----


def _ranking_params(request, region: Region) -> tuple[str, str]:
    """?kind= and ?dimension=; a region without subregions (a county) ranks its departments by default."""
    kind = _choice_param(request, "kind", Kind.values, Kind.MONTH)
    has_children = Region._base_manager.filter(parent=region).exclude(kind=Region.Kind.ZONE).exists()
    default_dimension = Dimension.REGION if has_children else Dimension.DEPARTMENT
    return kind, _choice_param(request, "dimension", Dimension.values, default_dimension)


def _may_edit_region(user, region: Region) -> bool:
    return may_edit(user) and _in_subtree(user, region)


def _periods(user, region: Region, kind: str, dimension: str) -> list[RankingPeriod]:
    """The periods that have a snapshot the user may see, newest first (one query)."""
    rows = RankingSnapshot.objects.visible_to(user).filter(region=region, kind=kind, dimension=dimension)
    pairs = rows.order_by("-year", "-period").values_list("year", "period").distinct()
    return [RankingPeriod(year, kind, number) for year, number in pairs]


@login_required
@require_GET
def ranking(request):
    _require(may_read(request.user))
    region = _region_param(request, ancestors=True)
    kind, dimension = _ranking_params(request, region)
    editable = _may_edit_region(request.user, region)
    year = _int_param(request, "year", 0, 2000, 2100) or None
    number = _int_param(request, "period", 0, 1, 12) or None
    snapshot = RankingSnapshot.latest(
        region, kind, dimension, year=year, period=number if year else None, include_drafts=editable
    )
    return _render_ranking(request, region, kind, dimension, snapshot, editable)


def _compute_initial(kind: str, dimension: str, snapshot) -> dict:
    if snapshot is not None:
        return {"kind": kind, "dimension": dimension, "year": snapshot.year, "period": snapshot.period}
    current = computing.last_closed(timezone.localdate(), kind)
    return {"kind": kind, "dimension": dimension, "year": current.year, "period": current.number}


def _render_ranking(request, region, kind, dimension, snapshot, editable, compute_form=None, status=200):
    if editable and compute_form is None:
        compute_form = ComputeForm(initial=_compute_initial(kind, dimension, snapshot))
    context = {
        "region": region,
        "kind": kind,
        "dimension": dimension,
        "kinds": Kind.choices,
        "dimensions": Dimension.choices,
        "chain": _chain(request.user, region, _around),
        "children": _reachable_children(request.user, region),
        "periods": _periods(request.user, region, kind, dimension),
        "editable": editable,
        "compute_form": compute_form if editable else None,
        "may_drill": _in_subtree(request.user, region),
        **_snapshot_context(snapshot),
    }
    return render(request, "rankings/ranking.html", context, status=status)


def _snapshot_context(snapshot) -> dict:
    if snapshot is None:
        return {"snapshot": None, "entries": [], "chart": None}
    entries = list(snapshot.entries.select_related("region"))
    chart = {
        "names": [entry.subject_name for entry in entries],
        "scores": [float(entry.score) for entry in entries],
        "label": _("综合得分"),
    }
    return {
        "snapshot": snapshot,
        "entries": entries,
        "chart": chart,
        "indicators": INDICATORS,
        "weights": [(label, snapshot.weight_values[key]) for key, label in INDICATORS.items()],
        "help": INDICATOR_HELP,
        "previous": snapshot.previous,
    }


@login_required
@require_POST
def compute_view(request):
    _require(may_read(request.user))
    region = _region_param(request, request.POST)
    _require(may_edit(request.user))
    form = ComputeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            snapshot = computing.compute(region, data["ranking_period"], data["dimension"], by=request.user)
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            messages.success(
                request,
                _("已计算%(label)s排名（第 %(v)s 版，草稿），核对后请发布。")
                % {
                    "label": snapshot.label,
                    "v": snapshot.version,
                },
            )
            return redirect("rankings:snapshot", pk=snapshot.pk)
    kind = form.cleaned_data.get("kind") or Kind.MONTH
    dimension = form.cleaned_data.get("dimension") or Dimension.REGION
    snapshot = RankingSnapshot.latest(region, kind, dimension, include_drafts=True)
    return _render_ranking(request, region, kind, dimension, snapshot, True, compute_form=form, status=400)


# ---- one snapshot ----


def _get_snapshot(request, pk: int) -> RankingSnapshot:
    """Visible (published in reach, or a draft of the user's subtree for the office) or 404; an enterprise sees
    none (``visible_to``), so 404 too, as for the problems' internal files."""
    return get_object_or_404(
        RankingSnapshot.objects.visible_to(request.user).select_related("region", "computed_by", "published_by"),
        pk=pk,
    )


@login_required
@require_GET
def snapshot_view(request, pk: int):
    snapshot = _get_snapshot(request, pk)
    region = snapshot.region
    editable = _may_edit_region(request.user, region)
    context = {
        "region": region,
        "chain": _chain(request.user, region, _around),
        "editable": editable,
        "may_drill": False,
        "is_current": snapshot.is_current(),
        **_snapshot_context(snapshot),
    }
    return render(request, "rankings/snapshot.html", context)


@login_required
@require_POST
def publish(request, pk: int):
    snapshot = _get_snapshot(request, pk)
    _require(_may_edit_region(request.user, snapshot.region))
    if snapshot.publish(by=request.user):
        messages.success(
            request, _("已发布%(label)s排名（第 %(v)s 版）。") % {"label": snapshot.label, "v": snapshot.version}
        )
    else:
        messages.info(request, _("该排名已发布。"))
    return redirect("rankings:snapshot", pk=snapshot.pk)


def entry_rows(snapshot: RankingSnapshot):
    yield [
        _("名次"), _("名次变化"), _("名称"), _("综合得分"), *[f"{label}（%）" for label in INDICATORS.values()],
        _("期间"), _("版本"), _("状态"),
    ]  # fmt: skip
    state = _("已发布") if snapshot.is_published else _("草稿")
    for entry in snapshot.entries.all():
        yield [
            entry.rank, entry.rank_change, entry.subject_name, entry.score, *entry.indicators.values(),
            snapshot.label, snapshot.version, state,
        ]  # fmt: skip


@login_required
@require_GET
def snapshot_export(request, pk: int, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    snapshot = _get_snapshot(request, pk)
    filename = _("赛马排名") + f"{snapshot.region.name}{snapshot.year}-{snapshot.period}v{snapshot.version}"
    return export_response(entry_rows(snapshot), filename, fmt)


# ---- history ----


@login_required
@require_GET
def history(request):
    _require(may_read(request.user))
    region = _region_param(request, ancestors=True)
    newer = RankingSnapshot.objects.filter(
        region=OuterRef("region"), kind=OuterRef("kind"), dimension=OuterRef("dimension"), year=OuterRef("year"),
        period=OuterRef("period"), version__gt=OuterRef("version"), published_at__isnull=False,
    )  # fmt: skip
    first = RankingEntry.objects.filter(snapshot=OuterRef("pk"), position=1)
    snapshots = (
        RankingSnapshot.objects.visible_to(request.user)
        .filter(region=region)
        .annotate(superseded=Exists(newer), leader_name=Subquery(first.values("subject_name")[:1]))
        .select_related("computed_by", "published_by")
        .order_by("-year", "-period", "kind", "dimension", "-version")
    )
    kind = _choice_param(request, "kind", Kind.values, "")
    if kind:
        snapshots = snapshots.filter(kind=kind)
    context = {
        "region": region,
        "chain": _chain(request.user, region, _around),
        "children": _reachable_children(request.user, region),
        "page": _page(request, snapshots),
        "query": _query_without_page(request),
        "kind": kind,
        "kinds": Kind.choices,
    }
    return render(request, "rankings/history.html", context)


# ---- the scheme ----


def _scheme_instance(region: Region) -> tuple[RankingScheme, RankingScheme | None]:
    """The region's own scheme (unsaved, with the values in force, if it has none) and the one inherited."""
    current = RankingScheme.for_region(region)
    if current.pk and current.region_id == region.pk:
        return current, None
    weights = {weight_field(key): value for key, value in current.weights.items()}
    own = RankingScheme(region=region, normalisation=current.normalisation, **weights)
    return own, current if current.pk else None


@login_required
@require_http_methods(["GET", "POST"])
def scheme(request):
    _require(may_read(request.user))
    _require(may_edit(request.user))
    region = _home(request.user)
    own, inherited = _scheme_instance(region)
    action = request.POST.get("action") if request.method == "POST" else None
    form = SchemeForm(request.POST if action == "save" else None, instance=own)
    if action == "save" and form.is_valid():
        form.save()
        messages.success(request, _("赛马指标方案已保存，此后计算的排名按新方案；已计算的排名不变。"))
        return redirect("rankings:scheme")
    if action == "reset" and own.pk:
        own.delete()
        messages.success(request, _("已删除本级方案，改为沿用上级（或默认）方案。"))
        return redirect("rankings:scheme")
    if request.method == "POST" and action not in ("save", "reset"):
        messages.error(request, _("请选择要执行的操作。"))
    elif action == "reset":
        messages.error(request, _("本级没有单独设置，无需恢复。"))
    context = {"region": region, "form": form, "inherited": inherited, "has_own": own.pk is not None}
    return render(request, "rankings/scheme.html", context, status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("", ranking, name="ranking"),
    path("compute/", compute_view, name="compute"),
    path("history/", history, name="history"),
    path("snapshots/<int:pk>/", snapshot_view, name="snapshot"),
    path("snapshots/<int:pk>/publish/", publish, name="publish"),
    path("snapshots/<int:pk>/export.<str:fmt>", snapshot_export, name="snapshot_export"),
    path("scheme/", scheme, name="scheme"),
    path("targets/", targets, name="targets"),
    path("targets/export.<str:fmt>", targets_export, name="targets_export"),
    path("targets/edit/", targets_edit, name="targets_edit"),
    path("targets/fai/", fai, name="fai"),
]

"""Agreements with their rates (by region and by promoter), an agreement's page with the funds that arrived,
and the signing targets by region."""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.export import FORMATS, export_response
from lib.history import history_entries
from org.models import Region

from . import stats
from .access import get_visible, home_region, require_editor, require_reader
from .filtersets import AgreementFilterSet
from .forms import AgreementForm, FundForm, TargetForm
from .models import Agreement, FundArrival, SigningTarget, may_edit

PAGE_SIZE = 50
CENT = Decimal("0.01")


def _agreements(request) -> AgreementFilterSet:
    arrived = (
        FundArrival._base_manager.filter(agreement=OuterRef("pk"))
        .order_by()
        .values("agreement")
        .annotate(s=Sum("amount"))
    )
    queryset = (
        Agreement.objects.visible_to(request.user)
        .select_related("region", "lead__enterprise", "lead__promoter", "lead__project")
        .annotate(arrived=Subquery(arrived.values("s")))
    )
    return AgreementFilterSet(request.GET, queryset=queryset, user=request.user)


def _year(request) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else None


def _figures_parent(request, filterset) -> Region | None:
    """Whose children the by-region table lists: the filtered region, else the user's own."""
    if filterset.is_valid() and filterset.form.cleaned_data.get("region"):
        return filterset.form.cleaned_data["region"]
    return home_region(request.user)


@login_required
@require_GET
def agreement_list(request):
    require_reader(request)
    filterset = _agreements(request)
    agreements = filterset.qs
    today = timezone.localdate()
    parent = _figures_parent(request, filterset)
    year = _year(request)
    context = {
        "filterset": filterset,
        "page": Paginator(agreements, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": _query_without_page(request),
        "totals": stats.totals(agreements, today, label=_("合计"), target=_own_target(parent, year)),
        "by_region": stats.by_region(agreements, parent, today, year) if parent else [],
        "by_promoter": stats.by_promoter(agreements, today),
        "parent": parent,
        "year": year,
        "today": today,
    }
    return render(request, "attraction/agreement_list.html", context)


def _own_target(parent: Region | None, year: int | None) -> Decimal | None:
    return stats.own_target(parent, year) if parent and year else None


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def agreement_rows(agreements, today: datetime.date):
    yield [
        _("序号"), _("签约项目名称"), _("投资企业"), _("落地区划"), _("招商专员"), _("签约日期"), _("合同投资（万元）"),
        _("约定开工日期"), _("实际开工日期"), _("到位资金（万元）"), _("资金到位率（%）"), _("履约状态"), _("落地项目"),
    ]  # fmt: skip
    for index, a in enumerate(agreements, start=1):
        project = a.lead.project
        arrived = (a.arrived or Decimal("0")).quantize(CENT)
        yield [
            index, a.name, a.lead.enterprise.name, a.region.name, str(a.lead.promoter or ""), a.signed_on,
            a.contracted_investment, a.agreed_start_on, project.started_on if project else None, arrived,
            stats.percent(arrived, a.contracted_investment), state_label(a, today), project.name if project else "",
        ]  # fmt: skip


def state_label(agreement: Agreement, today: datetime.date) -> str:
    project = agreement.lead.project
    if agreement.lead.stage == "dropped":
        return _("已放弃（解约）")
    if project and project.started_on:
        on_time = project.started_on <= agreement.agreed_start_on
        return _("按期开工") if on_time else _("逾期开工")
    if agreement.agreed_start_on < today:
        return _("逾期未开工")
    return _("未到约定开工日期")


@login_required
@require_GET
def agreement_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    require_reader(request)
    filterset = _agreements(request)
    today = timezone.localdate()
    filename = _("招商签约协议") + today.strftime("%Y%m%d")
    return export_response(agreement_rows(filterset.qs, today), filename, fmt)


def _get_agreement(request, pk: int, *, write: bool = False) -> Agreement:
    queryset = Agreement.objects.select_related(
        "region", "lead__enterprise", "lead__promoter", "lead__department", "lead__project"
    )
    return get_visible(request, queryset, pk, write=write)


def _render_agreement(request, agreement: Agreement, fund_form: FundForm | None = None, status: int = 200):
    can_edit = may_edit(request.user)
    today = timezone.localdate()
    funds = list(FundArrival.objects.filter(agreement=agreement).select_related("recorded_by"))
    arrived = sum((f.amount for f in funds), Decimal("0"))
    context = {
        "agreement": agreement,
        "lead": agreement.lead,
        "project": agreement.lead.project,
        "funds": funds,
        "arrived": arrived,
        "arrival_rate": stats.percent(arrived, agreement.contracted_investment),
        "state": state_label(agreement, today),
        "stalled": agreement.is_past_agreed_start(today),
        "can_edit": can_edit,
        "fund_form": fund_form or (FundForm(agreement=agreement) if can_edit else None),
        "history": history_entries(agreement.history.all()),
    }
    return render(request, "attraction/agreement_detail.html", context, status=status)


@login_required
@require_GET
def agreement_detail(request, pk: int):
    return _render_agreement(request, _get_agreement(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request, pk: int):
    agreement = _get_agreement(request, pk, write=True)
    form = AgreementForm(request.POST or None, instance=agreement)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已保存签约协议。"))
        return redirect(agreement)
    status = 400 if request.method == "POST" else 200
    return render(request, "attraction/agreement_form.html", {"form": form, "agreement": agreement}, status=status)


@login_required
@require_POST
def fund_create(request, pk: int):
    agreement = _get_agreement(request, pk, write=True)
    form = FundForm(request.POST, agreement=agreement)
    if form.is_valid():
        form.instance.recorded_by = request.user
        form.save()
        messages.success(request, _("已登记到位资金 %(amount)s 万元。") % {"amount": form.instance.amount})
        return redirect(agreement.get_absolute_url() + "#funds")
    return _render_agreement(request, agreement, fund_form=form, status=400)


# ---- signing targets ----


def _target_year(request) -> int:
    value = request.GET.get("year", "")
    year = int(value) if value.isdigit() else timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _target_regions(user) -> list[Region]:
    """The user's own region and its direct children (zones too); the top regions for a platform superuser."""
    own = home_region(user)
    if own is None:
        return list(Region.objects.filter(parent__isnull=True).order_by("path"))
    return [own, *stats.children_of(own)]


def _target_forms(request, year: int) -> list[TargetForm]:
    regions = _target_regions(request.user)
    targets = {t.region_id: t for t in SigningTarget.objects.filter(region__in=regions, year=year)}
    data = request.POST if request.method == "POST" else None
    return [TargetForm(data, region=region, target=targets.get(region.pk)) for region in regions]


def _signed(user, regions: list[Region], year: int) -> dict[int, Decimal]:
    """Signed investment of the year in the subtree of each listed region (the own one and its children)."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    own = home_region(user)
    if own is None:
        return stats.signed_investment_in(regions, start, end)
    return {**stats.signed_investment_in([own], start, end), **stats.signed_investment_by_region(own, start, end)}


@login_required
@require_http_methods(["GET", "POST"])
def targets(request):
    require_reader(request)
    year = _target_year(request)
    forms = _target_forms(request, year)
    if request.method == "POST":
        require_editor(request)
        if all(form.is_valid() for form in forms):
            _save_targets([form for form in forms if form.add_prefix("amount") in request.POST], year)
            messages.success(request, _("%(year)s年签约目标已保存。") % {"year": year})
            return redirect(f"{request.path}?year={year}")
    signed = _signed(request.user, [form.region for form in forms], year)
    rows = [(form, signed.get(form.region.pk, Decimal("0"))) for form in forms]
    context = {"rows": rows, "year": year, "can_edit": may_edit(request.user), "years": _years_around(year)}
    return render(request, "attraction/targets.html", context, status=400 if request.method == "POST" else 200)


def _years_around(year: int) -> list[int]:
    this = timezone.localdate().year
    return sorted({this - 2, this - 1, this, this + 1, year})


@transaction.atomic
def _save_targets(forms: list[TargetForm], year: int) -> None:
    """Each submitted row: a figure sets the target, a blank removes it (rows not submitted stay as they are)."""
    for form in forms:
        amount = form.cleaned_data["amount"]
        if amount is None:
            if form.target:
                form.target.delete()
            continue
        target = form.target or SigningTarget(region=form.region, year=year)
        if target.amount != amount:
            target.amount = amount
            target.save()


urlpatterns = [
    path("agreements/", agreement_list, name="agreements"),
    path("agreements/export.<str:fmt>", agreement_export, name="agreement_export"),
    path("agreements/<int:pk>/", agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/edit/", agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/funds/", fund_create, name="fund_create"),
    path("targets/", targets, name="targets"),
]

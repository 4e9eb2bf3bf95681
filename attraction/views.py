"""Leads: the board by stage (drag to move), a lead's page with its visits and moves, the lead form, and a
promoter's own page.

A move on the board is an htmx POST to ``lead_move`` with the target stage; it runs the same form and the
same model method as the move page, so a move that needs data (signing, dropping) or breaks a rule comes back
as that form with its field errors, shown in a dialog; a move that succeeds answers 204 and the board reloads.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.history import history_entries
from org.models import Role, User

from . import stats
from .access import get_visible, require_editor, require_reader
from .filtersets import LeadFilterSet
from .forms import MOVE_TITLES, LeadForm, MoveForm, VisitForm
from .models import (
    BOARD_STAGES,
    Agreement,
    Lead,
    LeadMove,
    LeadStage,
    TargetEnterprise,
    Visit,
    may_edit,
)

BOARD_CAP = 60  # cards per column; the column says how many more the filters would show
PAGE_SIZE = 50


# ---- the board ----


def _board_leads(user):
    last_visit = Visit._base_manager.filter(lead=OuterRef("pk")).order_by().values("lead").annotate(m=Max("on"))
    return (
        Lead.objects.visible_to(user)
        .select_related("enterprise", "promoter", "region", "agreement", "project")
        .annotate(last_visit=Subquery(last_visit.values("m")))
    )


def _board_context(request, params: QueryDict) -> dict:
    """The columns (at most ``BOARD_CAP`` cards each) with their counts and sums: 2 queries + 1 per column."""
    filterset = LeadFilterSet(params, queryset=_board_leads(request.user), user=request.user)
    leads = filterset.qs.order_by("-updated_at", "-pk")
    counts = stats.stage_counts(leads)
    columns = [
        {"stage": stage, "label": stage.label, **counts[stage], "leads": list(leads.filter(stage=stage)[:BOARD_CAP])}
        for stage in [*BOARD_STAGES, LeadStage.DROPPED]
    ]
    for column in columns:
        column["more"] = column["count"] - len(column["leads"])
    return {
        "filterset": filterset,
        "columns": columns[:-1],
        "dropped": columns[-1],
        "can_edit": may_edit(request.user),
        "query": params.urlencode(),
    }


@login_required
@require_GET
def board(request):
    require_reader(request)
    context = _board_context(request, request.GET)
    template = "attraction/_board.html" if request.htmx else "attraction/board.html"
    return render(request, template, context)


# ---- a lead ----


def _get_lead(request, pk: int, *, write: bool = False) -> Lead:
    queryset = Lead.objects.select_related(
        "region", "enterprise", "promoter", "department", "leader", "project", "agreement", "created_by"
    )
    return get_visible(request, queryset, pk, write=write)


def _render_lead(request, lead: Lead, visit_form: VisitForm | None = None, status: int = 200):
    can_edit = may_edit(request.user)
    context = {
        "lead": lead,
        "agreement": lead.agreement_or_none(),
        "visits": Visit.objects.filter(lead=lead).select_related("by"),
        "moves": LeadMove.objects.filter(lead=lead).select_related("by"),
        "history": history_entries(lead.history.all()),
        "can_edit": can_edit,
        "visit_form": visit_form or (VisitForm(lead=lead) if can_edit else None),
        "next_stage": lead.next_stage(),
        "move_titles": MOVE_TITLES,
    }
    return render(request, "attraction/lead_detail.html", context, status=status)


@login_required
@require_GET
def lead_detail(request, pk: int):
    return _render_lead(request, _get_lead(request, pk))


def _save_lead(request, lead: Lead | None):
    initial = {}
    if lead is None:
        initial = _initial_from_enterprise(request)
    form = LeadForm(request.POST or None, instance=lead, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if form.instance.pk is None:
                form.instance.created_by = request.user
            saved = form.save()
        messages.success(request, _("已保存线索“%(name)s”。") % {"name": saved.name})
        return redirect(saved)
    status = 400 if request.method == "POST" else 200
    return render(request, "attraction/lead_form.html", {"form": form, "lead": lead}, status=status)


def _initial_from_enterprise(request) -> dict:
    """``?enterprise=<pk>``: a new lead of an enterprise of the library, its promoter and chain carried over."""
    value = request.GET.get("enterprise", "")
    enterprise = TargetEnterprise.objects.visible_to(request.user).filter(pk=value).first() if value.isdigit() else None
    initial = {
        "region": request.user.region_id,
        "promoter": request.user.pk if request.user.role == Role.PROMOTER else None,
    }
    if enterprise:
        initial.update(
            enterprise=enterprise.pk,
            region=enterprise.region_id,
            promoter=enterprise.promoter_id or initial["promoter"],
        )
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request):
    require_reader(request)
    require_editor(request)
    return _save_lead(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request, pk: int):
    return _save_lead(request, _get_lead(request, pk, write=True))


@login_required
@require_http_methods(["GET", "POST"])
def lead_move(request, pk: int):
    """Move a lead: the page (GET ?to=…, or a plain POST) and the board's htmx POST share the form and rules."""
    lead = _get_lead(request, pk, write=True)
    to = request.POST.get("to") if request.method == "POST" else request.GET.get("to")
    form = MoveForm(request.POST or None, lead=lead, to=to)
    if request.method == "POST" and form.is_valid() and form.apply(by=request.user):
        return _moved(request, lead)
    status = 400 if request.method == "POST" else 200
    if request.htmx:
        context = {"form": form, "lead": lead, "in_dialog": True}
        response = render(request, "attraction/_move_form.html", context, status=status)
        response["HX-Retarget"] = "#move-dialog-body"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "attraction/move.html", {"form": form, "lead": lead}, status=status)


def _moved(request, lead: Lead):
    text = _("“%(name)s”已转为“%(stage)s”。") % {"name": lead.name, "stage": lead.get_stage_display()}
    if lead.stage == LeadStage.LANDED:
        text = _("“%(name)s”已落地，已生成台账项目。") % {"name": lead.name}
    if request.htmx:
        payload = {"leadMoved": {"lead": lead.pk, "stage": lead.stage, "message": text}}
        return HttpResponse(status=204, headers={"HX-Trigger": json.dumps(payload)})
    messages.success(request, text)
    return redirect(lead)


@login_required
@require_POST
def visit_create(request, pk: int):
    lead = _get_lead(request, pk, write=True)
    form = VisitForm(request.POST, lead=lead)
    if form.is_valid():
        form.instance.by = request.user
        form.save()
        messages.success(request, _("已记录走访洽谈。"))
        return redirect(lead.get_absolute_url() + "#visits")
    return _render_lead(request, lead, visit_form=form, status=400)


# ---- a promoter's page ----


@login_required
@require_GET
def promoter(request, pk: int):
    require_reader(request)
    person = get_object_or_404(User.objects.visible_to(request.user).filter(role=Role.PROMOTER), pk=pk)
    return _render_promoter(request, person)


@login_required
@require_GET
def mine(request):
    """我的招商: a promoter's own page; anyone else who reads attraction is sent to the board."""
    require_reader(request)
    if request.user.role != Role.PROMOTER:
        return redirect("attraction:board")
    return _render_promoter(request, request.user)


def _render_promoter(request, person: User):
    today = timezone.localdate()
    leads = _board_leads(request.user).filter(promoter=person)
    agreements = Agreement.objects.visible_to(request.user).filter(lead__promoter=person)
    context = {
        "person": person,
        "is_me": person.pk == request.user.pk,
        "figures": stats.totals(agreements, today, label=str(person)),
        "counts": [(LeadStage(stage).label, stage, c["count"]) for stage, c in stats.stage_counts(leads).items()],
        "open_leads": Paginator(leads.open().order_by("last_visit", "pk"), PAGE_SIZE).get_page(request.GET.get("page")),
        "stalled": [
            (a, (today - a.agreed_start_on).days)
            for a in agreements.past_agreed_start(today).order_by("agreed_start_on")
        ],
        "enterprises": TargetEnterprise.objects.visible_to(request.user).filter(promoter=person).count(),
        "visits": list(
            Visit.objects.filter(lead__in=leads.values("pk")).select_related("lead").order_by("-on", "-pk")[:10]
        ),
        "today": today,
    }
    return render(request, "attraction/promoter.html", context)


urlpatterns = [
    path("", board, name="board"),
    path("leads/new/", lead_create, name="lead_create"),
    path("leads/<int:pk>/", lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", lead_edit, name="lead_edit"),
    path("leads/<int:pk>/move/", lead_move, name="lead_move"),
    path("leads/<int:pk>/visits/", visit_create, name="visit_create"),
    path("promoters/<int:pk>/", promoter, name="promoter"),
    path("mine/", mine, name="mine"),
]

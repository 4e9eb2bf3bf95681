"""The industry chain map (产业图谱): a chain's upstream, midstream and downstream links, the enterprises present
locally at each, the targets being pursued, and the gaps (links without a local enterprise); plus the screens
that add a chain to a region and set its links."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.models import ChainTag

from .access import require_editor, require_reader
from .forms import ChainForm, ChainLinkFormSet
from .models import ChainLink, Position, TargetEnterprise, may_edit

LOCAL_COLOUR, TARGET_COLOUR, GAP_COLOUR = "#2fb344", "#1c6dd0", "#d63939"


@dataclass
class LinkNode:
    link: ChainLink
    local: list[dict] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)

    @property
    def is_gap(self) -> bool:
        return not self.local


@dataclass
class ChainMap:
    chain: ChainTag
    positions: list[tuple[str, list[LinkNode]]]

    @property
    def nodes(self) -> list[LinkNode]:
        return [node for _position, nodes in self.positions for node in nodes]

    @property
    def gaps(self) -> int:
        return sum(node.is_gap for node in self.nodes)

    def tree(self) -> dict:
        """The ECharts tree: chain → position → link (red when a gap) → enterprises (green local, blue target)."""
        return {
            "name": self.chain.name,
            "children": [
                {"name": str(label), "children": [_link_tree(node) for node in nodes]}
                for label, nodes in self.positions
            ],
        }


def _link_tree(node: LinkNode) -> dict:
    enterprises = [{"name": e["name"], "itemStyle": {"color": LOCAL_COLOUR}} for e in node.local]
    enterprises += [{"name": e["name"], "itemStyle": {"color": TARGET_COLOUR}} for e in node.targets]
    name = node.link.name + (_("（缺）") if node.is_gap else "")
    style = {"color": GAP_COLOUR, "borderColor": GAP_COLOUR} if node.is_gap else {}
    return {
        "name": name,
        "itemStyle": style,
        "label": {"color": GAP_COLOUR} if node.is_gap else {},
        "children": enterprises,
    }


def chain_map(chain: ChainTag, user) -> ChainMap:
    """Two queries: the chain's links, and the enterprises of the user's subtree tagged with them."""
    links = list(ChainLink.objects.filter(chain=chain).order_by("sort_order", "pk"))
    nodes = {link.pk: LinkNode(link) for link in links}
    through = TargetEnterprise.chain_links.through
    tagged = through.objects.filter(
        chainlink__chain=chain, targetenterprise__in=TargetEnterprise.objects.visible_to(user).values("pk")
    ).order_by("targetenterprise__name")
    fields = ["chainlink_id", "targetenterprise_id", "targetenterprise__name", "targetenterprise__is_local"]
    for link_id, enterprise_id, name, is_local in tagged.values_list(*fields):
        entry = {"pk": enterprise_id, "name": name}
        (nodes[link_id].local if is_local else nodes[link_id].targets).append(entry)
    positions = [(p.label, [nodes[link.pk] for link in links if link.position == p]) for p in Position]
    return ChainMap(chain, positions)


def _chains(user):
    return ChainTag.objects.visible_to(user).select_related("region").annotate(link_count=Count("links"))


def _render_chains(request, chain_form: ChainForm | None = None, status: int = 200):
    chain_list = list(_chains(request.user).order_by("region__path", "name"))
    chosen = _chosen(request, chain_list)
    context = {
        "chains": chain_list,
        "chosen": chosen,
        "map": chain_map(chosen, request.user) if chosen else None,
        "may_edit_chain": chosen is not None and ChainLink.may_edit_chain(request.user, chosen),
        "can_edit": may_edit(request.user),
        "chain_form": chain_form or ChainForm(region=request.user.region),
        "colours": {"local": LOCAL_COLOUR, "target": TARGET_COLOUR, "gap": GAP_COLOUR},
    }
    return render(request, "attraction/chains.html", context, status=status)


@login_required
@require_GET
def chains(request):
    require_reader(request)
    return _render_chains(request)


def _chosen(request, chain_list: list[ChainTag]) -> ChainTag | None:
    """``?chain=<pk>`` among the visible chains; else the first of the user's own region, else the first."""
    value = request.GET.get("chain", "")
    by_pk = {str(chain.pk): chain for chain in chain_list}
    if value in by_pk:
        return by_pk[value]
    own = [chain for chain in chain_list if chain.region_id == request.user.region_id]
    return (own or chain_list or [None])[0]


@login_required
@require_POST
def chain_create(request):
    require_reader(request)
    require_editor(request)
    form = ChainForm(request.POST, region=request.user.region)
    if form.is_valid():
        chain = ChainTag(region=request.user.region, name=form.cleaned_data["name"])
        chain._history_user = request.user
        chain.save()
        messages.success(request, _("已新增产业链“%(name)s”，请设置其上中下游环节。") % {"name": chain.name})
        return redirect("attraction:chain_links", pk=chain.pk)
    return _render_chains(request, chain_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def chain_links(request, pk: int):
    require_reader(request)
    chain = get_object_or_404(ChainTag.objects.visible_to(request.user).select_related("region"), pk=pk)
    if not ChainLink.may_edit_chain(request.user, chain):
        raise PermissionDenied
    formset = ChainLinkFormSet(request.POST or None, instance=chain, prefix="links")
    if request.method == "POST" and formset.is_valid():
        with transaction.atomic():
            formset.save()
        messages.success(request, _("已保存“%(name)s”的产业链环节。") % {"name": chain.name})
        return redirect(f"{reverse('attraction:chains')}?chain={chain.pk}")
    status = 400 if request.method == "POST" else 200
    return render(request, "attraction/chain_links.html", {"chain": chain, "formset": formset}, status=status)


urlpatterns = [
    path("chains/", chains, name="chains"),
    path("chains/new/", chain_create, name="chain_create"),
    path("chains/<int:pk>/links/", chain_links, name="chain_links"),
]

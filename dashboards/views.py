"""The leaders' dashboard, the big screen (大屏) and the development zones' per-mu figures.

Who may see what, in one place (the ``_get_*`` helpers): every government role sees the dashboard of its
own region and of any region below it; a region outside the user's subtree is 404; enterprise users see
nothing internal (403). The zones' control figures are set by the key-project office (coordinators and
admins); other roles get 403 on that form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from org.models import Region

from . import boundaries, charts, figures, zones
from .forms import StandardLandForm
from .models import StandardLand

PAGE_SIZE = 50
SCREEN_REFRESH_SECONDS = 300


# ---- who may see what ----


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _home_region(request) -> Region:
    """The user's own region (a platform superuser without one: the top of the tree)."""
    user = request.user
    _require(not user.is_enterprise)
    if user.region_id is not None:
        return user.region
    _require(user.is_superuser)
    region = Region.objects.filter(parent__isnull=True).exclude(kind=Region.Kind.ZONE).order_by("path").first()
    if region is None:
        raise Http404
    return region


def _get_region(request, pk: int) -> Region:
    """A region of the user's subtree (development zones have their own page): outside it 404."""
    _require(not request.user.is_enterprise)
    queryset = Region.objects.visible_to(request.user).exclude(kind=Region.Kind.ZONE).select_related("parent")
    return get_object_or_404(queryset, pk=pk)


def _get_map_region(request, pk: int) -> Region:
    _require(not request.user.is_enterprise)
    return get_object_or_404(Region.objects.visible_to(request.user).select_related("parent"), pk=pk)


def _get_zone(request, pk: int, *, for_write: bool = False) -> Region:
    _require(not request.user.is_enterprise)
    queryset = Region.objects.visible_to(request.user).filter(kind=Region.Kind.ZONE).select_related("standard_land")
    zone = get_object_or_404(queryset, pk=pk)
    _require(not for_write or request.user.can_edit_projects)
    return zone


# ---- the dashboard and the big screen ----


def _context(request, region: Region) -> dict:
    dashboard = figures.build(request.user, region, timezone.localdate())
    return {
        "dashboard": dashboard,
        "region": region,
        "charts": charts.chart_data(dashboard),
        "is_own_region": region.pk == request.user.region_id,
        "may_oversee": dashboard.links.may_oversee,
        "may_edit": request.user.can_edit_projects,
    }


def _dashboard(request, region: Region):
    context = _context(request, region)
    context["screen_url"] = _screen_url(request, region)
    return render(request, "dashboards/index.html", context)


def _screen(request, region: Region):
    context = _context(request, region)
    context["map"] = charts.map_data(region)
    context["refresh_seconds"] = SCREEN_REFRESH_SECONDS
    context["refresh_minutes"] = SCREEN_REFRESH_SECONDS // 60
    context["dashboard_url"] = context["dashboard"].links.dashboard(region)
    context["self_url"] = _screen_url(request, region)
    return render(request, "dashboards/screen.html", context)


def _screen_url(request, region: Region) -> str:
    if region.pk == request.user.region_id:
        return reverse("dashboards:screen")
    return reverse("dashboards:screen_region", args=[region.pk])


@login_required
@require_GET
def index(request):
    return _dashboard(request, _home_region(request))


@login_required
@require_GET
def region_dashboard(request, pk: int):
    return _dashboard(request, _get_region(request, pk))


@login_required
@require_GET
def screen(request):
    return _screen(request, _home_region(request))


@login_required
@require_GET
def region_screen(request, pk: int):
    return _screen(request, _get_region(request, pk))


@login_required
@require_GET
def region_boundaries(request, pk: int):
    """The GeoJSON outlines of a region's map (static data: the browser may keep it a day)."""
    region = _get_map_region(request, pk)
    response = HttpResponse(boundaries.geojson_for(region), content_type="application/geo+json")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_GET
def region_points(request, pk: int):
    """The screen map's project points (live figures: not kept by the browser)."""
    region = _get_region(request, pk)
    points = charts.map_points(request.user, region, timezone.localdate())
    response = JsonResponse({"points": points}, json_dumps_params={"separators": (",", ":")})
    response["Cache-Control"] = "no-store"
    return response


# ---- development zones: per-mu figures and control figures ----


@login_required
@require_GET
def zone_list(request):
    region = _home_region(request)
    rows = zones.zone_figures(request.user, list(zones.zones_of(request.user, region)))
    context = {"region": region, "rows": rows, "may_edit": request.user.can_edit_projects}
    return render(request, "dashboards/zones.html", context)


@login_required
@require_GET
def zone_detail(request, pk: int):
    zone = _get_zone(request, pk)
    (figures_row,) = zones.zone_figures(request.user, [zone])
    page = Paginator(zones.zone_projects(request.user, zone), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(project, zones.project_figures(project, figures_row.standard)) for project in page.object_list]
    context = {
        "zone": zone,
        "figures": figures_row,
        "page": page,
        "rows": rows,
        "may_edit": request.user.can_edit_projects,
        "projects_url": f"{reverse('projects:list')}?region={zone.pk}",
    }
    return render(request, "dashboards/zone.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def zone_standard(request, pk: int):
    zone = _get_zone(request, pk, for_write=True)
    standard = StandardLand.objects.filter(zone=zone).first() or StandardLand(zone=zone)
    form = StandardLandForm(request.POST if request.method == "POST" else None, instance=standard)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            standard = form.save(commit=False)
            standard.updated_by = request.user
            standard._history_user = request.user
            standard.save()
        messages.success(request, _("已保存“%(zone)s”的标准地控制指标。") % {"zone": zone.name})
        return redirect("dashboards:zone", pk=zone.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "dashboards/standard_form.html", {"zone": zone, "form": form}, status=status)

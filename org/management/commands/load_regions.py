"""Load the administrative division tree (GB/T 2260 codes) from data/regions/."""

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_scopes import scopes_disabled
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from org.models import Region

DATA_DIR = Path(settings.BASE_DIR) / "data" / "regions"

# cities.csv rows that are no city: the districts of a municipality (北京市 "市辖区", 重庆市 "县") and the
# county-level cities a province runs directly (济源市 under "省直辖县级行政区划").
PLACEHOLDER_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

# County digits 71-80 are not counties: the statistics bureau gives them to development zones and
# similar units run by the city (140171 山西转型综合改革示范区).
ZONE_COUNTY_DIGITS = range(71, 81)

UPDATED_FIELDS = ["name", "kind", "parent", "path", "depth", "longitude", "latitude"]
_COMPARED = ["name", "kind", "parent_id", "path", "depth", "longitude", "latitude"]
MICRO_DEGREE = Decimal("0.000001")
LEVELS = [(Region.Kind.PROVINCE,), (Region.Kind.CITY,), (Region.Kind.COUNTY, Region.Kind.ZONE)]


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    kind: str
    parent_code: str | None
    longitude: Decimal | None = None
    latitude: Decimal | None = None


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class Command(BaseCommand):
    help = (
        "Load provinces, cities and counties (6-digit GB/T 2260 codes) with centroids from data/regions/. "
        "Idempotent: existing regions are updated in place. The placeholder rows of cities.csv "
        "(市辖区, 县, 省直辖县级行政区划) are not loaded: their counties hang directly under the province "
        "(北京市 → 东城区, 河南省 → 济源市). County codes ending 71-80 are development zones run by the city "
        "and are loaded with kind 'zone' under their city. Cities without counties (东莞市) are cities only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            action="append",
            default=[],
            metavar="CODE",
            help="2-digit province code(s) to load, repeatable or comma separated (e.g. --province 14); default all",
        )

    def handle(self, *args, **options):
        wanted = _province_codes(options["province"])
        rows = read_rows(wanted)
        if wanted and not rows:
            raise CommandError(f"No province with code {', '.join(sorted(wanted))} in {DATA_DIR / 'provinces.csv'}.")
        with scopes_disabled(), transaction.atomic():
            result = load(rows)
        self.stdout.write(f"Regions: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.")


def _province_codes(values: list[str]) -> set[str]:
    codes = {code.strip() for value in values for code in value.split(",") if code.strip()}
    bad = sorted(code for code in codes if len(code) != 2 or not code.isdigit())
    if bad:
        raise CommandError(f"Province codes are 2 digits (14 = 山西省), not {', '.join(bad)}.")
    return codes


# ---- reading the files ----


def read_rows(provinces: set[str] | None = None) -> list[RegionRow]:
    """Every region of the wanted provinces, parents before children."""
    centroids = _read_centroids()
    rows, skipped_cities = [], set()
    for record in _read_csv("provinces.csv"):
        if not provinces or record["code"] in provinces:
            rows.append(_row(record["code"] + "0000", record["name"], Region.Kind.PROVINCE, None, centroids))
    wanted = {row.code[:2] for row in rows}
    for record in _read_csv("cities.csv"):
        if record["provinceCode"] not in wanted:
            continue
        if record["name"] in PLACEHOLDER_CITIES:
            skipped_cities.add(record["code"])
            continue
        rows.append(
            _row(record["code"] + "00", record["name"], Region.Kind.CITY, record["provinceCode"] + "0000", centroids)
        )
    for record in _read_csv("areas.csv"):
        if record["provinceCode"] not in wanted:
            continue
        city = record["cityCode"]
        if record["code"] == city + "00":
            continue  # 东莞市, 中山市, 儋州市: cities without counties repeat themselves in areas.csv
        parent = record["provinceCode"] + "0000" if city in skipped_cities else city + "00"
        rows.append(
            _row(
                record["code"], record["name"], _county_kind(record["code"], city in skipped_cities), parent, centroids
            )
        )
    return rows


def _county_kind(code: str, under_province: bool) -> str:
    # A zone must belong to a city or county, so under a province it stays a county.
    if int(code[4:6]) in ZONE_COUNTY_DIGITS and not under_province:
        return Region.Kind.ZONE
    return Region.Kind.COUNTY


def _row(code, name, kind, parent_code, centroids) -> RegionRow:
    longitude, latitude = centroids.get(code, (None, None))
    return RegionRow(code, name, kind, parent_code, longitude, latitude)


def _read_centroids() -> dict[str, tuple[Decimal, Decimal]]:
    """6-digit code -> (longitude, latitude); the cpca file has 12-digit codes, some without a centroid."""
    centroids = {}
    for record in _read_csv("cpca-adcodes-with-centroids.csv"):
        if record["longitude"] and record["latitude"]:
            centroids[record["adcode"][:6]] = (_degrees(record["longitude"]), _degrees(record["latitude"]))
    return centroids


def _degrees(value: str) -> Decimal:
    return Decimal(value).quantize(MICRO_DEGREE)


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# ---- writing the tree ----


def load(rows: list[RegionRow]) -> LoadResult:
    """Create missing regions and update changed ones, one tree level at a time so parents have ids."""
    existing = {region.code: region for region in Region.objects.filter(code__in=[row.code for row in rows])}
    parents = {
        region.code: region
        for region in Region.objects.filter(code__in={row.parent_code for row in rows if row.parent_code})
    }
    parents.update(existing)
    result = LoadResult()
    for kinds in LEVELS:
        _load_level([row for row in rows if row.kind in kinds], existing, parents, result)
    return result


def _load_level(rows, existing, parents, result) -> None:
    new, changed = [], []
    for row in rows:
        region = existing.get(row.code) or Region(code=row.code)
        is_new = region.pk is None
        if _apply(region, row, parents.get(row.parent_code)) or is_new:
            (new if is_new else changed).append(region)
        else:
            result.unchanged += 1
        parents[row.code] = region
    bulk_create_with_history(new, Region, batch_size=500)
    bulk_update_with_history(changed, Region, UPDATED_FIELDS, batch_size=500)
    result.created += len(new)
    result.updated += len(changed)


def _apply(region: Region, row: RegionRow, parent: Region | None) -> bool:
    """Copy the row onto the region; True when something changed."""
    before = [getattr(region, attname) for attname in _COMPARED]
    region.name, region.kind, region.parent = row.name, row.kind, parent
    region.longitude, region.latitude = row.longitude, row.latitude
    set_path(region)
    return before != [getattr(region, attname) for attname in _COMPARED]


def set_path(region: Region) -> None:
    """What Region.save() does, for rows that bulk_create writes without calling save()."""
    region.path = region.compute_path()
    region.depth = region.path.count("/") - 2

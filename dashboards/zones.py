"""Per-mu figures (亩均) of development zones against their 标准地 control figures.

For a zone's current projects (the ledger's rows for ``?region=<zone>``):

- investment intensity (投资强度) = total investment / land area, over the projects with a land area;
- output intensity (亩均产出) = expected output at full production / land area, over the projects with both;
- tax intensity (亩均税收) = expected tax at full production / land area, over the projects with both;

all in 万元/亩. A project without a land area cannot carry a per-mu figure and is counted apart, so a
missing figure never dilutes the zone's intensity. One grouped query serves every zone of a region.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, FloatField, Q, Sum, Value
from django.db.models.functions import Cast

from org.models import Region, User
from projects.models import Project

from .models import FIGURES, StandardLand

ZERO = Decimal("0")
CENT = Decimal("0.01")
HAS_LAND = Q(land_area__gt=0)
# figure -> (the amount it divides, the projects that have it)
AMOUNTS = {
    "investment_intensity": ("total_investment", HAS_LAND),
    "output_intensity": ("expected_output", HAS_LAND & Q(expected_output__isnull=False)),
    "tax_intensity": ("expected_tax", HAS_LAND & Q(expected_tax__isnull=False)),
}


def intensity(amount, land) -> Decimal | None:
    """万元/亩 to two decimals; None without land."""
    if not land:
        return None
    return (Decimal(amount or 0) / Decimal(land)).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    amount: Decimal  # 万元
    land: Decimal  # 亩
    value: Decimal | None  # 万元/亩
    standard: Decimal | None  # the control figure, None where the zone sets none

    @property
    def meets(self) -> bool | None:
        """Whether the figure reaches the control figure; None where one of them is missing."""
        if self.value is None or self.standard is None:
            return None
        return self.value >= self.standard

    @property
    def gap(self) -> Decimal | None:
        """万元/亩 short of the control figure (positive: below it)."""
        if self.meets is None:
            return None
        return self.standard - self.value


@dataclass(frozen=True)
class ZoneFigures:
    zone: Region
    projects: int
    with_land: int  # projects with a land area
    land: Decimal
    figures: list[Figure]
    standard: StandardLand | None

    @property
    def without_land(self) -> int:
        return self.projects - self.with_land

    @property
    def below(self) -> int:
        return sum(1 for figure in self.figures if figure.meets is False)


def zones_of(user: User, region: Region):
    """The development zones in the region's subtree that the user sees, with their control figures."""
    zones = Region.objects.visible_to(user).filter(kind=Region.Kind.ZONE, path__startswith=region.path)
    return zones.select_related("standard_land", "parent").order_by("path")


def _sums(user: User, zone_ids: list[int]) -> dict:
    """zone id -> sums over its current projects, in one grouped query."""
    sums = {"projects": Count("pk"), "with_land": Count("pk", filter=HAS_LAND)}
    for key, (amount, has) in AMOUNTS.items():
        sums[f"{key}_amount"] = Sum(amount, filter=has)
        sums[f"{key}_land"] = Sum("land_area", filter=has)
    rows = (
        Project.objects.visible_to(user)
        .current()
        .filter(zone_id__in=zone_ids)
        .values("zone_id")
        .annotate(**sums)
        .order_by()
    )
    return {row["zone_id"]: row for row in rows}


def _standard(zone: Region) -> StandardLand | None:
    try:
        return zone.standard_land
    except StandardLand.DoesNotExist:
        return None


def _figures(sums: dict, standard: StandardLand | None) -> list[Figure]:
    figures = []
    for key, label in FIGURES:
        amount, land = sums.get(f"{key}_amount") or ZERO, sums.get(f"{key}_land") or ZERO
        control = getattr(standard, key) if standard else None
        figures.append(Figure(key, str(label), Decimal(amount), Decimal(land), intensity(amount, land), control))
    return figures


def zone_figures(user: User, zones: list[Region]) -> list[ZoneFigures]:
    """The figures of each zone (2 queries with ``zones_of``)."""
    sums = _sums(user, [zone.pk for zone in zones])
    result = []
    for zone in zones:
        row, standard = sums.get(zone.pk, {}), _standard(zone)
        land = Decimal(row.get("investment_intensity_land") or ZERO)
        figures = _figures(row, standard)
        result.append(ZoneFigures(zone, row.get("projects", 0), row.get("with_land", 0), land, figures, standard))
    return result


def _per_mu(column: str):
    # Floats: SQLite keeps whole 万元 amounts as integers and would divide them as integers.
    return Cast(F(column), FloatField()) * Value(1.0) / Cast(F("land_area"), FloatField())


def zone_projects(user: User, zone: Region):
    """The zone's current projects with a land area and their per-mu figures, weakest investment first."""
    return (
        Project.objects.visible_to(user)
        .current()
        .filter(HAS_LAND, zone=zone)
        .annotate(
            investment_per_mu=_per_mu("total_investment"),
            output_per_mu=_per_mu("expected_output"),
            tax_per_mu=_per_mu("expected_tax"),
        )
        .select_related("region")
        .order_by("investment_per_mu", "pk")
    )


def project_figures(project: Project, standard: StandardLand | None) -> list[Figure]:
    """A project's three per-mu figures against the zone's control figures (for one row of the zone page)."""
    land = project.land_area or ZERO
    amounts = {
        "investment_intensity": project.total_investment,
        "output_intensity": project.expected_output,
        "tax_intensity": project.expected_tax,
    }
    figures = []
    for key, label in FIGURES:
        amount = amounts[key]
        control = getattr(standard, key) if standard else None
        value = intensity(amount, land) if amount is not None else None
        figures.append(Figure(key, str(label), amount or ZERO, land, value, control))
    return figures

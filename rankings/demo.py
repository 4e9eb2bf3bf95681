"""Demo targets and rankings, called by ``manage.py demo`` after the ledger, the reports and the attraction rows.

This year's targets: 山西省's own, split among its cities, 吕梁市's split among its counties, and 交城县's
split among its departments. A total's key-project plan target is its projects' own annual plans scaled by
a draw between 0.95 and 1.25 (most regions must find more projects: the gap shows), the FAI target about
2.2 times that (FAI counts far more than the key projects); a split hands out about 97 % of it in
proportion to the subregions' plans. The statistics office's year-to-date FAI is
entered for the months that have ended. 山西省 gets the default scheme saved as its own. The last four
months and the last two quarters are ranked and published for 山西省 (cities), 吕梁市 (counties) and 交城县
(departments), oldest first, so the rank changes show.
"""

import random
from collections import defaultdict
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.db.models import Sum

from org.models import Department, Region, Role, User
from projects.models import AnnualPlan

from .compute import compute, last_closed
from .models import DepartmentTarget, Dimension, FaiActual, Kind, RankingScheme, RegionTarget

PROVINCE, CITY, COUNTY = "140000", "141100", "141122"
FAI_FACTOR = Decimal("2.2")
MONTHS, QUARTERS = 4, 2


def build(world, accounts: list[User], rng: random.Random) -> str:
    year = world.today.year
    by_region = _plans_by_region(year)
    regions = [world.region(code) for code in (PROVINCE, CITY, COUNTY)]
    targets = _region_targets(world, rng, by_region, year, regions[:2])
    county = next(target for target in targets if target.region_id == regions[2].pk)
    departments = _department_targets(rng, county, year)
    facts = _fai_actuals(rng, targets, world.today)
    RankingScheme.objects.get_or_create(region=regions[0])
    coordinators = {user.region.code: user for user in accounts if user.role == Role.COORDINATOR}
    snapshots = _snapshots(world, regions, coordinators)
    return (
        f"Rankings: {len(targets)} region targets and {departments} department targets for {year}, "
        f"{facts} monthly FAI figures, {snapshots} published ranking snapshots."
    )


def _plans_by_region(year: int) -> dict[str, Decimal]:
    """region path -> the annual plans of the projects placed in it (one grouped query)."""
    rows = AnnualPlan._base_manager.filter(year=year, project__archived_at__isnull=True)
    sums = rows.order_by().values("project__region__path").annotate(s=Sum("amount"))
    return {row["project__region__path"]: row["s"] for row in sums}


def _subtree_plan(by_region: dict[str, Decimal], region: Region) -> Decimal:
    return sum((s for path, s in by_region.items() if path.startswith(region.path)), Decimal("0"))


def _round_wan(value: Decimal) -> Decimal:
    """Targets are set in round figures: whole 百万元 (100 万元)."""
    return (value / 100).quantize(Decimal("1"), ROUND_HALF_UP) * 100


def _target(rng: random.Random, plan: Decimal) -> dict[str, Decimal]:
    plan_target = _round_wan(max(plan, Decimal("5000")) * Decimal(str(round(rng.uniform(0.95, 1.25), 3))))
    return {"plan_target": plan_target, "fai_target": _round_wan(plan_target * FAI_FACTOR)}


def _region_targets(world, rng, by_region, year: int, splitting: list[Region]) -> list[RegionTarget]:
    """The province's own total, and each region of ``splitting`` split among its subregions."""
    top = splitting[0]
    targets = {top.pk: RegionTarget(region=top, year=year, **_target(rng, _subtree_plan(by_region, top)))}
    for parent in splitting:
        children = [child for child in world.governments() if child.parent_id == parent.pk]
        for child, shares in zip(children, _split(rng, targets[parent.pk], by_region, children), strict=True):
            targets[child.pk] = RegionTarget(region=child, year=year, **shares)
    RegionTarget.objects.bulk_create(targets.values())
    return list(targets.values())


def _split(rng: random.Random, total: RegionTarget, plans: dict, subjects: list) -> list[dict]:
    """About 97 % of the total's targets, shared in proportion to the subjects' plans (``plans``: by region path
    or by pk) and a little drawn: the rest stays unallocated, as the split page shows."""
    weights = [(_plan_of(plans, s) + 1000) * Decimal(str(round(rng.uniform(0.9, 1.1), 3))) for s in subjects]
    whole = sum(weights, Decimal("0")) or Decimal("1")
    share = Decimal("0.97")
    return [
        {name: _round_down(getattr(total, name) * share * weight / whole) for name in ("fai_target", "plan_target")}
        for weight in weights
    ]


def _plan_of(plans: dict, subject) -> Decimal:
    if isinstance(subject, Region):
        return _subtree_plan(plans, subject)
    return plans.get(subject.pk, Decimal("0"))


def _round_down(value: Decimal) -> Decimal:
    return (value / 100).quantize(Decimal("1"), ROUND_DOWN) * 100


def _department_targets(rng: random.Random, county: RegionTarget, year: int) -> int:
    """The county's targets shared among its departments that run projects, in proportion to their plans."""
    plans = dict(
        AnnualPlan._base_manager.filter(year=year, project__region__path__startswith=county.region.path)
        .order_by()
        .values_list("project__department_id")
        .annotate(s=Sum("amount"))
    )
    departments = [d for d in Department.objects.filter(region=county.region).order_by("name") if plans.get(d.pk)]
    weights = {d.pk: plans[d.pk] for d in departments}
    rows = [
        DepartmentTarget(department=d, year=year, **shares)
        for d, shares in zip(departments, _split(rng, county, weights, departments), strict=True)
    ]
    DepartmentTarget.objects.bulk_create(rows)
    return len(rows)


def _fai_actuals(rng: random.Random, targets: list[RegionTarget], today) -> int:
    """Year to date, for the months that have ended: the target's linear share, a little ahead or behind."""
    rows = []
    pace = defaultdict(lambda: Decimal(str(round(rng.uniform(0.82, 1.06), 3))))
    for target in targets:
        for month in range(1, today.month):
            share = target.fai_target * month / 12 * pace[target.region_id]
            wobble = Decimal(str(round(rng.uniform(0.98, 1.02), 3)))
            amount = (share * wobble).quantize(Decimal("0.01"), ROUND_HALF_UP)
            rows.append(FaiActual(region=target.region, year=target.year, month=month, amount=amount))
    FaiActual.objects.bulk_create(rows)
    return len(rows)


def _periods(today, kind: str, count: int) -> list:
    periods = [last_closed(today, kind)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods[::-1]  # oldest first: each compares with the one before


def _snapshots(world, regions: list[Region], coordinators: dict[str, User]) -> int:
    plan = [(regions[0], Dimension.REGION), (regions[1], Dimension.REGION), (regions[2], Dimension.DEPARTMENT)]
    count = 0
    for kind, periods in ((Kind.MONTH, MONTHS), (Kind.QUARTER, QUARTERS)):
        for period in _periods(world.today, kind, periods):
            for region, dimension in plan:
                by = coordinators.get(region.code)
                compute(region, period, dimension, by=by, publish=True, today=world.today)
                count += 1
    return count

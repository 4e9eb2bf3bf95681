"""What the dashboard shows from the apps beside it: the horse race and the targets (``rankings``), the
stalled lists (``batches``). Each answer costs a fixed number of queries."""

import datetime

from batches import stalled as stalled_lists
from org.models import Region
from rankings.models import FaiActual, RankingSnapshot, RegionTarget
from rankings.targets import GapRow


def ranking_snapshot(region: Region):
    """The latest published monthly ranking of the region's subregions, or None."""
    return RankingSnapshot.latest(region, kind="month", dimension="region")


def gap_rows(regions: list[Region], year: int, month: int, sums: dict) -> dict:
    """region pk -> ``rankings.targets.GapRow`` for each region with a target this year (2 queries).

    ``sums`` (region pk -> figures.Sums) are the dashboard's own sums of the same rows
    ``rankings.targets.gap_table`` would add up again: the approved reports of the year and the annual plans
    of the region's current projects.
    """
    pks = [region.pk for region in regions]
    targets = {t.region_id: t for t in RegionTarget.objects.filter(region_id__in=pks, year=year)}
    fai = {}
    rows = FaiActual.objects.filter(region_id__in=pks, year=year, month__lte=month).order_by("month")
    for region_id, fai_month, amount in rows.values_list("region_id", "month", "amount"):
        fai[region_id] = (fai_month, amount)  # the latest month wins
    gaps = {}
    for region in regions:
        target = targets.get(region.pk)
        if target is None:
            continue
        fai_month, fai_amount = fai.get(region.pk, (None, None))
        done = sums[region.pk]
        gaps[region.pk] = GapRow(
            region.name, region.pk, None, target.fai_target, fai_amount, fai_month, target.plan_target,
            done.completed, done.annual_plan,
        )  # fmt: skip
    return gaps


def stalled(user, region: Region, today: datetime.date, links) -> list:
    """The stalled lists (三未) the user may read, with their counts and links (batches:stalled)."""
    from .figures import Slice

    counts = stalled_lists.stalled_counts(region, today)
    return [
        Slice(key, str(stalled_lists.LISTS[key].label), counts[key], links.url("batches:stalled", list=key))
        for key in stalled_lists.keys_for(user)
    ]

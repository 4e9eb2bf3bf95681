"""Compute ranking snapshots by hand: what the monthly task does on the 1st, for any period and region."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_scopes import scopes_disabled

from org.models import Region
from rankings.compute import Computed, compute_all, last_closed
from rankings.models import Kind, RankingPeriod


class Command(BaseCommand):
    help = (
        "Compute the rankings (subregions and departments) of a month, or of a quarter with --quarter, as drafts "
        "(--publish publishes them). Default period: the last month (quarter) that has ended. Default regions: all; "
        "--region CODE: that region's rankings, with --below also every region under it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", metavar="CODE", help="region code (GB/T 2260), e.g. 141100")
        parser.add_argument("--below", action="store_true", help="with --region: also every region under it")
        parser.add_argument("--year", type=int, help="with --month; default: the last period that has ended")
        parser.add_argument("--month", type=int, help="1-12; with --quarter, any month of the quarter")
        parser.add_argument("--quarter", action="store_true", help="the quarterly ranking instead of the monthly")
        parser.add_argument("--publish", action="store_true", help="publish the snapshots at once")

    def handle(self, *args, region=None, below=False, year=None, month=None, quarter=False, publish=False, **options):
        kind = Kind.QUARTER if quarter else Kind.MONTH
        period = _period(kind, year, month)
        place = _region(region) if region else None
        if below and place is None:
            raise CommandError("--below needs --region.")
        if place is not None and not below:
            result = compute_all(period, region=place, only=True, publish=publish)
        else:
            result = compute_all(period, region=place, publish=publish)
        self._report(period, place, result, publish)

    def _report(self, period: RankingPeriod, place, result: Computed, publish: bool) -> None:
        where = f"{place.name} ({place.code})" if place else "all regions"
        state = "published" if publish else "drafts"
        self.stdout.write(
            f"Rankings {period.year} {period.kind} {period.number}, {where}: {len(result.snapshots)} snapshots "
            f"({state}), {result.skipped} region/dimension pairs without subjects skipped."
        )


def _period(kind: str, year: int | None, month: int | None) -> RankingPeriod:
    if year is None and month is None:
        return last_closed(timezone.localdate(), kind)
    if year is None or month is None:
        raise CommandError("Give --year and --month together.")
    if not 2000 <= year <= 2100 or not 1 <= month <= 12:
        raise CommandError("--year must lie between 2000 and 2100 and --month between 1 and 12.")
    number = month if kind == Kind.MONTH else (month - 1) // 3 + 1
    period = RankingPeriod(year, kind, number)
    if not period.has_begun(timezone.localdate()):
        raise CommandError(f"{period.label()} has not begun.")
    return period


def _region(code: str) -> Region:
    with scopes_disabled():
        region = Region.objects.filter(code=code).exclude(kind=Region.Kind.ZONE).first()
    if region is None:
        raise CommandError(f"No region with code {code}.")
    return region

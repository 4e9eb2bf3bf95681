"""Recompute the red/yellow/blue colours of a month (what the 02:00 task does for this month)."""

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from org.models import Region
from reports import tasks

from ._month import add_month_arguments, month_from_options


class Command(BaseCommand):
    help = (
        "Recompute the colours of every coloured project for a month (default: this month), for all regions "
        "or for one region's subtree (--region CODE). Coordinators' overrides are kept."
    )

    def add_arguments(self, parser):
        add_month_arguments(parser)
        parser.add_argument("--region", metavar="CODE", help="region code (GB/T 2260), e.g. 141122")

    def handle(self, *args, region=None, **options):
        year, month = month_from_options(options, tasks.this_month())
        place = _region(region) if region else None
        rows = tasks.recompute_colours(year, month, region=place)
        where = f"{place.name} ({place.code}) and below" if place else "all regions"
        self.stdout.write(f"Colours {year}-{month:02d}, {where}: {rows} projects recomputed.")


def _region(code: str) -> Region:
    with scopes_disabled():
        region = Region.objects.filter(code=code).first()
    if region is None:
        raise CommandError(f"No region with code {code}.")
    return region

"""Open the month's reporting period of every region with projects (what the 00:30 task does)."""

from django.core.management.base import BaseCommand

from reports import tasks

from ._month import add_month_arguments, month_from_options


class Command(BaseCommand):
    help = (
        "Open the reporting period of the month (default: this month) for every region with current projects, "
        "with the close day of its reporting rules. Periods already open are left as they are; nothing is closed."
    )

    def add_arguments(self, parser):
        add_month_arguments(parser)

    def handle(self, *args, **options):
        year, month = month_from_options(options, tasks.this_month())
        result = tasks.open_periods(year, month)
        self.stdout.write(f"Periods {year}-{month:02d}: {result.opened} opened, {result.existing} already open.")

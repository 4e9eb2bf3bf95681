"""Escalate overdue problems (what the 07:30 task does), optionally as of another day."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from problems.escalation import escalate


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Raise the escalation level (督办) of open problems past their deadline, by the escalation rules of "
        "each project's region, record it on their timelines and notify the people concerned. Running it "
        "twice the same day changes nothing the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="count days overdue as of this day (YYYY-MM-DD); default: today")

    def handle(self, *args, **options):
        today = _date(options["date"]) if options.get("date") else None
        result = escalate(today=today)
        self.stdout.write(
            f"Overdue problems: {result.overdue}; raised to the responsible leader: {result.to_leader}, "
            f"to the county leaders: {result.to_county}; notifications: {result.notified}."
        )

"""Send today's reminders about missing monthly reports (what the 08:00 task does)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from reports.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Remind reporters (in-app and e-mail) and region chat groups (webhook) of the monthly reports still "
        "missing. Runs daily at 08:00 as a task; a region already reminded that day is not reminded again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="decide as if today were this day (YYYY-MM-DD); default: today")

    def handle(self, *args, date=None, **options):
        summary = send_reminders(_parse_date(date) if date else None)
        self.stdout.write(
            f"Reminders: {summary.regions} regions, {summary.projects} projects missing, "
            f"{summary.reporters} reporters notified, {summary.emails} e-mails, "
            f"{summary.webhooks} group messages ({summary.webhooks_failed} failed), "
            f"{summary.already_sent} regions already reminded today."
        )


def _parse_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date takes YYYY-MM-DD, not {value!r}.") from None

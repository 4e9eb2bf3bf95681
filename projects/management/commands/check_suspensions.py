"""List the suspensions not confirmed this quarter and notify their coordinators (what the quarterly task does)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from projects.tasks import check_suspensions


class Command(BaseCommand):
    help = (
        "List suspended projects not re-confirmed in the current calendar quarter and notify the coordinators "
        "answering for them (in-app). Runs as a task on 1 March, June, September and December; a project already "
        "reminded this quarter is listed but not reminded again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="decide as if today were this day (YYYY-MM-DD); default: today")

    def handle(self, *args, date=None, **options):
        check = check_suspensions(_parse_date(date) if date else None)
        quarter = f"{check.since.year} Q{(check.since.month - 1) // 3 + 1}"
        self.stdout.write(f"Suspensions not confirmed in {quarter} (since {check.since}): {len(check.unconfirmed)}")
        for project in check.unconfirmed:
            confirmed = project.suspension_confirmed_on or "never"
            self.stdout.write(f"  {project.region.name} · {project.name}: last confirmed {confirmed}")
        already = len(check.unconfirmed) - check.reminded
        self.stdout.write(
            f"Reminded: {check.reminded} projects, {check.coordinators} coordinators notified, "
            f"{check.unreached} projects without a coordinator; {already} already reminded this quarter."
        )


def _parse_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date takes YYYY-MM-DD, not {value!r}.") from None

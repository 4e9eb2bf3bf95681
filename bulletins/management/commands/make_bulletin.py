"""Generate (or regenerate) a region's monthly bulletin in this process, what the "生成通报" button queues for the
background worker (the same ``Bulletin.run_generation``); --issue also issues it (``run_issue``)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from org.models import Region
from reports.colours import current_month

from ...models import Bulletin


class Command(BaseCommand):
    help = (
        "Generate the monthly bulletin (月度通报) of a region for a month: its content frozen as JSON, and the "
        "Word, PDF and Excel ledger files. A draft is regenerated from the data as it is now; an issued bulletin "
        "is never changed. With --issue the draft is then issued: numbered (交重点办〔2026〕N号) and frozen."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="region code, e.g. 141122 (交城县)")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--month", type=int, required=True)
        parser.add_argument("--issue", action="store_true", help="issue the bulletin after generating it")

    def handle(self, *args, region: str, year: int, month: int, issue: bool, **options):
        if not (2000 <= year <= 2100 and 1 <= month <= 12) or (year, month) > current_month():
            raise CommandError("--year/--month must name a month that has begun (2000 or later).")
        with scopes_disabled():
            place = Region.objects.filter(code=region).first()
            if place is None or place.is_zone:
                raise CommandError(f"No region (city, county or province) with the code {region!r}.")
            try:
                bulletin = Bulletin.generate(place, year, month, render=not issue)
                if issue:
                    bulletin.issue()
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            bulletin.refresh_from_db()
        state = f"issued as No. {bulletin.number}/{bulletin.number_year}" if bulletin.number else "draft"
        self.stdout.write(f"{bulletin} ({state}): {bulletin.docx.name}, {bulletin.pdf.name}, {bulletin.ledger.name}")

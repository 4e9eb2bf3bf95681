"""Run the dry run or the save of a ledger import by hand (what the background task does for large files)."""

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from imports.models import LedgerImport
from imports.tasks import STEPS, run_step


class Command(BaseCommand):
    help = "Check (dry run) or apply (save) ledger import ID as the user who uploaded it, printing the outcome."

    def add_arguments(self, parser):
        parser.add_argument("import_id", type=int)
        parser.add_argument("--step", choices=STEPS, default="check")

    def handle(self, *args, import_id: int, step: str, **options):
        with scopes_disabled():
            ledger_import = LedgerImport.objects.filter(pk=import_id).first()
        if ledger_import is None:
            raise CommandError(f"No ledger import {import_id}.")
        if ledger_import.by_id is None:
            raise CommandError(f"Ledger import {import_id} has no uploader to run it as.")
        summary = run_step(import_id, ledger_import.by_id, step)
        self.stdout.write(f"Ledger import {import_id} ({ledger_import.file_name}), {step}: {summary}")

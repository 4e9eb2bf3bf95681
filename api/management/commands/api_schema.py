"""Write the API's OpenAPI schema to api/openapi.yaml (``--check``: fail when the checked-in file differs).

The schema is generated in Chinese, the language of its labels, with no scope (the generator reads no rows),
validated against the OpenAPI specification, and refused if the generator warns (a field it cannot type).
"""

import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "openapi.yaml"


def generate_schema() -> str:
    with tempfile.TemporaryDirectory() as folder, scopes_disabled():
        target = Path(folder) / "openapi.yaml"
        call_command("spectacular", lang="zh-hans", file=str(target), validate=True, fail_on_warn=True)
        return target.read_text(encoding="utf-8")


class Command(BaseCommand):
    help = "Regenerate api/openapi.yaml; with --check, exit non-zero when it is out of date."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="compare instead of writing")

    def handle(self, check: bool = False, **options):
        schema = generate_schema()
        if not check:
            SCHEMA_FILE.write_text(schema, encoding="utf-8")
            self.stderr.write(f"Wrote {SCHEMA_FILE}.")
        elif not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text(encoding="utf-8") != schema:
            raise CommandError(f"{SCHEMA_FILE} is out of date: run `manage.py api_schema` and commit it.")

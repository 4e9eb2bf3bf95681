"""Import an OC4IDS project package: ``manage.py oc4ids_import package.json --region 141122 [--dry-run]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from oc4ids import importer, reading
from oc4ids.models import action_counts
from org.models import Region, User

# The page takes reading.MAX_PROJECTS; here a province's whole ledger, in one transaction (minutes for the largest).
MAX_PROJECTS = 20_000


class Command(BaseCommand):
    help = (
        "Import an OC4IDS 0.9.5 project package into the ledger, as the import page does: projects found by their "
        "import record, national project code or our own id are updated, the others created in --region. All or "
        "nothing: any project with an error leaves the ledger untouched. --dry-run checks and reports only."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the package (.json)")
        parser.add_argument("--region", required=True, help="region code new projects go to, e.g. 141122")
        parser.add_argument("--dry-run", action="store_true", help="check and report, save nothing")
        parser.add_argument("--user", help="username recorded as the importer (project history, stage changes)")

    def handle(self, *args, file: str, region: str, dry_run: bool, user: str | None, **options):
        package = _read(Path(file))
        with scopes_disabled():
            target = Region.objects.filter(code=region).first()
            if target is None:
                raise CommandError(f"No region with code {region!r}.")
            by = _importer(user, target)
        try:
            outcomes = (importer.check if dry_run else importer.apply)(package, target, by)
        except importer.ImportRefused as refused:
            self._report(refused.outcomes)
            raise CommandError("Nothing imported: fix the errors above and run again.") from None
        self._report(outcomes)
        counts = action_counts([outcome.as_dict() for outcome in outcomes])
        verb = "Would create" if dry_run else "Created"
        self.stdout.write(
            f"{verb} {counts['create']}, update {counts['update']}, unchanged {counts['unchanged']}, "
            f"errors {counts['error']}." + (" (dry run: nothing saved)" if dry_run else "")
        )
        if dry_run and counts["error"]:
            raise CommandError("The package has errors: it would not be imported.")

    def _report(self, outcomes: list) -> None:
        for outcome in outcomes:
            self.stdout.write(f"[{outcome.action}] {outcome.id} {outcome.title}")
            for issue in outcome.errors:
                self.stdout.write(f"    error   {issue['path']}: {issue['message']}")
            for issue in outcome.warnings:
                self.stdout.write(f"    warning {issue['path']}: {issue['message']}")


def _read(path: Path) -> dict:
    if not path.is_file():
        raise CommandError(f"No file {path}.")
    if path.stat().st_size > reading.MAX_BYTES:
        raise CommandError(f"{path} is larger than {reading.MAX_BYTES // (1024 * 1024)} MB.")
    try:
        return reading.read_package(path.read_bytes(), max_projects=MAX_PROJECTS)
    except reading.PackageRefused as refused:
        lines = [refused.message, *(f"  {issue.path}: {issue.message}" for issue in refused.issues)]
        raise CommandError("\n".join(lines)) from None


def _importer(username: str | None, region: Region) -> User | None:
    if username is None:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user {username!r}.")
    if not user.can_edit_projects or not Region.objects.visible_to(user).filter(pk=region.pk).exists():
        raise CommandError(f"{username} may not import into {region.name} ({region.code}).")
    return user

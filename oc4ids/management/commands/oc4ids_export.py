"""Write a region's OC4IDS 0.9.5 project package: ``manage.py oc4ids_export --region 141122 > package.json``."""

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django.utils import timezone
from django_scopes import scopes_disabled

from oc4ids.export import Context, iter_package, package_header
from org.models import Region, Role, User
from projects.filtersets import ProjectFilterSet
from projects.models import Project


class Command(BaseCommand):
    help = (
        "Write the OC4IDS 0.9.5 project package of a region's projects (the region and everything below it; "
        "a development zone: the projects placed in it) to stdout, as the export page's download does."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="region code, e.g. 141122")
        parser.add_argument(
            "--filter",
            dest="filters",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a ledger filter as in the /projects/ query string, e.g. stage=construction, category=industry, "
            "q=石墨, archived=on (archived projects are left out without it); repeat for several",
        )
        parser.add_argument("--uri", help="the package's uri (default: a urn naming the region and the time)")

    def handle(self, *args, region: str, filters: list[str], uri: str | None, **options):
        with scopes_disabled():
            chosen = Region.objects.filter(code=region).first()
            if chosen is None:
                raise CommandError(f"No region with code {region!r}.")
            projects = _filtered(chosen, filters)
            if not projects.exists():
                raise CommandError("No project matches: an OC4IDS package holds at least one project.")
            uri = uri or f"urn:oc4ids:{chosen.code}:{timezone.now():%Y%m%dT%H%M%SZ}"
            for chunk in iter_package(projects, package_header(chosen, uri), Context.for_region(chosen)):
                self.stdout.write(chunk, ending="")
            self.stdout.write("")


def _filtered(region: Region, filters: list[str]):
    data = QueryDict(mutable=True)
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep:
            raise CommandError(f"--filter takes NAME=VALUE, not {item!r}.")
        data.appendlist(name.strip(), value.strip())
    data["region"] = str(region.pk)
    # The filters' choices (regions, departments, leaders, chain tags) as a coordinator of the region has them.
    viewer = User(region=region, role=Role.COORDINATOR)
    queryset = Project.objects.filter(region__path__startswith=region.path)
    filterset = ProjectFilterSet(data, queryset=queryset, user=viewer)
    if not filterset.is_valid():
        raise CommandError(f"Bad filter: {filterset.form.errors.as_text()}")
    return filterset.qs

"""Which ledger project a package's project is, read for the whole package at once.

A project object names a ledger project by (first match wins): the id of an earlier import
(``ProjectRecord.ocid``); a national project code, in an identifier of our scheme or in an id we
minted (prefix + code); an id we minted from a primary key (projects without a national code).
``Known`` reads every record, project, annual plan and 形象进度节点 the package can name in a
handful of queries, so a package of thousands of projects does not cost queries per project.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator

from lib.codes import NATIONAL_CODE_RE
from projects.models import AnnualPlan, Milestone, Project

from .mapping import NATIONAL_CODE_SCHEME
from .models import ProjectRecord

# What a matched project is read with: everything the export's sections need of it besides plans and nodes.
RELATED = ("region", "zone", "department__region")
BATCH = 500  # ids per IN (...) list


def national_code(obj: dict, prefix: str) -> tuple[str, str] | None:
    """(code, its path inside the project object) from an identifier of our scheme, or from an id we minted."""
    for index, identifier in enumerate(obj.get("identifiers") or []):
        if identifier.get("scheme") == NATIONAL_CODE_SCHEME:
            return identifier["id"], f"identifiers[{index}].id"
    rest = obj["id"].removeprefix(prefix) if obj["id"].startswith(prefix) else None
    if rest and NATIONAL_CODE_RE.fullmatch(rest):
        return rest, "id"
    return None


def own_pk(ocid: str, prefix: str) -> int | None:
    rest = ocid.removeprefix(prefix) if ocid.startswith(prefix) else ""
    return int(rest) if rest.isascii() and rest.isdigit() else None


def _batches(values: Iterable) -> Iterator[list]:
    values = list(values)
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def _by(queryset, field: str, values: set) -> dict:
    """The rows whose ``field`` is one of ``values``, by that field."""
    return {
        getattr(row, field): row for batch in _batches(values) for row in queryset.filter(**{f"{field}__in": batch})
    }


def _children(queryset, project_ids: set[int]) -> dict[int, list]:
    """Rows hanging off the projects, listed per project in the queryset's order."""
    by_project = defaultdict(list)
    for batch in _batches(project_ids):
        for row in queryset.filter(project_id__in=batch):
            by_project[row.project_id].append(row)
    return by_project


class Known:
    """The records, projects, plans and nodes a package names; and which package project claimed which project."""

    def __init__(self, objects: list[dict], prefix: str):
        self.prefix = prefix
        records = ProjectRecord._base_manager.select_related(*(f"project__{name}" for name in RELATED))
        self.records = _by(records, "ocid", {obj["id"] for obj in objects})
        projects = Project._base_manager.select_related(*RELATED, "oc4ids_record")
        codes = {found[0] for obj in objects if (found := national_code(obj, prefix))}
        self.by_code = _by(projects, "national_code", codes)
        pks = {pk for obj in objects if (pk := own_pk(obj["id"], prefix)) is not None}
        self.by_pk = _by(projects.filter(national_code=""), "pk", pks)
        matched = {r.project_id for r in self.records.values()} | set(self.by_pk)
        matched |= {project.pk for project in self.by_code.values()}
        self.plans = _children(AnnualPlan._base_manager.order_by("year"), matched)
        self.nodes = _children(Milestone._base_manager.order_by("sort_order", "pk"), matched)
        self.claimed: dict[int, int] = {}  # project pk -> index of the package project that matched it

    def project(self, obj: dict) -> tuple[Project | None, ProjectRecord | None]:
        """The ledger project ``obj`` names, and its import record."""
        record = self.records.get(obj["id"])
        if record:
            return record.project, record
        found = national_code(obj, self.prefix)
        project = self.by_code.get(found[0]) if found else None
        if project is None:
            pk = own_pk(obj["id"], self.prefix)
            project = self.by_pk.get(pk) if pk is not None else None
        return project, getattr(project, "oc4ids_record", None) if project else None

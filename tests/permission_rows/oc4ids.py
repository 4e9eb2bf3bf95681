"""Permission rows for the oc4ids app (see tests/permission_rows/__init__.py).

Export: every government role downloads its own region's package (200); enterprises 403; another
region's code is 404 for everyone. Import: coordinators and admins (403 for the rest); an import
into another region is 404. The "oc4ids import" object is a checked package of one new project
in 交城县, so confirming it creates that project.
"""

from django_scopes import scopes_disabled

from oc4ids import importer
from oc4ids.models import PackageImport, ProjectRecord
from projects.models import Project

from . import Row

OWN = {"code": "141122"}
OTHER = {"code": "140105"}
ENTERPRISE_403 = {"enterprise": 403}
NAME = "OC4IDS 权限测试项目"

ROWS = [
    Row("oc4ids:export", "GET", 302, 200, 200, overrides=ENTERPRISE_403),
    Row("oc4ids:export", "POST", 302, 405, 405),
    Row("oc4ids:download", "GET", 302, 200, 200, kwargs=OWN, overrides=ENTERPRISE_403),
    Row("oc4ids:download", "GET", 302, 404, 404, kwargs=OTHER),
    Row("oc4ids:download", "POST", 302, 405, 405, kwargs=OWN),
    Row("oc4ids:import", "GET", 302, 200, 403),
    Row("oc4ids:import", "POST", 302, 400, 403),  # no file: the form again with its error
    Row("oc4ids:import", "PUT", 302, 405, 405),
    Row("oc4ids:review", "GET", 302, 200, 403, obj="oc4ids import"),
    Row("oc4ids:review", "GET", 302, 404, 404, obj="other oc4ids import"),
    Row("oc4ids:review", "POST", 302, 405, 405, obj="oc4ids import"),
    Row("oc4ids:apply", "POST", 302, 302, 403, obj="oc4ids import"),
    Row("oc4ids:apply", "POST", 302, 404, 404, obj="other oc4ids import"),
    Row("oc4ids:apply", "GET", 302, 405, 405, obj="oc4ids import"),
    Row("oc4ids:discard", "POST", 302, 302, 403, obj="oc4ids import"),
    Row("oc4ids:discard", "POST", 302, 404, 404, obj="other oc4ids import"),
    Row("oc4ids:discard", "GET", 302, 405, 405, obj="oc4ids import"),
]


def _package(name: str) -> dict:
    return {
        "uri": "https://example.com/oc4ids/permissions.json",
        "publishedDate": "2025-01-01T00:00:00Z",
        "version": "0.9",
        "publisher": {"name": "测试"},
        "projects": [
            {"id": f"oc4ids-test-{name}", "title": name, "budget": {"amount": {"amount": 1e7, "currency": "CNY"}}}
        ],
    }


def _import(cast, region) -> PackageImport:
    key = f"oc4ids_import_{region.code}"
    if not hasattr(cast, key):
        package = _package(f"{NAME}{region.code}")
        outcomes = importer.check(package, region, None)
        with scopes_disabled():
            upload = PackageImport.objects.create(
                region=region, file_name="权限.json", package=package, outcomes=[o.as_dict() for o in outcomes]
            )
        setattr(cast, key, upload)
    return getattr(cast, key)


OBJECTS = {
    "oc4ids import": lambda cast: _import(cast, cast.region).pk,
    "other oc4ids import": lambda cast: _import(cast, cast.regions.xiaodian).pk,
}


def _status(cast) -> str:
    with scopes_disabled():
        return PackageImport.objects.get(pk=cast.oc4ids_import_141122.pk).status


def _applied(cast) -> bool:
    with scopes_disabled():
        return _status(cast) == "applied" and Project.objects.filter(name=f"{NAME}141122", region=cast.region).exists()


WRITES = {
    ("oc4ids:apply", "POST"): _applied,
    ("oc4ids:discard", "POST"): lambda cast: _status(cast) == "discarded",
}


def snapshot() -> tuple:
    with scopes_disabled():
        return (
            sorted(PackageImport.objects.values_list("pk", "status", "applied_at")),
            sorted(ProjectRecord.objects.values_list("pk", "ocid", "imported_at")),
        )

"""Permission rows for the imports app (see tests/permission_rows/__init__.py).

台账导入 is the key-project office's: coordinators and admins of the import's region (or above) get in,
every other role is 403, and another region's import or template is 404 for everyone.
"""

from types import SimpleNamespace

from django_scopes import scopes_disabled

from imports.models import ImportItem, ImportTemplate, LedgerImport

from . import Row

COLUMNS = [
    {"index": 0, "letter": "A", "header": "项目名称", "field": "name", "unit": "万元", "year": None, "sample": []}
]

ROWS = [
    Row("imports:index", "GET", 302, 200, 403),
    Row("imports:index", "POST", 302, 400, 403),  # no file: the form again with its error
    Row("imports:index", "PUT", 302, 405, 405),
    Row("imports:detail", "GET", 302, 200, 403, obj="ledger import"),
    Row("imports:detail", "GET", 302, 404, 404, obj="other ledger import"),
    Row("imports:detail", "POST", 302, 405, 405, obj="ledger import"),
    Row("imports:mapping", "GET", 302, 200, 403, obj="ledger import"),
    Row("imports:mapping", "POST", 302, 400, 403, obj="ledger import"),  # empty form: errors, nothing checked
    Row("imports:mapping", "GET", 302, 404, 404, obj="other ledger import"),
    Row("imports:mapping", "POST", 302, 404, 404, obj="other ledger import"),
    Row("imports:mapping", "PUT", 302, 405, 405, obj="ledger import"),
    Row("imports:progress", "GET", 302, 200, 403, obj="ledger import"),
    Row("imports:progress", "GET", 302, 404, 404, obj="other ledger import"),
    Row("imports:progress", "POST", 302, 405, 405, obj="ledger import"),
    Row("imports:apply", "POST", 302, 302, 403, obj="ledger import"),  # not checked yet: refused, nothing saved
    Row("imports:apply", "POST", 302, 404, 404, obj="other ledger import"),
    Row("imports:apply", "GET", 302, 405, 405, obj="ledger import"),
    Row("imports:undo", "POST", 302, 302, 403, obj="ledger import"),  # not applied: refused, nothing undone
    Row("imports:undo", "POST", 302, 404, 404, obj="other ledger import"),
    Row("imports:undo", "GET", 302, 405, 405, obj="ledger import"),
    Row("imports:template_delete", "POST", 302, 302, 403, obj="import template"),
    Row("imports:template_delete", "POST", 302, 404, 404, obj="other import template"),
    Row("imports:template_delete", "GET", 302, 405, 405, obj="import template"),
]


def _imports(cast) -> SimpleNamespace:
    if not hasattr(cast, "ledger_imports"):
        with scopes_disabled():
            cast.ledger_imports = SimpleNamespace(
                own=_import(cast.region, cast.users.coordinator),
                other=_import(cast.regions.xiaodian, cast.users.outsider),
                template=ImportTemplate.objects.create(region=cast.region, name="交城县月度台账", columns=[]),
                other_template=ImportTemplate.objects.create(
                    region=cast.regions.xiaodian, name="小店区台账", columns=[]
                ),
            )
    return cast.ledger_imports


def _import(region, by) -> LedgerImport:
    return LedgerImport.objects.create(
        region=region, by=by, file_name="台账.xlsx", file_kind="xlsx", sheet_name="Sheet1", columns=COLUMNS
    )


OBJECTS = {
    "ledger import": lambda cast: _imports(cast).own.pk,
    "other ledger import": lambda cast: _imports(cast).other.pk,
    "import template": lambda cast: _imports(cast).template.pk,
    "other import template": lambda cast: _imports(cast).other_template.pk,
}

WRITES = {
    ("imports:template_delete", "POST"): lambda cast: not ImportTemplate.objects.filter(name="交城县月度台账").exists(),
}


def snapshot() -> tuple:
    with scopes_disabled():
        return (
            sorted(LedgerImport.objects.values_list("pk", "status", "columns", "error_count")),
            sorted(ImportTemplate.objects.values_list("pk", "name")),
            ImportItem.objects.count(),
        )

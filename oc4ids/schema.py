"""The OC4IDS 0.9.5 schema and codelists, read from data/oc4ids-0.9.5 and used offline.

``package_issues`` validates a project package with jsonschema against the official
project-package-schema.json, whose ``projects`` items ``$ref`` project-schema.json by its ``id``
URL: both files sit in one ``referencing.Registry`` built from the local folder, and the
registry has no way to retrieve anything else, so no URL is ever fetched (an unknown ``$ref``
is an error, not a download).

The schema lists codelists as ``codelist``/``openCodelist`` beside the fields. Closed
codelists also carry an ``enum``; open ones do not, so ``codelist_issues`` checks every
value against its CSV: a value outside a closed codelist is an error, one outside an open
codelist a note (the standard allows extending open codelists).

Each issue names a JSON path (``$.projects[0].budget.amount.currency``) and says in Chinese
what is wrong.
"""

import copy
import csv
import datetime
import json
import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT4

DATA_DIR = Path(settings.BASE_DIR) / "data" / "oc4ids-0.9.5"
PACKAGE_SCHEMA = "project-package-schema.json"
PROJECT_SCHEMA = "project-schema.json"
# A package lists at most this many issues; the rest are counted.
MAX_ISSUES = 200

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")


@dataclass(frozen=True)
class Issue:
    path: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


@cache
def load_schema(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@cache
def registry() -> Registry:
    schemas = [load_schema(PACKAGE_SCHEMA), load_schema(PROJECT_SCHEMA)]
    return Registry().with_resources([(schema["id"], DRAFT4.create_resource(schema)) for schema in schemas])


# ---- formats: jsonschema checks "date-time" and "uri" only with optional packages, so they are ours ----

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time")
def is_datetime(value) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword answers for other types
    if not RFC3339.match(value):
        return False
    try:
        datetime.datetime.fromisoformat(value.upper())
    except ValueError:
        return False
    return True


@FORMATS.checks("uri")
def is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(URI_SCHEME.match(parts.scheme)) and bool(parts.netloc or parts.path)


@cache
def package_validator() -> Draft4Validator:
    # jsonschema checks "uniqueItems" of the projects by comparing every pair of project objects: minutes for a
    # province's thousands. ``_duplicate_projects`` checks the same rule in one pass; the rest is the official schema.
    schema = copy.deepcopy(load_schema(PACKAGE_SCHEMA))
    del schema["properties"]["projects"]["uniqueItems"]
    return Draft4Validator(schema, registry=registry(), format_checker=FORMATS)


def package_issues(package) -> list[Issue]:
    """Schema errors of a package, in document order, at most ``MAX_ISSUES`` (then one line counting the rest)."""
    errors = sorted(package_validator().iter_errors(package), key=lambda e: [str(p) for p in e.absolute_path])
    issues = _duplicate_projects(package) + [Issue(error.json_path, _message(error)) for error in errors[:MAX_ISSUES]]
    if len(errors) > MAX_ISSUES:
        issues.append(Issue("$", _("另有 %(n)s 处错误未列出。") % {"n": len(errors) - MAX_ISSUES}))
    return issues


def _duplicate_projects(package) -> list[Issue]:
    """The package schema's ``uniqueItems`` on ``projects``, on each project's canonical JSON."""
    projects = package.get("projects") if isinstance(package, dict) else None
    if not isinstance(projects, list):
        return []
    distinct = {json.dumps(project, sort_keys=True, ensure_ascii=False) for project in projects}
    return [Issue("$.projects", _("数组中有重复项。"))] if len(distinct) < len(projects) else []


TYPE_NAMES = {
    "string": gettext_lazy("字符串"),
    "number": gettext_lazy("数字"),
    "integer": gettext_lazy("整数"),
    "array": gettext_lazy("数组"),
    "object": gettext_lazy("对象"),
    "boolean": gettext_lazy("布尔值"),
    "null": "null",
}


def _message(error) -> str:
    """A Chinese sentence for a jsonschema error; the English one for the rare keywords not listed."""
    value = error.validator_value
    if error.validator == "required":
        match = re.match(r"^'(.+)' is a required property$", error.message)
        return _("缺少必填字段“%(name)s”。") % {"name": match.group(1) if match else value}
    if error.validator == "type":
        types = value if isinstance(value, list) else [value]
        return _("类型错误：应为%(types)s。") % {"types": _("或").join(str(TYPE_NAMES.get(t, t)) for t in types)}
    if error.validator == "enum":
        return _("取值“%(value)s”不在允许的代码中。") % {"value": _short(error.instance)}
    if error.validator == "format":
        return str(_FORMAT_MESSAGES.get(value, _("格式错误。")))
    if error.validator == "pattern":
        message = _("取值“%(value)s”格式不符（须匹配 %(pattern)s）。")
        return message % {"value": _short(error.instance), "pattern": value}
    if error.validator == "minLength":
        return _("不能为空字符串。")
    if error.validator == "minItems":
        return _("至少须有 %(n)s 项。") % {"n": value}
    if error.validator == "minProperties":
        return _("不能为空对象。")
    if error.validator == "uniqueItems":
        return _("数组中有重复项。")
    return error.message


_FORMAT_MESSAGES = {
    "date-time": gettext_lazy("日期时间格式错误：应为 RFC 3339 格式，如 2024-05-01T00:00:00Z。"),
    "uri": gettext_lazy("须为完整的 URI 地址，如 https://example.com/。"),
}


def _short(value, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- codelists ----


@cache
def codelist(name: str) -> frozenset[str]:
    """The codes of one codelist CSV (its ``Code`` column)."""
    with (DATA_DIR / "codelists" / name).open(encoding="utf-8", newline="") as handle:
        return frozenset(row["Code"] for row in csv.DictReader(handle))


@dataclass(frozen=True)
class CodelistIssues:
    errors: list[Issue]  # values outside a closed codelist
    notes: list[Issue]  # values outside an open codelist (allowed, but worth a look)


def codelist_issues(package) -> CodelistIssues:
    """Every codelist-bearing value of every project checked against its CSV."""
    errors, notes = [], []
    project_schema = load_schema(PROJECT_SCHEMA)
    projects = package.get("projects") if isinstance(package, dict) else None
    for index, project in enumerate(projects if isinstance(projects, list) else []):
        for path, value, node in _coded_values(project_schema, project_schema, project, f"$.projects[{index}]"):
            if value in codelist(node["codelist"]):
                continue
            if node.get("openCodelist"):
                message = _("“%(value)s”不在开放代码表 %(list)s 中（允许扩展，请确认）。")
                notes.append(Issue(path, message % {"value": value, "list": node["codelist"]}))
            else:
                message = _("“%(value)s”不在封闭代码表 %(list)s 中。")
                errors.append(Issue(path, message % {"value": value, "list": node["codelist"]}))
    return CodelistIssues(errors, notes)


def _coded_values(node: dict, root: dict, value, path: str):
    """(path, value, schema node) for each string the schema ties to a codelist, walking schema and data together."""
    node = _resolve(node, root)
    if "codelist" in node:
        if isinstance(value, str):
            yield path, value, node
        elif isinstance(value, list):
            yield from ((f"{path}[{i}]", v, node) for i, v in enumerate(value) if isinstance(v, str))
        return
    if isinstance(value, dict):
        properties = node.get("properties", {})
        for key, child in value.items():
            if key in properties:
                yield from _coded_values(properties[key], root, child, f"{path}.{key}")
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for index, item in enumerate(value):
            yield from _coded_values(node["items"], root, item, f"{path}[{index}]")


def _resolve(node: dict, root: dict) -> dict:
    # The project schema's references are all local ("#/definitions/Name").
    while "$ref" in node and node["$ref"].startswith("#/definitions/"):
        node = root["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def closed_codelist_fields() -> dict[str, set]:
    """Codelist CSV name -> the enum the schema gives for it, for every closed codelist (the data check's input)."""
    found: dict[str, set] = {}

    def walk(node):
        if isinstance(node, dict):
            if "codelist" in node and not node.get("openCodelist"):
                enum = node.get("enum") or node.get("items", {}).get("enum") or []
                found.setdefault(node["codelist"], set()).update(v for v in enum if v is not None)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(load_schema(PROJECT_SCHEMA))
    return found

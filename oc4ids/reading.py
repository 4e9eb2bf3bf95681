"""Reading an uploaded OC4IDS package: hostile or broken files refused with a clear message, nothing stored.

``read_package`` refuses a file that is too large, not UTF-8 JSON (NaN, Infinity or numbers beyond a float
included), nested too deeply, not a valid 0.9.5 package (every schema error listed with its JSON path), with a
value outside a closed codelist, with more projects than an upload takes, or with two projects sharing an id.
"""

import json
import math

from django.utils.translation import gettext as _

from .schema import Issue, codelist_issues, package_issues

MAX_BYTES = 10 * 1024 * 1024
# An upload is checked (and later applied) inside its request and one write transaction, project by project with
# the ledger's validation: creating 500 projects costs about 4 s of CPU (benchmarks/oc4ids_export.py: 2,000 in
# 16 s), unchanged ones a tenth of that. Larger packages go through the oc4ids_import command.
MAX_PROJECTS = 500
# OC4IDS objects nest about ten levels; far deeper is a hostile file (and would exhaust the recursion limit).
MAX_DEPTH = 40


class PackageRefused(Exception):
    """The file as a whole cannot be imported; ``issues`` name the JSON paths."""

    def __init__(self, message: str, issues: list[Issue] | None = None):
        super().__init__(message)
        self.message = message
        self.issues = issues or []


def read_package(data: bytes, max_projects: int | None = None) -> dict:
    """The package in ``data``, or ``PackageRefused`` saying why not."""
    if len(data) > MAX_BYTES:
        raise PackageRefused(_("文件超过 %(mb)s MB，请拆分后分批导入。") % {"mb": MAX_BYTES // (1024 * 1024)})
    package = _parse(data)
    if _depth(package) > MAX_DEPTH:
        raise PackageRefused(_("JSON 嵌套层级过深（超过 %(n)s 层），不是 OC4IDS 项目包。") % {"n": MAX_DEPTH})
    issues = package_issues(package)
    if issues:
        raise PackageRefused(_("项目包不符合 OC4IDS 0.9.5 模式，请按下列位置修改后重新上传。"), issues)
    closed = codelist_issues(package).errors
    if closed:
        raise PackageRefused(_("项目包中有不在封闭代码表中的取值。"), closed)
    limit = max_projects or MAX_PROJECTS
    if len(package["projects"]) > limit:
        message = _("一次最多导入 %(n)s 个项目；请拆分后分批导入，或由管理员用 oc4ids_import 命令导入。")
        raise PackageRefused(message % {"n": limit})
    duplicates = _duplicate_ids(package["projects"])
    if duplicates:
        raise PackageRefused(_("项目包内的项目编号（id）必须唯一。"), duplicates)
    return package


def _parse(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PackageRefused(_("文件不是 UTF-8 编码的 JSON 文本。")) from None
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        message = _("文件不是有效的 JSON：第 %(line)s 行第 %(column)s 列（%(reason)s）。")
        raise PackageRefused(message % {"line": exc.lineno, "column": exc.colno, "reason": exc.msg}) from None
    except ValueError as exc:
        raise PackageRefused(str(exc)) from None
    except RecursionError:
        raise PackageRefused(_("JSON 嵌套层级过深，不是 OC4IDS 项目包。")) from None


def _no_constant(name: str):
    raise ValueError(_("文件含有 JSON 不允许的数值 %(name)s。") % {"name": name})


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(_("文件含有超出范围的数值 %(text)s。") % {"text": text[:40]})
    return number


def _depth(value) -> int:
    """How deeply ``value`` nests, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _duplicate_ids(projects: list[dict]) -> list[Issue]:
    seen, issues = set(), []
    for index, project in enumerate(projects):
        if project["id"] in seen:
            issues.append(Issue(f"$.projects[{index}].id", _("项目编号“%(id)s”重复。") % {"id": project["id"]}))
        seen.add(project["id"])
    return issues

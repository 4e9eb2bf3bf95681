"""Demo ledger imports (台账导入), called by ``manage.py demo`` after the ledger and reports.

The county office (county_coordinator, 交城县) imported its monthly ledger through the real pipeline: an
.xlsx with a title row, a unit note and a two-row merged header, read, mapped (saved as the template
"交城县重点项目月度台账"), checked and saved — new total investments and this year's plans of a few of its
projects (no new projects: ``demo --projects N`` makes exactly N), so the history has an applied import that
can still be undone. A second upload, with a new project typed badly, waits with its dry-run errors. The
city has a template of its own for the quarterly table it collects.
"""

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from org.models import Role, User
from projects.models import Project, Stage

from .apply import apply_import, run_check
from .columns import template_key
from .forms import UploadForm
from .models import ImportTemplate

COUNTY = "141122"
CITY = "141100"
UPDATED = 5
HEAD_1 = [
    "序号", "项目名称", "项目代码", "建设单位", "项目类别", "项目阶段", "总投资（亿元）", "资金来源（万元）", None,
    "{year}年计划投资（万元）", "计划开工", "责任单位",
]  # fmt: skip
HEAD_2 = [None] * 7 + ["政府投资", "企业自筹", None, None, None]
MERGES = ["A1:L1"] + [f"{c}3:{c}4" for c in "ABCDEFGJKL"] + ["H3:I3"]
CITY_TEMPLATE = [
    ("名称", "name"), ("所在地", "region"), ("项目类型", "nature"), ("总投资(亿元)", "total_investment"),
    ("负责单位", "department"), ("计划开工时间", "planned_start_on"), ("备注", ""),
]  # fmt: skip


def build(world, accounts: list[User], rng: random.Random) -> str:
    coordinator = next((u for u in accounts if u.region.code == COUNTY and u.role == Role.COORDINATOR), None)
    city = next((u for u in accounts if u.region.code == CITY and u.role == Role.COORDINATOR), None)
    if coordinator is None:
        return "Ledger imports: no county coordinator, none made."
    if city is not None:
        _city_template(city)
    existing = list(
        Project.objects.filter(
            region__code=COUNTY, archived_at__isnull=True, stage__in=[Stage.PREPARING, Stage.CONSTRUCTION]
        )
        .exclude(national_code="")
        .select_related("department")
        .order_by("pk")[:UPDATED]
    )
    if not existing:
        return "Ledger imports: no 交城县 project to update, only the templates made."
    rows = [_existing_row(rng, number, project) for number, project in enumerate(existing, 1)]
    applied = _import(coordinator, _ledger(world, rows, "本月"), "交城县重点项目月度台账.xlsx")
    bad = [*rows[:2], [len(rows) + 1, "交城县智慧停车场项目", "", "交城县城市管理局", "城建", "在建", "约0.6"]]
    waiting = _import(coordinator, _ledger(world, bad, "次月"), "交城县重点项目月度台账（次月）.xlsx", apply=False)
    return (
        f"Ledger imports: one applied by county_coordinator ({applied.update_count} projects updated, undoable), "
        f"one checked with {waiting.error_count} error row(s); 2 mapping templates."
    )


def _existing_row(rng: random.Random, number: int, project: Project) -> list:
    total = project.total_investment * (100 + rng.randint(5, 20)) / 100
    return [
        number, project.name, project.national_code, project.owner_name, project.get_category_display(),
        project.get_stage_display(), float(round(total / 10000, 4)), None, None,
        float(round(total * rng.randint(20, 40) / 100)), None,
        project.department.name if project.department_id else None,
    ]  # fmt: skip


def _ledger(world, rows: list[list], month: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "重点项目"
    year = world.today.year
    sheet.append([f"交城县{year}年重点工程项目建设台账（{month}）"])
    sheet.append(["填报单位：交城县发展和改革局"] + [None] * 10 + ["单位：见各列"])
    sheet.append([cell.format(year=year) if isinstance(cell, str) else cell for cell in HEAD_1])
    sheet.append(HEAD_2)
    for row in rows:
        sheet.append(row)
    sheet.append(["合计"] + [None] * 5 + [round(sum(r[6] for r in rows if isinstance(r[6], float)), 4)])
    for cells in MERGES:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _import(user: User, data: bytes, name: str, apply: bool = True):
    form = UploadForm({}, {"file": SimpleUploadedFile(name, data)}, user=user)
    if not form.is_valid():
        raise ValueError(form.errors.as_text())
    ledger_import = form.save()
    _save_template(ledger_import, user)
    run_check(ledger_import, user)
    if apply:
        apply_import(ledger_import, user)
        ledger_import.refresh_from_db()
    return ledger_import


def _save_template(ledger_import, user: User) -> None:
    columns = [
        {"header": template_key(c["header"]), "field": c["field"], "unit": c["unit"]} for c in ledger_import.columns
    ]
    template, _created = ImportTemplate.objects.update_or_create(
        region=user.region, name="交城县重点项目月度台账", defaults={"columns": columns, "by": user}
    )
    ledger_import.template = template
    ledger_import.save(update_fields=["template"])


def _city_template(user: User) -> None:
    columns = [{"header": template_key(header), "field": field, "unit": "亿元"} for header, field in CITY_TEMPLATE]
    ImportTemplate.objects.update_or_create(
        region=user.region,
        name="吕梁市重点项目季度调度表",
        defaults={"columns": columns, "by": user, "default_category": "industry"},
    )

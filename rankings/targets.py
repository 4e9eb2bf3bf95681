"""The gap to target at every level (梳理投资目标差距), and saving a region's split of its targets (目标分解).

A ``GapRow`` sets a subject's targets beside what was done: the key-project investment completed this year
(approved monthly reports, as the year-to-date figures of reports.models), the sum of its projects' annual
plans, and the FAI the statistics office reported (``FaiActual``, year-to-date). Gaps are target − done in
万元 and rates done ÷ target in percent; both are None where no target is set.

``gap_table`` (a row per direct subregion) and ``gap_by_department`` cost four queries each, the subregions'
two more (them, and the map of the subtree): the sums are grouped by the project's region or department and
folded into the rows as the rankings do (rankings.indicators).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q, Sum

from org.models import Region
from projects.models import AnnualPlan
from reports.models import MonthlyReport, ReportStatus

from .indicators import Subjects, subjects_of
from .models import HUNDRED, DepartmentTarget, Dimension, FaiActual, RegionTarget

CENT = Decimal("0.01")
ZERO = Decimal("0")


def _rate(done, target) -> Decimal | None:
    if not target:
        return None
    return (Decimal(done) * HUNDRED / Decimal(target)).quantize(CENT, ROUND_HALF_UP)


def _gap(target, done) -> Decimal | None:
    return None if target is None else Decimal(target) - Decimal(done or 0)


@dataclass(frozen=True)
class GapRow:
    subject_name: str
    region_id: int | None
    department_id: int | None
    fai_target: Decimal | None
    fai_actual: Decimal | None  # year-to-date, as of ``fai_month``
    fai_month: int | None
    plan_target: Decimal | None  # the key-project investment plan assigned
    completed: Decimal  # key projects, approved monthly figures of the year
    annual_plan: Decimal  # the sum of the projects' own annual plans
    subject_code: str = ""  # a region's code (links to its own table); empty for departments

    @property
    def gap(self) -> Decimal | None:
        """Key-project investment still to do to reach the assigned plan, 万元 (negative: exceeded)."""
        return _gap(self.plan_target, self.completed)

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.completed, self.plan_target)

    @property
    def fai_gap(self) -> Decimal | None:
        return None if self.fai_actual is None else _gap(self.fai_target, self.fai_actual)

    @property
    def fai_rate(self) -> Decimal | None:
        return None if self.fai_actual is None else _rate(self.fai_actual, self.fai_target)

    @property
    def plan_shortfall(self) -> Decimal | None:
        """How far the projects' annual plans fall short of the assigned plan (项目计划缺口); ≤ 0: covered."""
        return _gap(self.plan_target, self.annual_plan)


# ---- the tables ----


def gap_table(region: Region, year: int, month: int | None = None) -> list[GapRow]:
    """One row per direct subregion of ``region`` (development zones excluded), in code order."""
    subjects = subjects_of(region, Dimension.REGION)
    targets = _targets(RegionTarget._base_manager.filter(region__in=subjects.pks, year=year), "region_id")
    fai = _fai_actuals(subjects.pks, year, month)
    done, plans = _project_sums(subjects, year, month)
    return [
        _row(child, child.pk, None, targets.get(child.pk), fai.get(child.pk), done, plans) for child in subjects.items
    ]


def gap_by_department(region: Region, year: int, month: int | None = None) -> list[GapRow]:
    """One row per department of ``region`` (the FAI is counted by region only: no FAI actual here)."""
    subjects = subjects_of(region, Dimension.DEPARTMENT)
    rows = DepartmentTarget._base_manager.filter(department__in=subjects.pks, year=year)
    targets = _targets(rows, "department_id")
    done, plans = _project_sums(subjects, year, month)
    return [_row(d, None, d.pk, targets.get(d.pk), None, done, plans) for d in subjects.items]


def region_gap(region: Region, year: int, month: int | None = None) -> GapRow:
    """The region itself: its own targets against everything done in its subtree (本级 included)."""
    target = RegionTarget._base_manager.filter(region=region, year=year).first()
    fai = _fai_actuals([region.pk], year, month).get(region.pk)
    subtree = Q(project__region__path__startswith=region.path, project__archived_at__isnull=True)
    completed = _money(_approved(year, month).filter(subtree).aggregate(s=Sum("completed", default=ZERO))["s"])
    plan = _money(AnnualPlan._base_manager.filter(subtree, year=year).aggregate(s=Sum("amount", default=ZERO))["s"])
    fai_target, plan_target = (target.fai_target, target.plan_target) if target else (None, None)
    fai_month, fai_amount = fai if fai else (None, None)
    return GapRow(
        region.name, region.pk, None, fai_target, fai_amount, fai_month, plan_target, completed, plan, region.code
    )


def _row(subject, region_id, department_id, target, fai, done: dict, plans: dict) -> GapRow:
    pk = region_id or department_id
    fai_target, plan_target = target if target else (None, None)
    fai_month, fai_amount = fai if fai else (None, None)
    return GapRow(
        subject.name, region_id, department_id, fai_target, fai_amount, fai_month, plan_target,
        done.get(pk, ZERO), plans.get(pk, ZERO), getattr(subject, "code", ""),
    )  # fmt: skip


def _targets(rows, column: str) -> dict[int, tuple]:
    return {
        row[column]: (row["fai_target"], row["plan_target"]) for row in rows.values(column, "fai_target", "plan_target")
    }


def _fai_actuals(region_ids: list[int], year: int, month: int | None) -> dict[int, tuple[int, Decimal]]:
    """region pk -> (month, year-to-date amount) of the latest month reported (up to ``month``)."""
    rows = FaiActual._base_manager.filter(region_id__in=region_ids, year=year)
    if month is not None:
        rows = rows.filter(month__lte=month)
    latest = {}
    for region_id, row_month, amount in rows.order_by("month").values_list("region_id", "month", "amount"):
        latest[region_id] = (row_month, amount)
    return latest


def _approved(year: int, month: int | None):
    reports = MonthlyReport._base_manager.filter(status=ReportStatus.APPROVED, year=year)
    return reports.filter(month__lte=month) if month is not None else reports


def _project_sums(subjects: Subjects, year: int, month: int | None) -> tuple[dict, dict]:
    """(completed, annual plans) by subject pk: two grouped queries folded into the subjects."""
    key = subjects.project_key("project__")
    current = subjects.project_filter("project__") & Q(project__archived_at__isnull=True)
    done_rows = _approved(year, month).filter(current).order_by().values(key).annotate(s=Sum("completed"))
    plan_rows = AnnualPlan._base_manager.filter(current, year=year).order_by().values(key).annotate(s=Sum("amount"))
    return _fold(subjects, done_rows, key), _fold(subjects, plan_rows, key)


def _fold(subjects: Subjects, rows, key: str) -> dict[int, Decimal]:
    sums = defaultdict(lambda: ZERO)
    for row in rows:
        subject = subjects.fold.get(row[key])
        if subject is not None:
            sums[subject] += row["s"] or ZERO
    return {pk: _money(value) for pk, value in sums.items()}


def _money(value) -> Decimal:
    """Two decimals whatever the database summed as (SQLite hands whole 万元 back as integers)."""
    return Decimal(value).quantize(CENT)


# ---- the split (目标分解) ----


@dataclass(frozen=True)
class Split:
    """What a split page holds: the region's own total (None: assigned from above, not edited here) and the
    rows of its subregions and departments, each (fai_target, plan_target)."""

    total: tuple | None
    regions: dict[int, tuple]
    departments: dict[int, tuple]


def may_set_total(region: Region) -> bool:
    """Targets are assigned from above: only the top region of the installation enters its own."""
    return region.parent_id is None


@transaction.atomic
def save_split(region: Region, year: int, split: Split, by) -> int:
    """Write the changed rows (a row with both figures blank is removed); returns how many changed."""
    changed = 0
    if split.total is not None:
        changed += _save(RegionTarget, {"region_id": region.pk}, year, split.total, by)
    for pk, values in split.regions.items():
        changed += _save(RegionTarget, {"region_id": pk}, year, values, by)
    for pk, values in split.departments.items():
        changed += _save(DepartmentTarget, {"department_id": pk}, year, values, by)
    return changed


def _save(model, subject: dict, year: int, values: tuple, by) -> int:
    fai, plan = values
    row = model._base_manager.filter(year=year, **subject).first()
    if fai is None and plan is None:
        if row is None:
            return 0
        row._history_user = by
        row.delete()
        return 1
    if row is not None and (row.fai_target, row.plan_target) == (fai, plan):
        return 0
    row = row or model(year=year, **subject)
    row.fai_target, row.plan_target = fai, plan
    row._history_user = by
    # The form checked the figures; the database's constraints guard the rest (no scoped uniqueness query).
    row.full_clean(validate_unique=False, validate_constraints=False)
    row.save()
    return 1

"""OC4IDS import: a project package into the ledger, checked in a dry run, saved only when confirmed.

The recipe: ``reading.read_package`` refuses a file that is not a valid 0.9.5 package, every
schema error listed with its JSON path, nothing stored. Then each project goes through
``ProjectImport``: find the ledger project it is (import record
id, national project code, or our own id), set the ledger fields from the package, validate with
the ledger's own rules (``Project.full_clean``), save, and keep the object as received in a
``ProjectRecord``. ``check`` (the dry run) does all of it inside one transaction and rolls it
back, so its summary is exactly what ``apply`` will do; ``apply`` does it in one transaction
that is rolled back as a whole if any project has an error. Nothing is ever half saved.

Defaults and choices, for projects that come from elsewhere:
- Region: the region chosen for the import (a development zone: its county, with the zone set).
  A project found by its identifiers must lie in that region's subtree (the zone's projects for
  a zone); one registered elsewhere is an error.
- 项目名称: ``title`` (cut to 128 characters), else the project id.
- 项目类别: from ``sector`` (``mapping.CATEGORY_OF_SECTOR``); without a known sector 基础设施.
  建设性质: from ``type``; 项目级别: from the kind of region imported into.
- 阶段: from ``status`` (``mapping.STAGE_OF_STATUS``); a project whose stage already gives that
  status keeps it. Actual dates come from the stage milestones (``stage-…`` ids or the codes
  commencement/completion/commissioning) or else from the phase periods; only days up to today
  and only steps up to the stage reached are written. A stage that needs a date the package
  lacks is an error on that project.
- 总投资: ``budget.amount`` in yuan ÷ 10,000 when the currency is CNY. Another currency is
  not converted (no rates offline): a new project gets 0 万元 and a warning; the amount stays in
  the record and goes out again unchanged. Without a budget a new project gets 0 and a warning.
  Annual plans from a breakdown of calendar years in CNY; funding sources from our own
  ``fundingSources`` breakdown.
- 建设地点/经纬度: the first location (a GeoJSON Point is [longitude, latitude]); further
  locations only stay in the record.
- 项目单位: the party with the role buyer (else the one with a CN-USCC identifier); its
  CN-USCC identifier becomes the credit code. A stage from 签约 on needs both in the ledger: a
  package without them is imported with a warning asking to complete them, not refused.
- 责任单位: the department of the region's subtree named as ``publicAuthority``; none found is a
  warning. 形象进度节点: the other milestones, matched by earlier import, our own id or name.
- Approved plans (计划已批准) keep their planned dates: a package moving one is an error.
"""

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from org.models import Department, Region
from projects.models import (
    PLAN_FROZEN,
    PLANNED_DATE_FIELDS,
    STAGE_ORDER,
    STEP_DATES,
    AnnualPlan,
    Milestone,
    PlanBaseline,
    Project,
    Stage,
    StageChange,
    stage_index,
)

from . import export
from .mapping import (
    ANNUAL_PLANS_BREAKDOWN,
    CURRENCY,
    DEFAULT_CATEGORY,
    FUNDING,
    FUNDING_BREAKDOWN,
    LEVEL_OF_KIND,
    MAX_WAN,
    NATURE_OF_TYPE,
    STAGE_OF_STATUS,
    STEP_BY_CODE,
    STEP_BY_MILESTONE_ID,
    STEPS,
    TYPE_OF_NATURE,
    USCC_SCHEME,
    category_of,
    date_of,
    sector_of,
    status_of,
    wan_of,
)
from .matching import Known, national_code
from .models import ProjectRecord
from .schema import Issue, codelist_issues

NOTE = "OC4IDS 导入"
# Foreign keys the import sets only from lookups inside the target region (or leaves alone): not re-validated.
TRUSTED_FOREIGN_KEYS = ["region", "zone", "department", "leader", "plan_approved_by"]

# The ledger fields whose changes an update lists, in this order.
TRACKED_FIELDS = [
    "name",
    "description",
    "national_code",
    "owner_name",
    "credit_code",
    "contact_name",
    "contact_phone",
    "category",
    "nature",
    "department_id",
    "address",
    "longitude",
    "latitude",
    "total_investment",
    *(name for name, _label in FUNDING.values()),
    "stage",
    *(date for step in STEP_DATES.values() for date in step),
]


# Where a ledger field missing from a package belongs in it ("{}" is the project's path): an actual date in
# its step's phase period (or the stage milestones), the owner's facts in the parties.
MISSING_PATHS = {
    **{STEP_DATES[step.stage][0]: "{}." + (step.periods[0] if step.periods else "milestones") for step in STEPS},
    "owner_name": "{}.parties",
    "credit_code": "{}.parties",
}


class ImportRefused(Exception):
    """At least one project has an error: nothing was saved."""

    def __init__(self, outcomes: list["Outcome"]):
        super().__init__(_("有项目未通过校验"))
        self.outcomes = outcomes


# ---- the outcome of one project ----


@dataclass
class Outcome:
    index: int
    id: str
    title: str
    action: str = "create"  # create | update | unchanged | error
    project: int | None = None
    changes: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Target:
    """Where the import goes, and who imports."""

    region: Region  # new projects' region (never a zone)
    zone: Region | None
    user: object
    ctx: export.Context
    departments: dict[str, list[Department]]  # by name: one name may recur in several regions (城区住建局)
    today: datetime.date

    @classmethod
    def build(cls, chosen: Region, user) -> "Target":
        region = chosen.parent if chosen.is_zone else chosen
        departments = Department._base_manager.filter(region__path__startswith=region.path).select_related("region")
        by_name = {}
        for department in sorted(departments, key=lambda d: (d.region.path, d.pk)):
            by_name.setdefault(department.name, []).append(department)
        return cls(
            region=region,
            zone=chosen if chosen.is_zone else None,
            user=user,
            ctx=export.Context.for_region(region),
            departments=by_name,
            today=timezone.localdate(),
        )

    def department(self, name: str, place: Region) -> Department | None:
        """The department of that name nearest the project: of its region or the closest above, else any."""
        found = self.departments.get(name, [])
        above = [d for d in found if place.path.startswith(d.region.path)]
        return max(above, key=lambda d: len(d.region.path)) if above else next(iter(found), None)

    def contains(self, project: Project) -> bool:
        if not project.region.path.startswith(self.region.path):
            return False
        return self.zone is None or project.zone_id == self.zone.pk


# ---- the run ----


def check(package: dict, region: Region, user) -> list[Outcome]:
    """The dry run: the whole import done and rolled back; returns what ``apply`` would do."""
    with scopes_disabled(), transaction.atomic():
        outcomes = _import_all(package, Target.build(region, user))
        transaction.set_rollback(True)
    for outcome in outcomes:
        if outcome.action == "create":
            outcome.project = None  # its row was rolled back
    return outcomes


def apply(package: dict, region: Region, user) -> list[Outcome]:
    """The import for real, all or nothing: ``ImportRefused`` (nothing saved) if any project has an error."""
    with scopes_disabled(), transaction.atomic():
        outcomes = _import_all(package, Target.build(region, user))
        if any(outcome.errors for outcome in outcomes):
            raise ImportRefused(outcomes)
    return outcomes


def _import_all(package: dict, target: Target) -> list[Outcome]:
    notes = codelist_issues(package).notes
    known = Known(package["projects"], target.ctx.prefix)
    outcomes = []
    for index, obj in enumerate(package["projects"]):
        outcome = ProjectImport(index, obj, target, known).run()
        prefix = f"$.projects[{index}]"
        outcome.warnings += [note.as_dict() for note in notes if note.path.startswith(prefix + ".")]
        outcomes.append(outcome)
    return outcomes


class _Refused(Exception):
    """This project has errors: its savepoint is rolled back and the next project goes on."""


class ProjectImport:
    def __init__(self, index: int, obj: dict, target: Target, known: Known):
        self.obj, self.target, self.known, self.index = obj, target, known, index
        self.path = f"$.projects[{index}]"
        self.outcome = Outcome(index=index, id=obj["id"], title=obj.get("title") or obj["id"])
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.paths: dict[str, str] = {}  # ledger field -> the JSON path its value came from
        self.step_milestones: set[int] = set()  # milestones read as stage dates, not as 形象进度节点
        self.record: ProjectRecord | None = None
        self.plans: dict[int, AnnualPlan] = {}  # the project's annual plans by year, before the import
        self.nodes: list[Milestone] = []  # its 形象进度节点, before the import
        self.planned: dict[int, Decimal] = {}  # the annual plans the package gives

    def run(self) -> Outcome:
        try:
            with transaction.atomic():
                self._run()
        except _Refused:
            self.outcome.action, self.outcome.project, self.outcome.changes = "error", None, []
        self.outcome.errors = [issue.as_dict() for issue in self.errors]
        self.outcome.warnings = [issue.as_dict() for issue in self.warnings]
        return self.outcome

    def _error(self, path: str, message: str) -> None:
        self.errors.append(Issue(path, message))

    def _warn(self, path: str, message: str) -> None:
        self.warnings.append(Issue(path, message))

    def _refuse_if_errors(self) -> None:
        if self.errors:
            raise _Refused

    # ---- the steps ----

    def _run(self) -> None:
        project = self._existing()
        self._refuse_if_errors()
        is_new = project is None
        project = self._new_project() if is_new else project
        self.plans = {} if is_new else {plan.year: plan for plan in self.known.plans[project.pk]}
        self.nodes = [] if is_new else list(self.known.nodes[project.pk])
        before = None if is_new else _snapshot(project, self.plans.values(), self.nodes)
        original, old_stage = _values(project), project.stage
        self._map(project, is_new)
        if before and project.plan_is_approved:
            self._keep_approved_dates(project, before)
        # Saves only what changed: a package that says what the ledger says costs a few reads per project.
        changed = is_new or _values(project) != original
        if changed:
            self._validate(project, original)
            self._refuse_if_errors()
            project._history_user, project._change_reason = self.target.user, NOTE
            project.save()
            self._record_stage(project, old_stage, is_new)
        changed |= self._save_plans(project, self.planned)
        milestone_ids, moved = self._save_milestones(project)
        self._refuse_if_errors()
        if changed or moved or self.record is None or self.record.source != self.obj:
            after = self._save_record(project, milestone_ids)
        else:
            after = before
        self._summarise(project, before, after, is_new)

    def _map(self, project: Project, is_new: bool) -> None:
        """Every ledger field the package gives, set on the (unsaved) project."""
        self._identity(project, is_new)
        self._classification(project, is_new)
        self.planned = self._budget(project, is_new)
        self._place(project)
        self._parties(project)
        self._lifecycle(project, is_new)

    def _existing(self) -> Project | None:
        project, self.record = self.known.project(self.obj)
        if project is None:
            return None
        if not self.target.contains(project):
            message = _("该项目（编号或项目代码相同）已登记在所选区划以外，不能导入到这里。")
            self._error(f"{self.path}.id", message)
        elif project.archived_at is not None:
            message = _("对应的台账项目“%(name)s”已归档，不能通过导入修改。")
            self._error(f"{self.path}.id", message % {"name": project.name})
        elif project.pk in self.known.claimed:
            message = _("与第 %(n)s 个项目对应同一个台账项目（编号或项目代码相同）。")
            self._error(f"{self.path}.id", message % {"n": self.known.claimed[project.pk] + 1})
        self.known.claimed.setdefault(project.pk, self.index)
        return project

    def _new_project(self) -> Project:
        return Project(
            region=self.target.region,
            zone=self.target.zone,
            level=LEVEL_OF_KIND[self.target.region.kind],
            category=DEFAULT_CATEGORY,
            total_investment=Decimal("0"),
        )

    # ---- identity and classification ----

    def _identity(self, project: Project, is_new: bool) -> None:
        title = self.obj.get("title")
        if title:
            project.name = self._cut(title, 128, f"{self.path}.title")
            self.paths["name"] = f"{self.path}.title"
        elif is_new:
            project.name = self.obj["id"][:128]
            self._warn(f"{self.path}.title", _("缺少项目名称（title），暂以项目编号作为项目名称。"))
        if "description" in self.obj:
            project.description = self.obj["description"]
        found = national_code(self.obj, self.target.ctx.prefix)
        if found and found[0] != project.national_code:
            # Format and uniqueness (across all regions) are checked with the ledger's rules in _validate.
            project.national_code, self.paths["national_code"] = found[0], f"{self.path}.{found[1]}"

    def _classification(self, project: Project, is_new: bool) -> None:
        sectors = self.obj.get("sector") or []
        if sectors and sector_of(project.category, project.name) not in sectors:
            category = next((c for c in map(category_of, sectors) if c), None)
            if category:
                project.category = category
            else:
                message = _("行业“%(s)s”无法对应台账项目类别，未改动（新项目按基础设施登记）。")
                self._warn(f"{self.path}.sector", message % {"s": "、".join(sectors)})
        kind = self.obj.get("type")
        if kind and TYPE_OF_NATURE[project.nature] != kind:
            if kind in NATURE_OF_TYPE:
                project.nature = NATURE_OF_TYPE[kind]
            else:
                self._warn(f"{self.path}.type", _("项目类型“%(t)s”无法对应台账建设性质，未改动。") % {"t": kind})

    def _cut(self, text: str, limit: int, path: str) -> str:
        if len(text) > limit:
            self._warn(path, _("超过 %(n)s 个字符，已截断。") % {"n": limit})
        return text[:limit]

    # ---- money ----

    def _budget(self, project: Project, is_new: bool) -> dict[int, Decimal]:
        budget = self.obj.get("budget") or {}
        path = f"{self.path}.budget"
        value = budget.get("amount")
        if isinstance(value, dict) and "amount" in value:
            amount = self._money(value, f"{path}.amount", is_new)
            if amount is not None:
                project.total_investment = amount
                self.paths["total_investment"] = f"{path}.amount.amount"
        elif is_new:
            self._warn(path, _("缺少预算金额（budget.amount），总投资暂按 0 万元登记，请在台账中补充。"))
        groups = budget.get("budgetBreakdowns") or []
        self._funding(project, groups, path)
        return self._plans(groups, path)

    def _money(self, value: dict, path: str, is_new: bool = False) -> Decimal | None:
        """万元 from a value object in CNY; None (with a warning or an error) for anything else."""
        currency = value.get("currency")
        if currency not in (None, CURRENCY):
            outcome = _("新项目总投资暂按 0 万元登记") if is_new else _("台账金额未改动")
            message = _("币种为 %(currency)s，台账以人民币万元记账，不作换算：%(outcome)s；原始金额随导入数据保留。")
            self._warn(f"{path}.currency", message % {"currency": currency, "outcome": outcome})
            return None
        wan = wan_of(value.get("amount"))
        if wan is None:
            return None
        if wan < 0:
            self._error(f"{path}.amount", _("金额不能为负数。"))
            return None
        if wan > MAX_WAN:
            self._error(f"{path}.amount", _("金额超出台账可记录的范围。"))
            return None
        if currency is None:
            self._warn(f"{path}.currency", _("未注明币种，按人民币（CNY）处理。"))
        return wan

    def _funding(self, project: Project, groups: list, path: str) -> None:
        for g, group in enumerate(groups):
            if group.get("id") != FUNDING_BREAKDOWN:
                continue
            amounts = dict.fromkeys((f for f, _label in FUNDING.values()), Decimal("0"))
            for k, item in enumerate(group.get("budgetBreakdown") or []):
                item_path = f"{path}.budgetBreakdowns[{g}].budgetBreakdown[{k}]"
                if item.get("id") not in FUNDING:
                    message = _("资金来源“%(id)s”无法对应台账字段，未导入。")
                    self._warn(f"{item_path}.id", message % {"id": item.get("id")})
                    continue
                amount = self._money(item.get("amount") or {}, f"{item_path}.amount")
                if amount is not None:
                    fund = FUNDING[item["id"]][0]
                    amounts[fund] += amount
                    self.paths[fund] = f"{item_path}.amount.amount"
            for fund, amount in amounts.items():
                setattr(project, fund, amount)
            return

    def _plans(self, groups: list, path: str) -> dict[int, Decimal]:
        """Annual plans: our ``annualPlans`` breakdown, else the first breakdown made of whole calendar years in CNY."""
        ordered = sorted(enumerate(groups), key=lambda pair: pair[1].get("id") != ANNUAL_PLANS_BREAKDOWN)
        for g, group in ordered:
            plans = self._yearly(group.get("budgetBreakdown") or [], f"{path}.budgetBreakdowns[{g}]")
            if plans:
                return plans
        return {}

    def _yearly(self, items: list, path: str) -> dict[int, Decimal] | None:
        plans: dict[int, Decimal] = {}
        for k, item in enumerate(items):
            year = _calendar_year(item.get("period") or {})
            amount = item.get("amount") or {}
            wan = wan_of(amount.get("amount"))
            if year is None or amount.get("currency", CURRENCY) != CURRENCY or wan is None:
                return None
            if wan < 0:
                self._error(f"{path}.budgetBreakdown[{k}].amount.amount", _("金额不能为负数。"))
                return None
            plans[year] = plans.get(year, Decimal("0")) + wan
        if plans and not all(2000 <= year <= 2100 for year in plans):
            self._warn(path, _("年度计划的年份须在 2000 至 2100 之间，未导入年度计划。"))
            return None
        return plans

    # ---- place and parties ----

    def _place(self, project: Project) -> None:
        locations = self.obj.get("locations") or []
        if not locations:
            return
        path, first = f"{self.path}.locations[0]", locations[0]
        address = first.get("address")
        street = address.get("streetAddress") if isinstance(address, dict) else first.get("description")
        if street:
            project.address = self._cut(street, 200, f"{path}.address.streetAddress")
            self.paths["address"] = f"{path}.address.streetAddress"
        if first.get("geometry"):
            self._point(project, first["geometry"], f"{path}.geometry")
        if len(locations) > 1:
            message = _("台账只记录第一个位置；其余 %(n)s 个位置随 OC4IDS 数据保留，未改动时原样导出。")
            self._warn(f"{self.path}.locations", message % {"n": len(locations) - 1})

    def _point(self, project: Project, geometry: dict, path: str) -> None:
        coordinates = geometry.get("coordinates") or []
        numbers = all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates)
        if geometry.get("type") != "Point" or not numbers or len(coordinates) not in (2, 3):
            message = _("位置几何类型为 %(type)s，台账只记录点坐标 [经度, 纬度]，未写入经纬度。")
            self._warn(path, message % {"type": geometry.get("type")})
            return
        longitude, latitude = (Decimal(str(c)).quantize(Decimal("0.000001")) for c in coordinates[:2])
        if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
            message = _("坐标超出范围：经度须在 ±180、纬度须在 ±90 之内（顺序为 [经度, 纬度]）。")
            self._error(f"{path}.coordinates", message)
            return
        project.longitude, project.latitude = longitude, latitude
        self.paths["longitude"] = self.paths["latitude"] = f"{path}.coordinates"

    def _parties(self, project: Project) -> None:
        parties = self.obj.get("parties") or []
        index = _owner_index(parties)
        if index is not None:
            self._owner(project, parties[index], f"{self.path}.parties[{index}]")
        authority = self.obj.get("publicAuthority") or next(
            (p for p in parties if "publicAuthority" in (p.get("roles") or [])), None
        )
        name = (authority or {}).get("name")
        if name:
            department = self.target.department(name, project.region)
            if department:
                project.department = department
            else:
                message = _("责任单位“%(name)s”不在本区划的部门名录中，未关联（可在台账中选择）。")
                self._warn(f"{self.path}.publicAuthority", message % {"name": name})

    def _owner(self, project: Project, party: dict, path: str) -> None:
        name = party.get("name")
        if name:
            if name[:128] != project.owner_name:
                project.credit_code = ""  # another owner: its code, if any, comes below
            project.owner_name = self._cut(name, 128, f"{path}.name")
            self.paths["owner_name"] = f"{path}.name"
        identifier = party.get("identifier") or {}
        self.paths["credit_code"] = f"{path}.identifier"
        if identifier.get("scheme") == USCC_SCHEME and identifier.get("id"):
            project.credit_code = identifier["id"]
            self.paths["credit_code"] = f"{path}.identifier.id"
        contact = party.get("contactPoint") or {}
        if contact.get("name"):
            project.contact_name = self._cut(contact["name"], 32, f"{path}.contactPoint.name")
        if contact.get("telephone"):
            project.contact_phone = self._cut(contact["telephone"], 20, f"{path}.contactPoint.telephone")

    # ---- lifecycle ----

    def _lifecycle(self, project: Project, is_new: bool) -> None:
        actual, planned = self._step_dates()
        for stage, (_actual_field, planned_field) in STEP_DATES.items():
            if stage in planned:
                setattr(project, planned_field, planned[stage])
        old = project.stage
        target = self._target_stage(project, is_new, actual)
        if target != old:
            self._move(project, old, target, actual)
        reached = self._reached(project)
        for stage, (actual_field, _planned) in STEP_DATES.items():
            if stage in actual and reached and stage_index(stage) <= stage_index(reached):
                self._set_actual(project, actual_field, actual[stage])

    def _step_dates(self) -> tuple[dict, dict]:
        """Actual and planned day per stage: stage milestones first, then phase periods and the project period."""
        actual, planned = {}, {}
        for j, milestone in enumerate(self.obj.get("milestones") or []):
            step = STEP_BY_MILESTONE_ID.get(milestone.get("id")) or STEP_BY_CODE.get(milestone.get("code"))
            if step is None:
                continue
            self.step_milestones.add(j)
            actual_field, planned_field = STEP_DATES[step.stage]
            self._take(actual, step.stage, milestone, "dateMet", f"{self.path}.milestones[{j}]", actual_field)
            self._take(planned, step.stage, milestone, "dueDate", f"{self.path}.milestones[{j}]", planned_field)
        for step in STEPS:
            for dotted in step.periods:
                key, end = dotted.split(".")
                source, field_name = self.obj.get(key) or {}, STEP_DATES[step.stage][0]
                self._take(actual, step.stage, source, end, f"{self.path}.{key}", field_name)
        period = self.obj.get("period") or {}
        for stage, end in ((Stage.CONSTRUCTION, "startDate"), (Stage.COMPLETED, "endDate")):
            if stage not in planned:
                self._take(planned, stage, period, end, f"{self.path}.period", STEP_DATES[stage][1])
        return actual, planned

    def _take(self, into: dict, stage: str, source: dict, key: str, path: str, field_name: str) -> None:
        day = date_of(source.get(key))
        if day and stage not in into:
            into[stage] = day
            self.paths[field_name] = f"{path}.{key}"

    def _target_stage(self, project: Project, is_new: bool, actual: dict) -> str:
        status = self.obj.get("status")
        if status is None or (not is_new and status_of(project.stage, project.stage_before_suspension) == status):
            return project.stage
        if status in ("decommissioning", "decommissioned"):
            self._warn(f"{self.path}.status", _("台账没有“退役”阶段，按“投产”登记。"))
        if status == "identification":
            # The furthest identification step the package dates (入库, 签约), else 谋划.
            dated = [s for s in (Stage.SIGNED, Stage.RESERVE) if s in actual and actual[s] <= self.target.today]
            return dated[0] if dated else Stage.PLANNING
        return STAGE_OF_STATUS[status]

    def _move(self, project: Project, old: str, target: str, actual: dict) -> None:
        """Put the project in ``target``; going back clears the later actual dates, as a stage correction does."""
        if target == Stage.TERMINATED:
            reached = old if old in STAGE_ORDER else project.stage_before_suspension or Stage.PLANNING
            dated = [s for s in STAGE_ORDER if s in actual and actual[s] <= self.target.today]
            furthest = max([reached, *dated], key=stage_index)
            project.stage, project.stage_before_suspension = target, furthest
            end = date_of((self.obj.get("period") or {}).get("endDate"))
            project.stopped_on = end if end and end <= self.target.today else self.target.today
            project.stop_reason = _("OC4IDS 导入：项目状态为已取消（cancelled）。")
            project._clear_suspension()
            return
        if old in STAGE_ORDER and stage_index(target) < stage_index(old):
            for stage in STAGE_ORDER[stage_index(target) + 1 :]:
                setattr(project, STEP_DATES[stage][0], None)
        project.stage, project.stage_before_suspension = target, ""
        project.stopped_on, project.stop_reason = None, ""
        project._clear_suspension()

    @staticmethod
    def _reached(project: Project) -> str | None:
        if project.stage in STAGE_ORDER:
            return project.stage
        return project.stage_before_suspension or None

    def _set_actual(self, project: Project, field_name: str, day: datetime.date) -> None:
        if day > self.target.today:
            message = _("日期 %(day)s 晚于今天，不作为实际日期写入。")
            self._warn(self.paths.get(field_name, self.path), message % {"day": day})
            return
        setattr(project, field_name, day)

    def _keep_approved_dates(self, project: Project, before: dict) -> None:
        for name in PLANNED_DATE_FIELDS:
            if getattr(project, name) != before[name]:
                self._error(self.paths.get(name, self.path), str(PLAN_FROZEN))

    # ---- validation and saving ----

    def _validate(self, project: Project, original: dict) -> None:
        # The foreign keys were set from lookups within the region (or not touched); the national code's uniqueness
        # query runs only when the code changes.
        exclude = [
            *TRUSTED_FOREIGN_KEYS,
            *(["national_code"] if project.national_code == original["national_code"] else []),
        ]
        try:
            project.full_clean(exclude=exclude)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self._field_issue(project, name, message)

    def _field_issue(self, project: Project, name: str, message: str) -> None:
        path = self.paths.get(name) or MISSING_PATHS.get(name, "").format(self.path) or self.path
        if name == NON_FIELD_ERRORS:
            self._error(path, message)
            return
        label = Project._meta.get_field(name).verbose_name
        if name in ("owner_name", "credit_code") and not getattr(project, name):
            # A fact the ledger wants from 签约 on that a package from elsewhere may not carry: complete it later.
            self._warn(path, _("%(label)s：缺少，请导入后在台账中补充（%(why)s）") % {"label": label, "why": message})
            return
        self._error(path, f"{label}：{message}")

    def _record_stage(self, project: Project, old: str, is_new: bool) -> None:
        if not is_new and project.stage == old:
            return
        on = project.stopped_on if project.stage == Stage.TERMINATED else None
        if project.stage in STEP_DATES:
            on = getattr(project, STEP_DATES[project.stage][0])
        both_forward = old in STAGE_ORDER and project.stage in STAGE_ORDER
        backwards = both_forward and stage_index(project.stage) < stage_index(old)
        StageChange.objects.create(
            project=project,
            from_stage="" if is_new else old,
            to_stage=project.stage,
            on=on or self.target.today,
            note=NOTE,
            is_correction=backwards,
            by=self.target.user,
        )

    def _save_plans(self, project: Project, plans: dict[int, Decimal]) -> bool:
        """Write the annual plans that differ (years the package leaves out stay); True if any did."""
        changed = False
        for year, amount in sorted(plans.items()):
            plan = self.plans.get(year) or AnnualPlan(project=project, year=year)
            if plan.pk and plan.amount == amount:
                continue
            plan.amount, plan._history_user = amount, self.target.user
            plan.save()
            self.plans[year], changed = plan, True
        return changed

    def _save_milestones(self, project: Project) -> tuple[dict[str, int], bool]:
        """Match, update and add 形象进度节点 (others stay): their ids, and whether any changed."""
        known = dict(self.record.milestone_ids) if self.record else {}
        nodes = {m.pk: m for m in self.nodes}
        changed = False
        by_name = {m.name: m for m in nodes.values()}
        frozen = set()
        if project.plan_is_approved:
            frozen = set(PlanBaseline._base_manager.filter(project=project).values_list("milestone_id", flat=True))
        last = max((node.sort_order for node in nodes.values()), default=0)
        for j, milestone in enumerate(self.obj.get("milestones") or []):
            if j in self.step_milestones:
                continue
            path = f"{self.path}.milestones[{j}]"
            name = (milestone.get("title") or milestone.get("code") or milestone["id"])[:64]
            node = nodes.get(known.get(milestone["id"])) or nodes.get(_own_milestone_pk(milestone["id"]))
            node = node or by_name.get(name)
            if node is None:  # a new node goes after the project's existing ones
                last += 1
                node = Milestone(project=project, sort_order=last)
                self.nodes.append(node)
            saved, moved = self._save_milestone(node, milestone, name, path, frozen)
            if saved:
                known[milestone["id"]] = saved.pk
                changed |= moved
        return known, changed

    def _save_milestone(self, node: Milestone, milestone: dict, name: str, path: str, frozen: set) -> tuple:
        """(the node, whether it changed); (None, False) when refused."""
        planned, actual = date_of(milestone.get("dueDate")), date_of(milestone.get("dateMet"))
        if actual and actual > self.target.today:
            self._warn(f"{path}.dateMet", _("日期 %(day)s 晚于今天，不作为实际完成日期写入。") % {"day": actual})
            actual = None
        if node.pk in frozen and "dueDate" in milestone and planned != node.planned_on:
            self._error(f"{path}.dueDate", str(PLAN_FROZEN))
            return None, False
        before = (node.name, node.planned_on, node.actual_on)
        node.name = name
        if "dueDate" in milestone:
            node.planned_on = planned
        if "dateMet" in milestone:
            node.actual_on = actual
        if node.pk and before == (node.name, node.planned_on, node.actual_on):
            return node, False
        try:
            node.full_clean(exclude=["project"])
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                self.errors.extend(Issue(path, message) for message in messages)
            return None, False
        node._history_user = self.target.user
        node.save()
        return node, True

    def _save_record(self, project: Project, milestone_ids: dict[str, int]) -> dict:
        """Keep the object as received and the ledger's sections as they now stand; the ledger after the import."""
        # The sections read the plans and nodes as the export's prefetch leaves them; these are the ones just saved.
        project.plan_rows = sorted(self.plans.values(), key=lambda plan: plan.year)
        project.milestone_rows = sorted(self.nodes, key=lambda node: (node.sort_order, node.pk))
        record = self.record or ProjectRecord(project=project)
        record.ocid, record.source, record.milestone_ids = self.obj["id"], self.obj, milestone_ids
        record.ledger_state = export.sections(project, self.target.ctx)
        record.imported_at, record.imported_by = timezone.now(), self.target.user
        record.save()
        return _snapshot(project, project.plan_rows, project.milestone_rows)

    def _summarise(self, project: Project, before: dict | None, after: dict, is_new: bool) -> None:
        self.outcome.project = project.pk
        if is_new:
            self.outcome.action = "create"
            return
        self.outcome.changes = _changes(before, after)
        if not self.outcome.changes and self.record is not None and self.record.source != self.obj:
            self.outcome.changes = [_("OC4IDS 原始数据")]  # what the ledger cannot hold changed (documents, …)
        self.outcome.action = "update" if self.outcome.changes else "unchanged"


def _owner_index(parties: list[dict]) -> int | None:
    for index, party in enumerate(parties):
        if "buyer" in (party.get("roles") or []):
            return index
    for index, party in enumerate(parties):
        if (party.get("identifier") or {}).get("scheme") == USCC_SCHEME:
            return index
    return None


def _own_milestone_pk(milestone_id: str) -> int | None:
    rest = milestone_id.removeprefix("milestone-")
    return int(rest) if rest != milestone_id and rest.isascii() and rest.isdigit() else None


def _calendar_year(period: dict) -> int | None:
    start, end = date_of(period.get("startDate")), date_of(period.get("endDate"))
    if start and end and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return start.year
    return None


def _snapshot(project: Project, plans, milestones) -> dict:
    """The tracked ledger values of a project, its annual plans and its milestones, to list what an update changes."""
    values = {name: getattr(project, name) for name in TRACKED_FIELDS}
    values["annual_plans"] = sorted((plan.year, plan.amount) for plan in plans)
    values["milestones"] = [(m.name, m.planned_on, m.actual_on) for m in milestones]
    return values


def _values(project: Project) -> dict:
    """Every stored field of the project, to tell whether the package changed anything."""
    return {field.attname: getattr(project, field.attname) for field in Project._meta.concrete_fields}


def _changes(before: dict, after: dict) -> list[str]:
    labels = []
    for name in before:
        if before[name] == after[name]:
            continue
        if name == "annual_plans":
            labels.append(str(AnnualPlan._meta.verbose_name))
        elif name == "milestones":
            labels.append(str(Milestone._meta.verbose_name))
        else:
            labels.append(str(Project._meta.get_field(name.removesuffix("_id")).verbose_name))
    return labels

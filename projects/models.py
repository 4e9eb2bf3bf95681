"""The project ledger: projects, their annual plans, milestones and stage moves.

Money is in 万元 (10,000 yuan) as Decimal; land in 亩. A project's stage moves only
through the methods on ``Project`` (``advance``, ``suspend``, ``resume``,
``terminate``, ``correct_stage``), each of which demands its date and facts and
leaves a ``StageChange`` row.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from lib.codes import validate_credit_code, validate_national_code
from org.models import Department, Region, ancestor_codes

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


def today() -> datetime.date:
    return timezone.localdate()


class Level(models.TextChoices):
    NATIONAL = "national", _("国家重点")
    PROVINCIAL = "provincial", _("省级重点")
    CITY = "city", _("市级重点")
    COUNTY = "county", _("县级重点")


class Category(models.TextChoices):
    INDUSTRY = "industry", _("产业")
    INFRASTRUCTURE = "infrastructure", _("基础设施")
    LIVELIHOOD = "livelihood", _("民生社会事业")
    ECOLOGY = "ecology", _("生态环保")
    URBAN = "urban", _("城建")


class Nature(models.TextChoices):
    NEW = "new", _("新建")
    CONTINUING = "continuing", _("续建")
    EXPANSION = "expansion", _("扩建")
    UPGRADE = "upgrade", _("技改")


class Stage(models.TextChoices):
    PLANNING = "planning", _("谋划")
    RESERVE = "reserve", _("储备")
    SIGNED = "signed", _("签约")
    PREPARING = "preparing", _("前期")
    CONSTRUCTION = "construction", _("在建")
    COMPLETED = "completed", _("竣工")
    PRODUCTION = "production", _("投产")
    SUSPENDED = "suspended", _("暂停")
    TERMINATED = "terminated", _("终止")


# The forward path; suspended and terminated are side exits.
STAGE_ORDER = [
    Stage.PLANNING,
    Stage.RESERVE,
    Stage.SIGNED,
    Stage.PREPARING,
    Stage.CONSTRUCTION,
    Stage.COMPLETED,
    Stage.PRODUCTION,
]

# Projects in these stages file a monthly report and get a colour.
REPORTING_STAGES = [Stage.PREPARING, Stage.CONSTRUCTION]
COLOURED_STAGES = [Stage.SIGNED, Stage.PREPARING, Stage.CONSTRUCTION]

# Stage reached -> (actual date field, planned date field).
STEP_DATES = {
    Stage.RESERVE: ("reserve_on", "planned_reserve_on"),
    Stage.SIGNED: ("signed_on", "planned_sign_on"),
    Stage.PREPARING: ("preparing_on", "planned_preparing_on"),
    Stage.CONSTRUCTION: ("started_on", "planned_start_on"),
    Stage.COMPLETED: ("completed_on", "planned_completion_on"),
    Stage.PRODUCTION: ("production_on", "planned_production_on"),
}

# Facts a stage cannot be reached without, beyond its own date: field -> message.
STAGE_NEEDS = {
    Stage.SIGNED: {"owner_name": _("签约前须填写项目单位。"), "credit_code": _("签约前须填写统一社会信用代码。")},
    Stage.COMPLETED: {"started_on": _("尚未开工的项目不能竣工，请先填写实际开工日期。")},
    Stage.PRODUCTION: {
        "started_on": _("尚未开工的项目不能投产，请先填写实际开工日期。"),
        "completed_on": _("尚未竣工的项目不能投产，请先填写竣工日期。"),
    },
}


# An actual date that the database refuses without an earlier one: date -> (earlier date, message).
DATE_NEEDS = {
    "completed_on": ("started_on", _("填写竣工日期前须先填写实际开工日期。")),
    "production_on": ("completed_on", _("填写投产日期前须先填写竣工日期。")),
}


def stage_index(stage: str) -> int:
    return STAGE_ORDER.index(stage)


class ChainTagQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Tags of the user's region, its ancestors and its subtree."""
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        region = user.region
        return self.filter(Q(region__code__in=ancestor_codes(region)) | Q(region__path__startswith=region.path))


class ChainTag(models.Model):
    """A priority industry chain of a region (the county's "4+6+N")."""

    region = models.ForeignKey(Region, verbose_name=_("设定区划"), on_delete=models.PROTECT, related_name="chain_tags")
    name = models.CharField(_("产业链"), max_length=32)

    objects = ChainTagQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("产业链标签")
        verbose_name_plural = _("产业链标签")
        ordering = ["region__path", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="chaintag_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one rule for who sees which project."""
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        qs = self.filter(region__path__startswith=user.region.path)
        if user.is_enterprise:
            qs = qs.filter(credit_code=user.credit_code)
        return qs

    def editable_by(self, user):
        return self.visible_to(user) if user.can_edit_projects else self.none()

    def current(self):
        return self.filter(archived_at__isnull=True)

    def reporting(self):
        """Projects that owe a monthly report."""
        return self.current().filter(stage__in=REPORTING_STAGES)

    def reported_by(self, user):
        """The projects whose monthly report this user may fill in."""
        if user.can_edit_projects:
            return self.visible_to(user)
        return self.visible_to(user).filter(reporters=user) if user.role == "reporter" else self.none()

    def with_annual_plan(self, year: int):
        # AnnualPlan's unscoped base manager, here and in totals(): the plans reached are those of this already
        # scoped queryset, and the scope filter would add two joins per project row (EXPLAIN at 20,000 projects).
        plan = AnnualPlan._base_manager.filter(project=models.OuterRef("pk"), year=year).order_by().values("amount")
        return self.annotate(annual_plan=models.Subquery(plan[:1], output_field=models.DecimalField()))

    def totals(self, year: int) -> "LedgerTotals":
        """Count and sums over the whole (filtered) set, in two queries."""
        sums = self.aggregate(
            count=models.Count("pk"), total_investment=models.Sum("total_investment", default=Decimal("0"))
        )
        plans = AnnualPlan._base_manager.filter(year=year, project__in=self.values("pk"))
        plan_sum = plans.aggregate(s=models.Sum("amount", default=Decimal("0")))["s"]
        return LedgerTotals(sums["count"], sums["total_investment"], plan_sum)


@dataclass(frozen=True)
class LedgerTotals:
    count: int
    total_investment: Decimal
    annual_plan: Decimal


class ProjectManager(models.Manager.from_queryset(ProjectQuerySet)):
    pass


class Project(models.Model):
    Stage = Stage

    # identity
    name = models.CharField(_("项目名称"), max_length=128)
    national_code = models.CharField(
        _("项目代码"),
        max_length=24,
        blank=True,
        validators=[validate_national_code],
        help_text=_("全国投资项目在线审批监管平台赋码，格式 YYYY-RRRRRR-DD-TT-NNNNNN"),
    )
    owner_name = models.CharField(_("项目单位"), max_length=128, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_credit_code])
    # classification
    level = models.CharField(_("项目级别"), max_length=12, choices=Level.choices, default=Level.COUNTY)
    category = models.CharField(_("项目类别"), max_length=16, choices=Category.choices)
    nature = models.CharField(_("建设性质"), max_length=12, choices=Nature.choices, default=Nature.NEW)
    chain_tags = models.ManyToManyField(ChainTag, verbose_name=_("产业链"), blank=True, related_name="projects")
    # place
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="projects")
    zone = models.ForeignKey(
        Region,
        verbose_name=_("所在开发区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="zone_projects",
        limit_choices_to={"kind": Region.Kind.ZONE},
    )
    address = models.CharField(_("建设地点"), max_length=200, blank=True)
    longitude = models.DecimalField(
        _("经度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    latitude = models.DecimalField(
        _("纬度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    # money (万元) and land (亩)
    total_investment = models.DecimalField(_("总投资（万元）"), **MONEY)
    fund_government = models.DecimalField(_("政府投资（万元）"), default=0, **MONEY)
    fund_enterprise = models.DecimalField(_("企业自筹（万元）"), default=0, **MONEY)
    fund_bank_loans = models.DecimalField(_("银行贷款（万元）"), default=0, **MONEY)
    fund_special_bonds = models.DecimalField(_("专项债（万元）"), default=0, **MONEY)
    fund_other = models.DecimalField(_("基金及其他（万元）"), default=0, **MONEY)
    opening_completed = models.DecimalField(
        _("纳入平台前累计完成投资（万元）"),
        default=0,
        help_text=_("开工以来、在本平台填报月报之前已完成的投资；之后的累计数由月报汇总。"),
        **MONEY,
    )
    land_area = models.DecimalField(
        _("用地面积（亩）"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    expected_output = models.DecimalField(_("达产年产值（万元）"), null=True, blank=True, **MONEY)
    expected_tax = models.DecimalField(_("达产年税收（万元）"), null=True, blank=True, **MONEY)
    # responsibility
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("包联领导"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_projects",
        limit_choices_to={"role": "leader"},
    )
    department = models.ForeignKey(
        Department, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    task_force = models.TextField(_("专班成员"), blank=True, help_text=_("每行一人：姓名 单位 职务"))
    reporters = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("月报填报人"),
        blank=True,
        related_name="reported_projects",
        limit_choices_to={"role": "reporter"},
    )
    contact_name = models.CharField(_("联系人"), max_length=32, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    description = models.TextField(_("建设内容及规模"), blank=True)
    # lifecycle
    stage = models.CharField(_("项目阶段"), max_length=16, choices=Stage.choices, default=Stage.PLANNING)
    stage_before_suspension = models.CharField(max_length=16, choices=Stage.choices, blank=True, editable=False)
    planned_reserve_on = models.DateField(_("计划入库日期"), null=True, blank=True)
    reserve_on = models.DateField(_("入库日期"), null=True, blank=True)
    planned_sign_on = models.DateField(_("计划签约日期"), null=True, blank=True)
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    planned_preparing_on = models.DateField(_("计划启动前期日期"), null=True, blank=True)
    preparing_on = models.DateField(_("启动前期日期"), null=True, blank=True)
    planned_start_on = models.DateField(_("计划开工日期"), null=True, blank=True)
    started_on = models.DateField(_("实际开工日期"), null=True, blank=True)
    planned_completion_on = models.DateField(_("计划竣工日期"), null=True, blank=True)
    completed_on = models.DateField(_("竣工日期"), null=True, blank=True)
    planned_production_on = models.DateField(_("计划投产日期"), null=True, blank=True)
    production_on = models.DateField(_("投产日期"), null=True, blank=True)
    stopped_on = models.DateField(_("暂停/终止日期"), null=True, blank=True, editable=False)
    stop_reason = models.TextField(_("暂停/终止原因"), blank=True, editable=False)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager(region="region__path__startswith", _manager_class=ProjectManager)
    history = HistoricalRecords(m2m_fields=[chain_tags])

    class Meta:
        verbose_name = _("重点项目")
        verbose_name_plural = _("重点项目")
        ordering = ["-total_investment", "pk"]
        indexes = [
            # The ledger's default order (largest first) over a region subtree.
            models.Index(fields=["-total_investment", "id"], name="project_ledger_order"),
            # The ledger's count and sums: current (not archived) projects of the regions in a subtree.
            models.Index(fields=["region", "archived_at", "total_investment"], name="project_region_current"),
            # Stage and level filters on the ledger and the stalled lists.
            models.Index(fields=["stage", "region"], name="project_stage_region"),
            # An enterprise user's own projects.
            models.Index(fields=["credit_code"], name="project_credit_code"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["national_code"], condition=~Q(national_code=""), name="project_national_code_unique"
            ),
            models.CheckConstraint(condition=Q(total_investment__gte=0), name="project_total_investment_not_negative"),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True)
                | Q(started_on__isnull=False, completed_on__gte=models.F("started_on")),
                name="project_completed_after_started",
            ),
            models.CheckConstraint(
                condition=Q(production_on__isnull=True)
                | Q(completed_on__isnull=False, production_on__gte=models.F("completed_on")),
                name="project_production_after_completed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # ---- validation shared by the forms and the stage methods ----

    def clean(self):
        errors = {}
        errors.update(self._funding_errors())
        errors.update(self._place_errors())
        errors.update(self._date_errors())
        if errors:
            raise ValidationError(errors)

    def funding_total(self) -> Decimal:
        return sum((getattr(self, f) or Decimal("0") for f in FUNDING_FIELDS), Decimal("0"))

    def _funding_errors(self) -> dict:
        total = self.total_investment
        if total is not None and total >= 0 and self.funding_total() > total:
            return {
                "fund_other": _("各资金来源合计 %(sum)s 万元超过了总投资 %(total)s 万元。")
                % {"sum": self.funding_total(), "total": self.total_investment}
            }
        return {}

    def _place_errors(self) -> dict:
        if not self.region_id:
            return {}
        if self.region.is_zone:
            return {"region": _("所在区划请选择县（区）或市，开发区请在“所在开发区”中选择。")}
        if self.zone_id and not self.zone.path.startswith(self.region.path):
            return {"zone": _("所选开发区不在项目所在区划内。")}
        return {}

    def _date_errors(self) -> dict:
        errors = {}
        now = today()
        last_field, last_date = None, None
        for stage in STAGE_ORDER[1:]:
            field, _planned = STEP_DATES[stage]
            value = getattr(self, field)
            if value is None:
                continue
            if value > now:
                errors[field] = _("实际日期不能晚于今天。")
            elif last_date and value < last_date and stage in (Stage.COMPLETED, Stage.PRODUCTION):
                errors[field] = _("%(this)s不能早于%(prev)s（%(date)s）。") % {
                    "this": self._meta.get_field(field).verbose_name,
                    "prev": self._meta.get_field(last_field).verbose_name,
                    "date": last_date,
                }
            last_field, last_date = field, value
        errors.update(self._missing_earlier_date_errors())
        errors.update(self._reached_stage_errors())
        return errors

    def _missing_earlier_date_errors(self) -> dict:
        """A completion date needs a start date, production a completion date (the check constraints)."""
        return {
            earlier: message
            for later, (earlier, message) in DATE_NEEDS.items()
            if getattr(self, later) and not getattr(self, earlier)
        }

    def _reached_stage_errors(self) -> dict:
        """A stage already reached needs its own date and its facts."""
        reached = self.stage if self.stage in STAGE_ORDER else self.stage_before_suspension
        if not reached or reached == Stage.PLANNING:
            return {}
        errors = {}
        # The stage's own date, and a start (and completion) date for everything from construction on.
        required = {reached} | {
            s for s in (Stage.CONSTRUCTION, Stage.COMPLETED) if stage_index(reached) >= stage_index(s)
        }
        for stage in STAGE_ORDER[1:]:
            field = STEP_DATES[stage][0]
            if stage in required and getattr(self, field) is None:
                errors[field] = _("项目处于“%(stage)s”阶段，须填写%(field)s。") % {
                    "stage": Stage(reached).label,
                    "field": self._meta.get_field(field).verbose_name,
                }
        for stage, needs in STAGE_NEEDS.items():
            if stage_index(reached) >= stage_index(stage):
                errors.update({f: msg for f, msg in needs.items() if not getattr(self, f) and f not in errors})
        return errors

    # ---- the lifecycle ----

    @property
    def is_open(self) -> bool:
        return self.stage not in (Stage.TERMINATED,) and self.archived_at is None

    def next_stages(self) -> list[str]:
        if self.stage not in STAGE_ORDER:
            return []
        return STAGE_ORDER[stage_index(self.stage) + 1 :]

    @transaction.atomic
    def advance(self, to: str, on: datetime.date, by, note: str = "") -> "StageChange":
        """Move forward to ``to``, reached on ``on``."""
        if self.stage == Stage.TERMINATED:
            raise ValidationError(_("项目已终止，不能再推进；如属误操作请使用阶段更正。"))
        if self.stage == Stage.SUSPENDED:
            raise ValidationError(_("项目处于暂停状态，请先恢复。"))
        if to not in self.next_stages():
            raise ValidationError({"to": _("只能向后推进阶段；回退须通过阶段更正并说明原因。")})
        self._require_date_not_future(on)
        self._require_facts(to)
        old = self.stage
        setattr(self, STEP_DATES[to][0], on)
        self.stage = to
        self._validate_or_raise()
        self.save()
        return self._record(old, to, on, by, note)

    @transaction.atomic
    def suspend(self, on: datetime.date, reason: str, by) -> "StageChange":
        if self.stage in (Stage.SUSPENDED, Stage.TERMINATED):
            raise ValidationError(_("项目已处于%(stage)s状态。") % {"stage": self.get_stage_display()})
        self._require_reason(reason)
        self._require_date_not_future(on)
        old = self.stage
        self.stage_before_suspension, self.stage = old, Stage.SUSPENDED
        self.stopped_on, self.stop_reason = on, reason
        self.save()
        return self._record(old, Stage.SUSPENDED, on, by, reason)

    @transaction.atomic
    def resume(self, on: datetime.date, by, note: str = "") -> "StageChange":
        if self.stage != Stage.SUSPENDED:
            raise ValidationError(_("只有暂停的项目可以恢复。"))
        self._require_date_not_future(on)
        if self.stopped_on and on < self.stopped_on:
            raise ValidationError({"on": _("恢复日期不能早于暂停日期（%(date)s）。") % {"date": self.stopped_on}})
        self.stage, self.stage_before_suspension = self.stage_before_suspension or Stage.PLANNING, ""
        self.stopped_on, self.stop_reason = None, ""
        self.save()
        return self._record(Stage.SUSPENDED, self.stage, on, by, note)

    @transaction.atomic
    def terminate(self, on: datetime.date, reason: str, by) -> "StageChange":
        if self.stage == Stage.TERMINATED:
            raise ValidationError(_("项目已终止。"))
        self._require_reason(reason)
        self._require_date_not_future(on)
        old = self.stage
        if old != Stage.SUSPENDED:
            self.stage_before_suspension = old
        self.stage, self.stopped_on, self.stop_reason = Stage.TERMINATED, on, reason
        self.save()
        return self._record(old, Stage.TERMINATED, on, by, reason)

    @transaction.atomic
    def correct_stage(self, to: str, reason: str, by) -> "StageChange":
        """Put the stage back to an earlier one, clearing the later actual dates, with a recorded reason."""
        self._require_reason(reason)
        if to not in STAGE_ORDER or not self._is_earlier(to):
            raise ValidationError({"to": _("阶段更正只能回到更早的阶段。")})
        old = self.stage
        for stage in STAGE_ORDER[stage_index(to) + 1 :]:
            setattr(self, STEP_DATES[stage][0], None)
        self.stage, self.stage_before_suspension = to, ""
        self.stopped_on, self.stop_reason = None, ""
        self._validate_or_raise()
        self.save()
        return self._record(old, to, today(), by, reason, is_correction=True)

    @transaction.atomic
    def archive(self, by) -> None:
        if self.archived_at is None:
            self.archived_at = timezone.now()
            self._history_user = by
            self.save(update_fields=["archived_at", "updated_at"])

    def _is_earlier(self, to: str) -> bool:
        if self.stage in STAGE_ORDER:
            return stage_index(to) < stage_index(self.stage)
        # From a side exit any stage up to the one it left is a correction.
        return stage_index(to) <= stage_index(self.stage_before_suspension or Stage.PLANNING)

    def _validate_or_raise(self) -> None:
        errors = self._date_errors()
        if errors:
            raise ValidationError(errors)

    def _require_facts(self, stage: str) -> None:
        missing = {f: msg for f, msg in STAGE_NEEDS.get(stage, {}).items() if not getattr(self, f)}
        if missing:
            raise ValidationError(missing)

    @staticmethod
    def _require_reason(reason: str) -> None:
        if not (reason or "").strip():
            raise ValidationError({"reason": _("请填写原因。")})

    @staticmethod
    def _require_date_not_future(on: datetime.date | None) -> None:
        if on is None:
            raise ValidationError({"on": _("请填写日期。")})
        if on > today():
            raise ValidationError({"on": _("日期不能晚于今天。")})

    def _record(self, old, new, on, by, note, is_correction=False) -> "StageChange":
        return StageChange.objects.create(
            project=self, from_stage=old, to_stage=new, on=on, note=note, is_correction=is_correction, by=by
        )

    # ---- milestones ----

    def reverse_schedule(self, target: datetime.date) -> list["Milestone"]:
        """倒排工期: plan milestone dates backwards from ``target`` using each one's duration."""
        milestones = list(self.milestones.order_by("-sort_order", "-pk"))
        due = target
        for milestone in milestones:
            milestone.planned_on = due
            due = due - datetime.timedelta(days=milestone.duration_days)
        Milestone.objects.bulk_update(milestones, ["planned_on"])
        return milestones[::-1]


FUNDING_FIELDS = ["fund_government", "fund_enterprise", "fund_bank_loans", "fund_special_bonds", "fund_other"]


class AnnualPlan(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="annual_plans")
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    amount = models.DecimalField(_("年度计划投资（万元）"), **MONEY)

    objects = ScopedManager(region="project__region__path__startswith")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("年度计划")
        verbose_name_plural = _("年度计划")
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="annualplan_one_per_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="annualplan_amount_not_negative"),
        ]
        # The ledger's annual plan column and totals: (year, project).
        indexes = [models.Index(fields=["year", "project"], name="annualplan_year_project")]

    def __str__(self) -> str:
        return f"{self.year}: {self.amount}"


class Milestone(models.Model):
    """形象进度节点: a visible step of the works with planned and actual dates."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("节点"), max_length=64)
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    duration_days = models.PositiveIntegerField(_("工期（天）"), default=30)
    planned_on = models.DateField(_("计划完成日期"), null=True, blank=True)
    actual_on = models.DateField(_("实际完成日期"), null=True, blank=True)

    objects = ScopedManager(region="project__region__path__startswith")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("形象进度节点")
        verbose_name_plural = _("形象进度节点")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.actual_on and self.actual_on > today():
            raise ValidationError({"actual_on": _("实际日期不能晚于今天。")})


class StageChange(models.Model):
    """One move of a project's stage: the timeline on the project page."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("原阶段"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=16, choices=Stage.choices)
    on = models.DateField(_("日期"))
    note = models.TextField(_("说明"), blank=True)
    is_correction = models.BooleanField(_("阶段更正"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("操作时间"), auto_now_add=True)

    objects = ScopedManager(region="project__region__path__startswith")

    class Meta:
        verbose_name = _("阶段变更")
        verbose_name_plural = _("阶段变更")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_from_stage_display()} → {self.get_to_stage_display()}"

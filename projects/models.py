"""The project ledger: projects, their annual plans, milestones and stage moves.

Money is in 万元 (10,000 yuan) as Decimal; land in 亩. A project's stage moves only
through the methods on ``Project`` (``advance``, ``suspend``, ``resume``,
``terminate``, ``correct_stage``), each of which demands its date and facts and
leaves a ``StageChange`` row.

Change control (the end of this module): once a coordinator approves a project's plan
(``Project.approve_plan``) its planned dates are copied into ``PlanBaseline`` rows, and a
planned date moves only through a ``ChangeRequest`` that a coordinator approves. A
suspension carries a reason from ``SuspensionReason`` and an expected resume date, and is
re-confirmed by a coordinator at least once per calendar quarter
(``Project.confirm_suspension``); one not confirmed in the current quarter is flagged.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from lib.codes import validate_credit_code, validate_national_code
from org.models import Department, Region, Role, User, ancestor_codes

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


class SuspensionReason(models.TextChoices):
    """Why a project is suspended (暂停原因): the categories the quarterly suspension list counts."""

    FUNDING = "funding", _("资金不到位")
    LAND = "land", _("用地未落实")
    PROCEDURES = "procedures", _("手续未办结")
    MARKET = "market", _("市场变化")
    ENVIRONMENT = "environment", _("环保督察")
    ENTERPRISE = "enterprise", _("企业自身原因")
    OTHER = "other", _("其他")


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

# The planned dates of the stages, in stage order: the dates a plan approval freezes.
PLANNED_DATE_FIELDS = [planned for _actual, planned in STEP_DATES.values()]

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


def project_visibility(user, prefix: str = "") -> Q:
    """The one rule for who sees which project, as lookups through ``prefix`` ("project__" from a child row).

    Rows that hang off projects filter with it directly instead of ``project__in=<projects>``: SQLite
    would otherwise start from every visible project (20,000 for a province) before the child rows.
    """
    if user.region_id is None:
        return Q() if user.is_superuser else Q(pk__in=[])
    visible = Q(**{f"{prefix}region__path__startswith": user.region.path})
    if user.is_enterprise:
        visible &= Q(**{f"{prefix}credit_code": user.credit_code})
    return visible


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(project_visibility(user))

    def editable_by(self, user):
        return self.visible_to(user) if user.can_edit_projects else self.none()

    def current(self):
        return self.filter(archived_at__isnull=True)

    def suspended(self):
        return self.current().filter(stage=Stage.SUSPENDED)

    def unconfirmed_suspensions(self, today: datetime.date):
        """Suspended projects not confirmed since the quarter of ``today`` began (暂停未按季确认)."""
        never = Q(suspension_confirmed_on__isnull=True)
        return self.suspended().filter(never | Q(suspension_confirmed_on__lt=quarter_start(today)))

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
    # ---- change control: the approved plan (see PlanBaseline, ChangeRequest) ----
    # These and the suspension fields below change only through the model methods (no form lists them);
    # they stay "editable" because the history page diffs editable fields only (simple-history's rule).
    plan_approved_at = models.DateTimeField(_("计划批准时间"), null=True, blank=True, editable=False)
    plan_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("计划批准人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # ---- suspension: reason, expected resume date, quarterly re-confirmation ----
    suspension_reason_code = models.CharField(
        _("暂停原因"), max_length=16, choices=SuspensionReason.choices, blank=True
    )
    expected_resume_on = models.DateField(_("预计恢复日期"), null=True, blank=True)
    suspension_confirmed_on = models.DateField(_("暂停确认日期"), null=True, blank=True)
    # The quarterly check's claim (a conditional update), so a second run in the quarter notifies nobody again.
    suspension_reminded_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager(region="region__path__startswith", _manager_class=ProjectManager)
    # The reminder claim is bookkeeping, not an edit: kept out of the project's history.
    history = HistoricalRecords(m2m_fields=[chain_tags], excluded_fields=["suspension_reminded_on"])

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
    def suspend(
        self,
        on: datetime.date,
        reason: str,
        by,
        *,
        reason_code: str = "",
        expected_resume_on: datetime.date | None = None,
    ) -> "StageChange":
        """Suspend from ``on``: ``reason`` is the summary, ``reason_code`` a ``SuspensionReason``; all required.

        The keywords keep the old call shape; leaving them out is a ValidationError, not a TypeError.
        """
        if self.stage in (Stage.SUSPENDED, Stage.TERMINATED):
            raise ValidationError(_("项目已处于%(stage)s状态。") % {"stage": self.get_stage_display()})
        errors = _suspension_errors(reason, reason_code, expected_resume_on, on)
        if errors:
            raise ValidationError(errors)
        self._require_date_not_future(on)
        old = self.stage
        self.stage_before_suspension, self.stage = old, Stage.SUSPENDED
        self.stopped_on, self.stop_reason = on, reason.strip()
        self.suspension_reason_code, self.expected_resume_on = reason_code, expected_resume_on
        # Recording a suspension is its first confirmation.
        self.suspension_confirmed_on, self.suspension_reminded_on = today(), None
        self.save()
        return self._record(old, Stage.SUSPENDED, on, by, reason.strip())

    @transaction.atomic
    def resume(self, on: datetime.date, by, note: str = "") -> "StageChange":
        if self.stage != Stage.SUSPENDED:
            raise ValidationError(_("只有暂停的项目可以恢复。"))
        self._require_date_not_future(on)
        if self.stopped_on and on < self.stopped_on:
            raise ValidationError({"on": _("恢复日期不能早于暂停日期（%(date)s）。") % {"date": self.stopped_on}})
        self.stage, self.stage_before_suspension = self.stage_before_suspension or Stage.PLANNING, ""
        self.stopped_on, self.stop_reason = None, ""
        self._clear_suspension()
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
        self._clear_suspension()
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
        self._clear_suspension()
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

    # ---- suspension: quarterly re-confirmation ----

    @transaction.atomic
    def confirm_suspension(
        self, by, note: str, expected_resume_on: datetime.date | None, today: datetime.date | None = None
    ) -> "SuspensionConfirmation":
        """A coordinator confirms the suspension still holds (due once per calendar quarter), with a fresh outlook."""
        day = today or timezone.localdate()
        if self.stage != Stage.SUSPENDED:
            raise ValidationError(_("项目未处于暂停状态，无需确认。"))
        errors = {} if (note or "").strip() else {"note": _("请填写当前情况说明。")}
        errors.update(_expected_resume_errors(expected_resume_on, not_before=day))
        if errors:
            raise ValidationError(errors)
        self.expected_resume_on, self.suspension_confirmed_on = expected_resume_on, day
        self._history_user = by
        self.save(update_fields=["expected_resume_on", "suspension_confirmed_on", "updated_at"])
        return SuspensionConfirmation.objects.create(
            project=self, on=day, expected_resume_on=expected_resume_on, note=note.strip(), by=by
        )

    def is_suspension_unconfirmed(self, today: datetime.date | None = None) -> bool:
        """Suspended, current, and not confirmed since the quarter of ``today`` began (暂停未按季确认)."""
        if self.stage != Stage.SUSPENDED or self.archived_at is not None:
            return False
        confirmed = self.suspension_confirmed_on
        return confirmed is None or confirmed < quarter_start(today or timezone.localdate())

    @property
    def suspension_unconfirmed(self) -> bool:
        return self.is_suspension_unconfirmed()

    def _clear_suspension(self) -> None:
        self.suspension_reason_code, self.expected_resume_on = "", None
        self.suspension_confirmed_on = self.suspension_reminded_on = None

    # ---- change control: plan approval and change requests ----

    @property
    def plan_is_approved(self) -> bool:
        return self.plan_approved_at is not None

    @transaction.atomic
    def approve_plan(self, by) -> list["PlanBaseline"]:
        """Approve the plan: every planned stage date and milestone date becomes the baseline, and is frozen."""
        # The row lock makes a concurrent edit wait, so the baseline is the plan as approved.
        project = Project._base_manager.select_for_update().get(pk=self.pk)
        if project.plan_is_approved:
            raise ValidationError(_("项目计划已批准，不能重复批准。"))
        baselines = project._baseline_rows()
        if not any(baseline.baseline_on for baseline in baselines):
            raise ValidationError(_("尚未填写任何计划日期，不能批准计划。"))
        project.plan_approved_at, project.plan_approved_by = timezone.now(), by
        project._history_user = by
        project.save(update_fields=["plan_approved_at", "plan_approved_by", "updated_at"])
        PlanBaseline.objects.bulk_create(baselines)
        self.refresh_from_db()
        return baselines

    def _baseline_rows(self) -> list["PlanBaseline"]:
        stages = [PlanBaseline(project=self, field_name=f, baseline_on=getattr(self, f)) for f in PLANNED_DATE_FIELDS]
        milestones = Milestone._base_manager.filter(project=self)
        return stages + [PlanBaseline(project=self, milestone=m, baseline_on=m.planned_on) for m in milestones]

    @transaction.atomic
    def request_change(self, target, new_date: datetime.date | None, reason: str, by) -> "ChangeRequest":
        """Ask to move one planned date; ``target`` is a planned-date field name or one of this project's milestones."""
        request = ChangeRequest(
            project=self, new_date=new_date, reason=(reason or "").strip(), requested_by=by, **_target_fields(target)
        )
        request.old_date = request.current_date()
        request.validate_new()
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError:  # a pending request for the same date was saved meanwhile
            raise ValidationError({"target": PENDING_EXISTS}) from None
        return request

    def change_control(self, decided: int = 10) -> "ChangeControl":
        """The change-control card: each planned date with its baseline and pending request, and the last decisions.

        Two queries once the plan is approved; none before (no baseline, no request can exist yet).
        """
        baselines, requests = {}, []
        if self.plan_is_approved:
            baselines = {b.target_key: b for b in PlanBaseline._base_manager.filter(project=self)}
            requests = ChangeRequest._base_manager.filter(project=self).select_related(
                "milestone", "requested_by", "decided_by"
            )
        pending = {r.target_key: r for r in requests if r.is_pending}
        targets = [(f, str(self._meta.get_field(f).verbose_name), getattr(self, f)) for f in PLANNED_DATE_FIELDS]
        milestone = gettext("节点：%(name)s")
        targets += [(f"milestone-{m.pk}", milestone % {"name": m.name}, m.planned_on) for m in self.milestones.all()]
        lines = [PlanLine(key, label, baselines.get(key), current, pending.get(key)) for key, label, current in targets]
        done = sorted((r for r in requests if not r.is_pending), key=lambda r: (r.decided_at, r.pk), reverse=True)
        return ChangeControl(lines, done[:decided])

    # ---- milestones ----

    def reverse_schedule(self, target: datetime.date) -> list["Milestone"]:
        """倒排工期: plan milestone dates backwards from ``target`` using each one's duration.

        Once the plan is approved the dates are frozen: ``request_reverse_schedule`` asks for them instead.
        """
        if self.plan_is_approved:
            raise ValidationError(PLAN_FROZEN)
        milestones = []
        for milestone, due in self._reverse_dates(target):
            milestone.planned_on = due
            milestones.append(milestone)
        Milestone.objects.bulk_update(milestones, ["planned_on"])
        return milestones

    @transaction.atomic
    def request_reverse_schedule(self, target: datetime.date, reason: str, by) -> list["ChangeRequest"]:
        """倒排工期 on an approved plan: one change request per milestone whose date would move; all or none."""
        return [
            self.request_change(milestone, due, reason, by)
            for milestone, due in self._reverse_dates(target)
            if milestone.planned_on != due
        ]

    def _reverse_dates(self, target: datetime.date) -> list[tuple["Milestone", datetime.date]]:
        """(milestone, planned date) in milestone order, the last one due on ``target``."""
        dates, due = [], target
        for milestone in self.milestones.order_by("-sort_order", "-pk"):
            if due is None:
                raise ValidationError({"target": _("目标日期过早，按各节点工期倒排将早于公元元年。")})
            dates.append((milestone, due))
            try:
                due = due - datetime.timedelta(days=milestone.duration_days)
            except OverflowError:
                due = None  # only an error if another milestone still needs a date
        return dates[::-1]


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


# ---------------------------------------------------------------------------------------------
# Change control and suspensions: plan baselines, change requests, suspension confirmations.
# ---------------------------------------------------------------------------------------------

PLAN_FROZEN = _("计划已批准，调整计划日期须提交变更申请")
PENDING_EXISTS = _("该计划日期已有待审批的变更申请，请等待审批结果。")


def quarter_start(day: datetime.date) -> datetime.date:
    """The first day of the calendar quarter ``day`` falls in."""
    return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def quarter_label(day: datetime.date) -> str:
    return gettext("%(year)s年第%(quarter)s季度") % {"year": day.year, "quarter": (day.month - 1) // 3 + 1}


def _expected_resume_errors(expected: datetime.date | None, *, not_before: datetime.date, after=None) -> dict:
    if expected is None:
        return {"expected_resume_on": _("请填写预计恢复日期。")}
    if after is not None and expected <= after:
        return {"expected_resume_on": _("预计恢复日期须晚于暂停日期。")}
    if expected < not_before:
        return {"expected_resume_on": _("预计恢复日期不能早于今天。")}
    return {}


def _suspension_errors(reason: str, reason_code: str, expected: datetime.date | None, on) -> dict:
    errors = {} if (reason or "").strip() else {"reason": _("请填写原因。")}
    if reason_code not in SuspensionReason.values:
        errors["reason_code"] = _("请选择暂停原因。")
    errors.update(_expected_resume_errors(expected, not_before=today(), after=on))
    return errors


def _target_fields(target) -> dict:
    """A plan target as model fields: a planned-date field name, or a milestone."""
    return {"milestone": target} if isinstance(target, Milestone) else {"field_name": target or ""}


class PlanTarget(models.Model):
    """What a baseline or a change request is about: one planned stage date, or one milestone's planned date."""

    field_name = models.CharField(
        _("计划日期"),
        max_length=32,
        blank=True,
        choices=[(f, Project._meta.get_field(f).verbose_name) for f in PLANNED_DATE_FIELDS],
    )

    class Meta:
        abstract = True

    @property
    def target_key(self) -> str:
        """The same key ``Project.change_control`` and the request form use."""
        return self.field_name or f"milestone-{self.milestone_id}"

    @property
    def target_label(self) -> str:
        if self.field_name:
            return str(self.get_field_name_display())
        return gettext("节点“%(name)s”计划完成日期") % {"name": self.milestone.name}

    @staticmethod
    def one_target(name: str) -> models.CheckConstraint:
        field = Q(milestone__isnull=True) & ~Q(field_name="")
        milestone = Q(milestone__isnull=False, field_name="")
        return models.CheckConstraint(condition=field | milestone, name=name)


class PlanBaseline(PlanTarget):
    """A planned date as it stood when the plan was approved (计划基线); never changed afterwards."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="baselines")
    milestone = models.ForeignKey(Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="baselines")
    baseline_on = models.DateField(_("基线日期"), null=True, blank=True)

    objects = ScopedManager(region="project__region__path__startswith")

    class Meta:
        verbose_name = _("计划基线")
        verbose_name_plural = _("计划基线")
        ordering = ["pk"]
        constraints = [
            PlanTarget.one_target("planbaseline_one_target"),
            models.UniqueConstraint(
                fields=["project", "field_name"], condition=~Q(field_name=""), name="planbaseline_one_per_field"
            ),
            models.UniqueConstraint(
                fields=["milestone"], condition=Q(milestone__isnull=False), name="planbaseline_one_per_milestone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_label}: {self.baseline_on or '—'}"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class ChangeRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The requests on the projects the user sees (``ProjectQuerySet.visible_to``)."""
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        qs = self.filter(project__region__path__startswith=user.region.path)
        return qs.filter(project__credit_code=user.credit_code) if user.is_enterprise else qs

    def pending(self):
        return self.filter(status=ChangeStatus.PENDING)


class ChangeRequest(PlanTarget):
    """变更申请: moving a planned date of an approved plan, decided by a coordinator."""

    Status = ChangeStatus

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    # RESTRICT: a milestone with requests is not deleted on its own (the edit form refuses), but goes with its project.
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.RESTRICT, related_name="change_requests"
    )
    old_date = models.DateField(_("原计划日期"), null=True, blank=True)
    new_date = models.DateField(_("新计划日期"))
    reason = models.TextField(_("变更原因"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    objects = ScopedManager(
        region="project__region__path__startswith", _manager_class=models.Manager.from_queryset(ChangeRequestQuerySet)
    )

    class Meta:
        verbose_name = _("计划变更申请")
        verbose_name_plural = _("计划变更申请")
        ordering = ["requested_at", "pk"]
        indexes = [
            # The coordinators' queue: pending requests of a subtree, oldest first.
            models.Index(fields=["status", "requested_at"], name="changerequest_queue"),
        ]
        constraints = [
            PlanTarget.one_target("changerequest_one_target"),
            models.UniqueConstraint(
                fields=["project", "field_name"],
                condition=Q(status="pending") & ~Q(field_name=""),
                name="changerequest_one_pending_per_field",
            ),
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(status="pending", milestone__isnull=False),
                name="changerequest_one_pending_per_milestone",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="changerequest_reason_required"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="changerequest_decided_unless_pending",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_note=""), name="changerequest_rejection_has_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_label}: {self.old_date or '—'} → {self.new_date}"

    @property
    def is_pending(self) -> bool:
        return self.status == ChangeStatus.PENDING

    def current_date(self) -> datetime.date | None:
        """The planned date as the database has it now."""
        if self.milestone_id:
            return Milestone._base_manager.values_list("planned_on", flat=True).get(pk=self.milestone_id)
        return Project._base_manager.values_list(self.field_name, flat=True).get(pk=self.project_id)

    def validate_new(self) -> None:
        """A new request: on an approved plan, about a date of its own project, with a reason and a real move."""
        if not self.project.plan_is_approved:
            raise ValidationError(_("项目计划尚未批准，计划日期可由重点办在编辑页直接修改。"))
        if self.milestone_id and self.milestone.project_id != self.project_id:
            raise ValidationError({"target": _("所选节点不属于该项目。")})
        if not self.milestone_id and self.field_name not in PLANNED_DATE_FIELDS:
            raise ValidationError({"target": _("请选择要调整的计划日期。")})
        errors = {}
        if not self.reason:
            errors["reason"] = _("请填写变更原因。")
        if self.new_date is None:
            errors["new_date"] = _("请填写新的计划日期。")
        elif self.new_date == self.old_date:
            errors["new_date"] = _("新日期与当前计划日期相同。")
        pending = ChangeRequest._base_manager.filter(status=ChangeStatus.PENDING, project=self.project)
        if pending.filter(**self._target()).exists():
            errors["target"] = PENDING_EXISTS
        if errors:
            raise ValidationError(errors)

    def _target(self) -> dict:
        return {"milestone": self.milestone_id} if self.milestone_id else {"field_name": self.field_name}

    @transaction.atomic
    def approve(self, by, note: str = "") -> None:
        """Apply the new date through the model (so the history records who), then tell the requester."""
        current = self.current_date()
        if current != self.old_date:
            raise ValidationError(
                _("该计划日期已由 %(old)s 变为 %(now)s，本申请已过时，请驳回后重新申请。")
                % {"old": self.old_date or "—", "now": current or "—"}
            )
        self._claim(ChangeStatus.APPROVED, by, (note or "").strip())
        self._apply(by)
        self._notify_requester()

    @transaction.atomic
    def reject(self, by, note: str) -> None:
        if not (note or "").strip():
            raise ValidationError({"decision_note": _("请填写驳回理由。")})
        self._claim(ChangeStatus.REJECTED, by, note.strip())
        self._notify_requester()

    def _claim(self, status: str, by, note: str) -> None:
        # A conditional update: two coordinators deciding at once, only the first one wins.
        now = timezone.now()
        claimed = ChangeRequest._base_manager.filter(pk=self.pk, status=ChangeStatus.PENDING).update(
            status=status, decided_by=by, decided_at=now, decision_note=note
        )
        if not claimed:
            raise ValidationError(_("该变更申请已处理。"))
        self.status, self.decided_by, self.decided_at, self.decision_note = status, by, now, note

    def _apply(self, by) -> None:
        if self.milestone_id:
            target, field = Milestone._base_manager.get(pk=self.milestone_id), "planned_on"
            update_fields = [field]
        else:
            target, field = Project._base_manager.get(pk=self.project_id), self.field_name
            update_fields = [field, "updated_at"]
        setattr(target, field, self.new_date)
        target._history_user = by
        target._change_reason = gettext("变更申请 #%(pk)s") % {"pk": self.pk}
        target.save(update_fields=update_fields)

    def _notify_requester(self) -> None:
        from lib.notify import notify

        if self.requested_by is None:
            return
        values = {
            "project": self.project.name,
            "target": self.target_label,
            "old": self.old_date or "—",
            "new": self.new_date,
            "note": self.decision_note or "—",
        }
        if self.status == ChangeStatus.APPROVED:
            text = gettext("计划变更申请已批准：%(project)s，%(target)s %(old)s → %(new)s。") % values
        else:
            text = gettext("计划变更申请已驳回：%(project)s，%(target)s 改为 %(new)s。驳回理由：%(note)s") % values
        url = reverse("projects:detail", kwargs={"pk": self.project_id}) + "#change-control"
        notify([self.requested_by], text, url=url, kind="change_request")


@dataclass(frozen=True)
class PlanLine:
    """One planned date on the project page: its baseline, its current value and its pending request."""

    key: str
    label: str
    baseline: PlanBaseline | None
    current: datetime.date | None
    pending: ChangeRequest | None

    @property
    def moved(self) -> bool:
        """The current date differs from the approved baseline."""
        return self.baseline is not None and self.baseline.baseline_on != self.current


@dataclass(frozen=True)
class ChangeControl:
    lines: list[PlanLine]
    decided: list[ChangeRequest]  # newest decision first


class SuspensionConfirmation(models.Model):
    """A coordinator's quarterly confirmation that a suspended project is still suspended (暂停确认)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="suspension_confirmations")
    on = models.DateField(_("确认日期"))
    expected_resume_on = models.DateField(_("预计恢复日期"))
    note = models.TextField(_("情况说明"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("操作时间"), auto_now_add=True)

    objects = ScopedManager(region="project__region__path__startswith")

    class Meta:
        verbose_name = _("暂停确认")
        verbose_name_plural = _("暂停确认")
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.on}"


def coordinators_by_region(regions) -> dict[int, list[User]]:
    """Region pk -> the key-project office answering for it: its own active coordinators, else the nearest above."""
    codes = {code for region in regions for code in ancestor_codes(region)}
    users = User.objects.filter(role=Role.COORDINATOR, is_active=True, region__code__in=codes).select_related("region")
    by_code = defaultdict(list)
    for user in users.order_by("pk"):
        by_code[user.region.code].append(user)
    return {
        region.pk: next((by_code[code] for code in reversed(ancestor_codes(region)) if by_code[code]), [])
        for region in regions
    }

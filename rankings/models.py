"""Targets (目标分解) and the "horse race" rankings (赛马).

Targets: a region's fixed-asset investment (FAI) target and key-project investment plan for a year
(``RegionTarget``), split among its direct subregions (their own ``RegionTarget`` rows) and among its
departments (``DepartmentTarget``). A target is assigned from above: the rows of a region's subregions and
departments are edited on that region's split page; the top region of the installation enters its own.
``FaiActual`` is the year-to-date FAI the statistics office gives per region and month. The gaps are
computed in ``rankings.targets``.

Rankings: a region's ``RankingScheme`` (inherited down the tree like the reporting rules) weights six
indicators (``INDICATORS``) and says how each is normalised to 0–100 points. ``rankings.compute`` scores a
month or a quarter for the direct subregions or for the departments of a region and keeps the result as a
``RankingSnapshot`` with one ``RankingEntry`` per subject.

A snapshot never changes once computed (``save`` refuses an update). Recomputing a period whose snapshot is
still a draft replaces the draft (it was never shown to anyone but the key-project office); recomputing a
period already published makes a new version, a draft until published. ``RankingSnapshot.latest`` gives the
newest published version; older versions stay in the history.

Snapshots are not behind the region scope guard: a county reads the ranking its city published of all the
city's counties (an ancestor's row), which a ``path__startswith`` scope on the user's own region would hide.
``RankingSnapshotQuerySet.visible_to`` is the rule instead (as ``projects.models.ChainTag`` does).
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from org.models import Department, Region, ancestor_codes

HUNDRED = Decimal("100")
MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}
PERCENT = {"max_digits": 9, "decimal_places": 2, "null": True, "blank": True}

# The indicators, in the order of the ranking table's columns.
INDICATORS = {
    "completion": _("投资完成率"),
    "start": _("开工率"),
    "production": _("投产率"),
    "signing": _("签约投资目标完成率"),
    "problems": _("问题按期销号率"),
    "timeliness": _("月报按时报送率"),
}

# How an indicator becomes a subject's share of the weights. Each is also said in words on the scheme page.
INDICATOR_HELP = {
    "completion": _("本年重点项目截至期末已审核完成投资 ÷ 其年度计划投资"),
    "start": _("计划本年开工（计划开工日期在1月1日至期末）的项目中，期末前已开工的比例"),
    "production": _("计划本年投产（计划投产日期在1月1日至期末）的项目中，期末前已投产的比例"),
    "signing": _("本年1月1日至期末签约投资 ÷ 本年签约投资目标（招商引资）"),
    "problems": _("限时办结日期在本期内的问题中，按期销号的比例"),
    "timeliness": _("本期应报月报中，在截止日前报送（已提交或已审核）的比例"),
}

DEFAULT_WEIGHTS = {
    "completion": Decimal("30"),
    "start": Decimal("20"),
    "production": Decimal("15"),
    "signing": Decimal("15"),
    "problems": Decimal("10"),
    "timeliness": Decimal("10"),
}


def weight_field(key: str) -> str:
    return f"{key}_weight"


WEIGHT_FIELDS = [weight_field(key) for key in INDICATORS]


def month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


# ---- periods ----


class Kind(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")


class Dimension(models.TextChoices):
    REGION = "region", _("下级区划")
    DEPARTMENT = "department", _("部门")


@dataclass(frozen=True, order=True)
class RankingPeriod:
    """A month (1–12) or a quarter (1–4) of a year; the indicators run from 1 January to its end."""

    year: int
    kind: str
    number: int

    def __post_init__(self):
        top = 12 if self.kind == Kind.MONTH else 4
        if self.kind not in Kind.values or not 1 <= self.number <= top or not 2000 <= self.year <= 2100:
            raise ValueError(f"no such period: {self.year} {self.kind} {self.number}")

    @classmethod
    def of(cls, year: int, kind: str, number: int) -> "RankingPeriod":
        return cls(int(year), str(kind), int(number))

    @property
    def months(self) -> list[int]:
        return [self.number] if self.kind == Kind.MONTH else [3 * self.number - 2, 3 * self.number - 1, 3 * self.number]

    @property
    def last_month(self) -> int:
        return self.months[-1]

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, self.months[0], 1)

    @property
    def end(self) -> datetime.date:
        return month_end(self.year, self.last_month)

    @property
    def year_start(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    def previous(self) -> "RankingPeriod":
        top = 12 if self.kind == Kind.MONTH else 4
        if self.number > 1:
            return RankingPeriod(self.year, self.kind, self.number - 1)
        return RankingPeriod(self.year - 1, self.kind, top)

    def label(self) -> str:
        if self.kind == Kind.MONTH:
            return _("%(year)s年%(n)s月") % {"year": self.year, "n": self.number}
        return _("%(year)s年第%(n)s季度") % {"year": self.year, "n": self.number}

    def has_begun(self, today: datetime.date) -> bool:
        return self.start <= today

    @classmethod
    def containing(cls, day: datetime.date, kind: str) -> "RankingPeriod":
        number = day.month if kind == Kind.MONTH else (day.month - 1) // 3 + 1
        return cls(day.year, kind, number)


# ---- the scheme ----


class Normalisation(models.TextChoices):
    CAPPED = "capped", _("封顶法：指标值，超过100%按100分")
    RELATIVE = "relative", _("对标最优：指标值 ÷ 同级最高值 × 100")
    MINMAX = "minmax", _("极差法：(指标值 − 最低值) ÷ (最高值 − 最低值) × 100")


def _weight(key: str) -> models.DecimalField:
    return models.DecimalField(
        INDICATORS[key],
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_WEIGHTS[key],
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(HUNDRED)],
    )


class RankingScheme(models.Model):
    """A region's indicator weights (summing to 100) and normalisation; regions below inherit the nearest."""

    region = models.OneToOneField(
        Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="ranking_scheme"
    )
    completion_weight = _weight("completion")
    start_weight = _weight("start")
    production_weight = _weight("production")
    signing_weight = _weight("signing")
    problems_weight = _weight("problems")
    timeliness_weight = _weight("timeliness")
    normalisation = models.CharField(
        _("标准化方法"), max_length=10, choices=Normalisation.choices, default=Normalisation.CAPPED
    )

    objects = ScopedManager(region="region__path__startswith")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("赛马指标方案")
        verbose_name_plural = _("赛马指标方案")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    completion_weight__gte=0,
                    start_weight__gte=0,
                    production_weight__gte=0,
                    signing_weight__gte=0,
                    problems_weight__gte=0,
                    timeliness_weight__gte=0,
                ),
                name="rankingscheme_weights_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(self.region)

    @property
    def weights(self) -> dict[str, Decimal]:
        return {key: getattr(self, weight_field(key)) for key in INDICATORS}

    def clean(self):
        values = [v for v in self.weights.values() if v is not None and 0 <= v <= HUNDRED]
        # A weight refused on its own (missing, negative, over 100) is reported there; no total then.
        if len(values) == len(INDICATORS) and sum(values) != HUNDRED:
            message = _("各项权重合计须为 100，当前合计 %(sum)s。") % {"sum": _plain(sum(values))}
            raise ValidationError(dict.fromkeys(WEIGHT_FIELDS, message))

    @classmethod
    def for_region(cls, region: Region) -> "RankingScheme":
        """The scheme in force: the region's own, else its nearest ancestor's, else the defaults (unsaved)."""
        rows = cls._base_manager.filter(region__code__in=ancestor_codes(region)).select_related("region")
        return max(rows, key=lambda row: row.region.depth, default=None) or cls(region=region)


def _plain(value: Decimal) -> str:
    """100.00 -> "100", 92.50 -> "92.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- targets ----


class RegionTarget(models.Model):
    """A region's targets for a year, assigned by its parent (or entered by the top region for itself)."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    fai_target = models.DecimalField(_("固定资产投资目标（万元）"), null=True, blank=True, **MONEY)
    plan_target = models.DecimalField(_("重点项目投资计划（万元）"), null=True, blank=True, **MONEY)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager(region="region__path__startswith")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("区划投资目标")
        verbose_name_plural = _("区划投资目标")
        constraints = [
            models.UniqueConstraint(fields=["year", "region"], name="regiontarget_one_per_region_year"),
            models.CheckConstraint(
                condition=Q(fai_target__gte=0) | Q(fai_target__isnull=True), name="regiontarget_fai_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(plan_target__gte=0) | Q(plan_target__isnull=True), name="regiontarget_plan_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}"


class DepartmentTarget(models.Model):
    """A department's share of its region's targets for a year."""

    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    fai_target = models.DecimalField(_("固定资产投资目标（万元）"), null=True, blank=True, **MONEY)
    plan_target = models.DecimalField(_("重点项目投资计划（万元）"), null=True, blank=True, **MONEY)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager(region="department__region__path__startswith")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("部门投资目标")
        verbose_name_plural = _("部门投资目标")
        constraints = [
            models.UniqueConstraint(fields=["year", "department"], name="departmenttarget_one_per_dept_year"),
            models.CheckConstraint(
                condition=Q(fai_target__gte=0) | Q(fai_target__isnull=True), name="departmenttarget_fai_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(plan_target__gte=0) | Q(plan_target__isnull=True),
                name="departmenttarget_plan_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.year}"


class FaiActual(models.Model):
    """固定资产投资 completed year-to-date (1–N月累计) in a region, as the statistics office gives it."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="fai_actuals")
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    month = models.PositiveSmallIntegerField(_("月份"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    amount = models.DecimalField(_("1至本月累计完成固定资产投资（万元）"), **MONEY)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager(region="region__path__startswith")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("固定资产投资完成数")
        verbose_name_plural = _("固定资产投资完成数")
        ordering = ["year", "month"]
        constraints = [
            # Led by year: the gap table reads one year's figures of a handful of regions.
            models.UniqueConstraint(fields=["year", "region", "month"], name="faiactual_one_per_region_month"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="faiactual_month_1_12"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="faiactual_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}-{self.month:02d}"


# ---- snapshots ----


class Immutable(models.Model):
    """Rows written once: a second ``save`` of a stored row is refused (publishing is a conditional update)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("排名快照一经计算不可修改；请重新计算生成新版本。"))
        super().save(*args, **kwargs)


class RankingSnapshotQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def visible_to(self, user):
        """Published rankings of the user's region, of the regions above it (a county sees its city's ranking
        of all its counties) and of its subtree; drafts only to the key-project office of the region or above.
        Enterprises see none."""
        if user.is_enterprise:
            return self.none()
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        path = user.region.path
        around = Q(region__code__in=ancestor_codes(user.region)) | Q(region__path__startswith=path)
        if user.can_edit_projects:
            return self.filter(around).filter(Q(published_at__isnull=False) | Q(region__path__startswith=path))
        return self.filter(around, published_at__isnull=False)


class RankingSnapshot(Immutable):
    Kind = Kind
    Dimension = Dimension

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="rankings")
    kind = models.CharField(_("周期"), max_length=8, choices=Kind.choices)
    dimension = models.CharField(_("排名对象"), max_length=10, choices=Dimension.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    period = models.PositiveSmallIntegerField(_("月份/季度"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    as_of = models.DateField(_("数据截至"))
    # The scheme as it was: the snapshot stays explainable after the scheme changes.
    weights = models.JSONField(_("权重"))
    normalisation = models.CharField(_("标准化方法"), max_length=10, choices=Normalisation.choices)
    previous = models.ForeignKey(
        "self", verbose_name=_("对比的上期排名"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("计算人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RankingSnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("赛马排名")
        verbose_name_plural = _("赛马排名")
        ordering = ["-year", "-period", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "dimension", "year", "period", "version"], name="rankingsnapshot_version"
            ),
            # One draft per period: two recomputes at once cannot both leave one.
            models.UniqueConstraint(
                fields=["region", "kind", "dimension", "year", "period"],
                condition=Q(published_at__isnull=True),
                name="rankingsnapshot_one_draft",
            ),
            models.CheckConstraint(condition=Q(period__gte=1, period__lte=12), name="rankingsnapshot_period_1_12"),
        ]
        indexes = [
            # latest(): a region's snapshots of one kind and dimension, newest period first.
            models.Index(fields=["region", "kind", "dimension", "year", "period"], name="rankingsnapshot_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.period_obj.label()} {self.get_dimension_display()} v{self.version}"

    @property
    def period_obj(self) -> RankingPeriod:
        return RankingPeriod(self.year, self.kind, self.period)

    @property
    def label(self) -> str:
        return self.period_obj.label()

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def weight_values(self) -> dict[str, Decimal]:
        return {key: Decimal(self.weights.get(key, "0")) for key in INDICATORS}

    @classmethod
    def latest(
        cls,
        region: Region,
        kind: str = "month",
        dimension: str = "region",
        year: int | None = None,
        period: int | None = None,
        include_drafts: bool = False,
    ) -> "RankingSnapshot | None":
        """The newest published snapshot (the highest version of the latest period, or of the period given)."""
        rows = cls._base_manager.filter(region=region, kind=kind, dimension=dimension).select_related(
            "region", "computed_by", "published_by", "previous"
        )
        if not include_drafts:
            rows = rows.filter(published_at__isnull=False)
        if year is not None:
            rows = rows.filter(year=year)
        if period is not None:
            rows = rows.filter(period=period)
        return rows.order_by("-year", "-period", "-version").first()

    def publish(self, by) -> bool:
        """Publish a draft: a conditional update, so two clicks publish once. False when it was published."""
        now = timezone.now()
        claimed = RankingSnapshot._base_manager.filter(pk=self.pk, published_at__isnull=True).update(
            published_at=now, published_by=by
        )
        if claimed:
            self.published_at, self.published_by = now, by
        return bool(claimed)

    def is_current(self) -> bool:
        """The version ``latest`` gives for its period (a later published version supersedes it)."""
        newer = RankingSnapshot._base_manager.filter(
            region_id=self.region_id,
            kind=self.kind,
            dimension=self.dimension,
            year=self.year,
            period=self.period,
            version__gt=self.version,
            published_at__isnull=False,
        )
        return self.is_published and not newer.exists()


class RankingEntry(Immutable):
    """One subject's line of a snapshot: the indicators (percentages), the points, the score and the rank."""

    snapshot = models.ForeignKey(RankingSnapshot, on_delete=models.CASCADE, related_name="entries")
    region = models.ForeignKey(
        Region, verbose_name=_("区划"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject_name = models.CharField(_("名称"), max_length=64)
    position = models.PositiveSmallIntegerField(_("顺序"))  # rank, then code/name: ties in a stable order
    rank = models.PositiveSmallIntegerField(_("名次"))
    previous_rank = models.PositiveSmallIntegerField(_("上期名次"), null=True, blank=True)
    rank_change = models.SmallIntegerField(_("名次变化"), null=True, blank=True)  # positive: moved up
    score = models.DecimalField(_("综合得分"), max_digits=6, decimal_places=2)
    completion_rate = models.DecimalField(INDICATORS["completion"], **PERCENT)
    start_rate = models.DecimalField(INDICATORS["start"], **PERCENT)
    production_rate = models.DecimalField(INDICATORS["production"], **PERCENT)
    signing_rate = models.DecimalField(INDICATORS["signing"], **PERCENT)
    problems_rate = models.DecimalField(INDICATORS["problems"], **PERCENT)
    timeliness_rate = models.DecimalField(INDICATORS["timeliness"], **PERCENT)
    # Normalised points per indicator key, and the numerators and denominators behind each rate (strings).
    points = models.JSONField(_("单项得分"), default=dict)
    figures = models.JSONField(_("计算依据"), default=dict)

    class Meta:
        verbose_name = _("排名条目")
        verbose_name_plural = _("排名条目")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "position"], name="rankingentry_position"),
            models.CheckConstraint(
                condition=Q(region__isnull=False, department__isnull=True)
                | Q(region__isnull=True, department__isnull=False),
                name="rankingentry_region_or_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.subject_name} {self.score}"

    @property
    def indicators(self) -> dict[str, Decimal | None]:
        """Indicator key -> value in percent (None where the subject had nothing to measure)."""
        return {key: getattr(self, f"{key}_rate") for key in INDICATORS}

    @property
    def point_values(self) -> dict[str, Decimal | None]:
        return {key: None if self.points.get(key) is None else Decimal(self.points[key]) for key in INDICATORS}

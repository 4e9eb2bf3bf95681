"""Monthly reports, reporting periods, schedule curves and the red/yellow/blue colours.

A report belongs to one project and one month (through the ``Period`` of the
project's region). Year-to-date and since-start figures are never typed: they are
sums over the months (``MonthlyReportQuerySet.with_totals``). An approved report
changes only through ``MonthlyReport.correct``, which leaves a ``Correction``; a
correction after the period closed is a restatement, shown as such.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from org.models import Region, ancestor_codes
from projects.models import MONEY, Project, project_visibility

HUNDRED = Decimal("100")


def month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


def nearest(model, region: Region, **filters):
    """The row of ``model`` set for ``region`` or its nearest ancestor (settings inherit down the tree)."""
    codes = ancestor_codes(region)
    rows = model._base_manager.filter(region__code__in=codes, **filters).select_related("region")
    return max(rows, key=lambda row: row.region.depth, default=None)


class ReportingRules(models.Model):
    """A region's reporting and colour settings; regions below inherit them unless they set their own."""

    region = models.OneToOneField(Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="rules")
    close_day = models.PositiveSmallIntegerField(
        _("月报截止日"), default=25, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    remind_days_before = models.PositiveSmallIntegerField(_("截止前几天提醒"), default=3)
    red_lag_points = models.DecimalField(_("红色：滞后超过（百分点）"), max_digits=5, decimal_places=1, default=15)
    yellow_lag_points = models.DecimalField(_("黄色：滞后超过（百分点）"), max_digits=5, decimal_places=1, default=5)
    red_start_overdue_days = models.PositiveSmallIntegerField(_("红色：逾期未开工超过（天）"), default=30)
    red_problem_overdue_days = models.PositiveSmallIntegerField(_("红色：问题逾期超过（天）"), default=30)
    red_after_yellow_months = models.PositiveSmallIntegerField(_("连续黄色几个月转红"), default=2)
    colour_memory = models.BooleanField(
        _("颜色记忆"), default=False, help_text=_("红色项目须追上进度（回到蓝色条件）才解除红色，不经黄色过渡。")
    )
    outlier_factor = models.DecimalField(
        _("异常波动倍数"),
        max_digits=4,
        decimal_places=1,
        default=3,
        help_text=_("本月完成投资超过此前月均值的该倍数时提示审核人。"),
    )
    webhook_url = models.URLField(_("群机器人 Webhook"), blank=True, help_text=_("企业微信或钉钉群机器人地址"))

    objects = ScopedManager(region="region__path__startswith")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("月报与三色规则")
        verbose_name_plural = _("月报与三色规则")

    def __str__(self) -> str:
        return str(self.region)

    def clean(self):
        both = self.yellow_lag_points is not None and self.red_lag_points is not None
        if both and self.yellow_lag_points >= self.red_lag_points:
            raise ValidationError({"red_lag_points": _("红色阈值必须大于黄色阈值。")})

    @classmethod
    def for_region(cls, region: Region) -> "ReportingRules":
        """The rules in force: the region's own, else its nearest ancestor's, else the defaults."""
        return nearest(cls, region) or cls(region=region)


class ScheduleCurve(models.Model):
    """序时进度: the cumulative share of the annual plan due by the end of each month."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="curves")
    year = models.PositiveSmallIntegerField(_("年度"))
    shares = models.JSONField(_("各月累计序时进度（%）"), help_text=_("12 个数，逐月不减，12 月为 100"))

    objects = ScopedManager(region="region__path__startswith")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("序时进度曲线")
        verbose_name_plural = _("序时进度曲线")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="schedulecurve_one_per_region_year")]

    def __str__(self) -> str:
        return f"{self.region} {self.year}"

    def clean(self):
        errors = curve_errors(self.shares)
        if errors:
            raise ValidationError({"shares": errors})

    @staticmethod
    def linear() -> list[Decimal]:
        return [(HUNDRED * m / 12).quantize(Decimal("0.1"), ROUND_HALF_UP) for m in range(1, 13)]

    @classmethod
    def shares_for(cls, region: Region, year: int) -> list[Decimal]:
        curve = nearest(cls, region, year=year)
        return [Decimal(str(v)) for v in curve.shares] if curve else cls.linear()

    @classmethod
    def share(cls, region: Region, year: int, month: int) -> Decimal:
        return cls.shares_for(region, year)[month - 1]


def curve_errors(shares) -> list[str]:
    if not isinstance(shares, list) or len(shares) != 12:
        return [_("须填写 12 个月的累计百分比。")]
    try:
        values = [Decimal(str(v)) for v in shares]
    except ArithmeticError:
        return [_("累计百分比须为数字。")]
    if any(v < 0 or v > HUNDRED for v in values):
        return [_("累计百分比须在 0 到 100 之间。")]
    if any(b < a for a, b in zip(values, values[1:], strict=False)):
        return [_("累计百分比须逐月不减。")]
    if values[-1] != HUNDRED:
        return [_("12 月的累计百分比须为 100。")]
    return []


class PeriodQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(region__in=Region.objects.visible_to(user))


class Period(models.Model):
    """One region's reporting month: its close date, and whether it is closed (frozen)."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="periods")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    closes_on = models.DateField(_("截止日期"))
    closed_at = models.DateTimeField(_("关账时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("关账人"), null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(PeriodQuerySet)
    )

    class Meta:
        verbose_name = _("填报期")
        verbose_name_plural = _("填报期")
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "month"], name="period_one_per_region_month"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="period_month_1_12"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}年{self.month}月"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @classmethod
    def for_month(cls, region: Region, year: int, month: int) -> "Period":
        """The region's period for a month, opened on first use with the close day in force."""
        period = cls._base_manager.filter(region=region, year=year, month=month).first()
        if period:
            return period
        close_day = ReportingRules.for_region(region).close_day
        period, _created = cls._base_manager.get_or_create(
            region=region, year=year, month=month, defaults={"closes_on": datetime.date(year, month, close_day)}
        )
        return period

    @transaction.atomic
    def close(self, by) -> None:
        if not self.is_closed:
            self.closed_at, self.closed_by = timezone.now(), by
            self.save(update_fields=["closed_at", "closed_by"])


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    APPROVED = "approved", _("已审核")
    RETURNED = "returned", _("已退回")


class MonthlyReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(project_visibility(user, "project__"))

    def approved(self):
        return self.filter(status=ReportStatus.APPROVED)

    def with_totals(self):
        """Year-to-date and since-start sums of the project's approved months up to this one."""
        same_project = MonthlyReport._base_manager.filter(
            project=models.OuterRef("project"), status=ReportStatus.APPROVED
        )
        ytd = same_project.filter(year=models.OuterRef("year"), month__lte=models.OuterRef("month"))
        before = same_project.filter(
            Q(year__lt=models.OuterRef("year")) | Q(year=models.OuterRef("year"), month__lte=models.OuterRef("month"))
        )
        return self.annotate(
            ytd_completed=_sum_subquery(ytd),
            since_start_completed=_sum_subquery(before) + models.F("project__opening_completed"),
        )


def _sum_subquery(queryset):
    sums = queryset.order_by().values("project").annotate(s=Sum("completed")).values("s")
    return models.functions.Coalesce(
        models.Subquery(sums, output_field=models.DecimalField(max_digits=16, decimal_places=2)),
        Decimal("0"),
        output_field=models.DecimalField(max_digits=16, decimal_places=2),
    )


class MonthlyReport(models.Model):
    Status = ReportStatus

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="reports")
    period = models.ForeignKey(Period, verbose_name=_("填报期"), on_delete=models.PROTECT, related_name="reports")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    completed = models.DecimalField(_("本月完成投资（万元）"), **MONEY)
    progress = models.TextField(_("形象进度"), blank=True)
    problems_text = models.TextField(_("存在问题"), blank=True)
    over_total_confirmed = models.BooleanField(
        _("确认累计完成超过总投资"), default=False, help_text=_("开工以来累计完成投资超过总投资时须勾选确认。")
    )
    is_outlier = models.BooleanField(_("异常波动"), default=False, editable=False)
    status = models.CharField(_("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    return_reason = models.TextField(_("退回原因"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(
        region="project__region__path__startswith", _manager_class=models.Manager.from_queryset(MonthlyReportQuerySet)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("月报")
        verbose_name_plural = _("月报")
        ordering = ["-year", "-month", "project__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year", "month"], name="monthlyreport_one_per_project_month"),
            models.CheckConstraint(condition=Q(completed__gte=0), name="monthlyreport_completed_not_negative"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="monthlyreport_month_1_12"),
        ]
        indexes = [
            # Period overview: reports of one month by status.
            models.Index(fields=["year", "month", "status"], name="report_month_status"),
            # Year-to-date sums per project.
            models.Index(fields=["project", "year", "month"], name="report_project_month"),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.year}年{self.month}月"

    @property
    def is_late(self) -> bool:
        return bool(self.submitted_at) and timezone.localdate(self.submitted_at) > self.period.closes_on

    @property
    def is_editable(self) -> bool:
        return self.status in (ReportStatus.DRAFT, ReportStatus.RETURNED)

    # ---- figures ----

    def approved_before(self) -> Decimal:
        """Approved months of the same year before this one."""
        return _approved_sum(self.project_id, Q(year=self.year, month__lt=self.month))

    def since_start(self) -> Decimal:
        """Since start, counting this report's figure as if approved."""
        earlier = _approved_sum(self.project_id, Q(year__lt=self.year) | Q(year=self.year, month__lt=self.month))
        return self.project.opening_completed + earlier + (self.completed or 0)

    def clean(self):
        if self.completed is None or self.project_id is None:
            return
        total = self.project.total_investment
        if self.since_start() > total and not self.over_total_confirmed:
            raise ValidationError(
                {
                    "over_total_confirmed": _(
                        "开工以来累计完成 %(sum)s 万元将超过总投资 %(total)s 万元；如属实请勾选确认。"
                    )
                    % {"sum": self.since_start(), "total": total}
                }
            )

    def detect_outlier(self) -> bool:
        """A month far above the project's earlier monthly average is flagged for the approver."""
        earlier = MonthlyReport._base_manager.filter(project_id=self.project_id, status=ReportStatus.APPROVED).exclude(
            pk=self.pk
        )
        stats = earlier.aggregate(avg=models.Avg("completed"), n=models.Count("pk"))
        if not stats["n"] or not stats["avg"]:
            return False
        factor = ReportingRules.for_region(self.project.region).outlier_factor
        return Decimal(self.completed) > Decimal(stats["avg"]) * factor

    # ---- workflow ----

    @transaction.atomic
    def submit(self, by) -> None:
        if not self.is_editable:
            raise ValidationError(_("只有草稿或被退回的月报可以提交。"))
        self.full_clean()
        self.is_outlier = self.detect_outlier()
        self.status, self.submitted_at, self.submitted_by = ReportStatus.SUBMITTED, timezone.now(), by
        self.return_reason = ""
        self.save()

    @transaction.atomic
    def approve(self, by) -> None:
        if self.status != ReportStatus.SUBMITTED:
            raise ValidationError(_("只有已提交的月报可以审核通过。"))
        self.status, self.approved_at, self.approved_by = ReportStatus.APPROVED, timezone.now(), by
        self.save()
        from reports.colours import recompute_after_commit

        recompute_after_commit([self.project_id], self.year, self.month)

    @transaction.atomic
    def return_to_reporter(self, by, reason: str) -> None:
        if self.status != ReportStatus.SUBMITTED:
            raise ValidationError(_("只有已提交的月报可以退回。"))
        if not (reason or "").strip():
            raise ValidationError({"return_reason": _("请填写退回原因。")})
        self.status, self.return_reason = ReportStatus.RETURNED, reason.strip()
        self._history_user = by
        self.save()

    @transaction.atomic
    def correct(self, by, completed: Decimal, reason: str) -> "Correction":
        """Change an approved figure: recorded with who, why and old → new; a restatement once the period closed."""
        if self.status != ReportStatus.APPROVED:
            raise ValidationError(_("只有已审核的月报需要更正；草稿或退回的月报请直接修改。"))
        if not (reason or "").strip():
            raise ValidationError({"reason": _("请填写更正原因。")})
        if completed is None or completed < 0:
            raise ValidationError({"completed": _("完成投资不能为负数。")})
        old = self.completed
        self.completed = completed
        self.full_clean()
        self.save()
        correction = Correction.objects.create(
            report=self,
            old_completed=old,
            new_completed=completed,
            reason=reason.strip(),
            by=by,
            is_restatement=self.period.is_closed,
        )
        from reports.colours import recompute_after_commit

        recompute_after_commit([self.project_id], self.year, self.month)
        return correction


def _approved_sum(project_id: int, condition: Q) -> Decimal:
    rows = MonthlyReport._base_manager.filter(condition, project_id=project_id, status=ReportStatus.APPROVED)
    return rows.aggregate(s=Sum("completed", default=Decimal("0")))["s"]


def validate_photo(upload) -> None:
    """JPEG or PNG, at most 5 MB, and really an image."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > 5 * 1024 * 1024:
        raise ValidationError(_("照片不能超过 5 MB。"))
    try:
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(_("文件不是有效的图片。")) from None
    finally:
        upload.seek(0)
    if image_format not in ("JPEG", "PNG"):
        raise ValidationError(_("照片只支持 JPG 或 PNG 格式。"))


def photo_path(instance, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    report = instance.report
    folder = f"reports/{report.year}/{report.month:02d}/{report.project_id}"
    return f"{folder}/{timezone.now():%Y%m%d%H%M%S%f}.{extension}"


class ReportPhoto(models.Model):
    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("现场照片"), upload_to=photo_path, validators=[validate_photo])
    caption = models.CharField(_("说明"), max_length=100, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(region="report__project__region__path__startswith")

    class Meta:
        verbose_name = _("月报照片")
        verbose_name_plural = _("月报照片")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class Correction(models.Model):
    """A change to an approved figure: who, why, old → new. After the period closed it is a restatement."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="corrections")
    old_completed = models.DecimalField(_("原数"), max_digits=14, decimal_places=2)
    new_completed = models.DecimalField(_("新数"), max_digits=14, decimal_places=2)
    reason = models.TextField(_("更正原因"))
    is_restatement = models.BooleanField(_("关账后更正（重述）"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("更正人"), null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("更正时间"), auto_now_add=True)

    objects = ScopedManager(region="report__project__region__path__startswith")

    class Meta:
        verbose_name = _("月报更正")
        verbose_name_plural = _("月报更正")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report}: {self.old_completed} → {self.new_completed}"


class Colour(models.TextChoices):
    BLUE = "blue", _("蓝色")
    YELLOW = "yellow", _("黄色")
    RED = "red", _("红色")


class ProjectColourQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(project_visibility(user, "project__"))


class ProjectColour(models.Model):
    """A project's colour for one month with the inputs that set it; reasons are rendered from these."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="colours")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    computed = models.CharField(_("规则颜色"), max_length=6, choices=Colour.choices)
    colour = models.CharField(_("颜色"), max_length=6, choices=Colour.choices)
    # Inputs, kept so the reasons can be shown and trends drawn.
    annual_plan = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    ytd_completed = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    schedule_share = models.DecimalField(_("序时进度（%）"), max_digits=5, decimal_places=1)
    completion_rate = models.DecimalField(_("完成率（%）"), max_digits=7, decimal_places=1, null=True)
    lag_points = models.DecimalField(_("滞后（百分点）"), max_digits=7, decimal_places=1, null=True)
    start_overdue_days = models.IntegerField(_("逾期未开工（天）"), default=0)
    problem_overdue_days = models.IntegerField(_("问题逾期（天）"), default=0)
    yellow_streak = models.PositiveSmallIntegerField(_("连续黄色月数"), default=0)
    # Which rules fired, as bits (reports.colours.Reason): set in SQL by the recompute, read as texts.
    reason_flags = models.PositiveIntegerField(_("原因"), default=0)
    as_of = models.DateField(_("计算基准日"))
    override_colour = models.CharField(_("人工调整颜色"), max_length=6, choices=Colour.choices, blank=True)
    override_reason = models.TextField(_("调整理由"), blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("调整人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    objects = ScopedManager(
        region="project__region__path__startswith", _manager_class=models.Manager.from_queryset(ProjectColourQuerySet)
    )
    history = HistoricalRecords(excluded_fields=["computed_at"])

    class Meta:
        verbose_name = _("项目颜色")
        verbose_name_plural = _("项目颜色")
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year", "month"], name="projectcolour_one_per_project_month"),
        ]
        indexes = [
            # Red and yellow lists: one month's colours.
            models.Index(fields=["year", "month", "colour"], name="colour_month_colour"),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.year}-{self.month:02d} {self.get_colour_display()}"

    @property
    def is_override(self) -> bool:
        return bool(self.override_colour)

    def reason_texts(self) -> list[str]:
        from reports.colours import reason_texts

        return reason_texts(self)

    @transaction.atomic
    def override(self, colour: str, reason: str, by) -> None:
        if colour not in Colour.values:
            raise ValidationError({"colour": _("请选择颜色。")})
        if not (reason or "").strip():
            raise ValidationError({"reason": _("人工调整颜色须填写书面理由。")})
        self.override_colour, self.override_reason, self.override_by = colour, reason.strip(), by
        self.colour = colour
        self._history_user = by
        self.save()

    @transaction.atomic
    def clear_override(self, by) -> None:
        self.override_colour, self.override_reason, self.override_by = "", "", None
        self.colour = self.computed
        self._history_user = by
        self.save()


@dataclass(frozen=True)
class PeriodSummary:
    """Counts for one region subtree and month (the period overview)."""

    expected: int
    submitted: int
    approved: int
    returned: int
    draft: int
    missing: int
    late: int


class BulkUpload(models.Model):
    """An uploaded Excel file of monthly figures: checked in a dry run, saved only when confirmed."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("已校验")
        APPLIED = "applied", _("已导入")
        DISCARDED = "discarded", _("已放弃")

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    file_name = models.CharField(_("文件名"), max_length=200)
    rows = models.JSONField(_("解析结果"), default=list)  # cleaned rows, ready to save
    errors = models.JSONField(_("错误"), default=list)  # [{"row": 5, "column": "本月完成投资", "message": "..."}]
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.CHECKED)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(region="region__path__startswith")

    class Meta:
        verbose_name = _("月报批量导入")
        verbose_name_plural = _("月报批量导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name


# ---- reminders (reports.reminders) ----


def rules_for_regions(regions) -> dict[int, ReportingRules]:
    """``ReportingRules.for_region`` for many regions in one query, by region pk."""
    regions = list(regions)
    codes = {code for region in regions for code in ancestor_codes(region)}
    rows = ReportingRules._base_manager.filter(region__code__in=codes).select_related("region")
    by_code = {rules.region.code: rules for rules in rows}
    return {region.pk: _nearest_rules(region, by_code) for region in regions}


def _nearest_rules(region: Region, by_code: dict[str, ReportingRules]) -> ReportingRules:
    own_first = reversed(ancestor_codes(region))
    return next((by_code[code] for code in own_first if code in by_code), None) or ReportingRules(region=region)


class ReminderRun(models.Model):
    """One region's reminder about one month's missing reports, sent on one day.

    Inserting the row is the claim: the unique constraint lets one run only (of two
    workers, or the schedule and a manual command) send that region's reminder that day.
    """

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    sent_on = models.DateField(_("提醒日期"))
    projects = models.PositiveIntegerField(_("未报送项目数"), default=0)
    claim = models.UUIDField(editable=False)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    objects = ScopedManager(region="region__path__startswith")

    class Meta:
        verbose_name = _("月报提醒记录")
        verbose_name_plural = _("月报提醒记录")
        ordering = ["-sent_on", "region__path"]
        constraints = [
            # Led by sent_on: the claim is read back by (sent_on, claim) right after the insert.
            models.UniqueConstraint(fields=["sent_on", "region", "year", "month"], name="reminderrun_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}年{self.month}月 {self.sent_on}"

"""Pre-construction approval items (前期手续) on working-day clocks.

Each project carries a checklist copied from an ``ApprovalTemplate`` chosen by its
type. An item's limits are in working days, counted with ``lib.workdays`` (official
holidays and make-up days; admin-entered days for years the calendar library does
not cover yet).
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from org.models import Department
from projects.models import Category, Project


class Kind(models.TextChoices):
    PROJECT_APPROVAL = "project_approval", _("立项（审批/核准/备案）")
    LAND_PREVIEW = "land_preview", _("用地预审与选址意见书")
    LAND_PLANNING = "land_planning", _("建设用地规划许可证")
    WORKS_PLANNING = "works_planning", _("建设工程规划许可证")
    EIA = "eia", _("环境影响评价")
    ENERGY = "energy", _("节能审查")
    SOIL_WATER = "soil_water", _("水土保持方案")
    CONSTRUCTION_PERMIT = "construction_permit", _("施工许可证")
    OTHER = "other", _("其他")


class ItemStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未启动")
    IN_PROGRESS = "in_progress", _("办理中")
    APPROVED = "approved", _("已办结")
    NOT_NEEDED = "not_needed", _("无需办理")


class ApprovalTemplate(models.Model):
    """A checklist for a type of project, editable by the admin."""

    name = models.CharField(_("模板名称"), max_length=64, unique=True)
    category = models.CharField(_("适用项目类别"), max_length=16, choices=Category.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("前期手续模板")
        verbose_name_plural = _("前期手续模板")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApprovalTemplateItem(models.Model):
    template = models.ForeignKey(ApprovalTemplate, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("事项"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("事项名称"), max_length=64)
    department_name = models.CharField(_("办理部门（名称含）"), max_length=32, blank=True)
    statutory_days = models.PositiveSmallIntegerField(_("法定时限（工作日）"), validators=[MaxValueValidator(365)])
    promised_days = models.PositiveSmallIntegerField(_("承诺时限（工作日）"), validators=[MaxValueValidator(365)])
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("模板事项")
        verbose_name_plural = _("模板事项")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class ApprovalItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        visible = self.filter(project__in=Project.objects.visible_to(user))
        if user.role == "handler":
            visible = visible.filter(department_id=user.department_id)
        return visible

    def pending(self):
        return self.filter(status__in=[ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS])


class ApprovalItem(models.Model):
    Kind = Kind
    Status = ItemStatus

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(_("事项"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("事项名称"), max_length=64)
    department = models.ForeignKey(
        Department, verbose_name=_("办理部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="approval_items",
    )
    status = models.CharField(_("状态"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.NOT_STARTED)
    applied_on = models.DateField(_("申报日期"), null=True, blank=True)
    approved_on = models.DateField(_("办结日期"), null=True, blank=True)
    document_no = models.CharField(_("批复文号"), max_length=64, blank=True)
    statutory_days = models.PositiveSmallIntegerField(_("法定时限（工作日）"), validators=[MaxValueValidator(365)])
    promised_days = models.PositiveSmallIntegerField(_("承诺时限（工作日）"), validators=[MaxValueValidator(365)])
    # Filled when the item is approved: working days from application to approval.
    handling_days = models.PositiveSmallIntegerField(_("实际办理（工作日）"), null=True, blank=True, editable=False)
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    objects = ScopedManager(
        region="project__region__path__startswith", _manager_class=models.Manager.from_queryset(ApprovalItemQuerySet)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("前期手续事项")
        verbose_name_plural = _("前期手续事项")
        ordering = ["sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "name"], name="approvalitem_unique_per_project"),
            models.CheckConstraint(
                condition=models.Q(approved_on__isnull=True)
                | models.Q(applied_on__isnull=False, approved_on__gte=models.F("applied_on")),
                name="approvalitem_approved_after_applied",
            ),
        ]
        indexes = [
            # Department inbox: its pending items.
            models.Index(fields=["department", "status"], name="approvalitem_inbox"),
            # Fastest handling of the same item: approved items by kind.
            models.Index(fields=["kind", "status", "handling_days"], name="approvalitem_benchmark"),
        ]

    def __str__(self) -> str:
        return f"{self.project}：{self.name}"

    def clean(self):
        errors = {}
        now = timezone.localdate()
        for field in ("applied_on", "approved_on"):
            value = getattr(self, field)
            if value and value > now:
                errors[field] = _("日期不能晚于今天。")
        if self.approved_on and not self.applied_on:
            errors["applied_on"] = _("填写办结日期前须先填写申报日期。")
        elif self.approved_on and self.applied_on and self.approved_on < self.applied_on:
            errors["approved_on"] = _("办结日期不能早于申报日期。")
        if self.status == ItemStatus.APPROVED and not self.approved_on:
            errors["approved_on"] = _("已办结的事项须填写办结日期。")
        if self.status == ItemStatus.IN_PROGRESS and not self.applied_on:
            errors["applied_on"] = _("办理中的事项须填写申报日期。")
        if errors:
            raise ValidationError(errors)


class CalendarDay(models.Model):
    """An admin-entered holiday or make-up working day, for years the calendar library does not cover yet."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"), help_text=_("勾选：调休上班日；不勾选：法定节假日"))
    note = models.CharField(_("说明"), max_length=32, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '休息'}"



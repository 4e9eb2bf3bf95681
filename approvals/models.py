"""Pre-construction approval items (前期手续) on working-day clocks.

Each project carries a checklist copied from an ``ApprovalTemplate`` chosen by its
type. An item's limits are in working days, counted with ``lib.workdays`` (official
holidays and make-up days; admin-entered days for years the calendar library does
not cover yet).

Who may do what, in one place: ``ApprovalItem.objects.readable_by(user)`` is every
item of the projects the user sees (the checklist page, the stats);
``visible_to(user)`` is the user's work list (a department handler's: its own
department's items); ``editable_by`` / ``ApprovalItem.is_editable_by`` say who may
change an item: coordinators and admins all of their subtree, a handler the items of
its own department, nobody else.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history

from lib import workdays
from lib.workdays import Deadline
from org.models import Department, Role, ancestor_codes
from projects.models import Category, Project, project_visibility

PROMISED_OVER_STATUTORY = _("承诺时限不能超过法定时限。")


def limit_errors(promised: int | None, statutory: int | None) -> dict:
    if promised is not None and statutory is not None and promised > statutory:
        return {"promised_days": PROMISED_OVER_STATUTORY}
    return {}


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

    @transaction.atomic
    def apply_to(self, project: Project, by=None) -> list["ApprovalItem"]:
        """Copy the template's items onto the project, skipping the matters it already has; the new items."""
        existing = set(ApprovalItem.objects.filter(project=project).values_list("kind", "name"))
        kinds = {kind for kind, _name in existing if kind != Kind.OTHER}
        departments = list(candidate_departments(project))
        items = [
            entry.make_item(project, departments)
            for entry in self.items.all()
            if entry.kind not in kinds and (entry.kind, entry.name) not in existing
        ]
        return bulk_create_with_history(items, ApprovalItem, default_user=by)


def candidate_departments(project: Project) -> models.QuerySet:
    """Departments that may handle the project's items: its zone's first, then its region's, then upwards.

    The base manager: a city's departments sit outside a county user's scope but do handle county projects.
    """
    regions = models.Q(region__code__in=ancestor_codes(project.region))
    if project.zone_id:
        regions |= models.Q(region_id=project.zone_id)
    return Department._base_manager.filter(regions).select_related("region").order_by("-region__depth", "name")


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

    def clean(self):
        errors = limit_errors(self.promised_days, self.statutory_days)
        if errors:
            raise ValidationError(errors)

    def make_item(self, project: Project, departments: list[Department]) -> "ApprovalItem":
        """An unsaved checklist item for the project, its department the first whose name holds ``department_name``."""
        department = next((d for d in departments if self.department_name and self.department_name in d.name), None)
        return ApprovalItem(
            project=project,
            kind=self.kind,
            name=self.name,
            department=department,
            statutory_days=self.statutory_days,
            promised_days=self.promised_days,
            sort_order=self.sort_order,
        )


class ApprovalItemQuerySet(models.QuerySet):
    """Row rules and filters for approval items.

    There is no ``with_urgency()`` annotation: a due date is "n working days after
    the application" on the holiday calendar, which lives in Python (the package) and
    only partly in the database (``CalendarDay``), so it has no cheap SQL form. Two
    things do: ``overdue(today)`` filters exactly in SQL (one date cut-off per distinct
    promised limit, see ``lib.workdays.overrun_cutoff``), and ``ApprovalItem.urgency(today)``
    gives each row of a page its due date and working days left or overdue, from the
    cached calendar without a query per row.
    """

    def visible_to(self, user):
        """The user's work list: items of the projects it sees; a handler's, its department's only."""
        visible = self.readable_by(user)
        if user.role == Role.HANDLER:
            visible = visible.filter(department_id=user.department_id)
        return visible

    def readable_by(self, user):
        """Every item of the projects the user sees (a project's whole checklist)."""
        return self.filter(project_visibility(user, "project__"))

    def editable_by(self, user):
        readable = self.readable_by(user)
        if user.can_edit_projects:
            return readable
        if user.role == Role.HANDLER:
            return readable.filter(department_id=user.department_id)
        return self.none()

    def pending(self):
        return self.filter(status__in=PENDING)

    def approved(self):
        return self.filter(status=ItemStatus.APPROVED, handling_days__isnull=False)

    def overdue(self, today: datetime.date | None = None):
        """Pending items whose promised limit ran out before ``today``: exact, in SQL."""
        today = today or timezone.localdate()
        running = self.pending().filter(applied_on__isnull=False)
        limits = running.order_by().values_list("promised_days", flat=True).distinct()
        late = models.Q(pk__in=[])
        for n in sorted(limits):
            late |= models.Q(promised_days=n, applied_on__lt=workdays.overrun_cutoff(today, n))
        return running.filter(late)


PENDING = [ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS]


@dataclass(frozen=True)
class Urgency:
    """Where a pending item stands against its promised limit (all counts in working days)."""

    due: Deadline
    days_left: int  # 0 on the due day, negative once overdue

    @property
    def overdue_days(self) -> int:
        return max(-self.days_left, 0)

    @property
    def is_overdue(self) -> bool:
        return self.days_left < 0


class ApprovalItem(models.Model):
    Kind = Kind
    Status = ItemStatus

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(_("事项"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("事项名称"), max_length=64)
    department = models.ForeignKey(
        Department,
        verbose_name=_("办理部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
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

    def save(self, *args, **kwargs):
        self.handling_days = self._handling_days()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "handling_days"}
        super().save(*args, **kwargs)

    def clean(self):
        errors = limit_errors(self.promised_days, self.statutory_days) | self._department_errors()
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
        errors.update(self._status_errors())
        if errors:
            raise ValidationError(errors)

    def _status_errors(self) -> dict:
        if self.status == ItemStatus.NOT_STARTED and self.applied_on:
            return {"status": _("已填写申报日期的事项，状态应为办理中或已办结。")}
        if self.approved_on and self.status != ItemStatus.APPROVED:
            return {"status": _("已填写办结日期的事项，状态应为已办结。")}
        return {}

    def _department_errors(self) -> dict:
        """The handling department belongs to the project's region, a region above it, or its zone."""
        if not (self.department_id and self.project_id):
            return {}
        region, project = self.department.region, self.project
        if region.code in ancestor_codes(project.region) or region.pk == project.zone_id:
            return {}
        return {"department": _("办理部门须属于项目所在区划、其上级区划或所在开发区。")}

    def _handling_days(self) -> int | None:
        if self.status == ItemStatus.APPROVED and self.applied_on and self.approved_on:
            return workdays.workdays_between(self.applied_on, self.approved_on)
        return None

    # ---- the clock ----

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING

    def due_on(self) -> Deadline | None:
        """The promised due date: ``promised_days`` working days after the application."""
        return workdays.deadline(self.applied_on, self.promised_days) if self.applied_on else None

    def statutory_due_on(self) -> Deadline | None:
        return workdays.deadline(self.applied_on, self.statutory_days) if self.applied_on else None

    def urgency(self, today: datetime.date | None = None) -> Urgency | None:
        """Due date and working days left (negative: overdue) of a pending item whose clock runs; else None."""
        if not (self.is_pending and self.applied_on):
            return None
        today = today or timezone.localdate()
        due = self.due_on()
        if not workdays.years_covered(due.date, today):
            due = Deadline(due.date, covered=False)
        return Urgency(due, self.promised_days - workdays.workdays_between(self.applied_on, today))

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        """Pending and past the promised due date by at least one working day."""
        urgency = self.urgency(today)
        return bool(urgency and urgency.is_overdue)

    # ---- who may change it, and the changes ----

    def is_editable_by(self, user) -> bool:
        """For an item the user already sees (mirrors ``ApprovalItemQuerySet.editable_by``)."""
        if user.can_edit_projects:
            return True
        return user.role == Role.HANDLER and self.department_id is not None and user.department_id == self.department_id

    def mark_applied(self, on: datetime.date, by) -> None:
        self.status, self.applied_on = ItemStatus.IN_PROGRESS, on
        self._validate_and_save(by)

    def mark_approved(self, on: datetime.date, document_no: str, by) -> None:
        """办结: the date and document number; the handling days are counted on save."""
        self.status, self.approved_on, self.document_no = ItemStatus.APPROVED, on, document_no
        self._validate_and_save(by)

    def _validate_and_save(self, by) -> None:
        self.full_clean()
        self._history_user = by
        self.save()


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

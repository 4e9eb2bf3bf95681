"""台账导入: an uploaded ledger file, its column mapping, the saved mapping templates and what an import changed.

A ``LedgerImport`` goes uploaded → mapping confirmed and checked (the dry run) → applied → (undone).
Each project it created or updated has an ``ImportItem`` with the values before and after, so the
whole import can be undone while nobody has touched those projects since.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from org.models import Region, ancestor_codes
from projects.models import Category, Project, StageChange


def _upload_path(instance, filename: str) -> str:
    # The original name stays in ``file_name``; on disk a random one, so no name from a file reaches a path.
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"imports/{instance.region_id}/{uuid.uuid4().hex}{suffix}"


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("待确认列映射")
    CHECKED = "checked", _("已校验")
    RUNNING = "running", _("处理中")
    APPLIED = "applied", _("已导入")
    UNDONE = "undone", _("已撤销")


class ImportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Imports made in the user's region or below it."""
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        return self.filter(region__path__startswith=user.region.path)


class LedgerImport(models.Model):
    """One uploaded ledger: its file, the mapping of its columns, the dry run's errors and the counts."""

    Status = ImportStatus

    region = models.ForeignKey(Region, verbose_name=_("导入区划"), on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(_("文件"), upload_to=_upload_path)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_kind = models.CharField(_("文件类型"), max_length=8)
    sheet_name = models.CharField(_("工作表"), max_length=100, blank=True)
    sheet_names = models.JSONField(default=list)
    header_first = models.PositiveIntegerField(_("表头首行"), default=1)
    header_last = models.PositiveIntegerField(_("表头末行"), default=1)
    # [{"index": 1, "letter": "B", "header": "项目名称", "field": "name", "unit": "", "year": null, "sample": [...]}]
    columns = models.JSONField(_("列映射"), default=list)
    default_unit = models.CharField(_("表头注明的金额单位"), max_length=4, blank=True)
    default_category = models.CharField(_("默认项目类别"), max_length=16, choices=Category.choices, blank=True)
    template = models.ForeignKey(
        "ImportTemplate", verbose_name=_("映射模板"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.MAPPING)
    data_rows = models.PositiveIntegerField(_("数据行"), default=0)
    create_count = models.PositiveIntegerField(_("新建"), default=0)
    update_count = models.PositiveIntegerField(_("更新"), default=0)
    skipped_count = models.PositiveIntegerField(_("跳过"), default=0)  # totals, section headings, repeated headers
    unchanged_count = models.PositiveIntegerField(_("无变化"), default=0)
    error_count = models.PositiveIntegerField(_("错误行"), default=0)
    # [{"row": 7, "column": "D", "field": "总投资", "message": "..."}], sheet row numbers as Excel shows them
    errors = models.JSONField(_("错误"), default=list)
    # The first rows the dry run would save: [{"row": 5, "action": "create", "name": ..., ...}]
    preview = models.JSONField(_("预览"), default=list)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_step = models.CharField(max_length=10, blank=True)  # "check" | "apply" while running
    failure = models.CharField(_("失败原因"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    checked_at = models.DateTimeField(_("校验时间"), null=True, blank=True)
    applied_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(ImportQuerySet)
    )

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The import history of a region subtree, newest first.
            models.Index(fields=["region", "-created_at"], name="ledgerimport_history"),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def mapped(self) -> list[dict]:
        return [column for column in self.columns if column.get("field")]

    @property
    def is_running(self) -> bool:
        return self.status == ImportStatus.RUNNING

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class ImportItem(models.Model):
    """One project an import created or updated, with the values it replaced (for undo)."""

    class Action(models.TextChoices):
        CREATED = "created", _("新建")
        UPDATED = "updated", _("更新")

    ledger_import = models.ForeignKey(LedgerImport, on_delete=models.CASCADE, related_name="items")
    project = models.ForeignKey(Project, null=True, on_delete=models.SET_NULL, related_name="+")
    row = models.PositiveIntegerField(_("行号"))
    action = models.CharField(_("操作"), max_length=8, choices=Action.choices)
    name = models.CharField(_("项目名称"), max_length=128)
    # Field name -> value as JSON (dates ISO, decimals as strings, foreign keys as ids); annual plans as
    # "plan:<year>" -> amount or null (no plan before).
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    stage_change = models.ForeignKey(StageChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager(region="ledger_import__region__path__startswith")

    class Meta:
        verbose_name = _("导入明细")
        verbose_name_plural = _("导入明细")
        ordering = ["ledger_import", "row"]
        indexes = [
            # An import's items in sheet order (the detail page, undo).
            models.Index(fields=["ledger_import", "row"], name="importitem_by_row"),
        ]

    def __str__(self) -> str:
        return f"{self.row}: {self.name}"


class TemplateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Templates of the user's region and of the regions above it (a city may share one with its counties)."""
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        return self.filter(region__code__in=ancestor_codes(user.region))

    def own(self, user):
        return self.filter(region_id=user.region_id)


class ImportTemplate(models.Model):
    """A named column mapping (映射模板) a region saved for the ledger layout it receives every month."""

    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("模板名称"), max_length=64)
    # [{"header": "<normalised header text>", "field": "name", "unit": ""}]; field "" means "not imported".
    columns = models.JSONField(_("列映射"), default=list)
    default_category = models.CharField(_("默认项目类别"), max_length=16, choices=Category.choices, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("保存人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("保存时间"), auto_now=True)

    # Templates are read up the tree (ancestors), so no subtree scope: every query goes through visible_to.
    objects = TemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("导入映射模板")
        verbose_name_plural = _("导入映射模板")
        ordering = ["region__path", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="importtemplate_unique_name")]

    def __str__(self) -> str:
        return self.name

"""What OC4IDS keeps beside the ledger: a project's identity in packages, and uploaded packages awaiting confirmation.

``ProjectRecord``: a project that came in through an OC4IDS import keeps its identifier and the
project object as received, plus a fingerprint of the ledger fields as the import left them
(``ledger_state``). The export then writes each section the ledger has not changed since (say
a budget in pounds, two locations, seven-decimal coordinates) exactly as received, and rebuilds
only the sections the ledger has changed (see ``oc4ids.export``).

``PackageImport``: an uploaded package that passed the schema check, with the dry run's outcome
per project; nothing reaches the ledger before a coordinator confirms it (``oc4ids.importer``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from org.models import Region
from projects.models import Project


class ProjectRecord(models.Model):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="oc4ids_record")
    ocid = models.CharField(_("OC4IDS 项目编号"), max_length=255, unique=True)
    source = models.JSONField(_("导入时的项目数据"))
    ledger_state = models.JSONField(default=dict)  # section -> the ledger's fingerprint right after the import
    milestone_ids = models.JSONField(default=dict)  # OC4IDS milestone id -> projects.Milestone pk
    imported_at = models.DateTimeField(_("导入时间"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = ScopedManager(region="project__region__path__startswith")

    class Meta:
        verbose_name = _("OC4IDS 导入记录")
        verbose_name_plural = _("OC4IDS 导入记录")

    def __str__(self) -> str:
        return self.ocid


class PackageImportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Imports into the user's region subtree."""
        return self.filter(region__in=Region.objects.visible_to(user))


class PackageImport(models.Model):
    class Status(models.TextChoices):
        CHECKED = "checked", _("已校验")
        APPLIED = "applied", _("已导入")
        DISCARDED = "discarded", _("已放弃")

    region = models.ForeignKey(Region, verbose_name=_("导入到"), on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=200)
    package = models.JSONField(_("项目包"))
    outcomes = models.JSONField(_("校验结果"), default=list)  # one dict per project: see importer.Outcome
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.CHECKED)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    applied_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(PackageImportQuerySet)
    )

    class Meta:
        verbose_name = _("OC4IDS 项目包导入")
        verbose_name_plural = _("OC4IDS 项目包导入")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def error_count(self) -> int:
        return sum(len(outcome["errors"]) for outcome in self.outcomes)

    @property
    def counts(self) -> dict[str, int]:
        return action_counts(self.outcomes)


def action_counts(outcomes: list[dict]) -> dict[str, int]:
    """Projects by what the import does with them: create / update / unchanged / error."""
    counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
    for outcome in outcomes:
        counts[outcome["action"]] += 1
    return counts

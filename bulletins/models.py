"""The monthly bulletin (月度通报): one per region and month, a draft until issued, then frozen.

Generating a bulletin computes its content once from the data (``bulletins.content.compute``) and keeps it
as JSON on the row, with the Word, PDF and Excel files rendered from that JSON through Django storage. A
draft may be regenerated as often as wanted; issuing (``Bulletin.issue``) gives it the next document
number of its region and year (交重点办〔2026〕3号), renders the files once more with the number, and
freezes it: nothing reads the data again, so later changes to projects, reports or problems never alter an
issued bulletin.

Who sees what: a bulletin belongs to its region, so it is visible in that region's subtree. Drafts are for
the key-project office (coordinators, admins) only; every other government role reads issued bulletins;
enterprises see none (``BulletinQuerySet.visible_to``).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager, scopes_disabled
from simple_history.models import HistoricalRecords

from org.models import Region

# How many times issuing retries when another bulletin of the region took the same number meanwhile.
NUMBER_ATTEMPTS = 3


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已印发")


class BulletinQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The user's region subtree; drafts for the key-project office only; nothing for an enterprise."""
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        if user.is_enterprise:
            return self.none()
        visible = self.filter(region__path__startswith=user.region.path)
        return visible if user.can_edit_projects else visible.filter(status=Status.ISSUED)

    def issued(self):
        return self.filter(status=Status.ISSUED)


def file_path(instance: "Bulletin", filename: str) -> str:
    return f"bulletins/{instance.region.code}/{instance.year}/{instance.month:02d}/{filename}"


class Bulletin(models.Model):
    Status = Status

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="bulletins")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    # The frozen content: everything the documents and the preview show (bulletins.content).
    content = models.JSONField(_("通报内容"), default=dict)
    docx = models.FileField(_("Word 文档"), upload_to=file_path, blank=True)
    pdf = models.FileField(_("PDF 文档"), upload_to=file_path, blank=True)
    ledger = models.FileField(_("Excel 台账"), upload_to=file_path, blank=True)
    # 发文字号: 〔number_year〕number号, assigned on issue.
    number_year = models.PositiveSmallIntegerField(_("文号年份"), null=True, blank=True)
    number = models.PositiveIntegerField(_("文号序号"), null=True, blank=True)
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("印发人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(BulletinQuerySet)
    )
    # Who generated and issued when; the content itself is kept once, on the row.
    history = HistoricalRecords(excluded_fields=["content"])

    class Meta:
        verbose_name = _("月度通报")
        verbose_name_plural = _("月度通报")
        ordering = ["-year", "-month", "region__path"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "month"], name="bulletin_one_per_region_month"),
            models.UniqueConstraint(
                fields=["region", "number_year", "number"],
                condition=Q(number__isnull=False),
                name="bulletin_number_unique_in_region_year",
            ),  # fmt: skip
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="bulletin_month_1_12"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(number__isnull=False, issued_at__isnull=False),
                name="bulletin_issued_has_number",
            ),
        ]

    def __str__(self) -> str:
        return self.content.get("meta", {}).get("title") or f"{self.region} {self.year}年{self.month}月"

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def meta(self) -> dict:
        return self.content.get("meta", {})

    # ---- generating ----

    @classmethod
    def generate(cls, region: Region, year: int, month: int, by=None, today: datetime.date | None = None,
                 render: bool = True):  # fmt: skip
        """The month's draft, created or regenerated from the data as it is now; an issued one is refused.

        ``render=False`` stores the content only, for a caller that issues the draft at once (``issue``
        renders the files anyway): the demo and ``make_bulletin --issue``.
        """
        from . import content, documents

        with scopes_disabled():
            existing = cls._base_manager.filter(region=region, year=year, month=month).first()
            if existing and not existing.is_draft:
                raise ValidationError(_("%(title)s 已印发，不能重新生成。") % {"title": existing})
            computed = content.compute(region, year, month, today=today)
            files = documents.render_all(computed, region, year, month) if render else {}
            return cls._save_draft(existing, region, year, month, computed, files, by)

    @classmethod
    def _save_draft(cls, existing, region, year, month, computed, files, by) -> "Bulletin":
        try:
            with transaction.atomic():
                bulletin = existing or cls(region=region, year=year, month=month)
                old_files = bulletin._file_names()
                bulletin.content, bulletin.generated_at, bulletin.generated_by = computed, timezone.now(), by
                # Files of the earlier content never outlive it: replaced, or cleared when not rendered now.
                bulletin.docx = bulletin.pdf = bulletin.ledger = ""
                bulletin._attach(files)
                bulletin.save()
        except IntegrityError:
            # Two first generations of the same month at once: the other one won the unique constraint.
            raise ValidationError(_("该月通报刚由他人生成，请刷新页面。")) from None
        transaction.on_commit(lambda: _delete_files(old_files))
        return bulletin

    def regenerate(self, by=None, today: datetime.date | None = None) -> "Bulletin":
        if not self.is_draft:
            raise ValidationError(_("已印发的通报不能重新生成。"))
        return Bulletin.generate(self.region, self.year, self.month, by=by, today=today)

    # ---- issuing ----

    def issue(self, by=None, on: datetime.date | None = None) -> None:
        """Number the draft, render its files once more with the number, and freeze it.

        The content is the draft's as reviewed, not recomputed. The files are rendered before the short
        transaction that claims the draft (a city's PDF takes seconds; no lock is held meanwhile); if another
        bulletin of the region took the number in between, the unique constraint refuses it and we retry.
        """
        from . import documents

        on = on or timezone.localdate()
        for _attempt in range(NUMBER_ATTEMPTS):
            number = self.next_number(self.region, on.year)
            numbered = {**self.content, "meta": {**self.meta, "number": number, "number_year": on.year,
                                                 "issued_on": on.isoformat()}}  # fmt: skip
            files = documents.render_all(numbered, self.region, self.year, self.month, ledger=not self.ledger)
            try:
                with transaction.atomic():
                    self._claim(numbered, number, on, by, files)
                return
            except IntegrityError:
                continue
        raise ValidationError(_("文号分配冲突，请稍后重试。"))

    def _claim(self, numbered: dict, number: int, on: datetime.date, by, files: dict) -> None:
        claimed = Bulletin._base_manager.filter(pk=self.pk, status=Status.DRAFT).update(
            status=Status.ISSUED, number=number, number_year=on.year, issued_at=timezone.now(),
            issued_by=by, content=numbered,
        )  # fmt: skip
        if not claimed:
            raise ValidationError(_("该通报已印发。"))
        old_files = [getattr(self, field).name for field in files]
        self.refresh_from_db()
        self._attach(files)
        self._history_user = by
        self.save(update_fields=list(files))
        transaction.on_commit(lambda: _delete_files(old_files))

    @staticmethod
    def next_number(region: Region, year: int) -> int:
        taken = Bulletin._base_manager.filter(region=region, number_year=year).aggregate(n=Max("number"))["n"]
        return (taken or 0) + 1

    # ---- files ----

    def _file_names(self) -> list[str]:
        return [field.name for field in (self.docx, self.pdf, self.ledger) if field]

    def _attach(self, files: dict[str, tuple[str, bytes]]) -> None:
        """Save the rendered files to storage (new names each time) and point the fields at them."""
        for field_name, (filename, body) in files.items():
            getattr(self, field_name).save(filename, ContentFile(body), save=False)

    def delete_draft(self) -> None:
        if not self.is_draft:
            raise ValidationError(_("已印发的通报不能删除。"))
        names = self._file_names()
        with transaction.atomic():
            self.delete()
            transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)

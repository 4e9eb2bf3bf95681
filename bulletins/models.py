"""The monthly bulletin (月度通报): one per region and month, a draft until issued, then frozen.

Generating a bulletin computes its content once from the data (``bulletins.content.compute``) and keeps it
as JSON on the row, with the Word, PDF and Excel files rendered from that JSON through Django storage. A
draft may be regenerated as often as wanted; issuing gives it the next document number of its region and
year (交重点办〔2026〕3号), renders the files once more with the number, and freezes it: nothing reads the
data again, so later changes to projects, reports or problems never alter an issued bulletin.

Both take seconds of CPU for a city (the figures, WeasyPrint, openpyxl), so the screens run them as a huey
task (``bulletins.tasks``), in two halves:

- the claim (``claim_generation``, ``claim_issue``): a conditional ``update()`` marks the row 生成中 or
  印发中 with a fresh ``job_token``; it is refused while another job holds the row, so a bulletin is never
  generated, issued or deleted twice at once;
- the run (``run_generation``, ``run_issue``): computes and renders everything outside any transaction,
  saves the new files under new names, then swaps content and files in with one short transaction that
  first checks the row still carries the token. A failure leaves the previous content and files as they
  were, deletes whatever new file was already stored, and records a readable message on the row.

``generate`` and ``issue`` do both halves at once (``make_bulletin``, the demo, the tests). A job whose worker
died holds the row only ``JOB_TIMEOUT``; after that the row may be claimed again, and the lost worker's late
result is discarded (its token no longer matches).

Who sees what: a bulletin belongs to its region, so it is visible in that region's subtree. Drafts are for
the key-project office (coordinators, admins) only; every other government role reads issued bulletins;
enterprises see none (``BulletinQuerySet.visible_to``).
"""

import datetime
import uuid
from collections.abc import Iterable

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
# A job older than this is taken for lost (its worker killed): the row may be claimed again. A city's
# bulletin takes well under a minute.
JOB_TIMEOUT = datetime.timedelta(minutes=15)
FAILURE_LENGTH = 500


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已印发")


class Job(models.TextChoices):
    GENERATE = "generate", _("生成中")
    ISSUE = "issue", _("印发中")


class Step(models.TextChoices):
    """Where a running job is, in order (the progress bar's share of the work done before each)."""

    QUEUED = "", _("已排队，等待后台处理")
    CONTENT = "content", _("正在汇总数据")
    DOCX = "docx", _("正在生成 Word 文档")
    PDF = "pdf", _("正在排版 PDF 文档")
    LEDGER = "ledger", _("正在生成 Excel 附件")
    SAVE = "save", _("正在保存")


STEP_PERCENT = {Step.QUEUED: 0, Step.CONTENT: 5, Step.DOCX: 20, Step.PDF: 30, Step.LEDGER: 70, Step.SAVE: 95}


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


def _free() -> Q:
    """No job holds the row: none was claimed, or the one claimed is lost (older than ``JOB_TIMEOUT``)."""
    return Q(job="") | Q(job_started_at__lt=timezone.now() - JOB_TIMEOUT)


def file_path(instance: "Bulletin", filename: str) -> str:
    return f"bulletins/{instance.region.code}/{instance.year}/{instance.month:02d}/{filename}"


class Bulletin(models.Model):
    Status = Status
    Job = Job

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="bulletins")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    # The frozen content: everything the documents and the preview show (bulletins.content); {} until the first
    # generation has finished.
    content = models.JSONField(_("通报内容"), default=dict)
    docx = models.FileField(_("Word 文档"), upload_to=file_path, blank=True)
    pdf = models.FileField(_("PDF 文档"), upload_to=file_path, blank=True)
    ledger = models.FileField(_("Excel 附件"), upload_to=file_path, blank=True)
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
    # The background job holding the row (see the module docstring): "" when none.
    job = models.CharField(_("后台任务"), max_length=8, choices=Job.choices, blank=True)
    job_step = models.CharField(_("任务进度"), max_length=8, choices=Step.choices, blank=True)
    job_token = models.UUIDField(null=True, blank=True, editable=False)
    job_started_at = models.DateTimeField(_("任务开始时间"), null=True, blank=True)
    job_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("任务发起人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # Why the last job failed ("生成失败：…"); cleared when the next one is claimed.
    failure = models.CharField(_("失败原因"), max_length=FAILURE_LENGTH, blank=True)

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(BulletinQuerySet)
    )
    # Who generated and issued when; the content itself is kept once, on the row, and a job's progress not at all.
    history = HistoricalRecords(excluded_fields=["content", "job_step", "job_token", "job_started_at"])

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
            models.CheckConstraint(
                condition=Q(job="") | Q(job_token__isnull=False, job_started_at__isnull=False),
                name="bulletin_job_has_token",
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

    @property
    def has_content(self) -> bool:
        return bool(self.meta)

    # ---- the job holding the row ----

    @property
    def job_lost(self) -> bool:
        return bool(self.job) and self.job_started_at < timezone.now() - JOB_TIMEOUT

    @property
    def is_busy(self) -> bool:
        """A job holds the row: nothing else may be done with it until the job ends."""
        return bool(self.job) and not self.job_lost

    @property
    def job_percent(self) -> int:
        return STEP_PERCENT.get(self.job_step, 0)

    def _busy_error(self) -> ValidationError:
        if self.job == Job.ISSUE:
            return ValidationError(_("该通报正在印发，请等待完成后再操作。"))
        return ValidationError(_("该通报正在生成，请等待完成后再操作。"))

    def _claim(self, job: str, by) -> None:
        """Mark the draft as held by ``job`` with a fresh token (a conditional update: one job at a time)."""
        token, now = uuid.uuid4(), timezone.now()
        claimed = Bulletin._base_manager.filter(_free(), pk=self.pk, status=Status.DRAFT).update(
            job=job, job_step=Step.QUEUED, job_token=token, job_started_at=now, job_by=by, failure="",
        )  # fmt: skip
        self._reload()
        if not claimed:
            raise self._refusal(job)

    def _reload(self) -> None:
        try:
            self.refresh_from_db()
        except Bulletin.DoesNotExist:
            raise ValidationError(_("该通报已被删除。")) from None

    def _refusal(self, job: str) -> ValidationError:
        """Why a job cannot start (or a draft cannot be deleted: ``job`` "")."""
        if self.is_draft:
            return self._busy_error()
        if job == Job.ISSUE:
            return ValidationError(_("该通报已印发。"))
        if job == Job.GENERATE:
            return ValidationError(_("%(title)s 已印发，不能重新生成。") % {"title": self})
        return ValidationError(_("已印发的通报不能删除。"))

    def _step(self, step: str) -> None:
        Bulletin._base_manager.filter(pk=self.pk, job_token=self.job_token).update(job_step=step)

    def _locked(self) -> "Bulletin":
        """The row, locked for the swap, provided this job still holds it."""
        row = Bulletin._base_manager.select_for_update().filter(pk=self.pk, job_token=self.job_token).first()
        if row is None:
            raise ValidationError(_("该通报已被删除或已由他人重新处理，本次结果未保存。"))
        return row

    def _end_job(self) -> None:
        self.job, self.job_step, self.job_token, self.job_started_at = "", Step.QUEUED, None, None

    def record_failure(self, what: str, error: Exception) -> None:
        """End the job with a readable message on the row (if this job still holds it)."""
        message = (_("%(what)s：%(detail)s") % {"what": what, "detail": _detail(error)})[:FAILURE_LENGTH]
        Bulletin._base_manager.filter(pk=self.pk, job_token=self.job_token).update(
            job="", job_step=Step.QUEUED, job_token=None, job_started_at=None, failure=message
        )

    # ---- generating ----

    @classmethod
    def claim_generation(cls, region: Region, year: int, month: int, by=None) -> "Bulletin":
        """The month's draft, created if new, marked 生成中; refused when issued or held by another job."""
        with scopes_disabled():
            existing = cls._base_manager.filter(region=region, year=year, month=month).first()
            if existing is None:
                return cls._create_generating(region, year, month, by)
            existing._claim(Job.GENERATE, by)
            return existing

    @classmethod
    def _create_generating(cls, region: Region, year: int, month: int, by) -> "Bulletin":
        bulletin = cls(region=region, year=year, month=month, generated_by=by, job=Job.GENERATE,
                       job_token=uuid.uuid4(), job_started_at=timezone.now(), job_by=by)  # fmt: skip
        bulletin._history_user = by
        try:
            with transaction.atomic():
                bulletin.save()
        except IntegrityError:
            # Two first generations of the same month at once: the other one won the unique constraint.
            raise ValidationError(_("该月通报刚由他人生成，请刷新页面。")) from None
        return bulletin

    def run_generation(self, today: datetime.date | None = None, render: bool = True) -> None:
        """Compute the content and render the files, then swap both in; on failure record why and raise.

        ``render=False`` stores the content only, for a caller that issues the draft at once (issuing renders
        the files anyway): the demo and ``make_bulletin --issue``.
        """
        from . import content, documents

        try:
            with scopes_disabled():
                self._step(Step.CONTENT)
                computed = content.compute(self.region, self.year, self.month, today=today)
                files = {}
                if render:
                    files = documents.render_all(computed, self.region, self.year, self.month, progress=self._step)
                self._step(Step.SAVE)
                self._swap_in(computed, files)
        except Exception as error:
            self.record_failure(_("生成失败"), error)
            raise

    def _swap_in(self, computed: dict, files: dict) -> None:
        stored = self._store(files)
        try:
            with transaction.atomic():
                row = self._locked()
                if not row.is_draft:
                    raise row._refusal(Job.GENERATE)
                old_files = row._file_names()
                row.content, row.generated_at, row.generated_by = computed, timezone.now(), row.job_by
                # Files of the earlier content never outlive it: replaced, or cleared when not rendered now.
                row.docx, row.pdf, row.ledger = (stored.get(name, "") for name in ("docx", "pdf", "ledger"))
                row._end_job()
                row.failure = ""
                row._history_user = row.job_by
                row.save()
        except BaseException:
            _delete_files(stored.values())
            raise
        transaction.on_commit(lambda: _delete_files(old_files))
        self.refresh_from_db()

    @classmethod
    def generate(cls, region: Region, year: int, month: int, by=None, today: datetime.date | None = None,
                 render: bool = True) -> "Bulletin":  # fmt: skip
        """Claim and run at once: the month's draft, created or regenerated from the data as it is now."""
        bulletin = cls.claim_generation(region, year, month, by=by)
        bulletin.run_generation(today=today, render=render)
        return bulletin

    def regenerate(self, by=None, today: datetime.date | None = None) -> "Bulletin":
        if not self.is_draft:
            raise ValidationError(_("已印发的通报不能重新生成。"))
        return Bulletin.generate(self.region, self.year, self.month, by=by, today=today)

    # ---- issuing ----

    def claim_issue(self, by=None) -> None:
        """Mark the draft 印发中; refused when issued, held by another job, or not generated yet."""
        if self.is_draft and not self.has_content and not self.is_busy:
            raise ValidationError(_("通报尚未生成成功，不能印发；请先重新生成。"))
        self._claim(Job.ISSUE, by)

    def run_issue(self, on: datetime.date | None = None) -> None:
        """Number the draft, render its files once more with the number, and freeze it; on failure record why.

        The content is the draft's as reviewed, not recomputed. The files are rendered before the short
        transaction that freezes the draft (a city's PDF takes seconds; no lock is held meanwhile); if another
        bulletin of the region took the number in between, the unique constraint refuses it and we retry.
        """
        on = on or timezone.localdate()
        try:
            with scopes_disabled():
                for _attempt in range(NUMBER_ATTEMPTS):
                    if self._issue_as(self.next_number(self.region, on.year), on):
                        return
                raise ValidationError(_("文号分配冲突，请稍后重试。"))
        except Exception as error:
            self.record_failure(_("印发失败"), error)
            raise

    def _issue_as(self, number: int, on: datetime.date) -> bool:
        """Render with ``number`` and freeze; False when the number was taken meanwhile."""
        from . import documents

        numbered = {**self.content, "meta": {**self.meta, "number": number, "number_year": on.year,
                                             "issued_on": on.isoformat()}}  # fmt: skip
        files = documents.render_all(numbered, self.region, self.year, self.month, ledger=not self.ledger,
                                     progress=self._step)  # fmt: skip
        self._step(Step.SAVE)
        stored = self._store(files)
        try:
            with transaction.atomic():
                old_files = self._freeze(numbered, number, on, stored)
        except IntegrityError:
            _delete_files(stored.values())
            return False
        except BaseException:
            _delete_files(stored.values())
            raise
        transaction.on_commit(lambda: _delete_files(old_files))
        self.refresh_from_db()
        return True

    def _freeze(self, numbered: dict, number: int, on: datetime.date, stored: dict[str, str]) -> list[str]:
        row = self._locked()
        if not row.is_draft:
            raise ValidationError(_("该通报已印发。"))
        old_files = [getattr(row, field).name for field in stored]
        row.status, row.number, row.number_year, row.content = Status.ISSUED, number, on.year, numbered
        row.issued_at, row.issued_by = timezone.now(), row.job_by
        for field, name in stored.items():
            setattr(row, field, name)
        row._end_job()
        row._history_user = row.job_by
        row.save()
        return old_files

    def issue(self, by=None, on: datetime.date | None = None) -> None:
        """Claim and run at once (``make_bulletin --issue``, the demo, the tests)."""
        self.claim_issue(by=by)
        self.run_issue(on=on)

    @staticmethod
    def next_number(region: Region, year: int) -> int:
        taken = Bulletin._base_manager.filter(region=region, number_year=year).aggregate(n=Max("number"))["n"]
        return (taken or 0) + 1

    # ---- files ----

    def _file_names(self) -> list[str]:
        return [field.name for field in (self.docx, self.pdf, self.ledger) if field]

    def _store(self, files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
        """Save the rendered files to storage under new names; field name -> stored name. All or none."""
        stored: dict[str, str] = {}
        try:
            for field_name, (filename, body) in files.items():
                field = getattr(self, field_name)
                stored[field_name] = field.storage.save(field.field.generate_filename(self, filename),
                                                        ContentFile(body))  # fmt: skip
        except BaseException:
            _delete_files(stored.values())
            raise
        return stored

    def delete_draft(self) -> None:
        """Delete the draft and, once committed, its files; refused when issued or held by a job."""
        if not self.is_draft:
            raise ValidationError(_("已印发的通报不能删除。"))
        names = self._file_names()
        with transaction.atomic():
            deleted, _rows = Bulletin._base_manager.filter(_free(), pk=self.pk, status=Status.DRAFT).delete()
            if not deleted:
                self._reload()
                raise self._refusal("")
            transaction.on_commit(lambda: _delete_files(names))


def _detail(error: Exception) -> str:
    """A failure in words: a refusal's own messages, otherwise the exception's type and text."""
    if isinstance(error, ValidationError):
        return "；".join(error.messages)
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _delete_files(names: Iterable[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)

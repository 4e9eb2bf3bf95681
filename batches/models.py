"""The three batches (三个一批): a "signed, started, in production" event and its printed lists.

A ``BatchEvent`` belongs to the region holding it (a province, a city, a county). It is built from the
projects of that region's subtree whose signing, start or production date falls in a window; each
``BatchEntry`` keeps a frozen copy of its project's figures as they stood when the entry was made, so a
later edit of the ledger does not change a list already printed. ``BatchEvent.refresh`` copies the
ledger's figures again when the coordinator wants them.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from lib.money import format_yi
from org.models import Region
from projects.models import MONEY, Category, Project, Stage


class BatchKind(models.TextChoices):
    SIGNED = "signed", _("签约一批")
    STARTED = "started", _("开工一批")
    PRODUCTION = "production", _("投产一批")


# Batch -> the project's date that puts it in the batch.
KIND_DATES = {
    BatchKind.SIGNED: "signed_on",
    BatchKind.STARTED: "started_on",
    BatchKind.PRODUCTION: "production_on",
}
# Batch -> the heading of its date column.
KIND_DATE_LABELS = {
    BatchKind.SIGNED: _("签约日期"),
    BatchKind.STARTED: _("开工日期"),
    BatchKind.PRODUCTION: _("投产日期"),
}
# The project fields an entry copies (frozen figures): entry field -> project field.
FROZEN_FIELDS = {
    "name": "name",
    "national_code": "national_code",
    "owner_name": "owner_name",
    "category": "category",
    "total_investment": "total_investment",
}


def _region_subtree(region: Region) -> Q:
    return Q(zone=region) if region.is_zone else Q(region__path__startswith=region.path)


class BatchEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Events held by the user's region or a region below it; enterprises see none."""
        if user.is_enterprise:
            return self.none()
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        return self.filter(region__path__startswith=user.region.path)


@dataclass(frozen=True)
class BatchTotals:
    """One batch's count and total investment (万元) as printed: "18 个 99.96 亿元"."""

    kind: str
    count: int
    total_investment: Decimal

    @property
    def label(self) -> str:
        return str(BatchKind(self.kind).label)

    @property
    def total_yi(self) -> str:
        return format_yi(self.total_investment)

    @property
    def line(self) -> str:
        return gettext("%(count)s 个 %(yi)s 亿元") % {"count": self.count, "yi": self.total_yi}


class BatchEvent(models.Model):
    """One "three batches" event (三个一批活动) of a region."""

    Kind = BatchKind

    region = models.ForeignKey(Region, verbose_name=_("举办区划"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("活动名称"), max_length=100)
    held_on = models.DateField(_("活动日期"))
    window_start = models.DateField(_("统计起始日期"))
    window_end = models.DateField(_("统计截止日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    frozen_at = models.DateTimeField(_("数据固定时间"), null=True, blank=True, editable=False)

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(BatchEventQuerySet)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("三个一批活动")
        verbose_name_plural = _("三个一批活动")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(window_end__gte=models.F("window_start")), name="batchevent_window"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("batches:detail", kwargs={"pk": self.pk})

    # ---- building ----

    def candidates(self, kind: str):
        """The subtree's current projects whose date for ``kind`` falls in the window (terminated ones excluded)."""
        date_field = KIND_DATES[kind]
        window = {f"{date_field}__gte": self.window_start, f"{date_field}__lte": self.window_end}
        return (
            Project.objects.current()
            .filter(_region_subtree(self.region), **window)
            .exclude(stage=Stage.TERMINATED)
            .order_by("-total_investment", "pk")
        )

    @classmethod
    @transaction.atomic
    def build(
        cls, *, region: Region, name: str, held_on, window_start, window_end, by, limits: dict | None = None
    ) -> "BatchEvent":
        """A new event with every project of the window in its batch (or the ``limits[kind]`` largest), figures
        frozen now."""
        event = cls(region=region, name=name, held_on=held_on, window_start=window_start, window_end=window_end)
        event.created_by = by
        event.full_clean()
        event._history_user = by
        event.save()
        limits = limits or {}
        entries = [
            entry
            for kind in BatchKind
            for entry in event._new_entries(kind, event.candidates(kind)[: limits.get(kind)], by=by)
        ]
        bulk_create_with_history(entries, BatchEntry, default_user=by, batch_size=500)
        event._mark_frozen()
        return event

    def _new_entries(self, kind: str, projects, by) -> list["BatchEntry"]:
        projects = list(projects.select_related("region"))
        names = _region_names(projects)
        return [
            BatchEntry(event=self, kind=kind, project=project, added_by=by, **self._frozen(kind, project, names))
            for project in projects
        ]

    def _frozen(self, kind: str, project: Project, names: dict[str, str]) -> dict:
        values = {field: getattr(project, source) for field, source in FROZEN_FIELDS.items()}
        values["location"] = self._location(project.region, names)
        values["stage_on"] = getattr(project, KIND_DATES[kind])
        return values

    def _location(self, region: Region, names: dict[str, str]) -> str:
        """所在地: the regions below the event's own region, e.g. "吕梁市交城县" on a province's list."""
        codes = region.path.strip("/").split("/")
        below = codes[codes.index(self.region.code) + 1 :] if self.region.code in codes else codes[-1:]
        return "".join(names.get(code, "") for code in below) or region.name

    def _mark_frozen(self) -> None:
        self.frozen_at = timezone.now()
        BatchEvent._base_manager.filter(pk=self.pk).update(frozen_at=self.frozen_at)

    # ---- editing ----

    @transaction.atomic
    def add(self, kind: str, project: Project, by) -> "BatchEntry":
        if kind not in BatchKind.values:
            raise ValidationError({"kind": _("请选择批次。")})
        if not project.region.path.startswith(self.region.path):
            raise ValidationError({"project": _("该项目不在本次活动的区划范围内。")})
        if project.archived_at is not None or project.stage == Stage.TERMINATED:
            raise ValidationError({"project": _("已终止或已归档的项目不能列入。")})
        if BatchEntry._base_manager.filter(event=self, kind=kind, project=project).exists():
            raise ValidationError({"project": _("该项目已在%(batch)s中。") % {"batch": BatchKind(kind).label}})
        names = _region_names([project])
        entry = BatchEntry(event=self, kind=kind, project=project, added_by=by, **self._frozen(kind, project, names))
        entry._history_user = by
        entry.save()
        return entry

    @transaction.atomic
    def remove(self, entry: "BatchEntry", by) -> None:
        if entry.event_id != self.pk:
            raise ValidationError(_("该项目不属于本次活动。"))
        entry._history_user = by
        entry.delete()

    @transaction.atomic
    def refresh(self, by) -> int:
        """Copy the ledger's current figures into every entry again; returns how many entries changed."""
        entries = list(self.entries.select_related("project__region"))
        names = _region_names([entry.project for entry in entries])
        changed = []
        for entry in entries:
            values = self._frozen(entry.kind, entry.project, names)
            if any(getattr(entry, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(entry, field, value)
                changed.append(entry)
        fields = [*FROZEN_FIELDS, "location", "stage_on"]
        bulk_update_with_history(changed, BatchEntry, fields, batch_size=500, default_user=by)
        self._mark_frozen()
        return len(changed)

    # ---- figures ----

    def totals(self) -> list[BatchTotals]:
        """Count and total investment of each batch, in one grouped query."""
        rows = (
            BatchEntry._base_manager.filter(event=self)
            .order_by()
            .values("kind")
            .annotate(count=Count("pk"), total=Sum("total_investment"))
        )
        found = {row["kind"]: row for row in rows}
        return [
            BatchTotals(kind, found.get(kind, {}).get("count", 0), found.get(kind, {}).get("total") or Decimal("0"))
            for kind in BatchKind.values
        ]


def _region_names(projects) -> dict[str, str]:
    """Code -> name of every region on the projects' paths (one query)."""
    codes = {code for project in projects for code in project.region.path.strip("/").split("/")}
    return dict(Region._base_manager.filter(code__in=codes).values_list("code", "name"))


class BatchEntryQuerySet(models.QuerySet):
    def with_ledger_changes(self):
        """Flag entries whose frozen figures differ from the ledger now (``ledger_changed``)."""
        differs = Q()
        for field, source in FROZEN_FIELDS.items():
            differs |= ~Q(**{field: models.F(f"project__{source}")})
        return self.annotate(
            ledger_changed=models.Case(
                models.When(differs, then=models.Value(True)),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
        )


class BatchEntry(models.Model):
    """A project in one batch of an event, with its figures frozen when it was listed."""

    event = models.ForeignKey(BatchEvent, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("批次"), max_length=12, choices=BatchKind.choices)
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="+")
    # The frozen copy (as printed).
    name = models.CharField(_("项目名称"), max_length=128)
    national_code = models.CharField(_("项目代码"), max_length=24, blank=True)
    owner_name = models.CharField(_("项目单位"), max_length=128, blank=True)
    category = models.CharField(_("项目类别"), max_length=16, choices=Category.choices)
    location = models.CharField(_("所在地"), max_length=128, blank=True)
    total_investment = models.DecimalField(_("总投资（万元）"), **MONEY)
    stage_on = models.DateField(_("签约/开工/投产日期"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("列入人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("列入时间"), auto_now_add=True)

    objects = ScopedManager(
        region="event__region__path__startswith", _manager_class=models.Manager.from_queryset(BatchEntryQuerySet)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("三个一批项目")
        verbose_name_plural = _("三个一批项目")
        # The printed order: largest first.
        ordering = ["kind", "-total_investment", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "kind", "project"], name="batchentry_once_per_batch"),
            models.CheckConstraint(condition=Q(total_investment__gte=0), name="batchentry_investment_not_negative"),
        ]
        # An event's batches (its page, its totals, its exports).
        indexes = [models.Index(fields=["event", "kind"], name="batchentry_event_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.name}"

    @property
    def total_yi(self) -> str:
        return format_yi(self.total_investment)


def default_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The quarter up to ``today``: the usual window of a quarterly event."""
    start = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return start, today

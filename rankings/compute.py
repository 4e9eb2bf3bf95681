"""Compute a ranking snapshot: figures (SQL), points and ranks (rankings.scoring), one INSERT of the entries.

``compute`` is what the ranking page's "计算" button, the ``compute_rankings`` command and the monthly huey
task all call. It makes a draft; ``RankingSnapshot.publish`` publishes it. A draft of the same period is
replaced; a published period gets a new version (see rankings.models).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from org.models import Region

from .indicators import figures_for, subjects_of
from .models import INDICATORS, Dimension, Kind, RankingEntry, RankingPeriod, RankingScheme, RankingSnapshot
from .scoring import CENT, display_points, rank_change, score_all


def compute(
    region: Region,
    period: RankingPeriod,
    dimension: str,
    by=None,
    publish: bool = False,
    today: datetime.date | None = None,
) -> RankingSnapshot:
    """Score ``region``'s subregions or departments for ``period`` and keep the result as a snapshot."""
    today = today or timezone.localdate()
    if not period.has_begun(today):
        raise ValidationError(_("%(period)s尚未开始，不能计算排名。") % {"period": period.label()})
    with scopes_disabled():
        subjects = subjects_of(region, dimension)
        if not subjects.items:
            raise ValidationError(
                _("%(region)s没有可参加排名的%(what)s。")
                % {
                    "region": region.name,
                    "what": Dimension(dimension).label,
                }
            )
        scheme = RankingScheme.for_region(region)
        as_of = min(period.end, today)
        figures = figures_for(subjects, period, as_of)
        indicators = {item: figures[item.pk].indicators() for item in subjects.items}
        scored = score_all(subjects.items, indicators, scheme.weights, scheme.normalisation)
        previous = _previous(region, period, dimension)
        try:
            with transaction.atomic():
                snapshot = _new_version(region, period, dimension, scheme, as_of, previous, by)
                RankingEntry.objects.bulk_create(_entries(snapshot, subjects.dimension, scored, figures, previous))
        except IntegrityError:
            # Another computation of the same period saved its draft between our read and our insert.
            raise ValidationError(_("该期排名正在由他人计算，请稍后刷新。")) from None
        if publish:
            snapshot.publish(by)
    return snapshot


def _previous(region: Region, period: RankingPeriod, dimension: str) -> RankingSnapshot | None:
    before = period.previous()
    return RankingSnapshot.latest(region, period.kind, dimension, year=before.year, period=before.number)


def _new_version(region, period: RankingPeriod, dimension: str, scheme, as_of, previous, by) -> RankingSnapshot:
    same = RankingSnapshot._base_manager.filter(
        region=region, kind=period.kind, dimension=dimension, year=period.year, period=period.number
    )
    draft = same.filter(published_at__isnull=True).first()
    if draft is not None:
        version = draft.version
        draft.delete()  # never published: replaced, not versioned
    else:
        version = (same.aggregate(v=Max("version"))["v"] or 0) + 1
    weights = {key: str(Decimal(value).quantize(CENT)) for key, value in scheme.weights.items()}
    snapshot = RankingSnapshot(
        region=region, kind=period.kind, dimension=dimension, year=period.year, period=period.number,
        version=version, as_of=as_of, weights=weights, normalisation=scheme.normalisation, previous=previous,
        computed_by=by,
    )  # fmt: skip
    snapshot.save()
    return snapshot


def _entries(snapshot: RankingSnapshot, dimension: str, scored, figures, previous) -> list[RankingEntry]:
    before = _previous_ranks(previous, dimension)
    entries = []
    for position, line in enumerate(scored, start=1):
        subject = line.subject
        previous_rank = before.get(subject.pk)
        entries.append(
            RankingEntry(
                snapshot=snapshot,
                region=subject if dimension == Dimension.REGION else None,
                department=subject if dimension == Dimension.DEPARTMENT else None,
                subject_name=subject.name,
                position=position,
                rank=line.rank,
                previous_rank=previous_rank,
                rank_change=rank_change(previous_rank, line.rank),
                score=line.score,
                points=display_points(line.points),
                figures=figures[subject.pk].as_json(),
                **{f"{key}_rate": line.indicators[key] for key in INDICATORS},
            )
        )
    return entries


def _previous_ranks(previous: RankingSnapshot | None, dimension: str) -> dict[int, int]:
    if previous is None:
        return {}
    column = "region_id" if dimension == Dimension.REGION else "department_id"
    return dict(RankingEntry.objects.filter(snapshot=previous).values_list(column, "rank"))


# ---- many regions at once: the command and the monthly task ----


@dataclass(frozen=True)
class Computed:
    snapshots: list[RankingSnapshot]
    skipped: int  # region × dimension without subjects


def compute_all(
    period: RankingPeriod,
    region: Region | None = None,
    only: bool = False,
    by=None,
    publish: bool = False,
    today: datetime.date | None = None,
) -> Computed:
    """Both dimensions of every region of the subtree (or all; ``only``: of ``region`` alone) that has
    subregions or departments to rank."""
    with scopes_disabled():
        regions = Region._base_manager.exclude(kind=Region.Kind.ZONE).order_by("path")
        if region is not None:
            regions = regions.filter(pk=region.pk) if only else regions.filter(path__startswith=region.path)
        snapshots, skipped = [], 0
        for place in regions:
            for dimension in Dimension.values:
                try:
                    snapshots.append(compute(place, period, dimension, by=by, publish=publish, today=today))
                except ValidationError:
                    skipped += 1
    return Computed(snapshots, skipped)


def last_closed(today: datetime.date, kind: str) -> RankingPeriod:
    """The month (quarter) before the one ``today`` lies in: every close day of it has passed."""
    return RankingPeriod.containing(today, kind).previous()


def monthly_run(today: datetime.date | None = None) -> list[Computed]:
    """What the task does on the 1st: last month's rankings, and last quarter's when a quarter just ended."""
    today = today or timezone.localdate()
    runs = [compute_all(last_closed(today, Kind.MONTH), today=today)]
    if today.month in (1, 4, 7, 10):
        runs.append(compute_all(last_closed(today, Kind.QUARTER), today=today))
    return runs

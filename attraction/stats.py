"""Attraction figures in SQL: signed investment by region and department, targets, and the agreement rates.

- contract fulfilment rate (履约率) = agreements started on time / agreements due. An agreement is due once its
  agreed start date has passed (``agreed_start_on < today``, as the stalled list counts); it was started on time
  when its project's actual start is on or before the agreed date. A dropped agreement that fell due counts as
  due and not honoured.
- funds arrival rate (资金到位率) = funds arrived / contracted investment, over the same agreements.
- days from signing to start: the mean (and the fastest) over agreements whose project has started.

The public functions for other apps (rankings, dashboards) take a region and read past the request's scope
guard (``_base_manager``): the caller chose the region, and a nightly ranking runs outside any request.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from org.models import Region

from .models import Agreement, FundArrival, LeadStage, SigningTarget

ZERO = Decimal("0")
ONE_PLACE = Decimal("0.1")
MONEY_OUT = DecimalField(max_digits=16, decimal_places=2)


# ---- the interface other apps use ----


def children_of(parent: Region):
    """The direct children of ``parent`` (counties, cities and zones alike), in code order."""
    return Region._base_manager.filter(parent=parent).order_by("path")


def _in_child(children) -> Case:
    """Which child region's subtree an agreement's region lies in, as one CASE over the children's paths."""
    whens = [When(region__path__startswith=child.path, then=Value(child.pk)) for child in children]
    return Case(*whens, default=Value(None))


def signed_investment_by_region(parent: Region, start: datetime.date, end: datetime.date) -> dict[int, Decimal]:
    """Child region id -> contracted investment (万元) of agreements signed in [start, end] in its subtree.

    Every direct child of ``parent`` is a key (zones included), 0 where nothing was signed. Two queries.
    """
    return signed_investment_in(list(children_of(parent)), start, end)


def signed_investment_in(regions: list[Region], start: datetime.date, end: datetime.date) -> dict[int, Decimal]:
    """Region id -> contracted investment signed in [start, end] in its subtree, for disjoint ``regions``."""
    result = dict.fromkeys((region.pk for region in regions), ZERO)
    if not regions:
        return result
    rows = (
        Agreement.objects.with_scopes_disabled()
        .signed_between(start, end)
        .annotate(child=_in_child(regions))
        .filter(child__isnull=False)
        .values("child")
        .annotate(total=Sum("contracted_investment"))
        .order_by()
    )
    result.update({row["child"]: row["total"] for row in rows})
    return result


def signing_target_by_region(parent: Region, year: int) -> dict[int, Decimal]:
    """Child region id -> its signing target (万元) for ``year``; children without a target are absent."""
    targets = SigningTarget._base_manager.filter(region__parent=parent, year=year)
    return dict(targets.values_list("region_id", "amount"))


def signed_investment_by_department(region: Region, start: datetime.date, end: datetime.date) -> dict[int, Decimal]:
    """Responsible department id -> contracted investment (万元) signed in [start, end] in ``region``'s subtree.

    The department is the lead's 责任单位; agreements whose lead names none are left out.
    """
    rows = (
        Agreement.objects.with_scopes_disabled()
        .signed_between(start, end)
        .filter(region__path__startswith=region.path, lead__department__isnull=False)
        .values("lead__department")
        .annotate(total=Sum("contracted_investment"))
        .order_by()
    )
    return {row["lead__department"]: row["total"] for row in rows}


# ---- the rates ----


def _round(value) -> Decimal:
    return Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def percent(part, whole) -> Decimal | None:
    return _round(Decimal(part) * 100 / Decimal(whole)) if whole else None


@dataclass(frozen=True)
class Figures:
    """The agreement figures of one group (a region, a promoter, or everything)."""

    key: int | None
    label: str
    count: int
    contracted: Decimal
    arrived: Decimal
    due: int
    on_time: int
    started: int
    mean_days_to_start: Decimal | None
    fastest_days_to_start: int | None
    target: Decimal | None = None

    @property
    def fulfilment_rate(self) -> Decimal | None:
        """履约率, per cent."""
        return percent(self.on_time, self.due)

    @property
    def arrival_rate(self) -> Decimal | None:
        """资金到位率, per cent."""
        return percent(self.arrived, self.contracted)

    @property
    def target_rate(self) -> Decimal | None:
        """Signed investment against the target, per cent."""
        return percent(self.contracted, self.target) if self.target else None


def _with_inputs(agreements):
    """Each agreement with its arrived funds and its signing-to-start duration (NULL until started)."""
    arrived = (
        FundArrival._base_manager.filter(agreement=OuterRef("pk"))
        .order_by()
        .values("agreement")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return agreements.order_by().annotate(
        arrived=Coalesce(Subquery(arrived, output_field=MONEY_OUT), Value(ZERO), output_field=MONEY_OUT),
        to_start=ExpressionWrapper(F("lead__project__started_on") - F("signed_on"), output_field=DurationField()),
    )


def _measures(today: datetime.date) -> dict:
    due = Q(agreed_start_on__lt=today)
    on_time = due & Q(lead__project__started_on__lte=F("agreed_start_on"))
    return {
        "count": Count("pk"),
        "contracted": Sum("contracted_investment", default=ZERO),
        "arrived_sum": Sum("arrived", default=ZERO),
        "due": Count("pk", filter=due),
        "on_time": Count("pk", filter=on_time),
        "started": Count("pk", filter=Q(lead__project__started_on__isnull=False)),
        "mean_to_start": Avg("to_start"),
        "fastest_to_start": Min("to_start"),
    }


def _figures(row: dict, key, label: str, target=None) -> Figures:
    mean, fastest = row["mean_to_start"], row["fastest_to_start"]
    return Figures(
        key=key,
        label=label,
        count=row["count"],
        contracted=row["contracted"],
        arrived=row["arrived_sum"],
        due=row["due"],
        on_time=row["on_time"],
        started=row["started"],
        mean_days_to_start=_round(Decimal(mean.total_seconds()) / 86400) if mean is not None else None,
        fastest_days_to_start=fastest.days if fastest is not None else None,
        target=target,
    )


def totals(agreements, today: datetime.date, label: str = "", target=None) -> Figures:
    """The figures over all of ``agreements`` (one query)."""
    row = _with_inputs(agreements).aggregate(**_measures(today))
    return _figures(row, None, label, target)


def by_region(agreements, parent: Region, today: datetime.date, year: int | None = None) -> list[Figures]:
    """One row per direct child of ``parent`` (all children, empty ones too), with the year's target if given;
    first, when there are any, the agreements landing in ``parent`` itself outside every child ("本级"), so the
    rows add up to the total.

    Three queries: the children, the grouped figures, the targets.
    """
    children = list(children_of(parent))
    own = When(region_id=parent.pk, then=Value(parent.pk))
    rows = (
        _with_inputs(agreements.filter(region__path__startswith=parent.path))
        .annotate(child=Case(own, *_in_child(children).cases, default=Value(None)))
        .filter(child__isnull=False)
        .values("child")
        .annotate(**_measures(today))
    )
    found = {row["child"]: row for row in rows}
    targets = signing_target_by_region(parent, year) if year else {}
    empty = _empty_row()
    lines = [_figures(found.get(c.pk, empty), c.pk, c.name, targets.get(c.pk)) for c in children]
    if parent.pk in found:
        lines.insert(0, _figures(found[parent.pk], parent.pk, gettext("%(name)s（本级）") % {"name": parent.name}))
    return lines


def own_target(region: Region, year: int) -> Decimal | None:
    """The region's own signing target for the year (set by the region above, or by itself)."""
    return SigningTarget._base_manager.filter(region=region, year=year).values_list("amount", flat=True).first()


def by_promoter(agreements, today: datetime.date) -> list[Figures]:
    """One row per promoter in charge of the agreements' leads (those without one last), in one query."""
    rows = (
        _with_inputs(agreements)
        .values("lead__promoter", "lead__promoter__full_name", "lead__promoter__username")
        .annotate(**_measures(today))
        .order_by(F("lead__promoter__full_name").asc(nulls_last=True), "lead__promoter")
    )
    return [
        _figures(row, row["lead__promoter"], row["lead__promoter__full_name"] or row["lead__promoter__username"] or "")
        for row in rows
    ]


def _empty_row() -> dict:
    return {
        "count": 0,
        "contracted": ZERO,
        "arrived_sum": ZERO,
        "due": 0,
        "on_time": 0,
        "started": 0,
        "mean_to_start": None,
        "fastest_to_start": None,
    }


def stage_counts(leads) -> dict[str, dict]:
    """Lead stage -> count and intended investment, in one query."""
    rows = leads.order_by().values("stage").annotate(count=Count("pk"), investment=Sum("intended_investment"))
    counts = {stage: {"count": 0, "investment": ZERO} for stage in LeadStage.values}
    counts.update({row["stage"]: {"count": row["count"], "investment": row["investment"]} for row in rows})
    return counts

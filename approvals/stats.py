"""Handling times per department and kind of item, against the limits and the region's fastest.

Everything is SQL over the approved items of the user's subtree, in four queries
whatever the number of items or departments: the groups' counts and means, the
middle rows of each group (for the median, by window functions), the fastest
handling of each kind, and the totals.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Min, Q, Window
from django.db.models.functions import RowNumber

from .models import Kind

ONE_PLACE = Decimal("0.1")
GROUP = ["department_id", "kind"]


@dataclass(frozen=True)
class KindStats:
    department: str
    region: str
    kind: str
    count: int
    mean_days: Decimal
    median_days: Decimal
    within_promised: Decimal  # per cent of the group
    within_statutory: Decimal
    promised_days: Decimal  # the group's mean limits (items may carry their own)
    statutory_days: Decimal
    fastest_here: int  # this department's fastest
    fastest_in_region: int  # any department's fastest of the same kind in the subtree

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label

    @property
    def behind_fastest(self) -> Decimal:
        """Mean handling days beyond the region's fastest of the kind."""
        return self.mean_days - self.fastest_in_region


@dataclass(frozen=True)
class Totals:
    count: int
    mean_days: Decimal | None
    within_promised: Decimal | None
    within_statutory: Decimal | None


def _round(value) -> Decimal:
    return Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _share(part: int, whole: int) -> Decimal | None:
    return _round(Decimal(part) * 100 / whole) if whole else None


def _limits():
    return {
        "count": Count("pk"),
        "mean": Avg("handling_days"),
        "promised": Count("pk", filter=Q(handling_days__lte=F("promised_days"))),
        "statutory": Count("pk", filter=Q(handling_days__lte=F("statutory_days"))),
    }


def _medians(approved) -> dict[tuple, Decimal]:
    """The median of each group: the one or two middle rows, numbered by a window function."""
    numbered = approved.annotate(
        position=Window(RowNumber(), partition_by=[F(f) for f in GROUP], order_by=[F("handling_days"), F("pk")]),
        size=Window(Count("pk"), partition_by=[F(f) for f in GROUP]),
    )
    # Integer division: an odd group has one middle row, an even one two.
    middle = numbered.filter(Q(position=(F("size") + 1) / 2) | Q(position=(F("size") + 2) / 2))
    halves: dict[tuple, list[int]] = {}
    for department, kind, days in middle.values_list(*GROUP, "handling_days"):
        halves.setdefault((department, kind), []).append(days)
    return {key: _round(Decimal(sum(days)) / len(days)) for key, days in halves.items()}


def kind_stats(approved) -> list[KindStats]:
    """One row per department and kind of ``approved`` (a queryset of approved items with handling days)."""
    approved = approved.order_by()
    groups = (
        approved.values(*GROUP, "department__name", "department__region__name", "department__region__path")
        .annotate(
            **_limits(),
            promised_limit=Avg("promised_days"),
            statutory_limit=Avg("statutory_days"),
            fastest=Min("handling_days"),
        )
        .order_by("department__region__path", "department__name", "kind")
    )
    medians = _medians(approved)
    fastest = dict(approved.values("kind").annotate(fastest=Min("handling_days")).values_list("kind", "fastest"))
    return [_row(group, medians, fastest) for group in groups]


def _row(group: dict, medians: dict, fastest: dict) -> KindStats:
    return KindStats(
        department=group["department__name"] or "",
        region=group["department__region__name"] or "",
        kind=group["kind"],
        count=group["count"],
        mean_days=_round(group["mean"]),
        median_days=medians[(group["department_id"], group["kind"])],
        within_promised=_share(group["promised"], group["count"]),
        within_statutory=_share(group["statutory"], group["count"]),
        promised_days=_round(group["promised_limit"]),
        statutory_days=_round(group["statutory_limit"]),
        fastest_here=group["fastest"],
        fastest_in_region=fastest[group["kind"]],
    )


def totals(approved) -> Totals:
    figures = approved.order_by().aggregate(**_limits())
    count = figures["count"]
    mean = _round(figures["mean"]) if count else None
    return Totals(count, mean, _share(figures["promised"], count), _share(figures["statutory"], count))

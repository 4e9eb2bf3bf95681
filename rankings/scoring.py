"""From indicator values to points, scores and ranks: plain arithmetic on a few dozen subjects.

The indicator values (percentages, two decimals) come from SQL (``rankings.indicators``); what is left is
arithmetic over one line per subject, done here so it can be checked by hand:

- points per indicator: ``normalise`` (capped at 100, relative to the best peer, or min-max);
- score: the weighted mean of the points over the indicators the subject has a value for. An indicator
  without a value (nothing was due: no project planned to start, no problem due, no target) is left out and
  the other weights count in proportion, so a county is neither rewarded nor punished for having nothing
  due. With no indicator at all the score is 0;
- ranks: by score, highest first; equal scores share a rank and the next rank is skipped (1, 2, 2, 4).

Only the score is rounded (two decimals, half up); points are rounded for display only.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .models import HUNDRED, INDICATORS, Normalisation

CENT = Decimal("0.01")
ZERO = Decimal("0")


def rate(numerator, denominator) -> Decimal | None:
    """numerator / denominator in percent, two decimals; None when there is no denominator."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(CENT, ROUND_HALF_UP)


def normalise(values: dict, method: str) -> dict:
    """subject -> points (0–100) for one indicator; None stays None and takes no part in the best/worst."""
    present = [v for v in values.values() if v is not None]
    if not present:
        return dict.fromkeys(values)
    if method == Normalisation.RELATIVE:
        best = max(present)
        return {k: None if v is None else (v * HUNDRED / best if best > 0 else ZERO) for k, v in values.items()}
    if method == Normalisation.MINMAX:
        low, high = min(present), max(present)
        spread = high - low
        return {
            k: None if v is None else ((v - low) * HUNDRED / spread if spread else HUNDRED) for k, v in values.items()
        }
    return {k: None if v is None else min(max(v, ZERO), HUNDRED) for k, v in values.items()}


def weighted_score(points: dict[str, Decimal | None], weights: dict[str, Decimal]) -> Decimal:
    """Σ weight × points / Σ weight over the indicators with points; 0 when none has."""
    counted = {key: weights[key] for key, value in points.items() if value is not None and weights.get(key)}
    total = sum(counted.values(), ZERO)
    if not total:
        return ZERO.quantize(CENT)
    return (sum(weights[key] * points[key] for key in counted) / total).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Scored:
    subject: object  # the region or department
    order_key: tuple  # ties in this order: region code, department name
    indicators: dict[str, Decimal | None]
    points: dict[str, Decimal | None]
    score: Decimal
    rank: int = 0


def score_all(subjects: list, indicators: dict, weights: dict[str, Decimal], method: str) -> list[Scored]:
    """``indicators``: subject -> {key: value}. Returns the subjects scored and ranked, in rank order."""
    points_by_key = {
        key: normalise({subject: indicators[subject][key] for subject in subjects}, method) for key in INDICATORS
    }
    scored = []
    for subject in subjects:
        points = {key: points_by_key[key][subject] for key in INDICATORS}
        scored.append(
            Scored(subject, _order_key(subject), indicators[subject], points, weighted_score(points, weights))
        )
    return assign_ranks(scored)


def assign_ranks(scored: list[Scored]) -> list[Scored]:
    """Highest score first; equal scores share the rank of the first of them (competition ranking)."""
    ordered = sorted(scored, key=lambda s: (-s.score, s.order_key))
    for position, line in enumerate(ordered, start=1):
        before = ordered[position - 2] if position > 1 else None
        line.rank = before.rank if before is not None and before.score == line.score else position
    return ordered


def _order_key(subject) -> tuple:
    return (getattr(subject, "code", "") or "", subject.name, subject.pk)


def rank_change(previous_rank: int | None, rank: int) -> int | None:
    """Places moved up since the last period (negative: down); None without a previous rank."""
    return None if previous_rank is None else previous_rank - rank


def display_points(points: dict[str, Decimal | None]) -> dict[str, str | None]:
    return {key: None if value is None else str(value.quantize(CENT, ROUND_HALF_UP)) for key, value in points.items()}

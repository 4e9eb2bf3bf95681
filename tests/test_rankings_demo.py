"""The rankings' demo rows (rankings/demo.py), built by ``manage.py demo`` on a small data set."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from org.models import Region
from rankings.compute import last_closed
from rankings.models import DepartmentTarget, FaiActual, RankingScheme, RankingSnapshot, RegionTarget

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.fixture
def demo():
    out = StringIO()
    call_command("demo", "--projects", "120", stdout=out)
    return out.getvalue()


def _rankings_line(demo: str) -> None:
    line = next(line for line in demo.splitlines() if line.startswith("Rankings:"))
    with scopes_disabled():
        counts = (RegionTarget.objects.count(), DepartmentTarget.objects.count(), FaiActual.objects.count())
    assert line == (
        f"Rankings: {counts[0]} region targets and {counts[1]} department targets for {YEAR}, "
        f"{counts[2]} monthly FAI figures, 18 published ranking snapshots."
    )


def test_the_targets_split_within_their_totals_and_the_fai_grows_month_by_month(demo):
    _rankings_line(demo)
    with scopes_disabled():
        for parent_code in ("140000", "141100"):
            total = RegionTarget.objects.get(region__code=parent_code, year=YEAR)
            shares = RegionTarget.objects.filter(region__parent__code=parent_code, year=YEAR).aggregate(
                fai=Sum("fai_target"), plan=Sum("plan_target")
            )
            assert Decimal("0") < shares["plan"] <= total.plan_target
            assert Decimal("0") < shares["fai"] <= total.fai_target
        county = RegionTarget.objects.get(region__code="141122", year=YEAR)
        departments = DepartmentTarget.objects.filter(department__region__code="141122")
        assert departments.exists()
        assert departments.aggregate(s=Sum("plan_target"))["s"] <= county.plan_target
    with scopes_disabled():
        amounts = list(
            FaiActual.objects.filter(region__code="141100").order_by("month").values_list("amount", flat=True)
        )
    assert len(amounts) == timezone.localdate().month - 1
    assert amounts == sorted(amounts)


def test_the_last_months_and_quarters_are_published_oldest_first_so_ranks_change(demo):
    month = last_closed(timezone.localdate(), "month")
    with scopes_disabled():
        latest = RankingSnapshot.latest(Region.objects.get(code="140000"))
        assert (latest.year, latest.period, latest.version) == (month.year, month.number, 1)
        assert latest.previous is not None and latest.previous.period_obj == month.previous()
        assert latest.entries.count() == 11  # the cities of 山西省
        assert latest.entries.exclude(rank_change=None).count() == 11
        assert not RankingSnapshot.objects.filter(published_at__isnull=True).exists()
        assert set(RankingSnapshot.objects.values_list("region__code", "kind", "dimension").distinct()) == {
            ("140000", "month", "region"), ("140000", "quarter", "region"), ("141100", "month", "region"),
            ("141100", "quarter", "region"), ("141122", "month", "department"), ("141122", "quarter", "department"),
        }  # fmt: skip
        assert RankingScheme.objects.get().region.code == "140000"

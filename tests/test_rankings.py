"""The horse race (赛马): indicators, points, scores and ranks against figures worked out BY HAND.

The fixture is a small city, 吕梁市, with three counties — 交城县 (JC), 文水县 (WS), 汾阳市 (FY) — and the
departments of 交城县, in last year's June (month) and second quarter. Every project, report, problem and
agreement is listed below with what it contributes; the expected values are literals with the arithmetic
beside them. Default scheme: completion 30, start 20, production 15, signing 15, problems 10, timeliness 10.
"""

import datetime
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from attraction.models import Agreement, Lead, SigningTarget, TargetEnterprise
from org.models import Department, Region
from problems.models import Problem, Status
from projects.models import AnnualPlan, Project, Stage
from rankings import scoring
from rankings.compute import compute, compute_all, last_closed, monthly_run
from rankings.indicators import figures_for, subjects_of
from rankings.models import (
    Dimension,
    Kind,
    Normalisation,
    RankingEntry,
    RankingPeriod,
    RankingScheme,
    RankingSnapshot,
)
from reports.models import MonthlyReport, Period, ReportStatus

pytestmark = pytest.mark.django_db

Y = timezone.localdate().year - 1  # last year: every period of it is over
BEIJING = ZoneInfo("Asia/Shanghai")
JUNE = RankingPeriod(Y, Kind.MONTH, 6)
Q2 = RankingPeriod(Y, Kind.QUARTER, 2)
D = Decimal


def day(month: int, dom: int, year: int = Y) -> datetime.date:
    return datetime.date(year, month, dom)


def at(month: int, dom: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(Y, month, dom, hour, minute, tzinfo=BEIJING)


def _project(name, region, department=None, plan=None, **fields) -> Project:
    project = Project._base_manager.create(
        name=name, region=region, department=department, category="industry", total_investment=D("100000"), **fields
    )
    if plan is not None:
        AnnualPlan._base_manager.create(project=project, year=Y, amount=D(plan))
    return project


def _report(project, month: int, completed: str, status: str, submitted: datetime.datetime | None = None):
    period = Period._base_manager.get_or_create(
        region=project.region, year=Y, month=month, defaults={"closes_on": day(month, 25)}
    )[0]
    return MonthlyReport._base_manager.create(
        project=project, period=period, year=Y, month=month, completed=D(completed), status=status,
        submitted_at=submitted,
    )  # fmt: skip


def _problem(project, department, deadline, status=Status.REGISTERED, on_time=None):
    closed = timezone.now() if status == Status.STRUCK_OFF else None
    return Problem._base_manager.create(
        project=project, category="land", description="用地", department=department, deadline=deadline,
        status=status, closed_at=closed, closed_on_time=on_time,
    )  # fmt: skip


def _agreement(region, amount: str, signed_on, department=None):
    enterprise = TargetEnterprise._base_manager.create(region=region, name=f"企业{amount}")
    lead = Lead._base_manager.create(
        region=region, enterprise=enterprise, name="签约项目", intended_investment=D(amount), department=department,
        stage="signed",
    )  # fmt: skip
    return Agreement._base_manager.create(
        lead=lead, region=region, name="签约项目", contracted_investment=D(amount), signed_on=signed_on,
        agreed_start_on=signed_on,
    )  # fmt: skip


A, S, R = ReportStatus.APPROVED, ReportStatus.SUBMITTED, ReportStatus.DRAFT
CONSTRUCTION, PREPARING, PRODUCTION = Stage.CONSTRUCTION, Stage.PREPARING, Stage.PRODUCTION


@pytest.fixture
def race(db):
    with scopes_disabled():
        shanxi = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=shanxi)
        jc = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        ws = Region.objects.create(code="141121", name="文水县", kind=Region.Kind.COUNTY, parent=city)
        fy = Region.objects.create(code="141182", name="汾阳市", kind=Region.Kind.COUNTY, parent=city)
        # A zone is not ranked; its project (in the county's subtree) counts for nobody here.
        Region.objects.create(code="141100Z01", name="吕梁经济技术开发区", kind=Region.Kind.ZONE, parent=city)
        drc = Department.objects.create(region=jc, name="交城县发展和改革局")
        housing = Department.objects.create(region=jc, name="交城县住房和城乡建设局")
        land = Department.objects.create(region=jc, name="交城县自然资源局")
        ws_drc = Department.objects.create(region=ws, name="文水县发展和改革局")

        # ---- 交城县 ----
        jc1 = _project("JC1", jc, drc, plan="1000", stage=CONSTRUCTION, planned_start_on=day(3, 1),
                       started_on=day(3, 10))  # fmt: skip
        _report(jc1, 1, "100", A, at(1, 20))
        _report(jc1, 3, "200", A, at(3, 20))
        _report(jc1, 6, "300", A, at(6, 20))  # on time (close 6-25)
        _report(jc1, 7, "500", A, at(7, 20))  # after the period: not counted
        jc2 = _project("JC2", jc, housing, plan="500", stage=PREPARING, preparing_on=day(1, 10),
                       planned_start_on=day(5, 1))  # fmt: skip
        _report(jc2, 5, "150", A, at(5, 20))
        _report(jc2, 6, "80", S, at(6, 26, 0, 30))  # 00:30 on the 26th Beijing time (still the 25th UTC): late
        _project("JC3", jc, land, stage=PREPARING, preparing_on=day(7, 1), planned_start_on=day(8, 1))
        _project("JC4", jc, drc, stage=PRODUCTION, started_on=day(3, 1, Y - 1), completed_on=day(3, 31),
                 planned_production_on=day(4, 30), production_on=day(4, 28))  # fmt: skip
        _problem(jc1, land, day(6, 10), Status.STRUCK_OFF, True)  # P1: June, on time
        _problem(jc1, housing, day(6, 20), Status.STRUCK_OFF, False)  # P2: June, struck off late
        _problem(jc2, land, day(6, 25))  # P3: June, still open
        _problem(jc2, drc, day(5, 10), Status.STRUCK_OFF, True)  # P4: May, on time (quarter only)

        # ---- 文水县 ----
        ws1 = _project("WS1", ws, ws_drc, plan="2000", stage=CONSTRUCTION, planned_start_on=day(2, 1),
                       started_on=day(6, 30))  # fmt: skip
        _report(ws1, 6, "1600", A, at(6, 24))
        ws2 = _project("WS2", ws, ws_drc, stage=CONSTRUCTION, preparing_on=day(3, 1), planned_start_on=day(4, 1),
                       started_on=day(7, 15))  # fmt: skip
        ws3 = _project("WS3", ws, ws_drc, stage=CONSTRUCTION, planned_start_on=day(6, 15), started_on=day(6, 20))
        _report(ws3, 6, "10", S, at(6, 22))
        ws4 = _project("WS4", ws, ws_drc, stage=CONSTRUCTION, started_on=day(1, 5, Y - 1),
                       planned_production_on=day(5, 31))  # fmt: skip
        _report(ws4, 6, "50", A, at(6, 25, 0, 30))  # 00:30 on the close day: on time; no plan: not in completion
        _problem(ws2, ws_drc, day(4, 15), Status.STRUCK_OFF, True)  # April: quarter only

        # ---- 汾阳市 ----
        fy1 = _project("FY1", fy, plan="800", stage=CONSTRUCTION, started_on=day(5, 1, Y - 1))
        _report(fy1, 2, "400", A, at(2, 20))
        _report(fy1, 6, "600", A, at(6, 10))
        fy2 = _project("FY2", fy, stage=PRODUCTION, started_on=day(1, 1, Y - 1), completed_on=day(5, 1),
                       planned_production_on=day(6, 1), production_on=day(6, 30))  # fmt: skip
        _report(fy2, 6, "999", A, at(6, 15))  # filed although no longer reporting: owed and on time
        _project("FY3", fy, stage=PREPARING, preparing_on=day(12, 1, Y - 1), planned_production_on=day(1, 15))
        _problem(fy1, ws_drc, day(6, 5), Status.STRUCK_OFF, True)

        # ---- signed investment (attraction) ----
        SigningTarget._base_manager.create(region=jc, year=Y, amount=D("10000"))
        SigningTarget._base_manager.create(region=ws, year=Y, amount=D("5000"))
        _agreement(jc, "4000", day(3, 15), department=drc)
        _agreement(jc, "3000", day(7, 10), department=drc)  # after June: not counted
        _agreement(ws, "6000", day(5, 20))
    return SimpleNamespace(shanxi=shanxi, city=city, jc=jc, ws=ws, fy=fy, drc=drc, housing=housing, land=land)


def _indicators(snapshot) -> dict:
    return {e.subject_name: e.indicators for e in snapshot.entries.all()}


def _table(snapshot) -> list[tuple]:
    return [(e.subject_name, e.score, e.rank, e.rank_change) for e in snapshot.entries.all()]


def _scheme(region, method: str) -> None:
    with scopes_disabled():
        RankingScheme.objects.create(region=region, normalisation=method)


NONE = None

# Month (June) indicators, by hand:
JUNE_INDICATORS = {
    "交城县": {
        "completion": D("50.00"),  # approved to June: JC1 100+200+300, JC2 150 = 750 / plans 1000+500 = 1500
        "start": D("50.00"),  # planned Jan–Jun: JC1 (started 3-10), JC2 (not started): 1 / 2
        "production": D("100.00"),  # planned Jan–Jun: JC4 (in production 4-28): 1 / 1
        "signing": D("40.00"),  # signed Jan–Jun 4000 / target 10000 (the July 3000 not yet)
        "problems": D("33.33"),  # due in June: P1 on time, P2 late, P3 open: 1 / 3
        "timeliness": D("50.00"),  # owed: JC1 (on time), JC2 (late by Beijing date); JC3 entered July: 1 / 2
    },
    "文水县": {
        "completion": D("80.00"),  # WS1 1600 / 2000 (WS4 has no plan)
        "start": D("66.67"),  # WS1 (6-30 ≤ end), WS2 (7-15, late), WS3 (6-20): 2 / 3
        "production": D("0.00"),  # WS4 due 5-31, not in production: 0 / 1
        "signing": D("120.00"),  # 6000 / 5000
        "problems": NONE,  # nothing due in June
        "timeliness": D("75.00"),  # WS1 ✓, WS2 missing ✗, WS3 ✓, WS4 ✓ (00:30 on the close day): 3 / 4
    },
    "汾阳市": {
        "completion": D("125.00"),  # FY1 400+600 = 1000 / 800
        "start": NONE,  # no start planned
        "production": D("50.00"),  # FY2 ✓ (6-30), FY3 ✗: 1 / 2
        "signing": NONE,  # no target
        "problems": D("100.00"),  # 1 / 1
        "timeliness": D("66.67"),  # FY1 ✓, FY2 ✓ (filed), FY3 missing: 2 / 3
    },
}


def test_the_month_indicators_are_the_figures_worked_out_by_hand(race):
    snapshot = compute(race.city, JUNE, Dimension.REGION)

    assert _indicators(snapshot) == JUNE_INDICATORS


def test_capped_scores_and_ranks_of_the_month(race):
    snapshot = compute(race.city, JUNE, Dimension.REGION)

    # Capped: points are the values, 100 at most; an indicator without a value leaves the weighted mean.
    assert _table(snapshot) == [
        # (30×100 + 15×50 + 10×100 + 10×66.67) / (30+15+10+10) = 5416.7 / 65 = 83.3338…
        ("汾阳市", D("83.33"), 1, None),
        # (30×80 + 20×66.67 + 15×0 + 15×100 + 10×75) / 90 = 5983.4 / 90 = 66.4822…
        ("文水县", D("66.48"), 2, None),
        # (30×50 + 20×50 + 15×100 + 15×40 + 10×33.33 + 10×50) / 100 = 5433.3 / 100
        ("交城县", D("54.33"), 3, None),
    ]
    jc = snapshot.entries.get(region=race.jc)
    assert jc.points == {
        "completion": "50.00", "start": "50.00", "production": "100.00", "signing": "40.00", "problems": "33.33",
        "timeliness": "50.00",
    }  # fmt: skip
    assert jc.figures["completed"] == "750.00" and jc.figures["plan"] == "1500.00"
    assert (snapshot.weights, snapshot.normalisation) == (
        {"completion": "30.00", "start": "20.00", "production": "15.00", "signing": "15.00", "problems": "10.00",
         "timeliness": "10.00"},
        Normalisation.CAPPED,
    )  # fmt: skip


def test_relative_to_the_best_peer(race):
    _scheme(race.city, Normalisation.RELATIVE)

    snapshot = compute(race.city, JUNE, Dimension.REGION)

    # Points = value / best × 100. Bests: completion 125, start 66.67, production 100, signing 120,
    # problems 100, timeliness 75.
    assert _table(snapshot) == [
        # completion 100, production 50, problems 100, timeliness 66.67/75×100 = 88.8933…
        # (3000 + 750 + 1000 + 888.933…) / 65 = 5638.933… / 65 = 86.7528…
        ("汾阳市", D("86.75"), 1, None),
        # completion 80/125 = 64, start 100, production 0, signing 100, timeliness 100
        # (1920 + 2000 + 0 + 1500 + 1000) / 90 = 6420 / 90 = 71.333…
        ("文水县", D("71.33"), 2, None),
        # completion 40, start 50/66.67×100 = 74.99625…, production 100, signing 40/120 = 33.333…,
        # problems 33.33, timeliness 50/75 = 66.666…
        # (1200 + 1499.925 + 1500 + 500 + 333.3 + 666.667) / 100 = 5699.892 / 100 = 56.99892
        ("交城县", D("57.00"), 3, None),
    ]


def test_min_max_normalisation(race):
    _scheme(race.city, Normalisation.MINMAX)

    snapshot = compute(race.city, JUNE, Dimension.REGION)

    # Points = (value − lowest) / (highest − lowest) × 100.
    assert _table(snapshot) == [
        # completion (125−50)/75 = 100, production (50−0)/100 = 50, problems 100, timeliness (66.67−50)/25 = 66.68
        # (3000 + 750 + 1000 + 666.8) / 65 = 5416.8 / 65 = 83.3354
        ("汾阳市", D("83.34"), 1, None),
        # completion 30/75 = 40, start 100, production 0, signing 100, timeliness 100: (1200+2000+1500+1000)/90
        ("文水县", D("63.33"), 2, None),
        # lowest everywhere but production (100): 15×100 / 100
        ("交城县", D("15.00"), 3, None),
    ]


def test_weights_of_the_region_scheme_are_used_and_kept_with_the_snapshot(race):
    with scopes_disabled():
        RankingScheme.objects.create(
            region=race.shanxi, completion_weight=50, start_weight=0, production_weight=0, signing_weight=0,
            problems_weight=50, timeliness_weight=0,
        )  # fmt: skip

    snapshot = compute(race.city, JUNE, Dimension.REGION)  # 吕梁市 inherits 山西省's scheme

    assert _table(snapshot) == [
        ("汾阳市", D("100.00"), 1, None),  # (50×100 + 50×100) / 100
        ("文水县", D("80.00"), 2, None),  # problems has no value: 50×80 / 50
        ("交城县", D("41.67"), 3, None),  # (50×50 + 50×33.33) / 100 = 41.665 → 41.67 (half up)
    ]
    assert snapshot.weights["completion"] == "50.00" and snapshot.weights["start"] == "0.00"


def test_the_quarter_counts_problems_and_reports_of_its_three_months(race):
    snapshot = compute(race.city, Q2, Dimension.REGION)

    indicators = _indicators(snapshot)
    # Problems due April–June: JC P1 ✓ P2 ✗ P3 ✗ P4 ✓ = 2/4; WS the April one ✓ = 1/1; FY 1/1.
    assert [indicators[n]["problems"] for n in ("交城县", "文水县", "汾阳市")] == [D("50.00"), D("100.00"), D("100.00")]
    # Reports owed per month (on time / owed):
    #   JC: April JC1 ✗ JC2 ✗ (0/2); May JC1 ✗, JC2 ✓ (1/2); June 1/2         → 2/6
    #   WS: April and May WS2, WS4 (WS1, WS3 not started yet) 0/2 each; June 3/4 → 3/8
    #   FY: April and May FY1, FY3 0/2 each (FY2 not reporting, filed nothing); June 2/3 → 2/7
    assert [indicators[n]["timeliness"] for n in ("交城县", "文水县", "汾阳市")] == [
        D("33.33"), D("37.50"), D("28.57"),
    ]  # fmt: skip
    assert indicators["交城县"]["completion"] == D("50.00")  # year to date at the quarter's end, as in June
    assert _table(snapshot) == [
        # (3000 + 750 + 1000 + 285.7) / 65 = 5035.7 / 65 = 77.4723…
        ("汾阳市", D("77.47"), 1, None),
        # (2400 + 1333.4 + 0 + 1500 + 1000 + 375) / 100 = 6608.4 / 100
        ("文水县", D("66.08"), 2, None),
        # (1500 + 1000 + 1500 + 600 + 500 + 333.3) / 100 = 5433.3 / 100
        ("交城县", D("54.33"), 3, None),
    ]


def test_departments_are_ranked_on_their_projects_and_the_problems_assigned_to_them(race):
    snapshot = compute(race.jc, JUNE, Dimension.DEPARTMENT)

    assert _indicators(snapshot) == {
        "交城县发展和改革局": {
            "completion": D("60.00"),  # JC1 600 / 1000
            "start": D("100.00"),  # JC1 1/1
            "production": D("100.00"),  # JC4 1/1
            "signing": NONE,  # 4000 signed, but departments have no signing target
            "problems": NONE,  # P4 is due in May
            "timeliness": D("100.00"),  # JC1 1/1 (JC4 owes none)
        },
        "交城县住房和城乡建设局": {
            "completion": D("30.00"),
            "start": D("0.00"),
            "production": NONE,
            "signing": NONE,
            "problems": D("0.00"),  # P2 late
            "timeliness": D("0.00"),  # JC2 late
        },  # fmt: skip
        "交城县自然资源局": {
            "completion": NONE,
            "start": NONE,
            "production": NONE,
            "signing": NONE,
            "problems": D("50.00"),  # P1 ✓, P3 open (P1 is on JC1, a drc project: the problem's department counts)
            "timeliness": NONE,  # JC3 entered its reporting stage in July
        },  # fmt: skip
    }
    assert _table(snapshot) == [
        ("交城县发展和改革局", D("84.00"), 1, None),  # (30×60 + 20×100 + 15×100 + 10×100) / 75 = 6300 / 75
        ("交城县自然资源局", D("50.00"), 2, None),  # 10×50 / 10
        ("交城县住房和城乡建设局", D("12.86"), 3, None),  # 30×30 / 70 = 12.857…
    ]
    assert snapshot.entries.get(department=race.drc).figures["signed"] == "4000.00"


def _published_may(race, order: list[Region]) -> RankingSnapshot:
    with scopes_disabled():
        may = RankingSnapshot.objects.create(
            region=race.city, kind=Kind.MONTH, dimension=Dimension.REGION, year=Y, period=5, as_of=day(5, 31),
            weights={}, normalisation=Normalisation.CAPPED, published_at=timezone.now(),
        )  # fmt: skip
        RankingEntry.objects.bulk_create(
            RankingEntry(snapshot=may, region=r, subject_name=r.name, position=i, rank=i, score=D("1"))
            for i, r in enumerate(order, start=1)
        )
    return may


def test_rank_change_is_measured_against_the_previous_published_period(race):
    may = _published_may(race, [race.ws, race.jc, race.fy])

    june = compute(race.city, JUNE, Dimension.REGION)

    assert june.previous == may
    assert _table(june) == [
        ("汾阳市", D("83.33"), 1, 2),  # 3rd in May → 1st: up 2
        ("文水县", D("66.48"), 2, -1),  # 1st → 2nd
        ("交城县", D("54.33"), 3, -1),  # 2nd → 3rd
    ]
    assert [e.previous_rank for e in june.entries.all()] == [3, 1, 2]


def test_a_draft_of_the_previous_period_is_not_compared_against(race):
    compute(race.city, RankingPeriod(Y, Kind.MONTH, 5), Dimension.REGION)  # a draft

    june = compute(race.city, JUNE, Dimension.REGION)

    assert june.previous is None
    assert [e.rank_change for e in june.entries.all()] == [None, None, None]


def test_january_compares_with_december_of_the_year_before(race):
    assert RankingPeriod(Y, Kind.MONTH, 1).previous() == RankingPeriod(Y - 1, Kind.MONTH, 12)
    assert RankingPeriod(Y, Kind.QUARTER, 1).previous() == RankingPeriod(Y - 1, Kind.QUARTER, 4)


# ---- versions: a snapshot never changes ----


def test_recomputing_a_draft_replaces_it(race):
    first = compute(race.city, JUNE, Dimension.REGION)

    second = compute(race.city, JUNE, Dimension.REGION)

    with scopes_disabled():
        assert list(RankingSnapshot.objects.values_list("pk", "version", "published_at")) == [(second.pk, 1, None)]
        assert not RankingEntry.objects.filter(snapshot_id=first.pk).exists()


def test_recomputing_a_published_period_makes_a_new_version_and_keeps_the_old(race, cast_user):
    first = compute(race.city, JUNE, Dimension.REGION)
    assert first.publish(by=cast_user)
    with scopes_disabled():
        AnnualPlan.objects.filter(project__name="JC1").update(amount=D("750"))  # JC completion now 750/1250 = 60

    second = compute(race.city, JUNE, Dimension.REGION)

    assert (second.version, second.is_published, first.version) == (2, False, 1)
    # latest() gives the published version until the new one is published.
    assert RankingSnapshot.latest(race.city, "month", "region") == first
    assert RankingSnapshot.latest(race.city, "month", "region", include_drafts=True) == second
    assert _indicators(first)["交城县"]["completion"] == D("50.00")  # unchanged
    assert _indicators(second)["交城县"]["completion"] == D("60.00")
    second.publish(by=cast_user)
    assert RankingSnapshot.latest(race.city, "month", "region", year=Y, period=6) == second
    assert not first.is_current() and second.is_current()


def test_a_stored_snapshot_or_entry_cannot_be_saved_again(race):
    snapshot = compute(race.city, JUNE, Dimension.REGION)
    entry = snapshot.entries.first()

    snapshot.version = 9
    entry.score = D("99")
    with pytest.raises(ValidationError):
        snapshot.save()
    with pytest.raises(ValidationError):
        entry.save()
    with scopes_disabled():
        assert RankingSnapshot.objects.get().version == 1
        assert RankingEntry.objects.get(pk=entry.pk).score == D("83.33")


def test_publishing_twice_publishes_once(race, cast_user):
    snapshot = compute(race.city, JUNE, Dimension.REGION)

    assert snapshot.publish(by=cast_user) is True
    published_at = RankingSnapshot.objects.get(pk=snapshot.pk).published_at
    assert RankingSnapshot.objects.get(pk=snapshot.pk).publish(by=None) is False
    assert RankingSnapshot.objects.get(pk=snapshot.pk).published_at == published_at


def test_a_period_not_begun_and_a_region_without_subjects_are_refused(race):
    with pytest.raises(ValidationError, match="尚未开始"):
        compute(race.city, RankingPeriod(Y + 3, Kind.MONTH, 1), Dimension.REGION)
    with pytest.raises(ValidationError, match="没有可参加排名"):
        compute(race.jc, JUNE, Dimension.REGION)  # a county's only child is not a subregion to rank
    with scopes_disabled():
        assert not RankingSnapshot.objects.exists()


def test_latest_without_any_snapshot_is_none(race):
    assert RankingSnapshot.latest(race.city) is None
    assert RankingSnapshot.latest(race.city, kind="quarter", dimension="department") is None


# ---- the figures in a fixed number of queries ----


def test_the_figures_of_a_month_cost_a_fixed_number_of_queries(race, django_assert_num_queries):
    with scopes_disabled():
        subjects = subjects_of(race.city, Dimension.REGION)
        # 1 plans, 2 approved completed, 3 planned starts and productions, 4 problems, 5 reports of the month,
        # 6, 7 signed investment (attraction: the children, the sums), 8 signing targets
        with django_assert_num_queries(8):
            figures_for(subjects, JUNE, JUNE.end)


def test_computing_a_month_costs_a_fixed_number_of_queries(race, django_assert_num_queries):
    # subjects (2), scheme (1), figures (8), previous snapshot (1), draft lookup (1), max version (1),
    # savepoint + insert snapshot + insert entries + release (4)
    with django_assert_num_queries(18):
        compute(race.city, JUNE, Dimension.REGION)


# ---- scoring by itself ----


def test_equal_scores_share_a_rank_and_the_next_is_skipped():
    subjects = [SimpleNamespace(code=c, name=c, pk=i) for i, c in enumerate("ABCD")]
    scores = ["70", "80", "90", "80"]
    lines = [scoring.Scored(s, (s.code,), {}, {}, D(v)) for s, v in zip(subjects, scores, strict=True)]

    ranked = scoring.assign_ranks(lines)

    assert [(line.subject.code, line.rank) for line in ranked] == [("C", 1), ("B", 2), ("D", 2), ("A", 4)]


def test_min_max_with_all_values_equal_gives_everyone_full_points():
    assert scoring.normalise({"a": D("40"), "b": D("40"), "c": None}, Normalisation.MINMAX) == {
        "a": D("100"), "b": D("100"), "c": None,
    }  # fmt: skip
    assert scoring.normalise({"a": D("0"), "b": D("0")}, Normalisation.RELATIVE) == {"a": D("0"), "b": D("0")}


def test_a_subject_without_any_indicator_scores_zero():
    weights = {"completion": D("50"), "start": D("50")}

    assert scoring.weighted_score(dict.fromkeys(weights), weights) == D("0.00")


def test_weights_must_add_up_to_one_hundred(race):
    scheme = RankingScheme(region=race.city, completion_weight=D("35"))

    with pytest.raises(ValidationError) as error, scopes_disabled():
        scheme.full_clean()

    assert error.value.message_dict["completion_weight"] == ["各项权重合计须为 100，当前合计 105。"]
    assert set(error.value.message_dict) == {f"{k}_weight" for k in JUNE_INDICATORS["交城县"]}


# ---- the command and the monthly task ----


def test_the_command_computes_a_region_as_drafts_or_published(race):
    out = StringIO()
    call_command("compute_rankings", "--region", "141100", "--year", str(Y), "--month", "6", stdout=out)

    assert "1 snapshots (drafts)" in out.getvalue()  # 吕梁市 has no departments: one dimension skipped
    with scopes_disabled():
        snapshot = RankingSnapshot.objects.get()
    assert (snapshot.region, snapshot.kind, snapshot.period, snapshot.is_published) == (race.city, "month", 6, False)

    call_command("compute_rankings", "--region", "141100", "--year", str(Y), "--month", "5", "--quarter",
                 "--publish", stdout=StringIO())  # fmt: skip
    quarter = RankingSnapshot.latest(race.city, kind="quarter")
    assert (quarter.period, quarter.is_published) == (2, True)


def test_the_command_over_a_subtree_ranks_every_region_that_has_subjects(race):
    call_command("compute_rankings", "--region", "141100", "--below", "--year", str(Y), "--month", "6",
                 stdout=StringIO())  # fmt: skip

    with scopes_disabled():
        made = sorted(RankingSnapshot.objects.values_list("region__name", "dimension"))
    assert made == [("交城县", "department"), ("吕梁市", "region"), ("文水县", "department")]


def test_the_command_refuses_bad_arguments(race):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("compute_rankings", "--region", "999999", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("compute_rankings", "--year", str(Y), stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("compute_rankings", "--year", str(Y + 5), "--month", "1", stdout=StringIO())


def test_the_monthly_task_ranks_last_month_and_after_a_quarter_last_quarter(race):
    runs = monthly_run(today=datetime.date(Y, 7, 1))

    assert [len(run.snapshots) for run in runs] == [4, 4]  # 山西省, 吕梁市 (region); 交城县, 文水县 (department)
    with scopes_disabled():
        periods = set(RankingSnapshot.objects.values_list("kind", "year", "period"))
    assert periods == {("month", Y, 6), ("quarter", Y, 2)}
    assert last_closed(datetime.date(Y, 1, 1), Kind.MONTH) == RankingPeriod(Y - 1, Kind.MONTH, 12)
    assert len(monthly_run(today=datetime.date(Y, 8, 1))) == 1


def test_compute_all_skips_regions_without_subjects(race):
    result = compute_all(JUNE, region=race.city)

    # 吕梁市 (region), 交城县 and 文水县 (departments); no departments in 吕梁市, 汾阳市; no subregions in counties
    assert (len(result.snapshots), result.skipped) == (3, 5)


@pytest.fixture
def cast_user(race):
    from org.models import User

    return User.objects.create_user("coordinator", role="coordinator", region=race.city)

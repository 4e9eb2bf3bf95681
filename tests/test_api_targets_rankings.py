"""The REST API's read-only resources of issue 5 and after: targets with their gap table, ranking snapshots with
their entries, the three batches, the stalled lists and bulletins. Filters, who sees drafts, whole payloads and
query counts that do not grow with the rows; the permission table is in permission_rows/api.py.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from batches.models import BatchEntry, BatchEvent
from bulletins.models import Bulletin
from projects.models import Stage
from rankings.models import DepartmentTarget, RankingEntry, RankingSnapshot, RegionTarget
from reports.models import MonthlyReport, Period, ReportStatus

from .conftest import THIS_YEAR

TODAY = timezone.localdate()
TARGETS = reverse("api:target-list")
RANKINGS = reverse("api:ranking-list")
BATCHES = reverse("api:batch-list")
STALLED = reverse("api:stalled-list")
COUNTS = reverse("api:stalled-counts")
BULLETINS = reverse("api:bulletin-list")


@pytest.fixture(autouse=True)
def _fresh_rates():
    cache.clear()
    yield
    cache.clear()


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def iso(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat()


def brief(region) -> dict:
    return {"id": region.pk, "code": region.code, "name": region.name}


# ---- targets ----


@pytest.fixture
def targets(cast):
    """吕梁市's target split between 交城县 and 文水县 this year, last year's too, and 小店区's (outside)."""
    with scopes_disabled():
        rows = {
            "city": RegionTarget.objects.create(
                region=cast.regions.lvliang, year=THIS_YEAR, fai_target=Decimal("900000"), plan_target=Decimal("600000")
            ),
            "county": RegionTarget.objects.create(
                region=cast.region, year=THIS_YEAR, fai_target=Decimal("500000"), plan_target=Decimal("40000")
            ),
            "wenshui": RegionTarget.objects.create(region=cast.regions.wenshui, year=THIS_YEAR, plan_target=None),
            "last": RegionTarget.objects.create(region=cast.region, year=THIS_YEAR - 1, plan_target=Decimal("1")),
            "other": RegionTarget.objects.create(
                region=cast.regions.xiaodian, year=THIS_YEAR, plan_target=Decimal("9")
            ),
        }
        DepartmentTarget.objects.create(department=cast.departments.drc, year=THIS_YEAR, plan_target=Decimal("30000"))
        period = Period.for_month(cast.region, THIS_YEAR, 1)
        MonthlyReport.objects.create(
            project=cast.projects.materials, period=period, year=THIS_YEAR, month=1, completed=Decimal("10000"),
            status=ReportStatus.APPROVED,
        )  # fmt: skip
    cast.targets = rows
    return cast


def test_targets_are_those_of_the_users_subtree_filtered_by_year_and_region(targets):
    rows = targets.targets
    city = client_of(targets.users.city_coordinator)
    county = client_of(targets.users.leader)

    assert ids(city.get(TARGETS)) == [rows["city"].pk, rows["wenshui"].pk, rows["county"].pk, rows["last"].pk]
    assert ids(city.get(TARGETS, {"year": THIS_YEAR - 1})) == [rows["last"].pk]
    assert ids(city.get(TARGETS, {"region": targets.region.pk})) == [rows["county"].pk, rows["last"].pk]
    assert ids(county.get(TARGETS)) == [rows["county"].pk, rows["last"].pk]
    assert client_of(targets.users.outsider).get(TARGETS).json()["count"] == 1


def test_a_targets_payload_carries_its_gap_table(targets):
    target = targets.targets["county"]

    response = client_of(targets.users.reporter).get(reverse("api:target-detail", args=[target.pk]))

    drc = targets.departments.drc
    assert response.json() == {
        "id": target.pk,
        "region": brief(targets.region),
        "year": THIS_YEAR,
        "fai_target": "500000.00",
        "plan_target": "40000.00",
        "updated_at": iso(target.updated_at),
        "gap": {
            "subject_name": "交城县", "region": targets.region.pk, "department": None, "fai_target": "500000.00",
            "fai_actual": None, "fai_month": None, "fai_rate": None, "fai_gap": None, "plan_target": "40000.00",
            "annual_plan": "33000.00", "completed": "10000.00", "rate": "25.00", "gap": "30000.00",
            "plan_shortfall": "7000.00",
        },
        "regions": [],  # a county has no subregions (the development zone is not one)
        "departments": [
            {
                "subject_name": "交城县住房和城乡建设局", "region": None, "department": targets.departments.housing.pk,
                "fai_target": None, "fai_actual": None, "fai_month": None, "fai_rate": None, "fai_gap": None,
                "plan_target": None, "annual_plan": "3000.00", "completed": "0.00", "rate": None, "gap": None,
                "plan_shortfall": None,
            },
            {
                "subject_name": drc.name, "region": None, "department": drc.pk, "fai_target": None,
                "fai_actual": None, "fai_month": None, "fai_rate": None, "fai_gap": None, "plan_target": "30000.00",
                "annual_plan": "30000.00", "completed": "10000.00", "rate": "33.33", "gap": "20000.00",
                "plan_shortfall": "0.00",
            },
        ],
    }  # fmt: skip


def test_a_citys_target_lists_its_counties_split(targets):
    target = targets.targets["city"]

    rows = client_of(targets.users.city_leader).get(reverse("api:target-detail", args=[target.pk])).json()["regions"]

    assert [(row["subject_name"], row["plan_target"], row["completed"]) for row in rows] == [
        ("文水县", None, "0.00"), ("交城县", "40000.00", "10000.00"),
    ]  # fmt: skip


# ---- rankings ----


def _snapshot(region, kind="month", dimension="region", year=THIS_YEAR, period=1, version=1, published=True, by=None):
    return RankingSnapshot.objects.create(
        region=region, kind=kind, dimension=dimension, year=year, period=period, version=version,
        as_of=datetime.date(year, 1, 31), weights={"completion": "60", "start": "40"}, normalisation="capped",
        published_at=timezone.now() if published else None, published_by=by, computed_by=by,
    )  # fmt: skip


@pytest.fixture
def rankings(cast):
    with scopes_disabled():
        rows = {
            "city": _snapshot(cast.regions.lvliang, by=cast.users.city_coordinator),
            "city quarter": _snapshot(cast.regions.lvliang, kind="quarter"),
            "county": _snapshot(cast.region, dimension="department", period=2),
            "draft": _snapshot(cast.region, dimension="department", period=3, published=False),
            "old": _snapshot(cast.region, dimension="department", year=THIS_YEAR - 1, period=12),
            "other": _snapshot(cast.regions.taiyuan),
        }
        for position, (region, score, change) in enumerate(
            [(cast.region, "91.50", 1), (cast.regions.wenshui, "80.25", None)], start=1
        ):
            RankingEntry.objects.create(
                snapshot=rows["city"], region=region, subject_name=region.name, position=position, rank=position,
                previous_rank=2 if change else None, rank_change=change, score=Decimal(score),
                completion_rate=Decimal("85.5") if change else None, start_rate=Decimal("100"),
                points={"completion": "85.5", "start": "100"} if change else {"start": "100"},
            )  # fmt: skip
    cast.snapshots = rows
    return cast


def test_rankings_are_published_ones_around_the_user_drafts_for_the_office(rankings):
    rows = rankings.snapshots
    reader = client_of(rankings.users.leader)
    office = client_of(rankings.users.coordinator)

    assert ids(reader.get(RANKINGS)) == [rows["county"].pk, rows["city"].pk, rows["city quarter"].pk, rows["old"].pk]
    assert ids(office.get(RANKINGS)) == [
        rows["draft"].pk, rows["county"].pk, rows["city"].pk, rows["city quarter"].pk, rows["old"].pk,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"kind": "quarter"}, ["city quarter"]),
        ({"dimension": "department"}, ["draft", "county", "old"]),
        ({"year": THIS_YEAR - 1}, ["old"]),
        ({"period": 1, "kind": "month"}, ["city"]),
        ({"period": 3}, ["draft"]),
    ],
)
def test_the_ranking_filters(rankings, query, names):
    response = client_of(rankings.users.coordinator).get(RANKINGS, query)

    assert ids(response) == [rankings.snapshots[name].pk for name in names]


def test_a_bad_ranking_kind_is_bad_input(rankings):
    response = client_of(rankings.users.coordinator).get(RANKINGS, {"kind": "week"})

    assert response.status_code == 400
    assert list(response.json()) == ["kind"]


def test_a_ranking_snapshots_payload_with_its_entries(rankings):
    snapshot = rankings.snapshots["city"]
    with scopes_disabled():
        first, second = snapshot.entries.all()

    response = client_of(rankings.users.handler).get(reverse("api:ranking-detail", args=[snapshot.pk]))

    none = dict.fromkeys(["production", "signing", "problems", "timeliness"])
    assert response.json() == {
        "id": snapshot.pk,
        "region": brief(rankings.regions.lvliang),
        "kind": "month",
        "dimension": "region",
        "year": THIS_YEAR,
        "period": 1,
        "label": f"{THIS_YEAR}年1月",
        "version": 1,
        "as_of": f"{THIS_YEAR}-01-31",
        "weights": {"completion": "60.00", "start": "40.00", **dict.fromkeys(none, "0.00")},
        "normalisation": "capped",
        "previous": None,
        "computed_at": iso(snapshot.computed_at),
        "computed_by": {"id": rankings.users.city_coordinator.pk, "name": str(rankings.users.city_coordinator)},
        "published_at": iso(snapshot.published_at),
        "published_by": {"id": rankings.users.city_coordinator.pk, "name": str(rankings.users.city_coordinator)},
        "entries": [
            {
                "id": first.pk, "position": 1, "rank": 1, "previous_rank": 2, "rank_change": 1,
                "region": rankings.region.pk, "department": None, "subject_name": "交城县", "score": "91.50",
                "indicators": {"completion": "85.50", "start": "100.00", **none},
                "points": {"completion": "85.50", "start": "100.00", **none},
            },
            {
                "id": second.pk, "position": 2, "rank": 2, "previous_rank": None, "rank_change": None,
                "region": rankings.regions.wenshui.pk, "department": None, "subject_name": "文水县", "score": "80.25",
                "indicators": {"completion": None, "start": "100.00", **none},
                "points": {"completion": None, "start": "100.00", **none},
            },
        ],
    }  # fmt: skip


# ---- the three batches ----


def _event(region, name, held_on, by=None) -> BatchEvent:
    return BatchEvent.objects.create(
        region=region, name=name, held_on=held_on, window_start=held_on - datetime.timedelta(days=90),
        window_end=held_on, created_by=by,
    )  # fmt: skip


@pytest.fixture
def events(cast):
    with scopes_disabled():
        rows = {
            "county": _event(cast.region, "交城县第一季度三个一批", datetime.date(THIS_YEAR, 3, 28)),
            "city": _event(cast.regions.lvliang, "吕梁市三个一批", datetime.date(THIS_YEAR, 3, 30)),
            "last year": _event(cast.region, "交城县去年三个一批", datetime.date(THIS_YEAR - 1, 12, 20)),
            "other": _event(cast.regions.xiaodian, "小店区三个一批", datetime.date(THIS_YEAR, 3, 1)),
        }
    cast.events = rows
    return cast


def test_batch_events_are_those_held_in_the_users_subtree(events):
    rows = events.events

    city = ids(client_of(events.users.city_leader).get(BATCHES))
    county = ids(client_of(events.users.handler).get(BATCHES))
    this_year = ids(client_of(events.users.handler).get(BATCHES, {"year": THIS_YEAR}))

    assert city == [rows["city"].pk, rows["county"].pk, rows["last year"].pk]
    assert county == [rows["county"].pk, rows["last year"].pk]
    assert this_year == [rows["county"].pk]


def test_a_batch_events_payload_carries_each_batch_with_its_totals(events):
    event = events.events["county"]
    materials, road = events.projects.materials, events.projects.road
    with scopes_disabled():
        signed = event.add("signed", materials, by=events.users.coordinator)
        started = event.add("started", materials, by=events.users.coordinator)
        started_road = event.add("started", road, by=events.users.coordinator)
        type(materials).objects.filter(pk=materials.pk).update(total_investment=Decimal("130000"))

    response = client_of(events.users.reporter).get(reverse("api:batch-detail", args=[event.pk]))

    def entry(row, changed):
        return {
            "id": row.pk, "project": row.project_id, "name": row.name, "national_code": row.national_code,
            "owner_name": row.owner_name, "category": row.category, "location": "交城县",
            "total_investment": f"{row.total_investment:.2f}", "stage_on": row.stage_on and row.stage_on.isoformat(),
            "added_at": iso(row.added_at), "ledger_changed": changed,
        }  # fmt: skip

    assert response.json() == {
        "id": event.pk,
        "name": "交城县第一季度三个一批",
        "region": brief(events.region),
        "held_on": f"{THIS_YEAR}-03-28",
        "window_start": (event.held_on - datetime.timedelta(days=90)).isoformat(),
        "window_end": f"{THIS_YEAR}-03-28",
        "created_at": iso(event.created_at),
        "frozen_at": None,
        "batches": [
            {"kind": "signed", "label": "签约一批", "count": 1, "total_investment": "120000.00",
             "entries": [entry(signed, True)]},
            {"kind": "started", "label": "开工一批", "count": 2, "total_investment": "128000.00",
             "entries": [entry(started, True), entry(started_road, False)]},
            {"kind": "production", "label": "投产一批", "count": 0, "total_investment": "0.00", "entries": []},
        ],
    }  # fmt: skip


# ---- the stalled lists ----


@pytest.fixture
def stalled(cast, make_project):
    """Besides the road (signed, its planned start passed): two late constructions and a late completion."""
    late = TODAY - datetime.timedelta(days=30)
    with scopes_disabled():
        cast.late = [
            make_project(name="逾期在建一", stage=Stage.CONSTRUCTION, planned_completion_on=late),
            make_project(
                name="逾期在建二", stage=Stage.CONSTRUCTION, planned_completion_on=late, region=cast.regions.wenshui
            ),  # fmt: skip
            make_project(name="竣工未投", stage=Stage.COMPLETED, planned_production_on=late - datetime.timedelta(1)),
        ]
    return cast


def test_a_stalled_list_by_its_key_and_region(stalled):
    client = client_of(stalled.users.city_coordinator)

    default = client.get(STALLED).json()["results"]
    started = client.get(STALLED, {"list": "started_not_completed"}).json()["results"]
    county = client.get(STALLED, {"list": "started_not_completed", "region": stalled.region.pk}).json()["results"]

    assert [row["project"]["name"] for row in default] == ["交城县城区道路提质改造工程"]
    assert [row["project"]["name"] for row in started] == ["逾期在建一", "逾期在建二"]
    assert [row["project"]["name"] for row in county] == ["逾期在建一"]
    assert county[0] == {
        "list": "started_not_completed",
        "project": {"id": stalled.late[0].pk, "name": "逾期在建一", "national_code": stalled.late[0].national_code},
        "agreement": None,
        "region": brief(stalled.region),
        "investment": "1000.00",
        "planned_on": (TODAY - datetime.timedelta(days=30)).isoformat(),
        "days_overdue": 30,
    }


def test_the_stalled_counts_and_the_lists_a_role_may_read(stalled):
    promoter = client_of(stalled.users.promoter).get(COUNTS).json()
    handler = client_of(stalled.users.handler)

    assert promoter == [
        {"list": "signed_not_started", "label": "签而未开", "title": "签约未开工项目", "count": 1},
        {"list": "started_not_completed", "label": "开而未竣", "title": "开工未竣工项目", "count": 1},
        {"list": "completed_not_in_production", "label": "竣而未投", "title": "竣工未投产项目", "count": 1},
        {"list": "agreements_not_started", "label": "协议逾期未开工", "title": "签约协议逾期未开工", "count": 0},
    ]
    assert [row["list"] for row in handler.get(COUNTS).json()] == [row["list"] for row in promoter[:3]]
    assert handler.get(STALLED, {"list": "agreements_not_started"}).status_code == 403
    assert handler.get(STALLED, {"list": "nonsense"}).json() == {"list": ["没有这个清单。"]}
    assert handler.get(STALLED, {"region": stalled.regions.xiaodian.pk}).status_code == 400
    assert handler.get(COUNTS, {"region": "x"}).status_code == 400


# ---- bulletins ----


def _bulletin(region, year, month, issued=False, files=True) -> Bulletin:
    bulletin = Bulletin(
        region=region, year=year, month=month, content={"meta": {"title": f"{region.name}{month}月通报"}}
    )
    if issued:
        bulletin.status, bulletin.number, bulletin.number_year = Bulletin.Status.ISSUED, month, year
        bulletin.issued_at = timezone.now()
    if files:
        for field in ("docx", "pdf"):
            getattr(bulletin, field).save(f"{region.code}-{month}.{field}", ContentFile(b"x"), save=False)
    bulletin.save()
    return bulletin


@pytest.fixture
def bulletins(cast):
    with scopes_disabled():
        cast.bulletins = {
            "draft": _bulletin(cast.region, THIS_YEAR - 1, 12, files=False),
            "issued": _bulletin(cast.region, THIS_YEAR - 1, 11, issued=True),
            "city": _bulletin(cast.regions.lvliang, THIS_YEAR - 1, 11, issued=True),
            "other": _bulletin(cast.regions.xiaodian, THIS_YEAR - 1, 11, issued=True),
        }
    return cast


def test_bulletins_are_issued_ones_of_the_subtree_drafts_for_the_office(bulletins):
    rows = bulletins.bulletins

    assert ids(client_of(bulletins.users.leader).get(BULLETINS)) == [rows["issued"].pk]
    assert ids(client_of(bulletins.users.coordinator).get(BULLETINS)) == [rows["draft"].pk, rows["issued"].pk]
    assert ids(client_of(bulletins.users.city_leader).get(BULLETINS, {"month": 11})) == [
        rows["city"].pk, rows["issued"].pk,
    ]  # fmt: skip
    assert ids(client_of(bulletins.users.coordinator).get(BULLETINS, {"status": "draft"})) == [rows["draft"].pk]


def test_a_bulletins_payload_carries_its_download_urls(bulletins):
    bulletin = bulletins.bulletins["issued"]

    response = client_of(bulletins.users.handler).get(reverse("api:bulletin-detail", args=[bulletin.pk]))

    assert response.json() == {
        "id": bulletin.pk,
        "region": brief(bulletins.region),
        "year": THIS_YEAR - 1,
        "month": 11,
        "status": "issued",
        "title": "交城县11月通报",
        "number_year": THIS_YEAR - 1,
        "number": 11,
        "generated_at": iso(bulletin.generated_at),
        "generated_by": None,
        "issued_at": iso(bulletin.issued_at),
        "issued_by": None,
        "job": "",
        "failure": "",
        "downloads": {
            "docx": f"http://testserver/bulletins/{bulletin.pk}/download.docx",
            "pdf": f"http://testserver/bulletins/{bulletin.pk}/download.pdf",
            "xlsx": None,
        },
    }
    download = client_of(bulletins.users.handler).get(response.json()["downloads"]["pdf"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"x"


# ---- query counts: the same at 3 and at 30 rows ----


def _many_targets(cast, make_project, count):
    with scopes_disabled():
        RegionTarget.objects.bulk_create(
            RegionTarget(region=cast.region, year=2000 + index, plan_target=Decimal(index)) for index in range(count)
        )


def _many_rankings(cast, make_project, count):
    with scopes_disabled():
        for index in range(count):
            _snapshot(cast.region, year=2000 + index, by=cast.users.coordinator)


def _many_events(cast, make_project, count):
    with scopes_disabled():
        for index in range(count):
            _event(cast.region, f"活动{index}", datetime.date(2020, 1, 1) + datetime.timedelta(days=index))


def _many_stalled(cast, make_project, count):
    late = TODAY - datetime.timedelta(days=10)
    for index in range(count):
        make_project(name=f"逾期{index}", stage=Stage.SIGNED, planned_start_on=late, leader=cast.users.leader,
                     department=cast.departments.land, zone=cast.regions.zone)  # fmt: skip


def _many_bulletins(cast, make_project, count):
    with scopes_disabled():
        for index in range(count):
            _bulletin(cast.region, 2000 + index, 1, issued=index % 2 == 0, files=index % 3 == 0)


# The session, the user, the user's region, the count, the page (its related rows joined) and the
# session's save (a savepoint, the update, its release).
LISTS = {
    "target": (TARGETS, _many_targets, 8),
    "ranking": (RANKINGS, _many_rankings, 8),
    "batch": (BATCHES, _many_events, 8),
    "stalled": (STALLED, _many_stalled, 8),
    "bulletin": (BULLETINS, _many_bulletins, 8),
}


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_costs_the_same_queries_at_3_and_30_rows(cast, make_project, django_assert_num_queries, name, count):
    url, make, queries = LISTS[name]
    make(cast, make_project, count)
    client = client_of(cast.users.coordinator)

    with django_assert_num_queries(queries):
        response = client.get(url, {"page_size": 100})

    assert response.json()["count"] >= count


def test_a_batch_entry_is_listed_in_the_frozen_order(events):
    """Largest first within a batch, as printed."""
    event = events.events["county"]
    with scopes_disabled():
        for project in (events.projects.road, events.projects.materials):
            event.add("started", project, by=None)
        expected = list(BatchEntry.objects.filter(event=event).values_list("name", flat=True))

    batches = client_of(events.users.leader).get(reverse("api:batch-detail", args=[event.pk])).json()["batches"]

    assert [entry["name"] for entry in batches[1]["entries"]] == expected == [
        "华鑫年产5万吨特种石墨项目", "交城县城区道路提质改造工程",
    ]  # fmt: skip

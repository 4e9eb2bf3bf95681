"""The leaders' dashboard: its figures against direct queries, the lists its links open, ranks and targets,
the leader's own projects, the big screen and its map data, and who may see what.

The figures are checked against separate ORM queries written here (not the dashboard's own), and each
link is followed: the list it opens must count what the dashboard says.
"""

import datetime
import json
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from batches import stalled as stalled_lists
from dashboards.charts import MAP_STATUSES
from dashboards.figures import STAGES
from problems.models import OPEN_STATUSES, Problem
from projects.models import AnnualPlan, Category, Project, Stage
from rankings.models import RankingEntry, RankingSnapshot, RegionTarget
from reports import colours
from reports.models import Colour, MonthlyReport, Period, ProjectColour, ReportStatus

TODAY = timezone.localdate()
YEAR, MONTH = TODAY.year, TODAY.month
INDEX = reverse("dashboards:index")
SCREEN = reverse("dashboards:screen")


# ---- the data: the cast's projects with reports, colours and problems ----


def report(project, month: int, completed: str, status=ReportStatus.APPROVED) -> MonthlyReport:
    period = Period.for_month(project.region, YEAR, month)
    return MonthlyReport.objects.create(
        project=project, period=period, year=YEAR, month=month, completed=Decimal(completed), status=status
    )


def problem(project, department, deadline: datetime.date, status=Problem.Status.REGISTERED, text="用地指标未落实"):
    return Problem.objects.create(
        project=project, category="land", description=text, department=department, deadline=deadline, status=status
    )


def build_figures(cast) -> SimpleNamespace:
    """Approved and unapproved reports, colours for the month, open, overdue and closed problems, an archived
    project (counted nowhere) and one placed in 吕梁市 itself; returns what the tests refer to."""
    p = cast.projects
    with scopes_disabled():
        report(p.materials, 1, "6000")
        report(p.materials, MONTH, "2500", ReportStatus.SUBMITTED)  # not approved: not counted
        report(p.hospital, 1, "4500")
        report(p.xiaodian, 1, "9000")
        archived = Project.objects.create(
            name="已归档的旧项目", region=cast.region, category="industry", total_investment=Decimal("7777"),
            stage=Stage.CONSTRUCTION, started_on=datetime.date(2024, 1, 1), archived_at=timezone.now(),
        )  # fmt: skip
        AnnualPlan.objects.create(project=archived, year=YEAR, amount=Decimal("777"))
        report(archived, 1, "77")
        city_own = Project.objects.create(
            name="吕梁市级物流园项目", region=cast.regions.lvliang, category="infrastructure",
            total_investment=Decimal("5000"), stage=Stage.PLANNING,
        )  # fmt: skip
        colours.recompute(YEAR, MONTH)
        overdue = problem(p.road, cast.departments.housing, TODAY - datetime.timedelta(days=12))
        problem(p.materials, cast.departments.land, TODAY + datetime.timedelta(days=20), text="电力增容")
        problem(p.materials, cast.departments.drc, TODAY - datetime.timedelta(days=40), Problem.Status.STRUCK_OFF)
        problem(p.xiaodian, cast.departments.xiaodian_drc, TODAY - datetime.timedelta(days=5))
    return SimpleNamespace(archived=archived, city_own=city_own, overdue=overdue)


@pytest.fixture
def figures_data(cast):
    return build_figures(cast)


def dashboard_of(client, url=INDEX):
    response = client.get(url)
    assert response.status_code == 200
    return response.context["dashboard"]


# ---- expected figures, from direct queries ----


def current_projects(region):
    return Project._base_manager.filter(region__path__startswith=region.path, archived_at__isnull=True)


def expected_totals(region) -> dict:
    with scopes_disabled():
        projects = current_projects(region)
        sums = projects.aggregate(total=Sum("total_investment"))
        plan = AnnualPlan.objects.filter(project__in=projects, year=YEAR).aggregate(s=Sum("amount"))["s"]
        done = MonthlyReport.objects.filter(project__in=projects, year=YEAR, status=ReportStatus.APPROVED)
        return {
            "projects": projects.count(),
            "started": projects.filter(stage__in=[Stage.CONSTRUCTION, Stage.COMPLETED, Stage.PRODUCTION]).count(),
            "total_investment": sums["total"] or 0,
            "annual_plan": plan or 0,
            "completed": done.aggregate(s=Sum("completed"))["s"] or 0,
        }


def totals_of(dashboard) -> dict:
    t = dashboard.totals
    return {
        "projects": t.projects,
        "started": t.started,
        "total_investment": t.total_investment,
        "annual_plan": t.annual_plan,
        "completed": t.completed,
    }


@pytest.mark.parametrize("who, region", [
    ("coordinator", "jiaocheng"), ("leader", "jiaocheng"), ("city_coordinator", "lvliang"),
    ("province_coordinator", "shanxi"),
])  # fmt: skip
def test_the_totals_are_those_of_direct_queries_over_the_region(cast, figures_data, client_for, who, region):
    dashboard = dashboard_of(client_for(getattr(cast.users, who)))

    assert totals_of(dashboard) == expected_totals(getattr(cast.regions, region))


def test_the_county_figures_by_hand(cast, figures_data, client_for):
    dashboard = dashboard_of(client_for(cast.users.coordinator))

    # 交城县: materials (120000, plan 30000, 6000 approved) and road (8000, plan 3000); the archived one is out.
    assert totals_of(dashboard) == {
        "projects": 2,
        "started": 1,
        "total_investment": Decimal("128000"),
        "annual_plan": Decimal("33000"),
        "completed": Decimal("6000"),
    }
    assert dashboard.totals.completion_rate == Decimal("18.2")  # 6000 / 33000
    assert dashboard.totals.through_month == 1
    assert dashboard.totals.schedule_share == Decimal("8.3")  # January of a linear year
    assert dashboard.totals.lag == Decimal("-9.9")


def test_stages_categories_and_colours_count_what_direct_queries_count(cast, figures_data, client_for):
    dashboard = dashboard_of(client_for(cast.users.city_coordinator))

    with scopes_disabled():
        projects = current_projects(cast.regions.lvliang)
        stages = {s: projects.filter(stage=s).count() for s in STAGES}
        categories = {c: projects.filter(category=c).count() for c in Category.values}
        month = ProjectColour.objects.filter(
            year=YEAR, month=MONTH, project__region__path__startswith=cast.regions.lvliang.path
        )
        colour_counts = {c: month.filter(colour=c).count() for c in ["red", "yellow", "blue"]}
    assert {s.key: s.count for s in dashboard.stages} == stages
    assert {s.key: s.count for s in dashboard.categories} == categories
    assert {s.key: s.count for s in dashboard.colours} == colour_counts
    assert sum(colour_counts.values()) == 3  # materials, road, hospital: in coloured stages
    assert dashboard.red_count == colour_counts["red"] >= 1


def test_problem_counts_and_the_overdue_list(cast, figures_data, client_for):
    dashboard = dashboard_of(client_for(cast.users.coordinator))

    with scopes_disabled():
        mine = Problem.objects.filter(project__region__path__startswith=cast.region.path)
        expected_open = mine.filter(status__in=OPEN_STATUSES).count()
        expected_overdue = mine.filter(status__in=OPEN_STATUSES, deadline__lt=TODAY).count()
    assert (dashboard.problems_open.count, dashboard.problems_overdue.count) == (expected_open, expected_overdue)
    assert (expected_open, expected_overdue) == (2, 1)
    assert [p.pk for p in dashboard.overdue] == [figures_data.overdue.pk]


def test_the_red_list_gives_each_project_its_reasons_furthest_behind_first(cast, figures_data, client_for):
    response = client_for(cast.users.coordinator).get(INDEX)

    red = response.context["dashboard"].red_list
    with scopes_disabled():
        expected = ProjectColour.objects.filter(
            year=YEAR, month=MONTH, colour=Colour.RED, project__region=cast.region
        ).order_by("-lag_points")
        expected = [(c.project_id, c.reason_texts()) for c in expected]
    assert [(c.project_id, c.reason_texts()) for c in red] == expected
    # The road: nothing done this year and its planned start (2024-09-01) long passed.
    assert [c.project_id for c in red] == [cast.projects.road.pk, cast.projects.materials.pk]
    assert any("逾期未开工" in text for text in expected[0][1])
    page = response.content.decode()
    assert all(text in page for _pk, texts in expected for text in texts)


# ---- every figure links to the list that counts it ----


def _list_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    if "totals" in response.context:
        return response.context["totals"].count
    return response.context["page"].paginator.count


def _linked(dashboard) -> list:
    slices = [
        *dashboard.stages,
        *dashboard.categories,
        *dashboard.colours,
        *dashboard.problem_slices,
        *dashboard.stalled,
    ]
    rows = [(row.url, row.projects) for row in dashboard.subregions if row.url]
    return [(s.url, s.count) for s in slices] + rows + [(dashboard.projects_url, dashboard.totals.projects)]


@pytest.mark.parametrize("who", ["coordinator", "leader", "city_coordinator", "province_coordinator"])
def test_each_figure_links_to_a_list_that_counts_the_same(cast, figures_data, client_for, who):
    client = client_for(getattr(cast.users, who))
    dashboard = dashboard_of(client)

    linked = _linked(dashboard)

    stalled = len(stalled_lists.keys_for(getattr(cast.users, who)))
    assert stalled >= 3
    assert len(linked) == len(STAGES) + len(Category.values) + 3 + 2 + stalled + len(dashboard.subregions) + 1 - (
        1 if dashboard.subregions and dashboard.subregions[-1].region is None else 0
    )
    assert [(url, _list_count(client, url)) for url, _count in linked] == linked


def test_the_ledger_sums_match_the_tiles(cast, figures_data, client_for):
    client = client_for(cast.users.city_coordinator)
    dashboard = dashboard_of(client)

    totals = client.get(dashboard.projects_url).context["totals"]

    assert (totals.count, totals.total_investment, totals.annual_plan) == (
        dashboard.totals.projects, dashboard.totals.total_investment, dashboard.totals.annual_plan,
    )  # fmt: skip


def test_a_subregion_dashboard_links_its_lists_with_the_region(cast, figures_data, client_for):
    client = client_for(cast.users.city_coordinator)
    url = reverse("dashboards:region", args=[cast.region.pk])

    dashboard = dashboard_of(client, url)

    assert totals_of(dashboard) == expected_totals(cast.region)
    assert parse_qs(urlparse(dashboard.stages[0].url).query) == {"region": [str(cast.region.pk)], "stage": ["planning"]}
    assert [(url, _list_count(client, url)) for url, _n in _linked(dashboard)] == _linked(dashboard)


def test_reporters_see_colour_counts_without_links_to_the_colour_list_they_may_not_open(cast, figures_data, client_for):
    dashboard = dashboard_of(client_for(cast.users.reporter))

    assert [s.url for s in dashboard.colours] == [None, None, None]
    assert dashboard.red_url is None
    assert all(s.url for s in dashboard.stages)


# ---- the subregion table: ranks and targets ----


def test_without_a_ranking_the_subregions_are_ranked_by_completion_rate(cast, figures_data, client_for):
    dashboard = dashboard_of(client_for(cast.users.city_coordinator))

    rows = [(r.region.name if r.region else "本级", r.rank, r.completion_rate) for r in dashboard.subregions]
    # 文水县 4500 / 15000 = 30 %, 交城县 6000 / 33000 = 18.2 %; the city's own project last, unranked.
    assert rows == [("文水县", 1, Decimal("30.0")), ("交城县", 2, Decimal("18.2")), ("本级", None, None)]
    assert not dashboard.ranked_by_snapshot


def test_the_latest_published_ranking_sets_ranks_and_scores(cast, figures_data, client_for):
    with scopes_disabled():
        snapshot = RankingSnapshot.objects.create(
            region=cast.regions.lvliang, kind="month", dimension="region", year=YEAR, period=MONTH,
            as_of=TODAY, weights={}, normalisation="minmax", published_at=timezone.now(),
        )  # fmt: skip
        for position, (region, score, change) in enumerate(
            [(cast.region, "91.50", 1), (cast.regions.wenshui, "80.25", -1)], start=1
        ):
            RankingEntry.objects.create(
                snapshot=snapshot, region=region, subject_name=region.name, position=position, rank=position,
                rank_change=change, score=Decimal(score), completion_rate=0, start_rate=0, production_rate=0,
                signing_rate=0, problems_rate=0, timeliness_rate=0,
            )  # fmt: skip

    dashboard = dashboard_of(client_for(cast.users.city_coordinator))

    rows = [(r.region.name, r.rank, r.rank_change, r.score) for r in dashboard.subregions if r.region]
    assert rows == [("交城县", 1, 1, Decimal("91.50")), ("文水县", 2, -1, Decimal("80.25"))]
    assert dashboard.ranked_by_snapshot


def test_the_gap_to_target_of_the_region_and_its_subregions(cast, figures_data, client_for):
    with scopes_disabled():
        RegionTarget.objects.create(region=cast.regions.lvliang, year=YEAR, plan_target=Decimal("60000"))
        RegionTarget.objects.create(region=cast.region, year=YEAR, plan_target=Decimal("40000"))

    response = client_for(cast.users.city_coordinator).get(INDEX)

    dashboard = response.context["dashboard"]
    assert (dashboard.gap.plan_target, dashboard.gap.completed, dashboard.gap.gap) == (
        Decimal("60000"), Decimal("10500"), Decimal("49500"),
    )  # fmt: skip
    gaps = {r.region.name: r.gap.gap if r.gap else None for r in dashboard.subregions if r.region}
    assert gaps == {"交城县": Decimal("34000"), "文水县": None}
    assert 'data-testid="tile-gap"' in response.content.decode()


def test_a_county_compares_its_development_zones(cast, figures_data, client_for):
    dashboard = dashboard_of(client_for(cast.users.coordinator))

    assert dashboard.subregion_kind == "zone"
    (zone_row,) = dashboard.subregions  # the zones are a part of the county, not a split of it: no 本级 row
    assert (zone_row.region, zone_row.projects, zone_row.completed) == (cast.regions.zone, 1, Decimal("6000"))
    assert (zone_row.annual_plan, zone_row.completion_rate, zone_row.rank) == (Decimal("30000"), Decimal("20.0"), 1)


# ---- the leader's own projects ----


def test_a_leader_sees_the_projects_they_answer_for(cast, figures_data, client_for):
    county = dashboard_of(client_for(cast.users.leader))
    city = dashboard_of(client_for(cast.users.city_leader))

    assert [p.name for p in county.own_projects] == ["华鑫年产5万吨特种石墨项目"]
    assert (county.own_projects[0].annual_plan, county.own_projects[0].completed) == (Decimal("30000"), Decimal("6000"))
    assert [p.name for p in city.own_projects] == ["文水县人民医院新院区建设项目", "交城县城区道路提质改造工程"]
    assert city.own_count == 2
    assert _list_count(client_for(cast.users.city_leader), city.own_url) == 2


def test_other_roles_have_no_own_projects_panel(cast, figures_data, client_for):
    response = client_for(cast.users.coordinator).get(INDEX)

    assert response.context["dashboard"].own_projects is None
    assert 'data-testid="own-projects"' not in response.content.decode()


# ---- query counts ----


def grow(cast, count: int) -> None:
    """More projects of every kind in 交城县, its zone and 文水县, each with a plan, reports and a problem."""
    stages = [Stage.PLANNING, Stage.SIGNED, Stage.PREPARING, Stage.CONSTRUCTION, Stage.COMPLETED]
    with scopes_disabled():
        for index in range(count):
            region = cast.region if index % 2 else cast.regions.wenshui
            stage = stages[index % len(stages)]
            started = datetime.date(YEAR - 1, 3, 1) if stage in (Stage.CONSTRUCTION, Stage.COMPLETED) else None
            project = Project.objects.create(
                name=f"项目{index}", region=region, category=Category.values[index % 5],
                zone=cast.regions.zone if region == cast.region and index % 3 == 0 else None,
                total_investment=Decimal(1000 + index), stage=stage, started_on=started,
                completed_on=datetime.date(YEAR - 1, 9, 1) if stage == Stage.COMPLETED else None,
                leader=cast.users.leader, longitude=Decimal("112.1"), latitude=Decimal("37.5"),
            )  # fmt: skip
            AnnualPlan.objects.create(project=project, year=YEAR, amount=Decimal(100 + index))
            report(project, 1, str(10 + index))
            problem(project, cast.departments.land, TODAY - datetime.timedelta(days=index % 3))
        colours.recompute(YEAR, MONTH)


# 1 session, 2 user, 3 the user's region (scope), 4 the regions of the subtree, 5 projects with plans and
# colours by region, zone, stage, category and colour, 6 approved reports by zone, region and month, 7 the
# schedule curve, 8 the ranking snapshot, 9 targets, 10 FAI actuals, 11 problem counts, 12 the red list,
# 13 overdue problems, 14-15 the stalled counts (projects, agreements), 16 unread notifications; 17-19
# session expiry.
QUERIES = 19
SCREEN_QUERIES = QUERIES - 1  # no navigation bar: no unread notifications
LEADER_QUERIES = QUERIES + 2  # their projects and how many


@pytest.mark.parametrize("extra", [0, 25])
def test_the_dashboard_runs_the_same_queries_for_few_or_many_projects(
    cast, figures_data, client_for, extra, django_assert_num_queries
):
    grow(cast, extra)
    client, leader = client_for(cast.users.city_coordinator), client_for(cast.users.city_leader)

    with django_assert_num_queries(QUERIES):
        assert client.get(INDEX).status_code == 200
    with django_assert_num_queries(SCREEN_QUERIES):
        assert client.get(SCREEN).status_code == 200
    with django_assert_num_queries(LEADER_QUERIES):
        assert leader.get(INDEX).status_code == 200


# ---- the big screen and its map ----


def test_the_big_screen_refreshes_itself_and_names_its_map_data(cast, figures_data, client_for):
    response = client_for(cast.users.city_coordinator).get(SCREEN)

    page = response.content.decode()
    assert 'hx-trigger="every 300s"' in page and f'hx-get="{SCREEN}"' in page and 'hx-select="#screen"' in page
    assert 'data-theme="dark"' in page
    assert response.context["map"] == {
        "statuses": MAP_STATUSES,
        "boundaries_url": reverse("dashboards:boundaries", args=[cast.regions.lvliang.pk]),
        "points_url": reverse("dashboards:points", args=[cast.regions.lvliang.pk]),
        "map_name": "region-141100",
        "project_url": "/projects/0/",
    }


def _features(client, region) -> list[tuple[str, str]]:
    response = client.get(reverse("dashboards:boundaries", args=[region.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    assert response["Cache-Control"] == "private, max-age=86400"
    return sorted((f["properties"]["code"], f["properties"]["name"]) for f in json.loads(response.content)["features"])


def test_the_map_shows_cities_for_a_province_districts_for_a_city_the_outline_for_a_county(cast, client_for):
    client = client_for(cast.users.province_coordinator)

    cities = _features(client, cast.regions.shanxi)
    districts = _features(client, cast.regions.lvliang)
    county = _features(client, cast.region)
    zone = _features(client, cast.regions.zone)

    assert len(cities) == 11 and ("141100", "吕梁市") in cities and ("140100", "太原市") in cities
    assert len(districts) == 13 and all(code.startswith("1411") for code, _name in districts)
    assert ("141122", "交城县") in districts and ("141102", "离石区") in districts
    assert county == [("141122", "交城县")]
    assert zone == county  # a zone is drawn on its county's outline


def test_points_carry_each_located_projects_status(cast, figures_data, client_for):
    with scopes_disabled():
        for project, (lon, lat) in zip(
            [cast.projects.materials, cast.projects.road, cast.projects.hospital, figures_data.city_own],
            [("112.15", "37.55"), ("112.16", "37.56"), ("112.10", "37.45"), ("111.14", "37.52")],
            strict=True,
        ):
            Project._base_manager.filter(pk=project.pk).update(longitude=Decimal(lon), latitude=Decimal(lat))
        Project._base_manager.filter(pk=figures_data.archived.pk).update(longitude=112, latitude=37)
        colour = {c.project_id: c.colour for c in ProjectColour.objects.filter(year=YEAR, month=MONTH)}
    response = client_for(cast.users.city_coordinator).get(reverse("dashboards:points", args=[cast.regions.lvliang.pk]))

    points = sorted(json.loads(response.content)["points"], key=lambda p: p[3])
    status = MAP_STATUSES.index
    assert points == sorted([
        [112.15, 37.55, status(colour[cast.projects.materials.pk]), cast.projects.materials.pk],
        [112.16, 37.56, status("red"), cast.projects.road.pk],
        [112.1, 37.45, status(colour[cast.projects.hospital.pk]), cast.projects.hospital.pk],
        [111.14, 37.52, status("other"), figures_data.city_own.pk],  # planning: no colour
    ], key=lambda p: p[3])  # fmt: skip
    assert response["Cache-Control"] == "no-store"


# ---- who sees what ----


def test_an_enterprise_user_may_not_open_any_dashboard(cast, client_for):
    client = client_for(cast.users.enterprise)
    urls = [INDEX, SCREEN, reverse("dashboards:region", args=[cast.region.pk]), reverse("dashboards:zones")]

    assert [client.get(url).status_code for url in urls] == [403, 403, 403, 403]


def test_a_region_outside_the_users_subtree_is_not_found(cast, client_for):
    client = client_for(cast.users.city_coordinator)
    taiyuan, zone = cast.regions.taiyuan.pk, cast.regions.zone.pk

    statuses = [
        client.get(reverse(name, args=[pk])).status_code
        for name in ["dashboards:region", "dashboards:screen_region", "dashboards:boundaries", "dashboards:points"]
        for pk in [taiyuan]
    ]

    assert statuses == [404, 404, 404, 404]
    assert client.get(reverse("dashboards:region", args=[zone])).status_code == 404  # zones: their own page


def test_a_region_with_no_projects_shows_empty_states(cast, client_for):
    response = client_for(cast.users.city_coordinator).get(reverse("dashboards:region", args=[cast.regions.wenshui.pk]))

    with scopes_disabled():
        Project._base_manager.all().delete()
    empty = client_for(cast.users.coordinator).get(INDEX)

    assert response.status_code == 200
    assert empty.status_code == 200
    dashboard = empty.context["dashboard"]
    assert (dashboard.totals.projects, dashboard.totals.completion_rate, dashboard.totals.lag) == (0, None, None)
    page = empty.content.decode()
    assert 'data-testid="no-red"' in page and 'data-testid="no-overdue"' in page

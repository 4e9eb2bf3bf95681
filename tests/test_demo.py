"""The data commands: ``load_regions`` and ``demo``."""

import datetime
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from stdnum.cn import uscc

from org.models import Department, Region, Role, User
from projects.management.commands.demo import CLOSE_DAY, DEMO_LEVELS, DEMO_PASSWORD, OVERRIDE_REASONS
from projects.models import (
    COLOURED_STAGES,
    REPORTING_STAGES,
    AnnualPlan,
    ChainTag,
    Milestone,
    Project,
    Stage,
    StageChange,
)
from reports.models import Colour, MonthlyReport, Period, ProjectColour, ReportStatus

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def kinds_under(path: str) -> dict[str, int]:
    with scopes_disabled():
        regions = Region.objects.filter(path__startswith=path)
        return {kind: regions.filter(kind=kind).count() for kind in Region.Kind.values}


# ---- load_regions ----


def test_load_regions_loads_shanxi_with_its_eleven_cities():
    out = run("load_regions", "--province", "14")

    assert "133 created, 0 updated, 0 unchanged" in out
    # 117 counties and districts, plus 4 statistical codes of zones (140171 山西转型综合改革示范区 …).
    assert kinds_under("/140000/") == {"province": 1, "city": 11, "county": 117, "zone": 4}
    with scopes_disabled():
        assert Region.objects.count() == 133
        jiaocheng = Region.objects.select_related("parent").get(code="141122")
        zone = Region.objects.get(code="140171")
    assert (jiaocheng.name, jiaocheng.kind, jiaocheng.parent.code) == ("交城县", "county", "141100")
    assert (jiaocheng.path, jiaocheng.depth) == ("/140000/141100/141122/", 2)
    assert (str(jiaocheng.longitude), str(jiaocheng.latitude)) == ("112.156064", "37.551963")
    assert (zone.name, zone.kind, zone.path) == ("山西转型综合改革示范区", "zone", "/140000/140100/140171/")


def test_load_regions_computes_paths_as_region_save_does():
    run("load_regions", "--province", "14")

    with scopes_disabled():
        for region in Region.objects.select_related("parent"):
            assert (region.path, region.depth) == (region.compute_path(), region.path.count("/") - 2)


def test_load_regions_twice_changes_nothing():
    run("load_regions", "--province", "14")
    with scopes_disabled():
        before = list(Region.objects.values_list("code", "name", "kind", "parent__code", "path", "longitude"))
        history = Region.history.count()

    out = run("load_regions", "--province", "14")

    assert "0 created, 0 updated, 133 unchanged" in out
    with scopes_disabled():
        assert list(Region.objects.values_list("code", "name", "kind", "parent__code", "path", "longitude")) == before
        assert Region.history.count() == history == 133


def test_load_regions_updates_a_renamed_region_in_place():
    run("load_regions", "--province", "14")
    with scopes_disabled():
        Region.objects.filter(code="141122").update(name="交城")

    out = run("load_regions", "--province", "14")

    assert "0 created, 1 updated, 132 unchanged" in out
    with scopes_disabled():
        assert Region.objects.get(code="141122").name == "交城县"


def test_load_regions_hangs_municipality_districts_under_the_province():
    out = run("load_regions", "--province", "11,50")

    with scopes_disabled():
        dongcheng = Region.objects.select_related("parent").get(code="110101")
        chengkou = Region.objects.select_related("parent").get(code="500229")
        assert not Region.objects.filter(name__in=["市辖区", "县"]).exists()
    assert (dongcheng.parent.name, dongcheng.path, dongcheng.depth) == ("北京市", "/110000/110101/", 1)
    assert (chengkou.parent.name, chengkou.kind) == ("重庆市", "county")
    assert "0 updated" in out


def test_load_regions_rejects_a_malformed_province_code():
    with pytest.raises(CommandError, match="2 digits"):
        run("load_regions", "--province", "140000")


def test_load_regions_rejects_an_unknown_province():
    with pytest.raises(CommandError, match="No province"):
        run("load_regions", "--province", "99")


# ---- demo ----


@pytest.fixture
def demo():
    return run("demo", "--projects", "60")


def test_demo_creates_exactly_the_projects_asked_for_and_each_passes_full_clean(demo):
    with scopes_disabled():
        projects = list(Project.objects.select_related("region", "zone", "department", "leader"))
        assert len(projects) == 60
        for project in projects:
            project.full_clean()
        assert StageChange.objects.count() == 60
        assert AnnualPlan.objects.exists() and Milestone.objects.exists()


def test_demo_credit_and_national_codes_are_valid_and_unique(demo):
    with scopes_disabled():
        credit_codes = set(Project.objects.exclude(credit_code="").values_list("credit_code", flat=True))
        national_codes = list(Project.objects.exclude(national_code="").values_list("national_code", flat=True))
        owners = set(Project.objects.exclude(credit_code="").values_list("owner_name", "credit_code"))
    assert credit_codes and all(uscc.is_valid(code) for code in credit_codes)
    assert national_codes and len(national_codes) == len(set(national_codes))
    assert len({code for _name, code in owners}) == len(owners)  # one code, one owner name


def test_demo_money_and_stages_hold_together(demo):
    with scopes_disabled():
        projects = list(Project.objects.prefetch_related("annual_plans"))
    for project in projects:
        assert 1000 <= project.total_investment <= 500000
        assert project.funding_total() <= project.total_investment
        assert sum(plan.amount for plan in project.annual_plans.all()) <= project.total_investment
        if project.stage in (Stage.SUSPENDED, Stage.TERMINATED):
            assert project.stop_reason and project.stopped_on and project.stage_before_suspension


def test_demo_creates_every_role_at_the_three_levels(demo):
    with scopes_disabled():
        users = {u.username: u for u in User.objects.select_related("region", "department")}
        projects = Project.objects.all()
        for level, code in DEMO_LEVELS.items():
            for role in Role:
                user = users[f"{level}_{role.value}"]
                assert (user.role, user.region.code) == (role, code)
                assert (user.is_staff, user.is_superuser) == (role == Role.ADMIN, role == Role.ADMIN)
                user.full_clean()
            handler, enterprise = users[f"{level}_handler"], users[f"{level}_enterprise"]
            assert handler.department.region.code == code
            assert projects.visible_to(enterprise).filter(owner_name=enterprise.enterprise_name).exists()
    assert users["county_leader"].title == "县长" and users["city_leader"].title == "市长"
    assert users["county_coordinator"].check_password(DEMO_PASSWORD)
    assert len({u.password for u in users.values()}) == 1


def test_demo_builds_zones_departments_chain_tags_and_leaders(demo):
    with scopes_disabled():
        zone = Region.objects.select_related("parent").get(code="141122Z01")
        zone.full_clean()
        assert (zone.name, zone.parent.name) == ("交城经济开发区", "交城县")
        assert zone.path == "/140000/141100/141122/141122Z01/"
        assert Department.objects.filter(region__code="141122").count() == 9
        assert Department.objects.filter(region__code="140000", name="山西省自然资源厅").exists()
        assert ChainTag.objects.filter(region__code="141122").count() == 10
        lvliang_counties = Region.objects.filter(parent__code="141100", kind="county")
        assert all(county.users.filter(role=Role.LEADER).count() == 3 for county in lvliang_counties)


def test_demo_keeps_history_of_projects_and_their_chain_tags(demo):
    with scopes_disabled():
        tagged = Project.objects.filter(chain_tags__isnull=False).distinct().first()
        record = tagged.history.get()
        assert record.history_type == "+"
        assert {link.chaintag_id for link in record.chain_tags.all()} == set(
            tagged.chain_tags.values_list("pk", flat=True)
        )
        assert AnnualPlan.history.count() == AnnualPlan.objects.count()


def signature() -> tuple:
    """The demo's content by natural keys, so database ids play no part."""
    with scopes_disabled():
        projects = tuple(
            Project.objects.order_by("name").values_list(
                "name",
                "national_code",
                "owner_name",
                "credit_code",
                "level",
                "category",
                "nature",
                "stage",
                "region__code",
                "zone__code",
                "total_investment",
                "fund_government",
                "fund_enterprise",
                "land_area",
                "leader__username",
                "department__name",
                "task_force",
                "longitude",
                "reserve_on",
                "signed_on",
                "started_on",
                "completed_on",
                "production_on",
                "planned_start_on",
                "stopped_on",
                "stop_reason",
            )
        )
        plans = tuple(AnnualPlan.objects.order_by("project__name", "year").values_list("project__name", "amount"))
        openings = tuple(Project.objects.order_by("name").values_list("name", "opening_completed"))
        tags = tuple(
            Project.chain_tags.through.objects.order_by("project__name", "chaintag__name").values_list(
                "project__name", "chaintag__name"
            )
        )
        users = tuple(
            User.objects.order_by("username").values_list(
                "username", "role", "region__code", "full_name", "title", "credit_code", "department__name"
            )
        )
        reporters = tuple(
            Project.reporters.through.objects.order_by("project__name", "user__username").values_list(
                "project__name", "user__username"
            )
        )
        reports = tuple(
            MonthlyReport.objects.order_by("project__name", "year", "month").values_list(
                "project__name",
                "year",
                "month",
                "completed",
                "status",
                "progress",
                "problems_text",
                "return_reason",
                "is_outlier",
                "submitted_at",
                "submitted_by__username",
                "approved_at",
                "approved_by__username",
            )
        )
        colours = tuple(
            ProjectColour.objects.order_by("project__name", "year", "month").values_list(
                "project__name", "year", "month", "computed", "colour", "reason_flags", "override_reason"
            )
        )
    return projects, plans, openings, tags, users, reporters, reports, colours


def test_demo_gives_the_same_data_on_every_empty_database():
    signatures = []
    for _ in range(2):
        with transaction.atomic():
            run("demo", "--projects", "60")
            signatures.append(signature())
            transaction.set_rollback(True)  # back to an empty database for the next run

    assert len(signatures[0][0]) == 60
    assert signatures[0][6] and signatures[0][7]  # reports and colours are part of what must repeat
    assert signatures[0] == signatures[1]


def test_demo_if_empty_leaves_existing_projects_alone(demo):
    out = run("demo", "--projects", "5", "--if-empty")

    assert "not loaded" in out
    with scopes_disabled():
        assert Project.objects.count() == 60


def test_demo_refuses_a_database_with_projects(demo):
    with pytest.raises(CommandError, match="empty database"):
        run("demo", "--projects", "5")


def test_demo_prints_the_accounts_and_the_password(demo):
    assert "county_enterprise" in demo and "province_coordinator" in demo
    assert f"Password for every demo account: {DEMO_PASSWORD}" in demo
    year, month = this_month()
    with scopes_disabled():
        shown = Counter(ProjectColour.objects.filter(year=year, month=month).values_list("colour", flat=True))
    counts = ", ".join(f"{shown[colour]} {colour.label}" for colour in Colour)
    assert f"Colours {year}-{month:02d}: {counts} (" in demo


def test_demo_historical_link_model_is_the_one_simple_history_uses():
    # save_drafts writes HistoricalProject_chain_tags rows by hand; the name must stay simple-history's.
    assert apps.get_model("projects", "HistoricalProject_chain_tags")._meta.db_table == (
        "projects_historicalproject_chain_tags"
    )


# ---- demo: reporters, monthly reports and colours ----


def this_month() -> tuple[int, int]:
    today = timezone.localdate()
    return today.year, today.month


def start_month(project: Project) -> tuple[int, int]:
    """The first month a reporting project reports: its start, or the start of its preparing works."""
    start = project.started_on if project.stage == Stage.CONSTRUCTION else project.preparing_on
    return start.year, start.month


def months_up_to_now(years: int) -> list[tuple[int, int]]:
    year, month = this_month()
    return [(y, m) for y in range(year - years + 1, year + 1) for m in range(1, 13) if (y, m) <= (year, month)]


@pytest.fixture
def big_demo():
    """Enough projects for the shares to show, over two years so January follows a December."""
    return run("demo", "--projects", "400", "--years", "2")


def test_demo_gives_every_coloured_project_a_reporter_of_its_own_region(demo):
    with scopes_disabled():
        projects = Project.objects.select_related("region").prefetch_related("reporters__region")
        for project in projects:
            reporters = list(project.reporters.all())
            if project.stage not in COLOURED_STAGES:
                assert reporters == []
                continue
            names = {user.username for user in reporters}
            assert {user.role for user in reporters} == {Role.REPORTER}
            assert all(project.region.path.startswith(user.region.path) for user in reporters)
            assert any(name.startswith(f"reporter_{project.region.code}_") for name in names)
            assert ("county_reporter" in names) == (project.region.code == DEMO_LEVELS["county"])
            assert ("city_reporter" in names) == (project.region.code == DEMO_LEVELS["city"])
        generated = User.objects.filter(username__startswith="reporter_")
        assert generated.exists() and set(generated.values_list("role", flat=True)) == {Role.REPORTER}
        assert not generated.filter(region__kind__in=[Region.Kind.PROVINCE, Region.Kind.ZONE]).exists()


def test_demo_sets_an_opening_figure_only_for_projects_started_before_the_first_reported_year(demo):
    first_day = datetime.date(this_month()[0], 1, 1)  # demo reports this year
    with scopes_disabled():
        projects = list(Project.objects.all())
    early = [p for p in projects if p.started_on and p.started_on < first_day]
    assert early
    assert all(0 < p.opening_completed < p.total_investment for p in early)
    assert all(p.opening_completed == 0 for p in projects if p not in early)


def test_demo_reports_every_month_from_the_start_and_only_for_reporting_projects(demo):
    months = months_up_to_now(1)
    with scopes_disabled():
        reports = list(MonthlyReport.objects.select_related("project", "period"))
        reporting = list(Project.objects.filter(stage__in=REPORTING_STAGES))
    assert reports
    reported = defaultdict(set)
    for report in reports:
        assert report.project.stage in REPORTING_STAGES
        assert (report.year, report.month) >= start_month(report.project)
        assert (report.period.region_id, report.period.year, report.period.month) == (
            report.project.region_id,
            report.year,
            report.month,
        )
        reported[report.project_id].add((report.year, report.month))
    for project in reporting:  # every month before this one, from the start month on
        expected = {m for m in months[:-1] if m >= start_month(project)}
        assert reported[project.pk] - {months[-1]} == expected


def test_demo_approves_and_closes_past_months_and_leaves_this_month_open(demo):
    year, month = this_month()
    start_of_today = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time()))
    with scopes_disabled():
        past = MonthlyReport.objects.exclude(year=year, month=month).select_related("project__region", "approved_by")
        current = list(MonthlyReport.objects.filter(year=year, month=month))
        periods = list(Period.objects.all())
        reporting = Project.objects.filter(stage__in=REPORTING_STAGES).count()
        with_projects = set(Project.objects.values_list("region_id", flat=True))
    for report in past:
        assert report.status == ReportStatus.APPROVED
        assert report.submitted_at <= report.approved_at < start_of_today
        assert report.approved_by.role == Role.COORDINATOR
        assert report.project.region.path.startswith(report.approved_by.region.path)
    assert {r.status for r in current} <= {ReportStatus.SUBMITTED, ReportStatus.DRAFT, ReportStatus.RETURNED}
    assert len(current) < reporting  # some reporters have not started this month's report
    for report in current:
        assert (report.submitted_at is None) == (report.status == ReportStatus.DRAFT)
        assert bool(report.return_reason) == (report.status == ReportStatus.RETURNED)
        assert report.approved_at is None and report.approved_by_id is None
    assert {p.region_id for p in periods} == with_projects
    assert len(periods) == len(with_projects) * month  # demo reports this year
    assert all(p.closes_on.day == CLOSE_DAY for p in periods)
    assert all((p.closed_at is None) == ((p.year, p.month) == (year, month)) for p in periods)


def test_demo_mixes_this_months_reports_as_a_real_month_looks(big_demo):
    year, month = this_month()
    with scopes_disabled():
        expected = [p for p in Project.objects.filter(stage__in=REPORTING_STAGES) if start_month(p) <= (year, month)]
        statuses = Counter(MonthlyReport.objects.filter(year=year, month=month).values_list("status", flat=True))
    statuses["missing"] = len(expected) - statuses.total()
    shares = {status: 100 * n / len(expected) for status, n in statuses.items()}
    if timezone.localdate().day == 1:  # nothing can have been submitted yet this month
        assert shares.get(ReportStatus.SUBMITTED, 0) == shares.get(ReportStatus.RETURNED, 0) == 0
        return
    # ~30 % submitted, ~20 % draft, ~10 % returned, ~40 % missing; wide bounds, the sample is a few hundred.
    assert 15 <= shares[ReportStatus.SUBMITTED] <= 45
    assert 8 <= shares[ReportStatus.DRAFT] <= 32
    assert 2 <= shares[ReportStatus.RETURNED] <= 20
    assert 25 <= shares["missing"] <= 55


def test_demo_never_reports_more_since_start_than_the_total_investment(demo):
    with scopes_disabled():
        done = defaultdict(Decimal)
        for project_id, completed in MonthlyReport.objects.values_list("project_id", "completed"):
            done[project_id] += completed
        projects = list(Project.objects.all())
    assert done
    for project in projects:
        assert project.opening_completed + done[project.pk] <= project.total_investment


def test_demo_colours_every_coloured_project_in_every_reported_month(demo):
    with scopes_disabled():
        coloured = set(
            Project.objects.filter(stage__in=COLOURED_STAGES, archived_at__isnull=True).values_list("pk", flat=True)
        )
        assert coloured
        for year, month in months_up_to_now(1):
            in_month = ProjectColour.objects.filter(year=year, month=month)
            assert set(in_month.values_list("project_id", flat=True)) == coloured


def test_demo_computes_the_months_in_order_so_yellow_streaks_carry_over(big_demo):
    with scopes_disabled():
        streaks = {
            (project_id, year, month): streak
            for project_id, year, month, streak in ProjectColour.objects.values_list(
                "project_id", "year", "month", "yellow_streak"
            )
        }
    for (project_id, year, month), streak in streaks.items():
        if streak > 1:
            before = (year, month - 1) if month > 1 else (year - 1, 12)
            assert streaks[(project_id, *before)] == streak - 1
    assert {1, 2} <= set(streaks.values())


def test_demo_overrides_two_red_county_projects_this_month_with_a_reason(big_demo):
    year, month = this_month()
    with scopes_disabled():
        overrides = list(
            ProjectColour.objects.exclude(override_colour="").select_related("project__region", "override_by")
        )
    assert len(overrides) == 2
    for colour in overrides:
        assert (colour.year, colour.month, colour.computed, colour.colour) == (year, month, Colour.RED, Colour.YELLOW)
        assert colour.project.region.code == DEMO_LEVELS["county"]
        assert colour.override_by.username == "county_coordinator"
    assert sorted(c.override_reason for c in overrides) == sorted(OVERRIDE_REASONS)

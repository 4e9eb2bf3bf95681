"""The colour rules, table-driven: inputs → colour + reasons, each default rule and each threshold edge."""

import datetime
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from org.models import Department, Region
from problems.models import Problem
from projects.models import AnnualPlan, Project, Stage
from reports.colours import Reason, reason_texts, recompute
from reports.models import Colour, MonthlyReport, Period, ProjectColour, ReportingRules, ReportStatus, ScheduleCurve

pytestmark = pytest.mark.django_db

YEAR, MONTH = 2026, 6  # linear schedule: 50 % due by the end of June
TODAY = datetime.date(2026, 6, 30)


@pytest.fixture
def county():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        return Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)


def make_project(
    county, *, plan="1200", ytd="0", stage=Stage.CONSTRUCTION, planned_start=None, started=None, month=MONTH,
    problems=(),
):
    with scopes_disabled():
        project = Project.objects.create(
            name="测试项目", region=county, category="industry", total_investment=Decimal("100000"), stage=stage,
            planned_start_on=planned_start, started_on=started or (datetime.date(2026, 1, 5)
                                                                   if stage == Stage.CONSTRUCTION else None),
        )
        if plan is not None:
            AnnualPlan.objects.create(project=project, year=YEAR, amount=Decimal(plan))
        if Decimal(ytd) or stage == Stage.CONSTRUCTION:
            report(project, month, ytd)
        for days_overdue, status in problems:
            problem(project, days_overdue, status)
        return project


def problem(project, days_overdue: int, status=Problem.Status.REGISTERED) -> Problem:
    """A problem whose deadline lies ``days_overdue`` days before TODAY (negative: still due)."""
    with scopes_disabled():
        department, _created = Department.objects.get_or_create(region=project.region, name="交城县自然资源局")
        return Problem.objects.create(
            project=project, category="land", description="用地指标未落实", department=department,
            deadline=days_before(days_overdue), status=status,
        )


def report(project, month: int, completed: str) -> MonthlyReport:
    """An approved report, so the month counts towards year-to-date and its schedule share applies."""
    with scopes_disabled():
        period = Period.for_month(project.region, YEAR, month)
        report, _created = MonthlyReport.objects.update_or_create(
            project=project, year=YEAR, month=month,
            defaults={"period": period, "completed": Decimal(completed), "status": ReportStatus.APPROVED},
        )
        return report


def colour_of(project, year=YEAR, month=MONTH) -> ProjectColour:
    with scopes_disabled():
        return ProjectColour.objects.get(project=project, year=year, month=month)


def days_before(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


# plan 1200, June: schedule 50 % → 600 due. ytd → completion % → lag points.
CASES = [
    # id, project inputs, expected colour, expected reason flags
    ("on schedule", {"ytd": "600"}, Colour.BLUE, 0),
    ("lag exactly 5 points is still blue", {"ytd": "540"}, Colour.BLUE, 0),
    ("lag 5.1 points is yellow", {"ytd": "538.8"}, Colour.YELLOW, Reason.YELLOW_LAG),
    ("lag exactly 15 points is yellow", {"ytd": "420"}, Colour.YELLOW, Reason.YELLOW_LAG),
    ("lag 15.1 points is red", {"ytd": "418.8"}, Colour.RED, Reason.RED_LAG),
    ("nothing reported is red", {"ytd": "0"}, Colour.RED, Reason.RED_LAG),
    ("ahead of schedule is blue", {"ytd": "1000"}, Colour.BLUE, 0),
    ("no annual plan: no lag rule", {"plan": None, "ytd": "0"}, Colour.BLUE, 0),
    (
        "planned start passed yesterday is yellow",
        {"stage": Stage.PREPARING, "plan": None, "planned_start": days_before(1)},
        Colour.YELLOW,
        Reason.YELLOW_START,
    ),
    (
        "planned start passed 30 days ago is still yellow",
        {"stage": Stage.PREPARING, "plan": None, "planned_start": days_before(30)},
        Colour.YELLOW,
        Reason.YELLOW_START,
    ),
    (
        "planned start passed 31 days ago is red",
        {"stage": Stage.PREPARING, "plan": None, "planned_start": days_before(31)},
        Colour.RED,
        Reason.RED_START,
    ),
    (
        "planned start today is not overdue",
        {"stage": Stage.SIGNED, "plan": None, "planned_start": TODAY},
        Colour.BLUE,
        0,
    ),
    ("problem due today is not overdue", {"ytd": "600", "problems": [(0, "registered")]}, Colour.BLUE, 0),
    (
        "problem overdue 1 day is yellow",
        {"ytd": "600", "problems": [(1, "in_progress")]},
        Colour.YELLOW,
        Reason.YELLOW_PROBLEM,
    ),
    (
        "problem overdue exactly 30 days is still yellow",
        {"ytd": "600", "problems": [(30, "registered")]},
        Colour.YELLOW,
        Reason.YELLOW_PROBLEM,
    ),
    (
        "problem overdue 31 days is red",
        {"ytd": "600", "problems": [(31, "proposed")]},
        Colour.RED,
        Reason.RED_PROBLEM,
    ),
    (
        "a returned problem is still open",
        {"ytd": "600", "problems": [(31, "returned")]},
        Colour.RED,
        Reason.RED_PROBLEM,
    ),
    ("a struck-off problem is ignored", {"ytd": "600", "problems": [(60, "struck_off")]}, Colour.BLUE, 0),
    (
        "the most overdue open problem counts",
        {"ytd": "600", "problems": [(3, "registered"), (45, "struck_off"), (31, "in_progress")]},
        Colour.RED,
        Reason.RED_PROBLEM,
    ),
    (
        "lag and late start both count",
        {"stage": Stage.PREPARING, "ytd": "500", "planned_start": days_before(41)},
        Colour.RED,
        Reason.RED_START | Reason.YELLOW_LAG,
    ),
]


@pytest.mark.parametrize(("inputs", "colour", "flags"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_default_rule_and_threshold_edge(county, inputs, colour, flags):
    project = make_project(county, **inputs)
    assert recompute(YEAR, MONTH, region=county, today=TODAY) == 1
    row = colour_of(project)
    assert (row.colour, row.computed, Reason(row.reason_flags)) == (colour, colour, Reason(flags))


def test_reasons_read_as_sentences_with_the_figures(county):
    project = make_project(county, stage=Stage.PREPARING, ytd="378", planned_start=days_before(41))
    recompute(YEAR, MONTH, region=county, today=TODAY)
    row = colour_of(project)
    assert (row.lag_points, row.completion_rate, row.schedule_share, row.start_overdue_days) == (
        Decimal("18.5"), Decimal("31.5"), Decimal("50.0"), 41,
    )
    assert reason_texts(row) == ["落后序时进度 18.5 个百分点（完成 31.5%，序时 50.0%）", "逾期未开工 41 天"]


def test_overdue_problems_do_not_multiply_the_year_to_date_sum(county):
    project = make_project(county, ytd="250", problems=[(5, "registered"), (12, "registered"), (40, "in_progress")])
    report(project, 5, "200")
    report(project, 4, "150.5")
    recompute(YEAR, MONTH, region=county, today=TODAY)
    row = colour_of(project)
    assert (row.ytd_completed, row.problem_overdue_days, row.colour) == (Decimal("600.50"), 40, Colour.RED)
    assert (row.lag_points, Reason(row.reason_flags)) == (Decimal("0.0"), Reason.RED_PROBLEM)
    assert reason_texts(row) == ["问题逾期 40 天未办结"]


def test_problem_overdue_days_count_to_the_months_end_for_a_past_month(county):
    project = make_project(county, ytd="500", month=5, problems=[(45, "registered")])  # deadline 2026-05-16
    recompute(YEAR, 5, region=county, today=TODAY)
    assert (colour_of(project, month=5).problem_overdue_days, colour_of(project, month=5).colour) == (
        15, Colour.YELLOW,
    )


def test_red_problem_threshold_comes_from_the_regions_rules(county):
    with scopes_disabled():
        ReportingRules.objects.create(region=county, red_problem_overdue_days=10)
    project = make_project(county, ytd="600", problems=[(11, "registered")])
    recompute(YEAR, MONTH, region=county, today=TODAY)
    assert colour_of(project).colour == Colour.RED


def test_yellow_two_months_running_turns_red(county):
    project = make_project(county, ytd="430", month=5)  # May: 35.8 % done, 41.7 % due → 5.9 behind
    recompute(YEAR, 5, region=county, today=TODAY)
    assert (colour_of(project, month=5).colour, colour_of(project, month=5).yellow_streak) == (Colour.YELLOW, 1)
    report(project, MONTH, "100")  # June: 44.2 % done, 50 % due → 5.8 behind
    recompute(YEAR, MONTH, region=county, today=TODAY)
    row = colour_of(project)
    assert (row.colour, Reason(row.reason_flags), row.yellow_streak) == (
        Colour.RED, Reason.YELLOW_LAG | Reason.RED_STREAK, 2,
    )
    assert reason_texts(row)[-1] == "连续 2 个月黄色"


def test_thresholds_come_from_the_nearest_region_with_rules(county):
    with scopes_disabled():
        ReportingRules.objects.create(region=county.parent, red_lag_points=30, yellow_lag_points=20)
    project = make_project(county, ytd="300")  # 25 points behind
    recompute(YEAR, MONTH, region=county, today=TODAY)
    assert colour_of(project).colour == Colour.YELLOW


def test_a_regions_schedule_curve_replaces_the_linear_one(county):
    with scopes_disabled():
        ScheduleCurve.objects.create(region=county, year=YEAR, shares=[5, 10, 20, 30, 40, 55, 60, 70, 80, 90, 95, 100])
    project = make_project(county, ytd="600")  # 50 % done, 55 % due
    recompute(YEAR, MONTH, region=county, today=TODAY)
    row = colour_of(project)
    assert (row.schedule_share, row.lag_points, row.colour) == (Decimal("55.0"), Decimal("5.0"), Colour.BLUE)


def test_colour_memory_keeps_red_until_the_project_catches_up(county):
    with scopes_disabled():
        ReportingRules.objects.create(region=county, colour_memory=True)
    project = make_project(county, ytd="100", month=5)  # May: 8.3 % done, 41.7 % due
    recompute(YEAR, 5, region=county, today=TODAY)
    assert colour_of(project, month=5).colour == Colour.RED
    report(project, MONTH, "400")  # June: 41.7 % done, 50 % due → 8.3 behind: yellow, held red
    recompute(YEAR, MONTH, region=county, today=TODAY)
    row = colour_of(project)
    assert (row.colour, Reason(row.reason_flags)) == (Colour.RED, Reason.YELLOW_LAG | Reason.RED_MEMORY)
    report(project, MONTH, "500")  # June: 50 % done
    recompute(YEAR, MONTH, region=county, today=TODAY)
    assert colour_of(project).colour == Colour.BLUE


def test_until_the_months_report_is_approved_last_months_share_applies(county):
    project = make_project(county, ytd="500", month=5)  # 41.7 % done by May; June not yet reported
    recompute(YEAR, MONTH, region=county, today=TODAY)
    row = colour_of(project)
    assert (row.schedule_share, row.lag_points, row.colour) == (Decimal("41.7"), Decimal("0.0"), Colour.BLUE)


def test_once_the_period_closes_a_missing_report_counts_as_nothing(county):
    project = make_project(county, ytd="500", month=5)
    with scopes_disabled():
        Period.for_month(county, YEAR, MONTH).close(by=None)
    recompute(YEAR, MONTH, region=county, today=TODAY)
    row = colour_of(project)
    assert (row.schedule_share, row.lag_points, row.colour) == (Decimal("50.0"), Decimal("8.3"), Colour.YELLOW)


def test_an_override_survives_recompute_and_shows_as_override(county, django_user_model):
    project = make_project(county, ytd="0")
    recompute(YEAR, MONTH, region=county, today=TODAY)
    with scopes_disabled():
        user = django_user_model.objects.create_user("co", role="coordinator", region=county)
        colour_of(project).override(Colour.YELLOW, "已协调用地，下月集中投入", by=user)
    recompute(YEAR, MONTH, region=county, today=TODAY)
    row = colour_of(project)
    assert (row.colour, row.computed, row.is_override, row.override_reason) == (
        Colour.YELLOW, Colour.RED, True, "已协调用地，下月集中投入",
    )
    with scopes_disabled():
        row.clear_override(by=user)
    assert colour_of(project).colour == Colour.RED


def test_projects_leaving_the_coloured_stages_lose_their_colour(county):
    project = make_project(county, ytd="0")
    recompute(YEAR, MONTH, region=county, today=TODAY)
    with scopes_disabled():
        Project.objects.filter(pk=project.pk).update(stage=Stage.COMPLETED, completed_on=TODAY)
    assert recompute(YEAR, MONTH, region=county, today=TODAY) == 0
    with scopes_disabled():
        assert not ProjectColour.objects.filter(project=project).exists()


def test_only_the_named_projects_are_recomputed(county):
    first, second = make_project(county, ytd="0"), make_project(county, ytd="0")
    assert recompute(YEAR, MONTH, project_ids=[first.pk], today=TODAY) == 1
    with scopes_disabled():
        assert list(ProjectColour.objects.values_list("project_id", flat=True)) == [first.pk]
    assert second.pk


@pytest.mark.django_db(transaction=True)
def test_changing_a_planned_start_recolours_the_project_after_commit(county):
    from reports.colours import current_month

    year, month = current_month()
    project = make_project(county, stage=Stage.PREPARING, plan=None)
    with scopes_disabled():
        project.planned_start_on = datetime.date(year, month, 1) - datetime.timedelta(days=45)
        project.save()
        row = ProjectColour.objects.get(project=project, year=year, month=month)
    assert (row.colour, Reason(row.reason_flags)) == (Colour.RED, Reason.RED_START)

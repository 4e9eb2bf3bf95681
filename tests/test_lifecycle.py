"""The project lifecycle and the rules the model and the database hold, without any view."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from org.models import Role, User
from projects.models import AnnualPlan, Milestone, Project, Stage, StageChange

from .conftest import ENTERPRISE_CODE, reload

pytestmark = pytest.mark.usefixtures("unscoped")

TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)
TOMORROW = TODAY + datetime.timedelta(days=1)
# What a suspension needs besides its date and summary (see tests/test_suspension.py).
SUSPENSION = {"reason_code": "environment", "expected_resume_on": TODAY + datetime.timedelta(days=90)}


def _messages(error: ValidationError) -> dict[str, list[str]]:
    return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}


def _moves(project) -> list[tuple]:
    return list(
        StageChange.objects.filter(project=project).values_list("from_stage", "to_stage", "on", "note", "is_correction")
    )


@pytest.fixture
def planning(make_project):
    """A fresh project at 谋划 with no owner yet."""
    return make_project(name="交城县文旅康养综合体项目", category="livelihood")


@pytest.fixture
def signed_ready(make_project):
    """A 谋划 project whose owner is known, so it may be signed and go further."""
    return make_project(name="华鑫二期项目", owner_name="山西华鑫新材料有限公司", credit_code=ENTERPRISE_CODE)


# ---- advance ----


def test_it_advances_forward_with_the_date_and_records_the_move(cast):
    road = cast.projects.road

    change = road.advance(Stage.CONSTRUCTION, on=YESTERDAY, by=cast.users.coordinator, note="开工仪式")

    saved = reload(road)
    assert (saved.stage, saved.started_on) == (Stage.CONSTRUCTION, YESTERDAY)
    assert _moves(road) == [(Stage.PREPARING, Stage.CONSTRUCTION, YESTERDAY, "开工仪式", False)]
    assert change.by == cast.users.coordinator


def test_it_walks_the_whole_forward_path_leaving_one_stage_change_per_step(signed_ready, cast):
    steps = [Stage.RESERVE, Stage.SIGNED, Stage.PREPARING, Stage.CONSTRUCTION, Stage.COMPLETED, Stage.PRODUCTION]
    dates = [TODAY - datetime.timedelta(days=60 - 10 * i) for i in range(len(steps))]

    for stage, on in zip(steps, dates, strict=True):
        signed_ready.advance(stage, on=on, by=cast.users.coordinator)

    saved = reload(signed_ready)
    assert saved.stage == Stage.PRODUCTION
    assert [
        saved.reserve_on,
        saved.signed_on,
        saved.preparing_on,
        saved.started_on,
        saved.completed_on,
        saved.production_on,
    ] == dates
    assert _moves(signed_ready) == [
        (old, new, on, "", False) for old, new, on in zip([Stage.PLANNING, *steps[:-1]], steps, dates, strict=True)
    ]


def test_it_may_skip_stages_forward_when_the_facts_are_there(signed_ready, cast):
    signed_ready.advance(Stage.CONSTRUCTION, on=YESTERDAY, by=cast.users.coordinator)

    saved = reload(signed_ready)
    assert (saved.stage, saved.started_on, saved.signed_on) == (Stage.CONSTRUCTION, YESTERDAY, None)


@pytest.mark.parametrize("to", [Stage.SIGNED, Stage.CONSTRUCTION, Stage.SUSPENDED, "nonsense"])
def test_it_refuses_to_advance_backwards_sideways_or_in_place(cast, to):
    materials = cast.projects.materials

    with pytest.raises(ValidationError) as error:
        materials.advance(to, on=YESTERDAY, by=cast.users.coordinator)

    assert _messages(error.value) == {"to": ["只能向后推进阶段；回退须通过阶段更正并说明原因。"]}
    assert reload(materials).stage == Stage.CONSTRUCTION
    assert _moves(materials) == []


def test_it_refuses_to_advance_without_a_date(cast):
    with pytest.raises(ValidationError) as error:
        cast.projects.road.advance(Stage.CONSTRUCTION, on=None, by=cast.users.coordinator)

    assert _messages(error.value) == {"on": ["请填写日期。"]}
    assert reload(cast.projects.road).stage == Stage.PREPARING


def test_it_refuses_a_date_in_the_future(cast):
    with pytest.raises(ValidationError) as error:
        cast.projects.road.advance(Stage.CONSTRUCTION, on=TOMORROW, by=cast.users.coordinator)

    assert _messages(error.value) == {"on": ["日期不能晚于今天。"]}
    assert (reload(cast.projects.road).stage, reload(cast.projects.road).started_on) == (Stage.PREPARING, None)


def test_it_refuses_completion_dated_before_the_start(cast):
    materials = cast.projects.materials  # started 2024-04-18

    with pytest.raises(ValidationError) as error:
        materials.advance(Stage.COMPLETED, on=datetime.date(2024, 4, 1), by=cast.users.coordinator)

    assert _messages(error.value) == {"completed_on": ["竣工日期不能早于实际开工日期（2024-04-18）。"]}
    assert (reload(materials).stage, reload(materials).completed_on) == (Stage.CONSTRUCTION, None)


def test_it_refuses_completion_of_a_project_never_started(cast):
    with pytest.raises(ValidationError) as error:
        cast.projects.road.advance(Stage.COMPLETED, on=YESTERDAY, by=cast.users.coordinator)

    assert _messages(error.value) == {"started_on": ["尚未开工的项目不能竣工，请先填写实际开工日期。"]}
    assert reload(cast.projects.road).stage == Stage.PREPARING
    assert _moves(cast.projects.road) == []


def test_it_refuses_production_before_completion(cast):
    with pytest.raises(ValidationError) as error:
        cast.projects.materials.advance(Stage.PRODUCTION, on=YESTERDAY, by=cast.users.coordinator)

    assert _messages(error.value) == {"completed_on": ["尚未竣工的项目不能投产，请先填写竣工日期。"]}
    assert reload(cast.projects.materials).production_on is None


def test_it_refuses_signing_without_owner_and_credit_code(planning, cast):
    with pytest.raises(ValidationError) as error:
        planning.advance(Stage.SIGNED, on=YESTERDAY, by=cast.users.coordinator)

    assert _messages(error.value) == {
        "owner_name": ["签约前须填写项目单位。"],
        "credit_code": ["签约前须填写统一社会信用代码。"],
    }
    assert (reload(planning).stage, reload(planning).signed_on) == (Stage.PLANNING, None)


def test_it_signs_once_owner_and_credit_code_are_known(signed_ready, cast):
    signed_ready.advance(Stage.SIGNED, on=YESTERDAY, by=cast.users.coordinator)

    assert (reload(signed_ready).stage, reload(signed_ready).signed_on) == (Stage.SIGNED, YESTERDAY)


# ---- suspend, resume, terminate ----


def test_suspend_then_resume_returns_to_the_stage_it_left(cast):
    materials, by = cast.projects.materials, cast.users.coordinator

    materials.suspend(on=datetime.date(2025, 1, 10), reason="环保督察停工", by=by, **SUSPENSION)
    suspended = reload(materials)
    materials.resume(on=datetime.date(2025, 3, 1), by=by, note="整改完成")

    assert (suspended.stage, suspended.stage_before_suspension, suspended.stopped_on, suspended.stop_reason) == (
        Stage.SUSPENDED,
        Stage.CONSTRUCTION,
        datetime.date(2025, 1, 10),
        "环保督察停工",
    )
    resumed = reload(materials)
    assert (resumed.stage, resumed.stage_before_suspension, resumed.stopped_on, resumed.stop_reason) == (
        Stage.CONSTRUCTION,
        "",
        None,
        "",
    )
    assert resumed.started_on == datetime.date(2024, 4, 18)
    assert _moves(materials) == [
        (Stage.CONSTRUCTION, Stage.SUSPENDED, datetime.date(2025, 1, 10), "环保督察停工", False),
        (Stage.SUSPENDED, Stage.CONSTRUCTION, datetime.date(2025, 3, 1), "整改完成", False),
    ]


def test_a_suspended_project_cannot_advance_until_resumed(cast):
    materials = cast.projects.materials
    materials.suspend(on=YESTERDAY, reason="资金未到位", by=cast.users.coordinator, **SUSPENSION)

    with pytest.raises(ValidationError) as error:
        materials.advance(Stage.COMPLETED, on=YESTERDAY, by=cast.users.coordinator)

    assert error.value.messages == ["项目处于暂停状态，请先恢复。"]
    assert reload(materials).stage == Stage.SUSPENDED


@pytest.mark.parametrize("reason", ["", "   "])
def test_suspend_requires_a_reason(cast, reason):
    with pytest.raises(ValidationError) as error:
        cast.projects.materials.suspend(on=YESTERDAY, reason=reason, by=cast.users.coordinator, **SUSPENSION)

    assert _messages(error.value) == {"reason": ["请填写原因。"]}
    assert reload(cast.projects.materials).stage == Stage.CONSTRUCTION


def test_it_cannot_suspend_twice_nor_resume_what_is_not_suspended(cast):
    materials, by = cast.projects.materials, cast.users.coordinator
    with pytest.raises(ValidationError) as not_suspended:
        materials.resume(on=YESTERDAY, by=by)
    materials.suspend(on=YESTERDAY, reason="停工", by=by, **SUSPENSION)
    with pytest.raises(ValidationError) as twice:
        materials.suspend(on=YESTERDAY, reason="再次停工", by=by, **SUSPENSION)

    assert not_suspended.value.messages == ["只有暂停的项目可以恢复。"]
    assert twice.value.messages == ["项目已处于暂停状态。"]
    assert len(_moves(materials)) == 1


def test_it_cannot_resume_before_the_suspension_date(cast):
    materials, by = cast.projects.materials, cast.users.coordinator
    materials.suspend(on=datetime.date(2025, 5, 1), reason="停工", by=by, **SUSPENSION)

    with pytest.raises(ValidationError) as error:
        materials.resume(on=datetime.date(2025, 4, 1), by=by)

    assert _messages(error.value) == {"on": ["恢复日期不能早于暂停日期（2025-05-01）。"]}
    assert reload(materials).stage == Stage.SUSPENDED


def test_terminate_requires_a_reason(cast):
    with pytest.raises(ValidationError) as error:
        cast.projects.materials.terminate(on=YESTERDAY, reason="", by=cast.users.coordinator)

    assert _messages(error.value) == {"reason": ["请填写原因。"]}
    assert reload(cast.projects.materials).stage == Stage.CONSTRUCTION


def test_a_terminated_project_cannot_advance_suspend_or_terminate_again(cast):
    materials, by = cast.projects.materials, cast.users.coordinator
    materials.terminate(on=YESTERDAY, reason="企业撤资", by=by)

    with pytest.raises(ValidationError) as advance:
        materials.advance(Stage.COMPLETED, on=YESTERDAY, by=by)
    with pytest.raises(ValidationError) as suspend:
        materials.suspend(on=YESTERDAY, reason="x", by=by, **SUSPENSION)
    with pytest.raises(ValidationError) as again:
        materials.terminate(on=YESTERDAY, reason="x", by=by)

    assert advance.value.messages == ["项目已终止，不能再推进；如属误操作请使用阶段更正。"]
    assert suspend.value.messages == ["项目已处于终止状态。"]
    assert again.value.messages == ["项目已终止。"]
    saved = reload(materials)
    assert (saved.stage, saved.stage_before_suspension, saved.stopped_on, saved.stop_reason) == (
        Stage.TERMINATED,
        Stage.CONSTRUCTION,
        YESTERDAY,
        "企业撤资",
    )
    assert _moves(materials) == [(Stage.CONSTRUCTION, Stage.TERMINATED, YESTERDAY, "企业撤资", False)]


def test_terminating_a_suspended_project_remembers_the_stage_before_the_suspension(cast):
    materials, by = cast.projects.materials, cast.users.coordinator
    materials.suspend(on=YESTERDAY, reason="停工", by=by, **SUSPENSION)

    materials.terminate(on=TODAY, reason="企业撤资", by=by)

    saved = reload(materials)
    assert (saved.stage, saved.stage_before_suspension) == (Stage.TERMINATED, Stage.CONSTRUCTION)


# ---- correct_stage ----


def test_correct_stage_goes_back_clears_later_actual_dates_and_is_recorded_as_a_correction(cast):
    materials = cast.projects.materials

    materials.correct_stage(Stage.SIGNED, reason="误报开工", by=cast.users.coordinator)

    saved = reload(materials)
    assert (saved.stage, saved.signed_on, saved.preparing_on, saved.started_on) == (
        Stage.SIGNED,
        datetime.date(2023, 5, 10),
        None,
        None,
    )
    assert saved.planned_start_on == datetime.date(2024, 3, 1)  # planned dates stay
    assert _moves(materials) == [(Stage.CONSTRUCTION, Stage.SIGNED, TODAY, "误报开工", True)]
    assert StageChange.objects.get(project=materials).by == cast.users.coordinator


@pytest.mark.parametrize("to", [Stage.CONSTRUCTION, Stage.COMPLETED, Stage.TERMINATED, ""])
def test_correct_stage_refuses_anything_but_an_earlier_stage(cast, to):
    with pytest.raises(ValidationError) as error:
        cast.projects.materials.correct_stage(to, reason="更正", by=cast.users.coordinator)

    assert _messages(error.value) == {"to": ["阶段更正只能回到更早的阶段。"]}
    assert reload(cast.projects.materials).started_on == datetime.date(2024, 4, 18)


def test_correct_stage_requires_a_reason(cast):
    with pytest.raises(ValidationError) as error:
        cast.projects.materials.correct_stage(Stage.SIGNED, reason=" ", by=cast.users.coordinator)

    assert _messages(error.value) == {"reason": ["请填写原因。"]}
    assert reload(cast.projects.materials).stage == Stage.CONSTRUCTION
    assert _moves(cast.projects.materials) == []


def test_a_terminated_project_comes_back_only_through_a_correction(cast):
    materials, by = cast.projects.materials, cast.users.coordinator
    materials.terminate(on=YESTERDAY, reason="误操作", by=by)

    materials.correct_stage(Stage.CONSTRUCTION, reason="终止系误操作", by=by)

    saved = reload(materials)
    assert (saved.stage, saved.started_on, saved.stopped_on, saved.stop_reason, saved.stage_before_suspension) == (
        Stage.CONSTRUCTION,
        datetime.date(2024, 4, 18),
        None,
        "",
        "",
    )
    assert _moves(materials)[-1] == (Stage.TERMINATED, Stage.CONSTRUCTION, TODAY, "终止系误操作", True)


# ---- Project.clean ----


def _clean_errors(project) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        project.clean()
    return _messages(error.value)


def test_clean_refuses_actual_dates_in_the_future(cast):
    road = cast.projects.road
    road.preparing_on = TOMORROW

    assert _clean_errors(road) == {"preparing_on": ["实际日期不能晚于今天。"]}


def test_clean_refuses_completion_before_start_and_production_before_completion(cast):
    hospital = cast.projects.hospital  # started 2023-09-01
    hospital.stage = Stage.PRODUCTION
    hospital.completed_on = datetime.date(2023, 8, 1)
    hospital.production_on = datetime.date(2023, 7, 1)

    assert _clean_errors(hospital) == {
        "completed_on": ["竣工日期不能早于实际开工日期（2023-09-01）。"],
        "production_on": ["投产日期不能早于竣工日期（2023-08-01）。"],
    }


def test_clean_requires_the_dates_of_every_stage_already_reached(cast):
    hospital = cast.projects.hospital
    hospital.stage = Stage.PRODUCTION

    assert _clean_errors(hospital) == {
        "completed_on": ["项目处于“投产”阶段，须填写竣工日期。"],
        "production_on": ["项目处于“投产”阶段，须填写投产日期。"],
    }


def test_clean_holds_a_suspended_project_to_the_stage_it_left(cast):
    materials = cast.projects.materials
    materials.suspend(on=YESTERDAY, reason="停工", by=cast.users.coordinator, **SUSPENSION)
    materials.started_on = None

    assert _clean_errors(materials) == {"started_on": ["项目处于“在建”阶段，须填写实际开工日期。"]}


def test_clean_refuses_a_completion_date_without_a_start_date_even_before_the_stage(make_project):
    project = make_project(completed_on=None)
    project.completed_on = YESTERDAY

    assert _clean_errors(project) == {"started_on": ["填写竣工日期前须先填写实际开工日期。"]}


def test_clean_refuses_a_production_date_without_a_completion_date(make_project):
    project = make_project()
    project.started_on, project.production_on = datetime.date(2024, 1, 1), YESTERDAY

    assert _clean_errors(project) == {"completed_on": ["填写投产日期前须先填写竣工日期。"]}


def test_clean_accepts_funding_up_to_the_total(cast):
    materials = cast.projects.materials  # 80000 + 40000 = 120000 total

    materials.clean()

    assert materials.funding_total() == Decimal("120000")


def test_clean_refuses_funding_above_the_total(cast):
    materials = cast.projects.materials
    materials.fund_government = Decimal("0.01")

    assert _clean_errors(materials) == {"fund_other": ["各资金来源合计 120000.01 万元超过了总投资 120000 万元。"]}


def test_clean_refuses_a_zone_outside_the_project_region(cast):
    hospital = cast.projects.hospital  # 文水县; the zone belongs to 交城县
    hospital.zone = cast.regions.zone

    assert _clean_errors(hospital) == {"zone": ["所选开发区不在项目所在区划内。"]}


def test_clean_refuses_a_zone_as_the_region(cast):
    materials = cast.projects.materials
    materials.region = cast.regions.zone

    assert _clean_errors(materials) == {"region": ["所在区划请选择县（区）或市，开发区请在“所在开发区”中选择。"]}


def test_a_city_project_may_sit_in_a_zone_of_a_county_below_it(cast):
    road = cast.projects.road
    road.region, road.zone = cast.regions.lvliang, cast.regions.zone

    road.clean()

    assert road.zone.path.startswith(road.region.path)


# ---- the database holds what it can ----


def _assert_refused_by_the_database(action) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        action()


@pytest.mark.parametrize(
    "update",
    [
        {"total_investment": Decimal("-1")},
        {"completed_on": datetime.date(2024, 4, 1)},  # before started_on 2024-04-18
        {"started_on": None, "completed_on": datetime.date(2025, 1, 1)},
        {"production_on": datetime.date(2025, 1, 1)},  # not completed
        {"completed_on": datetime.date(2025, 1, 1), "production_on": datetime.date(2024, 12, 1)},
        {"national_code": "2024-140105-34-03-000004"},  # the 小店区 project's code
    ],
    ids=[
        "negative-total",
        "completed-before-start",
        "completed-unstarted",
        "production-uncompleted",
        "production-before-completion",
        "duplicate-national-code",
    ],
)
def test_the_database_refuses_a_raw_update_that_breaks_a_rule(cast, update):
    materials = cast.projects.materials

    _assert_refused_by_the_database(lambda: Project.objects.filter(pk=materials.pk).update(**update))

    assert reload(materials).total_investment == Decimal("120000")


def test_blank_national_codes_do_not_collide(cast):
    Project.objects.filter(pk__in=[cast.projects.road.pk, cast.projects.hospital.pk]).update(national_code="")

    assert Project.objects.filter(national_code="").count() == 2


def test_the_database_refuses_a_negative_or_second_annual_plan_for_a_year(cast):
    plan = AnnualPlan.objects.get(project=cast.projects.road)

    _assert_refused_by_the_database(lambda: AnnualPlan.objects.filter(pk=plan.pk).update(amount=Decimal("-5")))
    _assert_refused_by_the_database(
        lambda: AnnualPlan.objects.create(project=cast.projects.road, year=plan.year, amount=Decimal("1"))
    )

    assert list(AnnualPlan.objects.filter(project=cast.projects.road).values_list("amount", flat=True)) == [
        Decimal("3000")
    ]


@pytest.mark.parametrize(
    "update",
    [{"role": Role.HANDLER, "department": None}, {"role": Role.ENTERPRISE, "credit_code": ""}, {"region": None}],
    ids=["handler-without-department", "enterprise-without-credit-code", "user-without-region"],
)
def test_the_database_refuses_a_user_that_breaks_a_rule(cast, update):
    reporter = cast.users.reporter

    _assert_refused_by_the_database(lambda: User.objects.filter(pk=reporter.pk).update(**update))

    assert reload(reporter).role == Role.REPORTER


# ---- reverse scheduling ----


def test_reverse_schedule_plans_milestones_backwards_from_the_target(cast):
    materials = cast.projects.materials
    for order, name, days in [(3, "设备安装调试", 30), (1, "基础施工", 60), (2, "主体结构", 90)]:
        Milestone.objects.create(project=materials, name=name, sort_order=order, duration_days=days)

    result = materials.reverse_schedule(datetime.date(2026, 12, 31))

    expected = [
        ("基础施工", datetime.date(2026, 9, 2)),
        ("主体结构", datetime.date(2026, 12, 1)),
        ("设备安装调试", datetime.date(2026, 12, 31)),
    ]
    assert [(m.name, m.planned_on) for m in result] == expected
    assert list(Milestone.objects.filter(project=materials).values_list("name", "planned_on")) == expected


def test_reverse_schedule_of_a_project_without_milestones_changes_nothing(cast):
    assert cast.projects.road.reverse_schedule(datetime.date(2026, 12, 31)) == []
    assert Milestone.objects.count() == 0

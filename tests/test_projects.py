"""The ledger pages: create, edit, move, archive, list, filter, export, history.

Every write is checked by reading the row back; every refusal by counting that
nothing was written, formsets included.
"""

import csv
import datetime
import html
import io
import re
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lib.codes import make_credit_code
from projects.models import AnnualPlan, Milestone, Project, Stage, StageChange

from .conftest import ENTERPRISE_CODE, HOSPITAL_CODE, HOUSING_CODE, THIS_YEAR, XIAODIAN_CODE, reload

pytestmark = pytest.mark.usefixtures("unscoped")

TODAY = timezone.localdate()
NEW_CODE = make_credit_code("91141122MA0GN0003")
LIST_URL = reverse("projects:list")
CREATE_URL = reverse("projects:create")
NATIONAL_CODE_FORMAT = "项目代码格式应为 YYYY-RRRRRR-DD-TT-NNNNNN（年份-区划代码-行业代码-项目类型-流水号）。"
# ProjectForm's fields other than the many-to-many ones.
SIMPLE_FIELDS = [
    "name", "national_code", "owner_name", "credit_code", "level", "category", "nature",
    "region", "zone", "address", "longitude", "latitude",
    "total_investment", "fund_government", "fund_enterprise", "fund_bank_loans", "fund_special_bonds", "fund_other",
    "opening_completed", "land_area", "expected_output", "expected_tax",
    "leader", "department", "task_force", "contact_name", "contact_phone", "description",
    "planned_reserve_on", "reserve_on", "planned_sign_on", "signed_on", "planned_preparing_on", "preparing_on",
    "planned_start_on", "started_on", "planned_completion_on", "completed_on",
    "planned_production_on", "production_on",
]  # fmt: skip


# ---- helpers ----


def _formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def _new_project_data(cast, plans=(), milestones=(), **overrides) -> dict:
    """A complete, valid create form for a signed 交城县 project."""
    data = dict.fromkeys(SIMPLE_FIELDS, "")
    data.update(
        name="交城县光伏储能一体化项目", national_code="2025-141122-44-03-000009",
        owner_name="交城县绿能新能源有限公司", credit_code=NEW_CODE,
        level="county", category="industry", nature="new", chain_tags=[cast.tags.materials.pk, cast.tags.steel.pk],
        region=cast.region.pk, zone=cast.regions.zone.pk, address="交城经济开发区光伏园",
        longitude="112.159000", latitude="37.555000",
        total_investment="56000", fund_government="0", fund_enterprise="36000", fund_bank_loans="20000",
        fund_special_bonds="0", fund_other="0", opening_completed="1500",
        land_area="320.50", expected_output="90000", expected_tax="4500",
        leader=cast.users.leader.pk, department=cast.departments.drc.pk,
        task_force="张三 发改局 局长\n李四 自然资源局 副局长", contact_name="王工", contact_phone="13800000000",
        description="建设100兆瓦光伏电站及配套储能", stage="signed",
        planned_sign_on="2025-01-10", signed_on="2025-01-15", planned_start_on="2025-06-01",
    )  # fmt: skip
    data.update(_formset("plans", list(plans)))
    data.update(_formset("milestones", list(milestones)))
    data.update(overrides)
    return data


def _edit_data(project, **overrides) -> dict:
    """The edit form exactly as the page would post it back for ``project``."""
    saved = reload(project)
    data = {key: "" if value is None else value for key, value in model_to_dict(saved, SIMPLE_FIELDS).items()}
    data["chain_tags"] = [tag.pk for tag in saved.chain_tags.all()]
    plans = [{"id": p.pk, "year": p.year, "amount": p.amount} for p in saved.annual_plans.all()]
    milestones = [
        {"id": m.pk, "name": m.name, "sort_order": m.sort_order, "duration_days": m.duration_days,
         "planned_on": m.planned_on or "", "actual_on": m.actual_on or ""}
        for m in saved.milestones.all()
    ]  # fmt: skip
    data.update(_formset("plans", plans, initial=len(plans)))
    data.update(_formset("milestones", milestones, initial=len(milestones)))
    data.update(overrides)
    return data


def _field_errors(response) -> dict[str, list[str]]:
    """The error shown under each field of the page, by field name."""
    found: dict[str, list[str]] = {}
    for name, message in re.findall(r'data-field-error="([^"]+)">(.*?)</div>', response.content.decode()):
        found.setdefault(name, []).append(html.unescape(message))
    return found


def _everything() -> tuple:
    """Counts of every table a project form writes to."""
    return (
        Project.objects.count(),
        AnnualPlan.objects.count(),
        Milestone.objects.count(),
        StageChange.objects.count(),
        Project.history.count(),
        Project.chain_tags.through.objects.count(),
    )


def _names(response) -> list[str]:
    return [project.name for project in response.context["page"].object_list]


# ---- create ----


def test_coordinator_creates_a_project_with_annual_plans_and_milestones(cast, client_for):
    data = _new_project_data(
        cast,
        plans=[{"year": THIS_YEAR, "amount": "20000"}, {"year": THIS_YEAR + 1, "amount": "36000"}],
        milestones=[
            {"name": "场地平整", "sort_order": "1", "duration_days": "30", "planned_on": "2025-07-01", "actual_on": ""},
            {"name": "组件安装", "sort_order": "2", "duration_days": "90", "planned_on": "", "actual_on": ""},
        ],
    )

    response = client_for(cast.users.coordinator).post(CREATE_URL, data)

    project = Project.objects.get(national_code="2025-141122-44-03-000009")
    assert response.status_code == 302
    assert response.url == reverse("projects:detail", kwargs={"pk": project.pk})
    assert model_to_dict(project, SIMPLE_FIELDS) == {
        **dict.fromkeys(SIMPLE_FIELDS),
        "name": "交城县光伏储能一体化项目", "national_code": "2025-141122-44-03-000009",
        "owner_name": "交城县绿能新能源有限公司", "credit_code": NEW_CODE,
        "level": "county", "category": "industry", "nature": "new",
        "region": cast.region.pk, "zone": cast.regions.zone.pk, "address": "交城经济开发区光伏园",
        "longitude": Decimal("112.159000"), "latitude": Decimal("37.555000"),
        "total_investment": Decimal("56000"), "fund_government": Decimal("0"), "fund_enterprise": Decimal("36000"),
        "fund_bank_loans": Decimal("20000"), "fund_special_bonds": Decimal("0"), "fund_other": Decimal("0"),
        "opening_completed": Decimal("1500"),
        "land_area": Decimal("320.50"), "expected_output": Decimal("90000"), "expected_tax": Decimal("4500"),
        "leader": cast.users.leader.pk, "department": cast.departments.drc.pk,
        "task_force": "张三 发改局 局长\n李四 自然资源局 副局长",
        "contact_name": "王工", "contact_phone": "13800000000",
        "description": "建设100兆瓦光伏电站及配套储能",
        "planned_sign_on": datetime.date(2025, 1, 10), "signed_on": datetime.date(2025, 1, 15),
        "planned_start_on": datetime.date(2025, 6, 1),
    }  # fmt: skip
    assert project.stage == Stage.SIGNED
    assert set(project.chain_tags.values_list("name", flat=True)) == {"新材料", "特钢"}
    assert list(project.annual_plans.values_list("year", "amount")) == [
        (THIS_YEAR, Decimal("20000")),
        (THIS_YEAR + 1, Decimal("36000")),
    ]
    assert list(project.milestones.values_list("name", "sort_order", "duration_days", "planned_on", "actual_on")) == [
        ("场地平整", 1, 30, datetime.date(2025, 7, 1), None),
        ("组件安装", 2, 90, None, None),
    ]
    assert list(project.stage_changes.values_list("from_stage", "to_stage", "on", "note", "by")) == [
        ("", Stage.SIGNED, TODAY, "新建项目", cast.users.coordinator.pk)
    ]
    # Created, then its chain tags set: both by the coordinator.
    assert list(project.history.order_by("history_id").values_list("history_type", "history_user")) == [
        ("+", cast.users.coordinator.pk),
        ("~", cast.users.coordinator.pk),
    ]


def test_the_create_page_offers_only_regions_departments_tags_and_leaders_around_the_user(cast, client_for):
    form = client_for(cast.users.coordinator).get(CREATE_URL).context["form"]

    assert {r.name for r in form.fields["region"].queryset} == {"交城县"}
    assert {r.name for r in form.fields["zone"].queryset} == {"交城经济开发区"}
    assert {d.name for d in form.fields["department"].queryset} == {
        "交城县发展和改革局", "交城县自然资源局", "交城县住房和城乡建设局",
    }  # fmt: skip
    assert {t.name for t in form.fields["chain_tags"].queryset} == {"新材料", "文旅康养", "特钢"}
    assert {u.username for u in form.fields["leader"].queryset} == {"jc_leader", "ll_leader"}


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"name": ""}, {"name": ["这个字段是必填项。"]}),
        ({"total_investment": "-5"}, {"total_investment": ["确保该值大于或等于0。"]}),
        ({"total_investment": "abc"}, {"total_investment": ["输入一个数字。"]}),
        ({"fund_bank_loans": "30000"}, {"fund_other": ["各资金来源合计 66000 万元超过了总投资 56000 万元。"]}),
        ({"credit_code": NEW_CODE[:-1]}, {"credit_code": ["统一社会信用代码应为 18 位。"]}),
        ({"credit_code": NEW_CODE[:-1] + "0"}, {"credit_code": ["统一社会信用代码校验位不正确，请核对。"]}),
        ({"national_code": "2025-14112-44-03-000009"}, {"national_code": [NATIONAL_CODE_FORMAT]}),
        ({"signed_on": str(TODAY + datetime.timedelta(days=1))}, {"signed_on": ["实际日期不能晚于今天。"]}),
        ({"stage": "construction"}, {"started_on": ["项目处于“在建”阶段，须填写实际开工日期。"]}),
        (
            {"stage": "planning", "owner_name": "", "started_on": "", "completed_on": "2025-03-01"},
            {"started_on": ["填写竣工日期前须先填写实际开工日期。"]},
        ),
        (
            {"stage": "construction", "started_on": "2025-05-01", "completed_on": "2025-04-01"},
            {"completed_on": ["竣工日期不能早于实际开工日期（2025-05-01）。"]},
        ),
        ({"stage": "suspended"}, {"stage": ["选择一个有效的选项。 suspended 不在可用的选项中。"]}),
        ({"owner_name": ""}, {"owner_name": ["签约前须填写项目单位。"]}),
        ({"region": "999999"}, {"region": ["选择一个有效的选项： 该选择不在可用的选项中。"]}),
        ({"zone": "999999"}, {"zone": ["选择一个有效的选项： 该选择不在可用的选项中。"]}),
        ({"leader": "999999"}, {"leader": ["选择一个有效的选项： 该选择不在可用的选项中。"]}),
        ({"longitude": "200"}, {"longitude": ["确保该值小于或等于180。"]}),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_bad_input_is_refused_with_the_error_next_to_the_field_and_nothing_saved(cast, client_for, overrides, errors):
    before = _everything()

    response = client_for(cast.users.coordinator).post(CREATE_URL, _new_project_data(cast, **overrides))

    assert response.status_code == 400
    assert _field_errors(response) == errors
    assert "保存失败：请按红色提示修改后再提交，未保存任何内容。" in response.content.decode()
    assert _everything() == before


@pytest.mark.parametrize(
    ("plans", "milestones", "errors"),
    [
        ([{"year": THIS_YEAR, "amount": "-1"}], [], {"amount": ["确保该值大于或等于0。"]}),
        ([{"year": "1999", "amount": "100"}], [], {"year": ["确保该值大于或等于2000。"]}),
        ([{"year": THIS_YEAR, "amount": ""}], [], {"amount": ["这个字段是必填项。"]}),
        (
            [],
            [{"name": "", "sort_order": "1", "duration_days": "30", "planned_on": "", "actual_on": "2025-01-01"}],
            {"name": ["这个字段是必填项。"]},
        ),
        (
            [],
            [
                {
                    "name": "并网",
                    "sort_order": "1",
                    "duration_days": "30",
                    "planned_on": "",
                    "actual_on": str(TODAY + datetime.timedelta(days=3)),
                }
            ],
            {"actual_on": ["实际日期不能晚于今天。"]},
        ),  # fmt: skip
    ],
    ids=["negative-plan", "plan-year-1999", "plan-without-amount", "milestone-without-name", "milestone-in-future"],
)
def test_a_valid_project_with_a_bad_formset_row_saves_nothing(cast, client_for, plans, milestones, errors):
    before = _everything()

    response = client_for(cast.users.coordinator).post(CREATE_URL, _new_project_data(cast, plans, milestones))

    assert response.status_code == 400
    assert _field_errors(response) == errors
    assert _everything() == before


def test_two_plans_for_the_same_year_are_refused_and_nothing_saved(cast, client_for):
    plans = [{"year": THIS_YEAR, "amount": "100"}, {"year": THIS_YEAR, "amount": "200"}]
    before = _everything()

    response = client_for(cast.users.coordinator).post(CREATE_URL, _new_project_data(cast, plans))

    assert response.status_code == 400
    assert response.context["plans"].non_form_errors() == ["同一年度只能填报一条年度计划，请合并重复的年度。"]
    assert '<div class="text-danger small">同一年度只能填报一条年度计划，请合并重复的年度。</div>' in (
        response.content.decode()
    )
    assert _everything() == before


def test_a_national_code_used_in_another_region_is_a_field_error_not_a_crash(cast, client_for):
    before = _everything()
    data = _new_project_data(cast, national_code=cast.projects.xiaodian.national_code)  # 小店区, out of sight

    response = client_for(cast.users.coordinator).post(CREATE_URL, data)

    assert response.status_code == 400
    assert _field_errors(response) == {"national_code": ["该项目代码已被其他项目使用。"]}
    assert _everything() == before


def test_an_outsider_cannot_place_a_project_in_a_region_outside_its_own(cast, client_for):
    data = _new_project_data(
        cast, region=cast.region.pk, zone="", department="", leader="", chain_tags=[cast.tags.xiaodian.pk]
    )
    before = _everything()

    response = client_for(cast.users.outsider).post(CREATE_URL, data)

    assert response.status_code == 400
    assert _field_errors(response) == {"region": ["选择一个有效的选项： 该选择不在可用的选项中。"]}
    assert _everything() == before


def test_a_zone_outside_the_chosen_region_is_refused(cast, client_for):
    data = _new_project_data(cast, region=cast.regions.wenshui.pk, department="", chain_tags=[])
    before = _everything()

    response = client_for(cast.users.city_coordinator).post(CREATE_URL, data)

    assert response.status_code == 400
    assert _field_errors(response) == {"zone": ["所选开发区不在项目所在区划内。"]}
    assert _everything() == before


# ---- edit ----


def test_coordinator_edits_a_project_and_its_plans_and_milestones(cast, client_for):
    materials = cast.projects.materials
    Milestone.objects.create(project=materials, name="主体结构", sort_order=1, duration_days=120)
    data = _edit_data(
        materials,
        name="华鑫年产8万吨特种石墨项目",
        total_investment="150000",
        fund_enterprise="110000",
        contact_name="张工",
        chain_tags=[cast.tags.materials.pk],
        **{
            "plans-0-DELETE": "on",  # last year's plan
            "plans-1-amount": "45000",
            "plans-TOTAL_FORMS": "3",
            "plans-2-year": str(THIS_YEAR + 1),
            "plans-2-amount": "40000",
            "milestones-0-actual_on": "2025-02-01",
        },
    )

    response = client_for(cast.users.coordinator).post(reverse("projects:edit", kwargs={"pk": materials.pk}), data)

    assert response.status_code == 302
    saved = reload(materials)
    assert (saved.name, saved.total_investment, saved.fund_enterprise, saved.contact_name) == (
        "华鑫年产8万吨特种石墨项目",
        Decimal("150000"),
        Decimal("110000"),
        "张工",
    )
    assert model_to_dict(saved, SIMPLE_FIELDS) == {
        **model_to_dict(cast.projects.materials, SIMPLE_FIELDS),
        "name": "华鑫年产8万吨特种石墨项目",
        "total_investment": Decimal("150000"),
        "fund_enterprise": Decimal("110000"),
        "fund_government": Decimal("0"),
        "fund_special_bonds": Decimal("0"),
        "fund_other": Decimal("0"),
        "contact_name": "张工",
    }
    assert saved.stage == Stage.CONSTRUCTION
    assert list(saved.chain_tags.values_list("name", flat=True)) == ["新材料"]
    assert list(saved.annual_plans.values_list("year", "amount")) == [
        (THIS_YEAR, Decimal("45000")),
        (THIS_YEAR + 1, Decimal("40000")),
    ]
    assert list(saved.milestones.values_list("name", "actual_on")) == [("主体结构", datetime.date(2025, 2, 1))]
    assert StageChange.objects.filter(project=materials).count() == 0  # an edit is not a stage move


def test_the_edit_form_cannot_move_the_stage(cast, client_for):
    materials = cast.projects.materials

    response = client_for(cast.users.coordinator).post(
        reverse("projects:edit", kwargs={"pk": materials.pk}), _edit_data(materials, stage="planning")
    )

    assert response.status_code == 302
    assert reload(materials).stage == Stage.CONSTRUCTION
    assert StageChange.objects.count() == 0


def test_an_edit_with_a_bad_plan_row_saves_nothing_not_even_the_valid_project_fields(cast, client_for):
    materials = cast.projects.materials
    data = _edit_data(materials, name="改名", **{"plans-1-amount": "-3"})
    before = (_everything(), model_to_dict(reload(materials)))

    response = client_for(cast.users.coordinator).post(reverse("projects:edit", kwargs={"pk": materials.pk}), data)

    assert response.status_code == 400
    assert _field_errors(response) == {"amount": ["确保该值大于或等于0。"]}
    assert (_everything(), model_to_dict(reload(materials))) == before


def test_an_edit_taking_another_projects_national_code_is_a_field_error(cast, client_for):
    road = cast.projects.road
    data = _edit_data(road, national_code=cast.projects.materials.national_code)

    response = client_for(cast.users.coordinator).post(reverse("projects:edit", kwargs={"pk": road.pk}), data)

    assert response.status_code == 400
    assert _field_errors(response) == {"national_code": ["该项目代码已被其他项目使用。"]}
    assert reload(road).national_code == "2024-141122-48-01-000002"


def test_an_edit_keeping_its_own_national_code_is_not_a_duplicate(cast, client_for):
    road = cast.projects.road

    response = client_for(cast.users.coordinator).post(
        reverse("projects:edit", kwargs={"pk": road.pk}), _edit_data(road, address="天宁镇")
    )

    assert response.status_code == 302
    assert (reload(road).national_code, reload(road).address) == ("2024-141122-48-01-000002", "天宁镇")


def test_clearing_the_start_date_of_a_project_under_construction_is_refused(cast, client_for):
    materials = cast.projects.materials

    response = client_for(cast.users.coordinator).post(
        reverse("projects:edit", kwargs={"pk": materials.pk}), _edit_data(materials, started_on="")
    )

    assert response.status_code == 400
    assert _field_errors(response) == {"started_on": ["项目处于“在建”阶段，须填写实际开工日期。"]}
    assert reload(materials).started_on == datetime.date(2024, 4, 18)


# ---- stage page ----


def _stage(client, project, **data):
    return client.post(reverse("projects:stage", kwargs={"pk": project.pk}), {"reason": "", "to": "", "on": "", **data})


def test_coordinator_moves_a_stage_on_the_stage_page(cast, client_for):
    road = cast.projects.road
    on = TODAY - datetime.timedelta(days=2)

    response = _stage(
        client_for(cast.users.coordinator), road, action="advance", to="construction", on=str(on), reason="开工"
    )

    assert response.status_code == 302
    assert response.url == reverse("projects:detail", kwargs={"pk": road.pk})
    saved = reload(road)
    assert (saved.stage, saved.started_on) == (Stage.CONSTRUCTION, on)
    assert list(StageChange.objects.filter(project=road).values_list("from_stage", "to_stage", "on", "note", "by")) == [
        (Stage.PREPARING, Stage.CONSTRUCTION, on, "开工", cast.users.coordinator.pk)
    ]


@pytest.mark.parametrize(
    ("data", "field_errors", "other_errors"),
    [
        (
            {"action": "advance", "to": "completed", "on": "2025-01-01"},
            {},
            ["实际开工日期：尚未开工的项目不能竣工，请先填写实际开工日期。"],
        ),
        (
            {"action": "advance", "to": "signed", "on": "2025-01-01"},
            {"to": ["只能向后推进阶段；回退须通过阶段更正并说明原因。"]},
            [],
        ),
        ({"action": "advance", "to": "construction", "on": ""}, {"on": ["请填写日期。"]}, []),
        (
            {"action": "suspend", "on": "2025-01-01"},
            {
                "reason": ["请填写原因。"],
                "reason_code": ["请选择暂停原因。"],
                "expected_resume_on": ["请填写预计恢复日期。"],
            },
            [],
        ),
        ({"action": "terminate", "on": "2025-01-01"}, {"reason": ["请填写原因。"]}, []),
        ({"action": "resume", "on": "2025-01-01"}, {}, ["只有暂停的项目可以恢复。"]),
        ({"action": "correct", "to": "signed"}, {"reason": ["请填写原因。"]}, []),
        ({"action": "correct", "to": "construction", "reason": "x"}, {"to": ["阶段更正只能回到更早的阶段。"]}, []),
        ({"action": "fly"}, {"action": ["选择一个有效的选项。 fly 不在可用的选项中。"]}, []),
        ({"action": "advance", "to": "construction", "on": "2025-13-01"}, {"on": ["输入一个有效的日期。"]}, []),
    ],  # fmt: skip
    ids=[
        "complete-unstarted",
        "backwards",
        "no-date",
        "suspend-no-reason",
        "terminate-no-reason",
        "resume-not-suspended",
        "correct-no-reason",
        "correct-forward",
        "unknown-action",
        "bad-date",
    ],
)
def test_a_refused_stage_move_shows_why_and_changes_nothing(cast, client_for, data, field_errors, other_errors):
    road = cast.projects.road

    response = _stage(client_for(cast.users.coordinator), road, **data)

    assert response.status_code == 400
    assert _field_errors(response) == field_errors
    assert response.context["form"].non_field_errors() == other_errors
    assert (reload(road).stage, reload(road).started_on, StageChange.objects.count()) == (Stage.PREPARING, None, 0)


def test_suspend_and_resume_on_the_stage_page_return_to_the_stage_left(cast, client_for):
    client, materials = client_for(cast.users.coordinator), cast.projects.materials

    resume_on = str(TODAY + datetime.timedelta(days=60))
    suspended = _stage(
        client, materials, action="suspend", on="2025-01-10", reason="环保督察",
        reason_code="environment", expected_resume_on=resume_on,
    )  # fmt: skip
    resumed = _stage(client, materials, action="resume", on="2025-02-10", reason="整改完毕")

    assert (suspended.status_code, resumed.status_code) == (302, 302)
    assert reload(materials).stage == Stage.CONSTRUCTION
    assert list(StageChange.objects.filter(project=materials).values_list("to_stage", "note")) == [
        (Stage.SUSPENDED, "环保督察"),
        (Stage.CONSTRUCTION, "整改完毕"),
    ]


# ---- archive ----


def test_archiving_hides_the_project_from_the_default_ledger_and_records_who(cast, client_for):
    client, road = client_for(cast.users.coordinator), cast.projects.road

    response = client.post(reverse("projects:archive", kwargs={"pk": road.pk}))

    assert response.status_code == 302
    saved = reload(road)
    assert saved.archived_at is not None
    assert saved.history.latest().history_user == cast.users.coordinator
    assert _names(client.get(LIST_URL)) == [cast.projects.materials.name]
    assert _names(client.get(LIST_URL, {"archived": "on"})) == [cast.projects.materials.name, road.name]


def test_archiving_twice_keeps_the_first_date(cast, client_for):
    client, road = client_for(cast.users.coordinator), cast.projects.road
    client.post(reverse("projects:archive", kwargs={"pk": road.pk}))
    first = reload(road).archived_at

    client.post(reverse("projects:archive", kwargs={"pk": road.pk}))

    assert reload(road).archived_at == first


# ---- reverse scheduling ----


def _reverse_schedule(client, project, target: str):
    return client.post(reverse("projects:reverse_schedule", kwargs={"pk": project.pk}), {"target": target}, follow=True)


def test_reverse_scheduling_on_the_page_plans_the_milestones_back_from_the_target(cast, client_for):
    materials = cast.projects.materials
    for order, name, days in [(1, "基础施工", 60), (2, "主体结构", 90), (3, "设备安装调试", 30)]:
        Milestone.objects.create(project=materials, name=name, sort_order=order, duration_days=days)

    response = _reverse_schedule(client_for(cast.users.coordinator), materials, "2026-12-31")

    assert [str(m) for m in response.context["messages"]] == ["已按目标日期倒排各节点计划完成日期。"]
    assert list(materials.milestones.values_list("name", "planned_on")) == [
        ("基础施工", datetime.date(2026, 9, 2)),
        ("主体结构", datetime.date(2026, 12, 1)),
        ("设备安装调试", datetime.date(2026, 12, 31)),
    ]


@pytest.mark.parametrize(
    ("target", "with_milestone", "message"),
    [
        ("", True, "请填写有效的目标完成日期。"),
        ("2026-02-30", True, "请填写有效的目标完成日期。"),
        ("2026-12-31", False, "请先在编辑页设置形象进度节点及工期。"),
    ],
)
def test_reverse_scheduling_without_a_date_or_milestones_changes_nothing(
    cast, client_for, target, with_milestone, message
):
    materials = cast.projects.materials
    if with_milestone:
        Milestone.objects.create(project=materials, name="主体结构", duration_days=90)

    response = _reverse_schedule(client_for(cast.users.coordinator), materials, target)

    assert [str(m) for m in response.context["messages"]] == [message]
    assert list(materials.milestones.values_list("planned_on", flat=True)) == ([None] if with_milestone else [])


# ---- history ----


def test_the_detail_page_shows_who_changed_which_field_from_what_to_what(cast, client_for):
    client, materials = client_for(cast.users.coordinator), cast.projects.materials
    client.post(
        reverse("projects:edit", kwargs={"pk": materials.pk}),
        _edit_data(materials, total_investment="150000", fund_enterprise="110000", contact_name="张工"),
    )

    response = client.get(reverse("projects:detail", kwargs={"pk": materials.pk}))

    newest = response.context["history"][0]
    assert (newest.user, newest.kind) == (cast.users.coordinator, "~")
    assert [(c.label, c.old, c.new) for c in newest.changes] == [
        ("总投资（万元）", "120000.00", "150000.00"),
        ("企业自筹（万元）", "80000.00", "110000.00"),
        ("联系人", "—", "张工"),
    ]
    page = response.content.decode()
    assert "李晓梅 ·" in page
    assert "<strong>总投资（万元）</strong>：120000.00 → 150000.00" in page
    assert "<strong>联系人</strong>：— → 张工" in page


# ---- the ledger: filters, sort, pages, totals ----

# Every project of the cast, largest total investment first.
ALL_FOUR = [
    "小店区智能制造产业园项目",
    "华鑫年产5万吨特种石墨项目",
    "文水县人民医院新院区建设项目",
    "交城县城区道路提质改造工程",
]


def _filter_cases(cast) -> dict[str, tuple[dict, set]]:
    p = cast.projects
    return {
        "region-city-subtree": ({"region": cast.regions.lvliang.pk}, {p.materials, p.road, p.hospital}),
        "region-county": ({"region": cast.regions.jiaocheng.pk}, {p.materials, p.road}),
        "region-zone": ({"region": cast.regions.zone.pk}, {p.materials}),
        "region-other-city": ({"region": cast.regions.taiyuan.pk}, {p.xiaodian}),
        "level": ({"level": "provincial"}, {p.materials, p.xiaodian}),
        "category": ({"category": "urban"}, {p.road}),
        "chain-tag": ({"chain_tag": cast.tags.steel.pk}, {p.materials}),
        "nature": ({"nature": "continuing"}, {p.road}),
        "stage": ({"stage": "construction"}, {p.materials, p.hospital}),
        "leader": ({"leader": cast.users.city_leader.pk}, {p.road, p.hospital}),
        "department": ({"department": cast.departments.drc.pk}, {p.materials}),
        "q-name": ({"q": "石墨"}, {p.materials}),
        "q-national-code": ({"q": "2024-140105"}, {p.xiaodian}),
        "q-owner": ({"q": "人民医院"}, {p.hospital}),
        "q-credit-code": ({"q": HOUSING_CODE.lower()}, {p.road}),
        "q-blank": ({"q": "   "}, {p.materials, p.road, p.hospital, p.xiaodian}),
        "combined": ({"region": cast.regions.lvliang.pk, "stage": "construction", "level": "city"}, {p.hospital}),
        "nothing": ({"q": "不存在的项目"}, set()),
    }


FILTER_CASES = [
    "region-city-subtree", "region-county", "region-zone", "region-other-city", "level", "category", "chain-tag",
    "nature", "stage", "leader", "department", "q-name", "q-national-code", "q-owner", "q-credit-code", "q-blank",
    "combined", "nothing",
]  # fmt: skip


@pytest.mark.parametrize("case", FILTER_CASES)
def test_each_ledger_filter_keeps_exactly_the_matching_projects(cast, client_for, case):
    params, expected = _filter_cases(cast)[case]

    response = client_for(cast.users.province_coordinator).get(LIST_URL, params)

    assert response.status_code == 200
    assert set(_names(response)) == {project.name for project in expected}
    totals = response.context["totals"]
    assert (totals.count, totals.total_investment) == (
        len(expected),
        sum((reload(p).total_investment for p in expected), Decimal("0")),
    )


def test_the_ledger_of_a_county_user_holds_only_its_county(cast, client_for):
    response = client_for(cast.users.reporter).get(LIST_URL)

    assert _names(response) == ["华鑫年产5万吨特种石墨项目", "交城县城区道路提质改造工程"]


def test_a_county_user_cannot_filter_its_way_into_another_region(cast, client_for):
    response = client_for(cast.users.coordinator).get(LIST_URL, {"region": cast.regions.xiaodian.pk})

    assert _names(response) == ["华鑫年产5万吨特种石墨项目", "交城县城区道路提质改造工程"]  # the filter is refused
    assert "部分筛选条件无效，已忽略" in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ALL_FOUR),  # largest total investment first
        ("total_investment", ALL_FOUR[::-1]),
        ("-total_investment", ALL_FOUR),
        ("annual_plan", [ALL_FOUR[3], ALL_FOUR[2], ALL_FOUR[1], ALL_FOUR[0]]),  # 3000, 15000, 30000, 50000
        ("-planned_start_on", [ALL_FOUR[3], ALL_FOUR[1]]),  # restricted to the two with a planned start below
    ],
)
def test_the_ledger_sorts_by_the_chosen_column(cast, client_for, sort, expected):
    params = {"sort": sort}
    if "planned_start_on" in sort:
        params["region"] = cast.regions.jiaocheng.pk

    response = client_for(cast.users.province_coordinator).get(LIST_URL, params)

    assert _names(response) == expected


def test_the_annual_plan_column_follows_the_chosen_year(cast, client_for):
    response = client_for(cast.users.coordinator).get(LIST_URL, {"year": THIS_YEAR - 1})

    plans = {p.name: p.annual_plan for p in response.context["page"].object_list}
    assert plans == {"华鑫年产5万吨特种石墨项目": Decimal("20000"), "交城县城区道路提质改造工程": None}
    assert response.context["totals"].annual_plan == Decimal("20000")
    assert f"{THIS_YEAR - 1}年计划（万元）" in response.content.decode()


def test_pages_split_the_rows_but_the_totals_cover_the_whole_filtered_set(cast, client_for, settings):
    settings.PROJECT_LIST_PAGE_SIZE = 3
    client = client_for(cast.users.province_coordinator)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})

    assert (_names(first), _names(second)) == (ALL_FOUR[:3], ALL_FOUR[3:])
    for response in (first, second):
        page = response.content.decode()
        assert re.search(r'data-testid="total-investment">373,000.00<', page)
        assert re.search(r'data-testid="total-plan">98,000.00<', page)
        assert "合计 4 个项目（总投资 37.30 亿元）" in page
    assert "第 2 / 2 页" in second.content.decode()
    assert 'href="?&page=1"' in second.content.decode()


def test_totals_follow_the_filter_not_the_page(cast, client_for, settings):
    settings.PROJECT_LIST_PAGE_SIZE = 1

    response = client_for(cast.users.province_coordinator).get(LIST_URL, {"stage": "construction", "page": 2})

    assert _names(response) == ["文水县人民医院新院区建设项目"]
    totals = response.context["totals"]
    assert (totals.count, totals.total_investment, totals.annual_plan) == (2, Decimal("165000"), Decimal("45000"))
    assert 'href="?stage=construction&page=1"' in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "999"},
        {"page": "-1"},
        {"year": "abc"},
        {"year": "1800"},
        {"sort": "bogus"},
        {"region": "999999"},
        {"region": "abc"},
        {"chain_tag": "abc"},
        {"leader": "999999"},
        {"department": "x"},
        {"stage": "bogus"},
        {"level": "<script>"},
        {"archived": "maybe"},
        {"q": "x" * 5000},
    ],
    ids=lambda params: "-".join(f"{k}={v[:8]}" for k, v in params.items()),
)
def test_junk_query_parameters_are_ignored_not_a_crash(cast, client_for, params):
    response = client_for(cast.users.coordinator).get(LIST_URL, params)

    assert response.status_code == 200
    expected = [] if "q" in params else ["华鑫年产5万吨特种石墨项目", "交城县城区道路提质改造工程"]
    assert _names(response) == expected
    assert response.context["year"] == THIS_YEAR


def test_an_export_with_a_junk_filter_goes_back_to_the_ledger_with_a_message(cast, client_for):
    client = client_for(cast.users.coordinator)

    response = client.get(reverse("projects:export", kwargs={"fmt": "xlsx"}), {"region": "999999"}, follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert [str(m) for m in response.context["messages"]] == ["筛选条件有误，请修正后再导出。"]


def test_an_htmx_request_gets_only_the_ledger_table(cast, client_for):
    response = client_for(cast.users.coordinator).get(LIST_URL, {"stage": "preparing"}, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert [t.name for t in response.templates][:1] == ["projects/_ledger.html"]
    assert "<html" not in page
    assert _names(response) == ["交城县城区道路提质改造工程"]


# ---- export ----

HEADER = [
    "序号", "项目名称", "项目代码", "项目单位", "统一社会信用代码", "所在区划", "开发区", "级别", "类别", "性质",
    "产业链", "阶段", "总投资（万元）", f"{THIS_YEAR}年计划投资（万元）", "计划开工", "实际开工", "计划竣工",
    "包联领导", "责任单位", "联系人", "联系电话",
]  # fmt: skip


def _expected_rows(date):
    """The city coordinator's ledger filtered to 在建, in export order; ``date`` renders a date cell."""
    return [
        [1, "华鑫年产5万吨特种石墨项目", "2023-141122-26-03-000001", "山西华鑫新材料有限公司", ENTERPRISE_CODE,
         "交城县", "交城经济开发区", "省级重点", "产业", "新建", "特钢、新材料", "在建", 120000, 30000,
         date(2024, 3, 1), date(2024, 4, 18), date(2026, 12, 31), "王建国", "交城县发展和改革局", "", ""],
        [2, "文水县人民医院新院区建设项目", "2023-141121-84-01-000003", "文水县人民医院", HOSPITAL_CODE,
         "文水县", "", "市级重点", "民生社会事业", "新建", "", "在建", 45000, 15000,
         None, date(2023, 9, 1), None, "刘副市长", "文水县发展和改革局", "", ""],
    ]  # fmt: skip


def test_the_csv_export_holds_the_header_and_exactly_the_filtered_rows(cast, client_for):
    response = client_for(cast.users.city_coordinator).get(
        reverse("projects:export", kwargs={"fmt": "csv"}), {"stage": "construction", "page": "2"}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=\"export.csv\"; filename*=UTF-8''")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # so that Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(body[1:])))

    def as_text(value):
        if value is None:
            return ""
        return f"{value}.00" if isinstance(value, int) and value > 100 else str(value)

    assert rows == [HEADER] + [[as_text(v) for v in row] for row in _expected_rows(datetime.date)]


def test_the_xlsx_export_holds_the_header_and_exactly_the_filtered_rows(cast, client_for):
    response = client_for(cast.users.city_coordinator).get(
        reverse("projects:export", kwargs={"fmt": "xlsx"}), {"stage": "construction"}
    )

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    empty_as_none = [[None if v == "" else v for v in row] for row in _expected_rows(datetime.datetime)]
    assert rows == [HEADER, *empty_as_none]


def test_an_enterprise_sees_lists_and_exports_only_its_own_projects(cast, client_for):
    client = client_for(cast.users.enterprise)

    listed = _names(client.get(LIST_URL))
    exported = list(
        csv.reader(
            io.StringIO(client.get(reverse("projects:export", kwargs={"fmt": "csv"})).content.decode("utf-8-sig"))
        )
    )
    road = client.get(reverse("projects:detail", kwargs={"pk": cast.projects.road.pk}))

    assert listed == ["华鑫年产5万吨特种石墨项目"]
    assert [row[1] for row in exported[1:]] == ["华鑫年产5万吨特种石墨项目"]
    assert road.status_code == 404


def test_an_enterprise_with_another_credit_code_sees_nothing(cast, client_for):
    enterprise = cast.users.enterprise
    enterprise.credit_code = XIAODIAN_CODE  # a company of 小店区, out of its region
    enterprise.save()

    response = client_for(enterprise).get(LIST_URL)

    assert (_names(response), response.context["totals"].count) == ([], 0)


# ---- query count ----


@pytest.mark.parametrize("count", [3, 30])
def test_the_ledger_runs_the_same_queries_for_3_or_30_projects(
    cast, client_for, make_project, count, django_assert_num_queries
):
    for index in range(count - 2):  # the county already has two
        project = make_project(
            name=f"批量项目{index}", leader=cast.users.leader, department=cast.departments.land, zone=cast.regions.zone
        )
        project.chain_tags.set([cast.tags.materials, cast.tags.tourism])
    client = client_for(cast.users.coordinator)

    # 1 session, 2 user, 3 the user's region (for the scope), 4 count + total investment,
    # 5 annual plan total, 6 the unread notifications (the navigation badge),
    # 7-10 the filter form's choices: regions, chain tags, leaders, departments,
    # 11 the page of projects (with region, zone, department, leader and the year's plan),
    # 12 their chain tags, 13-15 the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(15):
        response = client.get(LIST_URL)

    assert len(_names(response)) == count

"""Change control: approving a plan freezes its dates into a baseline; a date then moves only
through a change request that a coordinator approves (applied, recorded) or rejects (with a note).

Every decision is checked by reading the rows back: the baseline never moves, the current date
moves only on approval, and a refusal leaves everything as it was.
"""

import datetime
import re

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from org.models import Notification
from projects.models import ChangeRequest, ChangeStatus, Milestone, PlanBaseline, Project

from .conftest import reload
from .test_projects import _edit_data, _field_errors, _formset

pytestmark = pytest.mark.usefixtures("unscoped")

FROZEN = "计划已批准，调整计划日期须提交变更申请"
START, COMPLETION = datetime.date(2024, 3, 1), datetime.date(2026, 12, 31)
NEW_START = datetime.date(2024, 5, 6)
STAGE_FIELDS = [
    "planned_reserve_on",
    "planned_sign_on",
    "planned_preparing_on",
    "planned_start_on",
    "planned_completion_on",
    "planned_production_on",
]


# ---- helpers ----


def _url(name: str, pk: int) -> str:
    return reverse(f"projects:{name}", kwargs={"pk": pk})


def _milestones(project) -> list[Milestone]:
    return [
        Milestone.objects.create(project=project, name="主体封顶", sort_order=1, duration_days=90, planned_on=START),
        Milestone.objects.create(project=project, name="设备安装", sort_order=2, duration_days=60, planned_on=None),
    ]


@pytest.fixture
def materials(cast):
    """The 交城县 materials project with two milestones, its reporter assigned, the plan not yet approved."""
    project = cast.projects.materials
    project.milestones_made = _milestones(project)
    cast.users.reporter.reported_projects.add(project)
    return project


@pytest.fixture
def approved(cast, materials):
    materials.approve_plan(by=cast.users.coordinator)
    return materials


def _request(client, project, **data):
    values = {"target": "planned_start_on", "new_date": str(NEW_START), "reason": "征地拆迁延期，开工推迟两个月"}
    return client.post(_url("change_request", project.pk), {**values, **data})


def _pending(project, by, target="planned_start_on", new_date=NEW_START) -> ChangeRequest:
    return project.request_change(target, new_date, "施工许可延后", by=by)


def _baselines(project) -> list[tuple]:
    rows = PlanBaseline.objects.filter(project=project).order_by("pk")
    return list(rows.values_list("field_name", "milestone__name", "baseline_on"))


def _requests() -> list[tuple]:
    return list(
        ChangeRequest.objects.order_by("pk").values_list(
            "field_name", "milestone__name", "old_date", "new_date", "status", "decision_note"
        )
    )


def _notes(user) -> list[tuple[str, str, str]]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("text", "url", "kind"))


# ---- approving the plan ----


def test_approving_the_plan_snapshots_every_planned_date_and_milestone(cast, client_for, materials):
    response = client_for(cast.users.coordinator).post(_url("approve_plan", materials.pk))

    assert response.status_code == 302
    assert response.url == _url("detail", materials.pk) + "#change-control"
    saved = reload(materials)
    assert saved.plan_approved_by == cast.users.coordinator
    assert timezone.now() - saved.plan_approved_at < datetime.timedelta(minutes=1)
    assert _baselines(materials) == [
        ("planned_reserve_on", None, None),
        ("planned_sign_on", None, None),
        ("planned_preparing_on", None, None),
        ("planned_start_on", None, START),
        ("planned_completion_on", None, COMPLETION),
        ("planned_production_on", None, None),
        ("", "主体封顶", START),
        ("", "设备安装", None),
    ]
    page = client_for(cast.users.leader).get(_url("detail", materials.pk))
    latest = page.context["history"][0]
    assert (latest.user, [(c.label, c.old, c.new) for c in latest.changes]) == (
        cast.users.coordinator,
        [("计划批准人", "—", "李晓梅")],
    )


def test_approving_twice_is_refused_and_keeps_the_first_approval(cast, client_for, approved):
    first = reload(approved)

    response = client_for(cast.users.city_coordinator).post(_url("approve_plan", approved.pk), follow=True)

    assert "项目计划已批准，不能重复批准。" in response.content.decode()
    saved = reload(approved)
    assert (saved.plan_approved_at, saved.plan_approved_by) == (first.plan_approved_at, cast.users.coordinator)
    assert PlanBaseline.objects.filter(project=approved).count() == 8


def test_a_plan_without_any_planned_date_cannot_be_approved(cast, client_for, make_project):
    project = make_project()

    response = client_for(cast.users.coordinator).post(_url("approve_plan", project.pk), follow=True)

    assert "尚未填写任何计划日期，不能批准计划。" in response.content.decode()
    assert (reload(project).plan_approved_at, PlanBaseline.objects.count()) == (None, 0)


# ---- requesting, approving, rejecting ----


def test_a_reporter_requests_and_the_coordinator_approves_the_new_date(cast, client_for, approved):
    reporter, coordinator = cast.users.reporter, cast.users.coordinator

    requested = _request(client_for(reporter), approved)
    change = ChangeRequest.objects.get()
    approved_response = client_for(coordinator).post(_url("change_approve", change.pk), {"decision_note": "同意"})

    assert (requested.status_code, approved_response.status_code) == (302, 302)
    assert approved_response.url == reverse("projects:change_requests")
    saved = reload(approved)
    assert (saved.planned_start_on, saved.planned_completion_on) == (NEW_START, COMPLETION)
    assert PlanBaseline.objects.get(project=approved, field_name="planned_start_on").baseline_on == START
    change = reload(change)
    assert (change.status, change.decided_by, change.decision_note, change.requested_by) == (
        ChangeStatus.APPROVED,
        coordinator,
        "同意",
        reporter,
    )
    assert (change.old_date, change.new_date, change.reason) == (START, NEW_START, "征地拆迁延期，开工推迟两个月")
    latest = saved.history.latest()
    assert (latest.history_user, latest.planned_start_on, latest.history_change_reason) == (
        coordinator,
        NEW_START,
        f"变更申请 #{change.pk}",
    )
    detail = _url("detail", approved.pk) + "#change-control"
    assert _notes(reporter) == [
        (
            "计划变更申请已批准：华鑫年产5万吨特种石墨项目，计划开工日期 2024-03-01 → 2024-05-06。",
            detail,
            "change_request",
        )
    ]
    # The county's office hears of the request (the requester is not a coordinator).
    assert _notes(coordinator) == [
        (
            "孙填报 提交了计划变更申请：华鑫年产5万吨特种石墨项目，计划开工日期 2024-03-01 → 2024-05-06。",
            reverse("projects:change_requests"),
            "change_request",
        )
    ]


def test_rejecting_needs_a_note_and_leaves_the_date_alone(cast, client_for, approved):
    change = _pending(approved, cast.users.reporter)
    client = client_for(cast.users.coordinator)

    without_note = client.post(_url("change_reject", change.pk), {"decision_note": "  "})
    with_note = client.post(_url("change_reject", change.pk), {"decision_note": "理由不充分，请补充材料"})

    assert without_note.status_code == 400
    assert _field_errors(without_note) == {"decision_note": ["请填写驳回理由。"]}
    assert with_note.status_code == 302
    saved = reload(approved)
    assert saved.planned_start_on == START
    assert PlanBaseline.objects.get(project=approved, field_name="planned_start_on").baseline_on == START
    assert _requests() == [
        ("planned_start_on", None, START, NEW_START, ChangeStatus.REJECTED, "理由不充分，请补充材料")
    ]
    assert reload(change).decided_by == cast.users.coordinator
    assert _notes(cast.users.reporter) == [
        (
            "计划变更申请已驳回：华鑫年产5万吨特种石墨项目，计划开工日期 改为 2024-05-06。"
            "驳回理由：理由不充分，请补充材料",
            _url("detail", approved.pk) + "#change-control",
            "change_request",
        )
    ]


def test_a_milestone_date_moves_on_approval_and_its_baseline_stays(cast, client_for, approved):
    topping = approved.milestones_made[0]
    client = client_for(cast.users.reporter)

    response = _request(client, approved, target=f"milestone-{topping.pk}", new_date="2024-06-30")
    change = ChangeRequest.objects.get()
    change.approve(by=cast.users.city_coordinator)

    assert response.status_code == 302
    assert reload(topping).planned_on == datetime.date(2024, 6, 30)
    assert topping.history.latest().history_user == cast.users.city_coordinator
    assert PlanBaseline.objects.get(milestone=topping).baseline_on == START
    assert _requests() == [("", "主体封顶", START, datetime.date(2024, 6, 30), ChangeStatus.APPROVED, "")]
    assert change.target_label == "节点“主体封顶”计划完成日期"


def test_an_empty_milestone_date_can_be_requested_and_set(cast, approved):
    installing = approved.milestones_made[1]

    change = _pending(approved, cast.users.coordinator, target=installing, new_date=datetime.date(2026, 8, 1))
    change.approve(by=cast.users.coordinator)

    assert (reload(change).old_date, reload(installing).planned_on) == (None, datetime.date(2026, 8, 1))


def test_a_decided_request_cannot_be_decided_again(cast, client_for, approved):
    change = _pending(approved, cast.users.reporter)
    change.reject(by=cast.users.coordinator, note="不同意")

    response = client_for(cast.users.coordinator).post(_url("change_approve", change.pk))

    assert response.status_code == 400
    assert "该变更申请已处理。" in response.content.decode()
    assert reload(approved).planned_start_on == START
    assert _requests() == [("planned_start_on", None, START, NEW_START, ChangeStatus.REJECTED, "不同意")]


def test_a_request_overtaken_by_another_change_is_not_applied(cast, client_for, approved):
    change = _pending(approved, cast.users.reporter)
    Project.objects.filter(pk=approved.pk).update(planned_start_on=datetime.date(2024, 4, 1))

    response = client_for(cast.users.coordinator).post(_url("change_approve", change.pk))

    assert response.status_code == 400
    assert "该计划日期已由 2024-03-01 变为 2024-04-01，本申请已过时" in response.content.decode()
    assert (reload(change).status, reload(approved).planned_start_on) == (
        ChangeStatus.PENDING,
        datetime.date(2024, 4, 1),
    )


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"target": ""}, {"target": ["这个字段是必填项。"]}),
        ({"target": "planned_fly_on"}, {"target": ["选择一个有效的选项。 planned_fly_on 不在可用的选项中。"]}),
        ({"target": "name"}, {"target": ["选择一个有效的选项。 name 不在可用的选项中。"]}),
        ({"target": "milestone-999999"}, {"target": ["选择一个有效的选项。 milestone-999999 不在可用的选项中。"]}),
        ({"new_date": ""}, {"new_date": ["这个字段是必填项。"]}),
        ({"new_date": "2025-13-01"}, {"new_date": ["输入一个有效的日期。"]}),
        ({"new_date": "99999-01-01"}, {"new_date": ["输入一个有效的日期。"]}),
        ({"new_date": "2024-03-01"}, {"new_date": ["新日期与当前计划日期相同。"]}),
        ({"reason": ""}, {"reason": ["这个字段是必填项。"]}),
        ({"reason": "   "}, {"reason": ["这个字段是必填项。"]}),
        ({"reason": "长" * 2001}, {"reason": ["确保该变量包含不超过 2000 字符 (目前字符数 2001)。"]}),
    ],
    ids=[
        "no-target", "unknown-field", "not-a-date-field", "foreign-milestone", "no-date", "bad-date",
        "huge-year", "same-date", "no-reason", "blank-reason", "long-reason",
    ],
)  # fmt: skip
def test_a_bad_request_shows_why_and_saves_nothing(cast, client_for, approved, data, errors):
    response = _request(client_for(cast.users.reporter), approved, **data)

    assert response.status_code == 400
    assert _field_errors(response) == errors
    assert (ChangeRequest.objects.count(), reload(approved).planned_start_on) == (0, START)


def test_another_projects_milestone_is_not_a_choice(cast, client_for, approved, make_project):
    foreign = Milestone.objects.create(project=make_project(), name="外部节点", planned_on=START)

    response = _request(client_for(cast.users.coordinator), approved, target=f"milestone-{foreign.pk}")

    assert response.status_code == 400
    assert ChangeRequest.objects.count() == 0


def test_a_second_pending_request_for_the_same_date_is_refused(cast, client_for, approved):
    _pending(approved, cast.users.coordinator)

    response = _request(client_for(cast.users.reporter), approved, new_date="2024-07-01")

    assert response.status_code == 400
    assert _field_errors(response) == {"target": ["该计划日期已有待审批的变更申请，请等待审批结果。"]}
    assert ChangeRequest.objects.count() == 1


def test_no_change_request_before_the_plan_is_approved(cast, client_for, materials):
    client = client_for(cast.users.reporter)

    page = client.get(_url("change_request", materials.pk))
    response = _request(client, materials)

    assert 'data-testid="plan-not-approved"' in page.content.decode()
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["项目计划尚未批准，计划日期可由重点办在编辑页直接修改。"]
    assert ChangeRequest.objects.count() == 0


# ---- direct edits after approval ----


def test_the_edit_form_refuses_a_planned_date_change_after_approval(cast, client_for, approved):
    before = model_to_dict(reload(approved))
    data = _edit_data(approved, planned_start_on="2024-05-06", planned_production_on="2027-06-30", contact_name="张工")

    response = client_for(cast.users.coordinator).post(_url("edit", approved.pk), data)

    assert response.status_code == 400
    assert _field_errors(response) == {"planned_start_on": [FROZEN], "planned_production_on": [FROZEN]}
    assert model_to_dict(reload(approved)) == before


def test_the_edit_form_still_saves_other_fields_after_approval(cast, client_for, approved):
    response = client_for(cast.users.coordinator).post(
        _url("edit", approved.pk), _edit_data(approved, contact_name="张工")
    )

    assert response.status_code == 302
    saved = reload(approved)
    assert (saved.contact_name, saved.planned_start_on, saved.planned_completion_on) == ("张工", START, COMPLETION)


def test_the_edit_form_before_approval_still_moves_planned_dates(cast, client_for, materials):
    data = _edit_data(materials, planned_start_on="2024-05-06")

    response = client_for(cast.users.coordinator).post(_url("edit", materials.pk), data)

    assert response.status_code == 302
    assert reload(materials).planned_start_on == NEW_START


def _milestone_rows(project, **changes) -> list[dict]:
    rows = []
    for m in project.milestones_made:
        row = {"id": m.pk, "name": m.name, "sort_order": m.sort_order, "duration_days": m.duration_days,
               "planned_on": m.planned_on or "", "actual_on": m.actual_on or ""}  # fmt: skip
        rows.append({**row, **changes.get(m.name, {})})
    return rows


@pytest.mark.parametrize(
    ("changes", "extra"),
    [
        ({"主体封顶": {"planned_on": "2024-06-30"}}, []),
        ({"设备安装": {"planned_on": "2026-08-01"}}, []),
        ({"主体封顶": {"planned_on": ""}}, []),
        ({}, [{"name": "竣工验收", "sort_order": 3, "duration_days": 30, "planned_on": "2026-12-01", "actual_on": ""}]),
    ],
    ids=["move", "fill-empty", "clear", "new-milestone-with-date"],
)
def test_the_milestone_formset_refuses_planned_date_changes_after_approval(cast, client_for, approved, changes, extra):
    before = sorted(Milestone.objects.values_list("pk", "name", "planned_on"))
    rows = _milestone_rows(approved, **changes) + extra
    data = _edit_data(approved)
    data.update(_formset("milestones", rows, initial=2))

    response = client_for(cast.users.coordinator).post(_url("edit", approved.pk), data)

    assert response.status_code == 400
    assert _field_errors(response) == {"planned_on": [FROZEN]}
    assert sorted(Milestone.objects.values_list("pk", "name", "planned_on")) == before


def test_the_milestone_formset_still_renames_and_adds_undated_milestones(cast, client_for, approved):
    extra = {"name": "竣工验收", "sort_order": 3, "duration_days": 30, "planned_on": "", "actual_on": ""}
    data = _edit_data(approved)
    data.update(
        _formset("milestones", _milestone_rows(approved, 主体封顶={"name": "主体结构封顶"}) + [extra], initial=2)
    )

    response = client_for(cast.users.coordinator).post(_url("edit", approved.pk), data)

    assert response.status_code == 302
    assert list(Milestone.objects.order_by("sort_order").values_list("name", "planned_on")) == [
        ("主体结构封顶", START),
        ("设备安装", None),
        ("竣工验收", None),
    ]


def test_a_baselined_milestone_cannot_be_deleted_after_approval(cast, client_for, approved):
    data = _edit_data(approved)
    data.update(_formset("milestones", _milestone_rows(approved, 主体封顶={"DELETE": "on"}), initial=2))

    response = client_for(cast.users.coordinator).post(_url("edit", approved.pk), data)

    assert response.status_code == 400
    assert response.context["milestones"].non_form_errors() == [
        "计划已批准，节点“主体封顶”已纳入计划基线或有变更申请，不能删除。"
    ]
    assert Milestone.objects.filter(project=approved).count() == 2


# ---- reverse scheduling after approval: change requests ----


def test_reverse_scheduling_an_approved_plan_files_change_requests_and_moves_nothing(cast, client_for, approved):
    target = {"target": "2026-12-31", "reason": "按竣工目标倒排"}

    response = client_for(cast.users.coordinator).post(_url("reverse_schedule", approved.pk), target, follow=True)

    assert "倒排结果已生成 2 项变更申请" in response.content.decode()
    assert sorted(Milestone.objects.values_list("name", "planned_on")) == [("主体封顶", START), ("设备安装", None)]
    assert _requests() == [
        ("", "主体封顶", START, datetime.date(2026, 11, 1), ChangeStatus.PENDING, ""),
        ("", "设备安装", None, datetime.date(2026, 12, 31), ChangeStatus.PENDING, ""),
    ]
    assert set(ChangeRequest.objects.values_list("reason", flat=True)) == {"按竣工目标倒排"}


def test_reverse_scheduling_an_approved_plan_with_a_pending_request_files_none(cast, client_for, approved):
    _pending(approved, cast.users.reporter, target=approved.milestones_made[1], new_date=datetime.date(2026, 6, 1))

    response = client_for(cast.users.coordinator).post(
        _url("reverse_schedule", approved.pk), {"target": "2026-12-31"}, follow=True
    )

    assert "该计划日期已有待审批的变更申请" in response.content.decode()
    assert ChangeRequest.objects.count() == 1


def test_reverse_scheduling_to_a_date_before_the_calendar_is_a_message_not_a_crash(cast, client_for, materials):
    response = client_for(cast.users.coordinator).post(
        _url("reverse_schedule", materials.pk), {"target": "0001-01-05"}, follow=True
    )

    assert response.status_code == 200
    assert "目标日期过早" in response.content.decode()
    assert sorted(Milestone.objects.values_list("name", "planned_on")) == [("主体封顶", START), ("设备安装", None)]


# ---- who may do what ----


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("coordinator", 200), ("admin", 200), ("city_coordinator", 200), ("reporter", 200),
        ("leader", 403), ("handler", 403), ("promoter", 403), ("enterprise", 403), ("outsider", 404),
    ],
)  # fmt: skip
def test_who_may_open_the_request_form(cast, client_for, approved, user, status):
    response = client_for(getattr(cast.users, user)).get(_url("change_request", approved.pk))

    assert response.status_code == status


def test_a_reporter_not_assigned_to_the_project_may_not_request(cast, client_for, approved):
    cast.users.reporter.reported_projects.clear()

    response = _request(client_for(cast.users.reporter), approved)

    assert response.status_code == 403
    assert ChangeRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("reporter", 403), ("leader", 403), ("handler", 403), ("promoter", 403), ("enterprise", 403),
        ("outsider", 404), ("city_coordinator", 302), ("admin", 302),
    ],
)  # fmt: skip
@pytest.mark.parametrize("decision", ["change_approve", "change_reject"])
def test_who_may_decide(cast, client_for, approved, user, status, decision):
    change = _pending(approved, cast.users.reporter)

    response = client_for(getattr(cast.users, user)).post(_url(decision, change.pk), {"decision_note": "意见"})

    assert response.status_code == status
    expected = {"change_approve": ChangeStatus.APPROVED, "change_reject": ChangeStatus.REJECTED}[decision]
    assert reload(change).status == (expected if status == 302 else ChangeStatus.PENDING)


@pytest.mark.parametrize(
    ("name", "method"), [("change_approve", "get"), ("change_reject", "get"), ("approve_plan", "get")]
)
def test_decisions_take_only_post(cast, client_for, approved, name, method):
    change = _pending(approved, cast.users.reporter)
    pk = approved.pk if name == "approve_plan" else change.pk

    response = getattr(client_for(cast.users.coordinator), method)(_url(name, pk))

    assert response.status_code == 405
    assert reload(change).status == ChangeStatus.PENDING


def test_a_decision_does_not_follow_an_outside_next_url(cast, client_for, approved):
    change = _pending(approved, cast.users.reporter)

    response = client_for(cast.users.coordinator).post(
        _url("change_approve", change.pk), {"next": "https://evil.example/"}
    )

    assert response.url == reverse("projects:change_requests")


def test_an_unknown_change_request_is_not_found(cast, client_for):
    response = client_for(cast.users.coordinator).post(_url("change_approve", 999999))

    assert response.status_code == 404


# ---- the project page and the queue ----


def _plan_line(html: str, key: str) -> dict[str, str]:
    row = re.search(rf'data-testid="plan-line-{key}".*?</tr>', html, re.S)[0]
    cells = dict(re.findall(r'data-testid="(baseline|current|pending)">(.*?)</td>', row, re.S))
    return {name: re.sub(r"<[^>]+>|\s+", " ", text).split() for name, text in cells.items()}


def test_the_project_page_shows_baseline_current_and_pending_per_planned_date(cast, client_for, approved):
    _pending(approved, cast.users.reporter).approve(by=cast.users.coordinator)
    _pending(approved, cast.users.reporter, target="planned_completion_on", new_date=datetime.date(2027, 3, 31))

    html = client_for(cast.users.coordinator).get(_url("detail", approved.pk)).content.decode()

    assert _plan_line(html, "planned_start_on") == {
        "baseline": ["2024-03-01"],
        "current": ["2024-05-06", "已调整"],
        "pending": [],
    }
    completion = _plan_line(html, "planned_completion_on")
    assert (completion["baseline"], completion["current"]) == (["2026-12-31"], ["2026-12-31"])
    assert completion["pending"][:3] == ["→", "2027-03-31", "孙填报"]
    assert _plan_line(html, f"milestone-{approved.milestones_made[0].pk}")["baseline"] == ["2024-03-01"]
    assert 'data-testid="decided-changes"' in html


def test_the_project_page_offers_approval_only_to_coordinators_before_approval(cast, client_for, materials):
    coordinator = client_for(cast.users.coordinator).get(_url("detail", materials.pk)).content.decode()
    leader = client_for(cast.users.leader).get(_url("detail", materials.pk)).content.decode()

    assert 'data-testid="approve-plan"' in coordinator
    assert 'data-testid="approve-plan"' not in leader
    assert 'data-testid="request-change"' not in coordinator


def test_the_queue_lists_the_pending_requests_of_the_subtree_oldest_first(cast, client_for, approved, make_project):
    first = _pending(approved, cast.users.reporter)
    second = _pending(approved, cast.users.reporter, target="planned_completion_on", new_date=datetime.date(2027, 1, 1))
    _pending(approved, cast.users.reporter, target="planned_sign_on", new_date=datetime.date(2023, 1, 1)).reject(
        by=cast.users.coordinator, note="不同意"
    )
    outside = cast.projects.xiaodian
    Project.objects.filter(pk=outside.pk).update(planned_start_on=START)
    outside.refresh_from_db()
    outside.approve_plan(by=cast.users.outsider)
    _pending(outside, cast.users.outsider)

    response = client_for(cast.users.coordinator).get(reverse("projects:change_requests"))

    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [(r.pk, r.baseline_on) for r in rows] == [(first.pk, START), (second.pk, COMPLETION)]


@pytest.mark.parametrize("user", ["reporter", "leader", "handler", "promoter", "enterprise"])
def test_the_queue_is_for_coordinators_only(cast, client_for, user):
    response = client_for(getattr(cast.users, user)).get(reverse("projects:change_requests"))

    assert response.status_code == 403


def test_the_outsider_queue_does_not_hold_the_countys_requests(cast, client_for, approved):
    _pending(approved, cast.users.reporter)

    response = client_for(cast.users.outsider).get(reverse("projects:change_requests"))

    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_runs_the_same_queries_for_3_or_30_requests(
    cast, client_for, make_project, count, django_assert_num_queries
):
    for index in range(count):
        project = make_project(name=f"项目{index}", planned_start_on=START)
        milestone = Milestone.objects.create(project=project, name="节点", planned_on=START)
        project.approve_plan(by=cast.users.coordinator)
        project.request_change(
            milestone if index % 2 else "planned_start_on", NEW_START, "延期", by=cast.users.reporter
        )
    client = client_for(cast.users.coordinator)

    # 1 session, 2 user, 3 the user's region (for the scope), 4 count, 5 the unread notifications (the badge),
    # 6 the page of requests with project, region, milestone, requester and baseline,
    # 7-9 the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(9):
        response = client.get(reverse("projects:change_requests"))

    assert len(response.context["page"].object_list) == count


def test_junk_page_numbers_on_the_queue_are_not_a_crash(cast, client_for):
    response = client_for(cast.users.coordinator).get(reverse("projects:change_requests"), {"page": "x'--"})

    assert response.status_code == 200


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        client.get(url)
    return len(context.captured_queries)


def test_the_change_control_card_costs_the_same_queries_for_1_or_6_requests(cast, client_for, approved):
    client, url = client_for(cast.users.coordinator), _url("detail", approved.pk)
    _pending(approved, cast.users.reporter).approve(by=cast.users.coordinator)
    client.get(url)  # the session's expiry is written once, on the first request
    one = _queries(client, url)
    for day in range(2, 7):
        _pending(approved, cast.users.reporter, new_date=NEW_START + datetime.timedelta(days=day)).reject(
            by=cast.users.coordinator, note="不同意"
        )

    assert _queries(client, url) == one


@pytest.mark.parametrize("target", ["<script>", "milestone-abc", "milestone-", "planned_start_on\x00"])
def test_a_junk_preselected_target_just_preselects_nothing(cast, client_for, approved, target):
    response = client_for(cast.users.reporter).get(_url("change_request", approved.pk), {"target": target})

    assert response.status_code == 200
    assert "selected" not in response.content.decode().split('name="target"')[1].split("</select>")[0]

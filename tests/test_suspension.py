"""Suspensions (暂停): a reason from the list, a summary and an expected resume date, re-confirmed by a
coordinator at least once per calendar quarter; one not confirmed this quarter is flagged on the
ledger, on the project page and in the suspension list, and the quarterly check tells the office.

Quarter logic is tested with frozen dates (``today=`` and ``--date``), never with the clock.
"""

import datetime
import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from org.models import Notification
from projects.models import (
    Project,
    Stage,
    SuspensionConfirmation,
    SuspensionReason,
    coordinators_by_region,
    quarter_start,
)
from projects.tasks import check_suspensions, check_suspensions_quarterly

from .conftest import reload

pytestmark = pytest.mark.usefixtures("unscoped")

TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)
LATER = TODAY + datetime.timedelta(days=120)
FLAG = "暂停未按季确认"
SUSPENSIONS_URL = reverse("projects:suspensions")
D = datetime.date


def _suspend(project, by, **overrides):
    values = {"on": YESTERDAY, "reason": "环保督察停工整改", "reason_code": "environment", "expected_resume_on": LATER}
    values.update(overrides)
    return project.suspend(values.pop("on"), values.pop("reason"), by=by, **values)


def _messages(error: ValidationError) -> dict[str, list[str]]:
    return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}


def _confirmed_on(project, day: datetime.date | None) -> None:
    Project.objects.filter(pk=project.pk).update(suspension_confirmed_on=day)
    project.refresh_from_db()


@pytest.fixture
def suspended(cast):
    """The 交城县 materials project, suspended yesterday."""
    _suspend(cast.projects.materials, cast.users.coordinator)
    return cast.projects.materials


# ---- suspend ----


def test_suspending_records_reason_summary_expected_resume_and_a_first_confirmation(cast):
    materials = cast.projects.materials

    _suspend(materials, cast.users.coordinator, reason=" 资金链紧张 ", reason_code="funding")

    saved = reload(materials)
    assert (saved.stage, saved.stopped_on, saved.stop_reason, saved.suspension_reason_code) == (
        Stage.SUSPENDED,
        YESTERDAY,
        "资金链紧张",
        SuspensionReason.FUNDING,
    )
    assert (saved.expected_resume_on, saved.suspension_confirmed_on) == (LATER, TODAY)
    assert saved.get_suspension_reason_code_display() == "资金不到位"


def test_the_reason_list_holds_the_seven_usual_reasons():
    assert [label for _value, label in SuspensionReason.choices] == [
        "资金不到位", "用地未落实", "手续未办结", "市场变化", "环保督察", "企业自身原因", "其他",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"reason_code": ""}, {"reason_code": ["请选择暂停原因。"]}),
        ({"reason_code": "flood"}, {"reason_code": ["请选择暂停原因。"]}),
        ({"expected_resume_on": None}, {"expected_resume_on": ["请填写预计恢复日期。"]}),
        ({"expected_resume_on": YESTERDAY}, {"expected_resume_on": ["预计恢复日期须晚于暂停日期。"]}),
        (
            {"on": D(2025, 1, 10), "expected_resume_on": YESTERDAY},
            {"expected_resume_on": ["预计恢复日期不能早于今天。"]},
        ),
        ({"reason": "  "}, {"reason": ["请填写原因。"]}),
        (
            {"reason": "", "reason_code": "", "expected_resume_on": None},
            {
                "reason": ["请填写原因。"],
                "reason_code": ["请选择暂停原因。"],
                "expected_resume_on": ["请填写预计恢复日期。"],
            },
        ),
        ({"on": TODAY + datetime.timedelta(days=1)}, {"on": ["日期不能晚于今天。"]}),
    ],
    ids=[
        "no-code",
        "unknown-code",
        "no-resume",
        "resume-before-stop",
        "resume-past",
        "no-summary",
        "nothing",
        "future",
    ],
)
def test_a_suspension_without_its_facts_is_refused(cast, overrides, errors):
    with pytest.raises(ValidationError) as error:
        _suspend(cast.projects.materials, cast.users.coordinator, **overrides)

    assert _messages(error.value) == errors
    saved = reload(cast.projects.materials)
    assert (saved.stage, saved.suspension_reason_code, saved.expected_resume_on) == (Stage.CONSTRUCTION, "", None)


def test_the_old_call_shape_is_a_validation_error_not_a_type_error(cast):
    with pytest.raises(ValidationError) as error:
        cast.projects.materials.suspend(YESTERDAY, "停工", cast.users.coordinator)

    assert set(error.value.message_dict) == {"reason_code", "expected_resume_on"}


@pytest.mark.parametrize("leave", ["resume", "terminate", "correct"])
def test_leaving_the_suspension_clears_its_reason_outlook_and_confirmation(cast, suspended, leave):
    by = cast.users.coordinator
    {
        "resume": lambda: suspended.resume(on=TODAY, by=by),
        "terminate": lambda: suspended.terminate(on=TODAY, reason="企业撤资", by=by),
        "correct": lambda: suspended.correct_stage(Stage.PREPARING, reason="误操作", by=by),
    }[leave]()

    saved = reload(suspended)
    assert (saved.suspension_reason_code, saved.expected_resume_on, saved.suspension_confirmed_on) == ("", None, None)
    assert not saved.is_suspension_unconfirmed(today=D(2030, 1, 1))


# ---- the stage page ----


def _stage(client, project, **data):
    return client.post(reverse("projects:stage", kwargs={"pk": project.pk}), data)


def test_the_stage_page_offers_the_reason_list_and_the_expected_resume_date(cast, client_for):
    response = client_for(cast.users.coordinator).get(reverse("projects:stage", kwargs={"pk": cast.projects.road.pk}))

    html = response.content.decode()
    assert 'data-testid="suspend-fields"' in html
    assert re.findall(r'<option value="(\w*)"', html.split('name="reason_code"')[1].split("</select>")[0]) == [
        "", "funding", "land", "procedures", "market", "environment", "enterprise", "other",
    ]  # fmt: skip
    assert 'name="expected_resume_on"' in html


def test_suspending_on_the_stage_page_saves_every_fact(cast, client_for):
    road = cast.projects.road

    response = _stage(
        client_for(cast.users.coordinator), road, action="suspend", on=str(YESTERDAY), reason="征地补偿未谈妥",
        reason_code="land", expected_resume_on=str(LATER),
    )  # fmt: skip

    assert response.status_code == 302
    saved = reload(road)
    assert (saved.stage, saved.stop_reason, saved.suspension_reason_code, saved.expected_resume_on) == (
        Stage.SUSPENDED,
        "征地补偿未谈妥",
        "land",
        LATER,
    )


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"reason_code": "flood"}, {"reason_code": ["选择一个有效的选项。 flood 不在可用的选项中。"]}),
        ({"expected_resume_on": "2026-02-30"}, {"expected_resume_on": ["输入一个有效的日期。"]}),
        ({"expected_resume_on": ""}, {"expected_resume_on": ["请填写预计恢复日期。"]}),
        ({"reason_code": ""}, {"reason_code": ["请选择暂停原因。"]}),
    ],
    ids=["unknown-code", "bad-date", "no-date", "no-code"],
)
def test_a_refused_suspension_on_the_stage_page_saves_nothing(cast, client_for, data, errors):
    road = cast.projects.road
    values = {"action": "suspend", "on": str(YESTERDAY), "reason": "停工", "reason_code": "land"}
    values["expected_resume_on"] = str(LATER)

    response = _stage(client_for(cast.users.coordinator), road, **{**values, **data})

    assert response.status_code == 400
    assert {name: list(e) for name, e in response.context["form"].errors.items()} == errors
    assert reload(road).stage == Stage.PREPARING


# ---- quarterly confirmation ----


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (D(2026, 1, 1), D(2026, 1, 1)), (D(2026, 3, 31), D(2026, 1, 1)), (D(2026, 4, 1), D(2026, 4, 1)),
        (D(2026, 6, 30), D(2026, 4, 1)), (D(2026, 7, 15), D(2026, 7, 1)), (D(2026, 12, 31), D(2026, 10, 1)),
    ],
)  # fmt: skip
def test_quarter_start(day, start):
    assert quarter_start(day) == start


def test_confirming_records_who_when_the_outlook_and_clears_the_flag(cast, suspended):
    _confirmed_on(suspended, D(2026, 9, 30))
    assert suspended.is_suspension_unconfirmed(today=D(2026, 10, 1))

    confirmation = suspended.confirm_suspension(
        cast.users.coordinator, " 资金仍未到位 ", D(2027, 3, 31), today=D(2026, 10, 1)
    )

    saved = reload(suspended)
    assert (saved.suspension_confirmed_on, saved.expected_resume_on) == (D(2026, 10, 1), D(2027, 3, 31))
    assert not saved.is_suspension_unconfirmed(today=D(2026, 12, 31))
    assert saved.is_suspension_unconfirmed(today=D(2027, 1, 1))
    assert list(SuspensionConfirmation.objects.values_list("project", "on", "expected_resume_on", "note", "by")) == [
        (suspended.pk, D(2026, 10, 1), D(2027, 3, 31), "资金仍未到位", cast.users.coordinator.pk)
    ]
    assert confirmation.pk is not None
    latest = saved.history.latest()
    assert (latest.history_user, latest.suspension_confirmed_on) == (cast.users.coordinator, D(2026, 10, 1))


@pytest.mark.parametrize(
    ("note", "expected", "errors"),
    [
        ("", D(2027, 3, 31), {"note": ["请填写当前情况说明。"]}),
        ("仍暂停", None, {"expected_resume_on": ["请填写预计恢复日期。"]}),
        ("仍暂停", D(2026, 9, 30), {"expected_resume_on": ["预计恢复日期不能早于今天。"]}),
    ],
    ids=["no-note", "no-date", "past-date"],
)
def test_a_confirmation_without_its_facts_is_refused(cast, suspended, note, expected, errors):
    _confirmed_on(suspended, D(2026, 7, 1))

    with pytest.raises(ValidationError) as error:
        suspended.confirm_suspension(cast.users.coordinator, note, expected, today=D(2026, 10, 1))

    assert _messages(error.value) == errors
    assert (reload(suspended).suspension_confirmed_on, SuspensionConfirmation.objects.count()) == (D(2026, 7, 1), 0)


def test_only_a_suspended_project_is_confirmed(cast):
    with pytest.raises(ValidationError) as error:
        cast.projects.materials.confirm_suspension(cast.users.coordinator, "x", LATER)

    assert error.value.messages == ["项目未处于暂停状态，无需确认。"]


# Confirmed on -> checked on -> flagged: the quarter of the check must hold a confirmation.
BOUNDARIES = [
    (D(2026, 9, 30), D(2026, 9, 30), False),
    (D(2026, 9, 30), D(2026, 10, 1), True),
    (D(2026, 10, 1), D(2026, 10, 1), False),
    (D(2026, 10, 1), D(2026, 12, 31), False),
    (D(2026, 12, 31), D(2027, 1, 1), True),
    (D(2026, 7, 1), D(2026, 9, 30), False),
    (D(2026, 6, 30), D(2026, 7, 1), True),
    (D(2026, 1, 1), D(2026, 12, 31), True),
    (None, D(2026, 10, 1), True),
]


@pytest.mark.parametrize(("confirmed", "day", "flagged"), BOUNDARIES)
def test_the_flag_at_quarter_boundaries_in_python_and_in_sql(cast, suspended, confirmed, day, flagged):
    _confirmed_on(suspended, confirmed)

    in_sql = Project.objects.unconfirmed_suspensions(day).filter(pk=suspended.pk).exists()

    assert (suspended.is_suspension_unconfirmed(today=day), in_sql) == (flagged, flagged)


def test_neither_a_running_nor_an_archived_project_is_flagged(cast, suspended):
    _confirmed_on(suspended, None)
    suspended.archive(by=cast.users.coordinator)

    assert not reload(suspended).is_suspension_unconfirmed(today=D(2030, 1, 1))
    assert not cast.projects.road.is_suspension_unconfirmed(today=D(2030, 1, 1))
    assert not Project.objects.unconfirmed_suspensions(D(2030, 1, 1)).exists()


# ---- the flag on the pages ----


def test_the_flag_shows_on_the_ledger_row_and_the_project_page(cast, client_for, suspended):
    _confirmed_on(suspended, quarter_start(TODAY) - datetime.timedelta(days=1))
    client = client_for(cast.users.leader)

    ledger = client.get(reverse("projects:list")).content.decode()
    page = client.get(reverse("projects:detail", kwargs={"pk": suspended.pk})).content.decode()

    rows = re.findall(r"<tr>.*?</tr>", ledger.split("<tbody>")[1], re.S)
    flagged = [re.search(r'href="/projects/(\d+)/"', row)[1] for row in rows if FLAG in row]
    assert flagged == [str(suspended.pk)]
    assert 'data-testid="suspension-unconfirmed"' in page
    assert "环保督察" in page and str(LATER) in page


def test_a_suspension_confirmed_this_quarter_is_not_flagged_on_the_pages(cast, client_for, suspended):
    client = client_for(cast.users.coordinator)

    ledger = client.get(reverse("projects:list")).content.decode()
    page = client.get(reverse("projects:detail", kwargs={"pk": suspended.pk})).content.decode()

    assert FLAG not in ledger.split("<tbody>")[1]
    assert 'data-testid="suspension-unconfirmed"' not in page


def _suspend_all(cast):
    """materials (confirmed last quarter), road (this quarter), hospital in 文水县 (never), xiaodian outside."""
    by = cast.users.coordinator
    for project, code in [
        (cast.projects.materials, "environment"),
        (cast.projects.road, "land"),
        (cast.projects.hospital, "funding"),
        (cast.projects.xiaodian, "market"),
    ]:
        _suspend(project, by, reason_code=code)
    _confirmed_on(cast.projects.materials, quarter_start(TODAY) - datetime.timedelta(days=1))
    _confirmed_on(cast.projects.hospital, None)


def test_the_suspension_list_holds_the_subtree_unconfirmed_first(cast, client_for):
    _suspend_all(cast)
    cast.projects.road.confirm_suspension(cast.users.coordinator, "等待征地补偿", LATER)

    response = client_for(cast.users.city_coordinator).get(SUSPENSIONS_URL)

    assert response.status_code == 200
    rows = [
        (p.name, p.get_suspension_reason_code_display(), p.expected_resume_on, p.last_note, p.unconfirmed)
        for p in response.context["page"].object_list
    ]
    assert rows == [
        ("华鑫年产5万吨特种石墨项目", "环保督察", LATER, None, True),
        ("文水县人民医院新院区建设项目", "资金不到位", LATER, None, True),
        ("交城县城区道路提质改造工程", "用地未落实", LATER, "等待征地补偿", False),
    ]
    assert response.context["counts"] == {"total": 3, "unconfirmed": 2}
    assert response.content.decode().count(f'data-testid="unconfirmed">{FLAG}') == 2


def test_the_suspension_list_filters_to_the_unconfirmed(cast, client_for):
    _suspend_all(cast)

    response = client_for(cast.users.coordinator).get(SUSPENSIONS_URL, {"unconfirmed": "1"})

    assert [p.name for p in response.context["page"].object_list] == ["华鑫年产5万吨特种石墨项目"]
    assert response.context["counts"] == {"total": 2, "unconfirmed": 1}


@pytest.mark.parametrize(
    "params", [{"unconfirmed": "yes'--"}, {"page": "-1"}, {"page": "x"}, {"unconfirmed": ["1", "0"]}]
)
def test_junk_parameters_on_the_suspension_list_are_not_a_crash(cast, client_for, params):
    _suspend_all(cast)

    response = client_for(cast.users.coordinator).get(SUSPENSIONS_URL, params)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("user", "status"),
    [("coordinator", 200), ("admin", 200), ("leader", 200), ("reporter", 403), ("handler", 403),
     ("promoter", 403), ("enterprise", 403)],
)  # fmt: skip
def test_who_may_read_the_suspension_list(cast, client_for, user, status):
    assert client_for(getattr(cast.users, user)).get(SUSPENSIONS_URL).status_code == status


def test_the_outsider_list_holds_only_its_own_district(cast, client_for):
    _suspend_all(cast)

    response = client_for(cast.users.outsider).get(SUSPENSIONS_URL)

    assert [p.name for p in response.context["page"].object_list] == ["小店区智能制造产业园项目"]


@pytest.mark.parametrize("count", [3, 30])
def test_the_suspension_list_runs_the_same_queries_for_3_or_30_projects(
    cast, client_for, make_project, count, django_assert_num_queries
):
    for index in range(count):
        project = make_project(name=f"暂停项目{index}")
        Project.objects.filter(pk=project.pk).update(
            stage=Stage.SUSPENDED, stage_before_suspension=Stage.SIGNED, suspension_reason_code="market"
        )
    client = client_for(cast.users.coordinator)

    # 1 session, 2 user, 3 the user's region (for the scope), 4 counts, 5 the unread notifications (the badge),
    # 6 the page of projects with region, zone and last confirmation note, 7-9 the session's new expiry.
    with django_assert_num_queries(9):
        response = client.get(SUSPENSIONS_URL)

    assert len(response.context["page"].object_list) == count


# ---- the confirmation page ----


def _confirm_url(project) -> str:
    return reverse("projects:suspension_confirm", kwargs={"pk": project.pk})


def test_a_coordinator_confirms_on_the_page_and_returns_to_the_list(cast, client_for, suspended):
    _confirmed_on(suspended, None)
    client = client_for(cast.users.coordinator)

    page = client.get(_confirm_url(suspended))
    response = client.post(
        _confirm_url(suspended),
        {"note": "企业已筹措部分资金", "expected_resume_on": str(LATER), "next": SUSPENSIONS_URL + "?unconfirmed=1"},
    )

    assert page.context["form"]["expected_resume_on"].value() == LATER
    assert response.status_code == 302
    assert response.url == SUSPENSIONS_URL + "?unconfirmed=1"
    saved = reload(suspended)
    assert (saved.suspension_confirmed_on, saved.expected_resume_on) == (TODAY, LATER)
    assert list(SuspensionConfirmation.objects.values_list("note", "by")) == [
        ("企业已筹措部分资金", cast.users.coordinator.pk)
    ]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"note": ""}, {"note": ["这个字段是必填项。"]}),
        ({"expected_resume_on": "2026-02-30"}, {"expected_resume_on": ["输入一个有效的日期。"]}),
        ({"expected_resume_on": str(YESTERDAY)}, {"expected_resume_on": ["预计恢复日期不能早于今天。"]}),
        ({"next": "https://evil.example/", "note": ""}, {"note": ["这个字段是必填项。"]}),
    ],
    ids=["no-note", "bad-date", "past-date", "bad-next"],
)
def test_a_refused_confirmation_on_the_page_saves_nothing(cast, client_for, suspended, data, errors):
    _confirmed_on(suspended, D(2026, 1, 1))
    values = {"note": "仍暂停", "expected_resume_on": str(LATER), **data}

    response = client_for(cast.users.coordinator).post(_confirm_url(suspended), values)

    assert response.status_code == 400
    assert {name: list(e) for name, e in response.context["form"].errors.items()} == errors
    assert (reload(suspended).suspension_confirmed_on, SuspensionConfirmation.objects.count()) == (D(2026, 1, 1), 0)


def test_confirming_a_project_that_is_not_suspended_is_refused(cast, client_for):
    road = cast.projects.road

    response = client_for(cast.users.coordinator).post(
        _confirm_url(road), {"note": "x", "expected_resume_on": str(LATER)}
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["项目未处于暂停状态，无需确认。"]
    assert SuspensionConfirmation.objects.count() == 0


@pytest.mark.parametrize(
    ("user", "status"),
    [("reporter", 403), ("leader", 403), ("handler", 403), ("enterprise", 403), ("outsider", 404),
     ("city_coordinator", 302)],
)  # fmt: skip
def test_who_may_confirm(cast, client_for, suspended, user, status):
    _confirmed_on(suspended, None)

    response = client_for(getattr(cast.users, user)).post(
        _confirm_url(suspended), {"note": "仍暂停", "expected_resume_on": str(LATER)}
    )

    assert response.status_code == status
    assert (reload(suspended).suspension_confirmed_on is not None) == (status == 302)


# ---- the quarterly check ----


def test_the_office_answering_for_a_region_is_the_nearest_with_coordinators(cast):
    regions = [cast.regions.jiaocheng, cast.regions.wenshui, cast.regions.xiaodian, cast.regions.shanxi]

    offices = coordinators_by_region(regions)

    assert {r.name: [u.username for u in offices[r.pk]] for r in regions} == {
        "交城县": ["jc_coordinator"],
        "文水县": ["ll_coordinator"],  # no coordinator of its own: the city's office
        "小店区": ["xd_coordinator"],
        "山西省": ["sx_coordinator"],
    }


def _call(*args) -> str:
    out = StringIO()
    call_command("check_suspensions", *args, stdout=out)
    return out.getvalue()


def _inbox() -> list[tuple[str, str, str]]:
    rows = Notification.objects.order_by("user__username", "pk")
    return list(rows.values_list("user__username", "text", "url"))


def test_the_command_lists_the_unconfirmed_and_notifies_each_office_once_per_quarter(cast):
    _suspend_all(cast)
    for project in (cast.projects.road, cast.projects.xiaodian):
        _confirmed_on(project, D(2027, 1, 5))
    _confirmed_on(cast.projects.materials, D(2026, 12, 20))

    first = _call("--date", "2027-03-01")
    again = _call("--date", "2027-03-31")

    assert first.splitlines() == [
        "Suspensions not confirmed in 2027 Q1 (since 2027-01-01): 2",
        "  文水县 · 文水县人民医院新院区建设项目: last confirmed never",
        "  交城县 · 华鑫年产5万吨特种石墨项目: last confirmed 2026-12-20",
        "Reminded: 2 projects, 2 coordinators notified, 0 projects without a coordinator; "
        "0 already reminded this quarter.",
    ]
    assert again.splitlines()[-1] == (
        "Reminded: 0 projects, 0 coordinators notified, 0 projects without a coordinator; "
        "2 already reminded this quarter."
    )
    url = reverse("projects:suspensions") + "?unconfirmed=1"
    text = "2027年第1季度有 1 个暂停项目尚未确认，请确认是否仍暂停并更新预计恢复日期：{}"
    assert _inbox() == [
        ("jc_coordinator", text.format("华鑫年产5万吨特种石墨项目"), url),
        ("ll_coordinator", text.format("文水县人民医院新院区建设项目"), url),
    ]


def test_the_next_quarter_reminds_again(cast):
    _suspend_all(cast)
    _confirmed_on(cast.projects.materials, D(2026, 12, 20))
    check_suspensions(today=D(2027, 3, 1))

    check = check_suspensions(today=D(2027, 6, 1))

    assert check.reminded == 4  # nobody confirmed in Q2: all four suspensions
    assert Notification.objects.filter(user=cast.users.coordinator).count() == 2


def test_a_confirmation_before_the_check_keeps_the_project_out_of_it(cast):
    _suspend_all(cast)
    cast.projects.materials.confirm_suspension(cast.users.coordinator, "仍暂停", D(2027, 6, 30), today=D(2027, 2, 1))
    for project in (cast.projects.road, cast.projects.hospital, cast.projects.xiaodian):
        _confirmed_on(project, D(2027, 1, 2))

    check = check_suspensions(today=D(2027, 3, 1))

    assert (check.unconfirmed, check.reminded, check.coordinators) == ([], 0, 0)
    assert Notification.objects.count() == 0


def test_a_region_without_any_coordinator_above_is_counted_not_lost(cast):
    _suspend_all(cast)
    type(cast.users.coordinator).objects.filter(role="coordinator").update(is_active=False)

    output = _call("--date", "2030-03-01")

    assert output.splitlines()[-1] == (
        "Reminded: 4 projects, 0 coordinators notified, 4 projects without a coordinator; "
        "0 already reminded this quarter."
    )
    assert Notification.objects.count() == 0


@pytest.mark.parametrize("value", ["2026-13-01", "tomorrow", "x'--"])
def test_the_command_refuses_a_junk_date(cast, value):
    with pytest.raises(CommandError, match="--date takes YYYY-MM-DD"):
        _call("--date", value)


def test_the_quarterly_task_runs_the_check(cast, monkeypatch):
    _suspend_all(cast)
    monkeypatch.setattr("projects.tasks.timezone.localdate", lambda: D(2030, 3, 1))

    check_suspensions_quarterly.call_local()

    assert Project.objects.filter(suspension_reminded_on=D(2030, 3, 1)).count() == 4

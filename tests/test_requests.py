"""企业诉求直通车: an enterprise submits a request, a coordinator answers it or turns it into a problem.

Besides the cast's enterprise (山西华鑫, owner of the 交城县 materials project) there is a second 交城县
company (the owner of the road project) and a 小店区 company, each with a request of its own.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from lib.codes import make_credit_code
from org.models import Notification, Role, User
from problems.models import EnterpriseRequest, Problem, ProblemEvent, Status
from problems.models import today as problems_today

from .conftest import ENTERPRISE_CODE, HOUSING_CODE, PASSWORD, XIAODIAN_CODE, login_client, reload

State = EnterpriseRequest.State
LIST_URL = reverse("problems:requests")
CREATE_URL = reverse("problems:request_create")
DEADLINE = problems_today() + datetime.timedelta(days=30)


def _url(name: str, item) -> str:
    return reverse(f"problems:{name}", kwargs={"pk": item.pk})


def _enterprise(username: str, region, credit_code: str, name: str) -> User:
    return User.objects.create_user(
        username, password=PASSWORD, role=Role.ENTERPRISE, region=region, credit_code=credit_code,
        enterprise_name=name, full_name="联络员",
    )  # fmt: skip


def _request(user, project=None, region=None, subject="办证周期长", **fields) -> EnterpriseRequest:
    return EnterpriseRequest.objects.create(
        submitted_by=user, project=project, region=region or (project.region if project else user.region),
        subject=subject, category=fields.pop("category", "approvals"),
        text=fields.pop("text", "施工许可证申请已提交两个月，仍未办结，影响开工。"), **fields,
    )  # fmt: skip


@pytest.fixture
def channel(cast):
    r, p = cast.regions, cast.projects
    with scopes_disabled():
        road_company = _enterprise("jc_road_company", r.jiaocheng, HOUSING_CODE, "交城县城市建设投资有限公司")
        xiaodian_company = _enterprise("xd_enterprise", r.xiaodian, XIAODIAN_CODE, "太原智造产业园有限公司")
        return SimpleNamespace(
            own=_request(cast.users.enterprise, p.materials, subject="施工许可办理慢"),
            general=_request(cast.users.enterprise, category="other", subject="希望增加公交线路", text="园区通勤难"),
            neighbour=_request(road_company, p.road, subject="管线迁改协调"),
            xiaodian=_request(xiaodian_company, p.xiaodian, subject="电力增容"),
            road_company=road_company,
            xiaodian_company=xiaodian_company,
        )


def _notifications(user) -> list[tuple[str, str, str]]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("text", "url", "kind"))


def _convert_data(cast, **overrides) -> dict:
    return {
        "category": "approvals",
        "department": cast.departments.land.pk,
        "leader": cast.users.leader.pk,
        "deadline": DEADLINE.isoformat(),
        **overrides,
    }


# ---- who sees what ----


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("enterprise", {"own", "general"}),
        ("coordinator", {"own", "general", "neighbour"}),
        ("admin", {"own", "general", "neighbour"}),
        ("city_coordinator", {"own", "general", "neighbour"}),
        ("province_coordinator", {"own", "general", "neighbour", "xiaodian"}),
        ("outsider", {"xiaodian"}),
    ],
)
def test_each_user_lists_exactly_its_requests(cast, channel, user, visible):
    response = login_client(getattr(cast.users, user)).get(LIST_URL)

    names = {getattr(channel, name).pk: name for name in ("own", "general", "neighbour", "xiaodian")}
    assert {names[item.pk] for item in response.context["page"].object_list} == visible


@pytest.mark.parametrize("role", ["reporter", "handler", "leader", "promoter"])
def test_government_roles_without_the_channel_are_forbidden(cast, channel, role):
    client = login_client(getattr(cast.users, role))

    statuses = [client.get(url).status_code for url in (LIST_URL, CREATE_URL, _url("request_detail", channel.own))]

    assert statuses == [403, 403, 403]


@pytest.mark.parametrize("other", ["neighbour", "xiaodian"])
def test_enterprise_cannot_reach_another_companys_request(cast, channel, other):
    client = login_client(cast.users.enterprise)
    item = getattr(channel, other)

    statuses = [
        client.get(_url("request_detail", item)).status_code,
        client.post(_url("request_answer", item), {"reply": "x"}).status_code,
        client.post(_url("request_convert", item), _convert_data(cast)).status_code,
    ]

    assert statuses == [404, 404, 404]
    assert reload(item).state == State.OPEN


def test_enterprise_may_not_answer_or_convert_its_own_request(cast, channel):
    client = login_client(cast.users.enterprise)

    statuses = [
        client.post(_url("request_answer", channel.own), {"reply": "已解决"}).status_code,
        client.post(_url("request_convert", channel.own), _convert_data(cast)).status_code,
    ]

    assert statuses == [403, 403]
    assert reload(channel.own).state == State.OPEN


def test_coordinator_cannot_reach_a_request_outside_its_subtree(cast, channel):
    client = login_client(cast.users.coordinator)

    assert client.get(_url("request_detail", channel.xiaodian)).status_code == 404
    assert client.post(_url("request_answer", channel.xiaodian), {"reply": "x"}).status_code == 404


@pytest.mark.parametrize("user", ["coordinator", "admin", "reporter", "anonymous"])
def test_only_enterprises_submit_requests(cast, user):
    client = Client() if user == "anonymous" else login_client(getattr(cast.users, user))

    response = client.post(CREATE_URL, {"category": "other", "subject": "x", "text": "y"})

    assert response.status_code == (302 if user == "anonymous" else 403)
    with scopes_disabled():
        assert not EnterpriseRequest.objects.exists()


# ---- submitting ----


def test_enterprise_submits_a_request_about_its_project_and_the_office_is_told(cast):
    data = {
        "project": cast.projects.materials.pk,
        "category": "land",
        "subject": "用地指标",
        "text": "二期用地指标未下达",
    }

    response = login_client(cast.users.enterprise).post(CREATE_URL, data)

    with scopes_disabled():
        item = EnterpriseRequest.objects.get()
    assert response.status_code == 302
    assert response.url == _url("request_detail", item)
    row = (item.submitted_by, item.project, item.region, item.category, item.subject, item.text, item.state)
    assert row == (cast.users.enterprise, cast.projects.materials, cast.regions.jiaocheng, "land", "用地指标",
                   "二期用地指标未下达", State.OPEN)  # fmt: skip
    # The county's key-project office, not the city's or the province's.
    text = "企业诉求：山西华鑫新材料有限公司提交了“用地指标”，请及时处理。"
    assert _notifications(cast.users.coordinator) == [(text, _url("request_detail", item), "request")]
    assert Notification.objects.exclude(user=cast.users.coordinator).count() == 0


def test_a_general_request_belongs_to_the_enterprises_region(cast):
    data = {"project": "", "category": "other", "subject": "公交线路", "text": "园区通勤难"}

    response = login_client(cast.users.enterprise).post(CREATE_URL, data)

    assert response.status_code == 302
    with scopes_disabled():
        item = EnterpriseRequest.objects.get()
    assert (item.project, item.region) == (None, cast.regions.jiaocheng)


def test_a_request_in_a_county_without_coordinators_goes_to_the_city(cast, channel):
    cast.users.coordinator.delete()
    cast.users.admin.delete()  # an admin is not the office either, but leave nothing to chance

    login_client(cast.users.enterprise).post(CREATE_URL, {"category": "other", "subject": "公交", "text": "通勤"})

    assert [text for text, _url_, _kind in _notifications(cast.users.city_coordinator)] == [
        "企业诉求：山西华鑫新材料有限公司提交了“公交”，请及时处理。"
    ]


@pytest.mark.parametrize("project", ["road", "xiaodian", "hospital"])
def test_enterprise_cannot_pick_another_companys_project(cast, project):
    pk = getattr(cast.projects, project).pk
    data = {"project": pk, "category": "land", "subject": "用地", "text": "冒用他人项目"}

    response = login_client(cast.users.enterprise).post(CREATE_URL, data)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["project"]
    with scopes_disabled():
        assert not EnterpriseRequest.objects.exists()
    assert not Notification.objects.exists()


def test_the_project_choices_are_the_companys_own(cast, make_project):
    second = make_project(name="华鑫二期", credit_code=ENTERPRISE_CODE)

    response = login_client(cast.users.enterprise).get(CREATE_URL)

    assert set(response.context["form"].fields["project"].queryset) == {cast.projects.materials, second}


def test_an_empty_request_is_refused_with_its_errors(cast):
    response = login_client(cast.users.enterprise).post(CREATE_URL, {})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"category", "subject", "text"}


# ---- the enterprise's view ----


def test_enterprise_sees_its_request_the_reply_and_only_the_problems_status(cast, channel):
    coordinator = login_client(cast.users.coordinator)
    coordinator.post(_url("request_convert", channel.own), _convert_data(cast))
    client = login_client(cast.users.enterprise)

    open_html = client.get(_url("request_detail", channel.own)).content.decode()
    with scopes_disabled():
        problem = reload(channel.own).problem
        problem.act("accept", by=cast.users.handler)
        problem.act("propose", by=cast.users.handler, note="已协调住建局加快审批，许可证已核发")
        problem.act("strike_off", by=cast.users.coordinator, note="内部核实：材料齐全")
    closed_html = client.get(_url("request_detail", channel.own)).content.decode()

    assert '<span class="badge text-bg-secondary" data-testid="problem-status">已挂号</span>' in open_html
    assert '<span class="badge text-bg-success" data-testid="problem-status">已销号</span>' in closed_html
    assert "已协调住建局加快审批，许可证已核发" in closed_html  # the resolution
    for html in (open_html, closed_html):
        # Nothing of the internal handling: the timeline notes, the department, the leader, the deadline.
        for internal in ("由企业诉求转办", "内部核实", "交城县自然资源局", "王建国", DEADLINE.isoformat()):
            assert internal not in html
        assert 'data-testid="problem-link"' not in html
        assert 'data-testid="convert-form"' not in html


def test_the_resolution_is_hidden_until_the_problem_is_struck_off(cast, channel):
    login_client(cast.users.coordinator).post(_url("request_convert", channel.own), _convert_data(cast))
    with scopes_disabled():
        problem = reload(channel.own).problem
        problem.act("propose", by=cast.users.handler, note="拟办：已联系审批局")

    html = login_client(cast.users.enterprise).get(_url("request_detail", channel.own)).content.decode()

    assert "申请销号" in html
    assert "拟办：已联系审批局" not in html


def test_the_enterprise_list_shows_the_problems_status(cast, channel):
    login_client(cast.users.coordinator).post(_url("request_convert", channel.own), _convert_data(cast))

    response = login_client(cast.users.enterprise).get(LIST_URL)

    rows = {
        item.subject: item.problem.get_status_display() if item.problem else None for item in response.context["page"]
    }
    assert rows == {"施工许可办理慢": "已挂号", "希望增加公交线路": None}


# ---- answering ----


def test_coordinator_answers_and_the_enterprise_is_told(cast, channel):
    response = login_client(cast.users.coordinator).post(
        _url("request_answer", channel.general), {"reply": " 已协调公交公司开通园区专线 "}
    )

    assert response.status_code == 302
    item = reload(channel.general)
    assert (item.state, item.reply, item.replied_by, item.problem) == (
        State.ANSWERED, "已协调公交公司开通园区专线", cast.users.coordinator, None
    )  # fmt: skip
    assert _notifications(cast.users.enterprise) == [
        ("您的诉求“希望增加公交线路”已答复。", _url("request_detail", channel.general), "request")
    ]
    html = login_client(cast.users.enterprise).get(_url("request_detail", channel.general)).content.decode()
    assert "已协调公交公司开通园区专线" in html


@pytest.mark.parametrize("reply", ["", "   "])
def test_an_empty_reply_is_refused(cast, channel, reply):
    response = login_client(cast.users.coordinator).post(_url("request_answer", channel.general), {"reply": reply})

    assert response.status_code == 400
    assert response.context["answer_form"].errors == {"reply": ["请填写答复内容。"]}
    assert reload(channel.general).state == State.OPEN
    assert not Notification.objects.exists()


def test_an_answered_request_is_not_answered_again(cast, channel):
    client = login_client(cast.users.coordinator)
    client.post(_url("request_answer", channel.general), {"reply": "第一次答复"})

    response = client.post(_url("request_answer", channel.general), {"reply": "第二次答复"})

    assert response.status_code == 400
    assert reload(channel.general).reply == "第一次答复"
    assert Notification.objects.filter(user=cast.users.enterprise).count() == 1


# ---- converting ----


def test_coordinator_converts_a_request_into_a_problem(cast, channel):
    response = login_client(cast.users.coordinator).post(_url("request_convert", channel.own), _convert_data(cast))

    assert response.status_code == 302
    item = reload(channel.own)
    with scopes_disabled():
        problem = Problem.objects.get()
        events = list(ProblemEvent.objects.values_list("problem", "action", "from_status", "to_status", "note", "by"))
    assert (item.state, item.problem) == (State.CONVERTED, problem)
    assert problem.project == cast.projects.materials
    assert (problem.category, problem.description) == ("approvals", "施工许可证申请已提交两个月，仍未办结，影响开工。")
    assert (problem.department, problem.leader, problem.deadline) == (
        cast.departments.land,
        cast.users.leader,
        DEADLINE,
    )
    assert (problem.status, problem.raised_by) == (Status.REGISTERED, cast.users.coordinator)
    assert events == [(problem.pk, "register", "", Status.REGISTERED, "由企业诉求转办", cast.users.coordinator.pk)]
    assert _notifications(cast.users.enterprise) == [
        (
            "您的诉求“施工许可办理慢”已转为问题，由交城县自然资源局限期办理。",
            _url("request_detail", channel.own),
            "request",
        )
    ]


def test_a_request_without_a_project_is_converted_onto_one_of_the_companys_projects(cast, channel):
    client = login_client(cast.users.coordinator)

    refused = client.post(_url("request_convert", channel.general), _convert_data(cast, project=cast.projects.road.pk))
    missing = client.post(_url("request_convert", channel.general), _convert_data(cast))
    done = client.post(
        _url("request_convert", channel.general), _convert_data(cast, project=cast.projects.materials.pk)
    )

    assert (refused.status_code, missing.status_code, done.status_code) == (400, 400, 302)
    assert list(refused.context["convert_form"].errors) == ["project"]
    assert list(missing.context["convert_form"].errors) == ["project"]
    with scopes_disabled():
        assert list(Problem.objects.values_list("project", flat=True)) == [cast.projects.materials.pk]


def test_a_company_without_projects_here_cannot_have_its_request_converted(cast):
    with scopes_disabled():
        newcomer = _enterprise("jc_newcomer", cast.region, make_credit_code("91141122MA0NEW003"), "新落户科技有限公司")
        item = _request(newcomer, subject="办公场地")
    client = login_client(cast.users.coordinator)

    page = client.get(_url("request_detail", item))
    response = client.post(_url("request_convert", item), _convert_data(cast, project=cast.projects.materials.pk))

    assert 'data-testid="no-projects"' in page.content.decode()
    assert response.status_code == 400
    assert list(response.context["convert_form"].errors) == ["project"]
    assert reload(item).state == State.OPEN
    with scopes_disabled():
        assert not Problem.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"deadline": (problems_today() - datetime.timedelta(days=1)).isoformat()}, "deadline"),
        ({"deadline": "not a date"}, "deadline"),
        ({"department": "abc"}, "department"),
        ({"category": "weather"}, "category"),
        ({"leader": "999999"}, "leader"),
    ],
)
def test_bad_conversion_input_is_refused_and_nothing_changes(cast, channel, overrides, field):
    response = login_client(cast.users.coordinator).post(
        _url("request_convert", channel.own), _convert_data(cast, **overrides)
    )

    assert response.status_code == 400
    assert list(response.context["convert_form"].errors) == [field]
    assert reload(channel.own).state == State.OPEN
    with scopes_disabled():
        assert not Problem.objects.exists()


def test_a_department_outside_the_subtree_cannot_be_named(cast, channel):
    data = _convert_data(cast, department=cast.departments.xiaodian_drc.pk)

    response = login_client(cast.users.coordinator).post(_url("request_convert", channel.own), data)

    assert response.status_code == 400
    assert list(response.context["convert_form"].errors) == ["department"]


def test_a_request_is_converted_only_once(cast, channel):
    client = login_client(cast.users.coordinator)
    client.post(_url("request_convert", channel.own), _convert_data(cast))

    response = client.post(_url("request_convert", channel.own), _convert_data(cast))

    assert response.status_code == 400
    assert response.context["convert_form"].non_field_errors() == ["该诉求已转为问题，不能重复转办。"]
    with scopes_disabled():
        assert Problem.objects.count() == 1
        assert ProblemEvent.objects.count() == 1


def test_an_answered_request_may_still_be_converted(cast, channel):
    client = login_client(cast.users.coordinator)
    client.post(_url("request_answer", channel.own), {"reply": "正在协调"})

    response = client.post(_url("request_convert", channel.own), _convert_data(cast))

    assert response.status_code == 302
    item = reload(channel.own)
    assert (item.state, item.reply) == (State.CONVERTED, "正在协调")


def test_conversion_is_all_or_nothing(cast, channel, monkeypatch):
    def broken_notify(*args, **kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr("problems.request_forms.notify", broken_notify)
    client = login_client(cast.users.coordinator)

    with pytest.raises(RuntimeError):
        client.post(_url("request_convert", channel.own), _convert_data(cast))

    item = reload(channel.own)
    assert (item.state, item.problem_id) == (State.OPEN, None)
    with scopes_disabled():
        assert (Problem.objects.count(), ProblemEvent.objects.count()) == (0, 0)
        assert EnterpriseRequest.history.filter(id=item.pk).count() == 1  # only its creation


def test_a_city_coordinator_may_convert_a_county_request(cast, channel):
    response = login_client(cast.users.city_coordinator).post(
        _url("request_convert", channel.neighbour), _convert_data(cast, department=cast.departments.housing.pk)
    )

    assert response.status_code == 302
    with scopes_disabled():
        assert Problem.objects.get().project == cast.projects.road


# ---- junk, methods, query counts ----


@pytest.mark.parametrize("query", [{"state": "bogus"}, {"page": "abc"}, {"page": "-1", "state": "open"}, {"x": "y"}])
def test_junk_list_parameters_never_fail(cast, channel, query):
    for user in (cast.users.enterprise, cast.users.coordinator):
        assert login_client(user).get(LIST_URL, query).status_code == 200


def test_the_list_filters_by_state_with_counts(cast, channel):
    login_client(cast.users.coordinator).post(_url("request_answer", channel.general), {"reply": "好"})

    response = login_client(cast.users.coordinator).get(LIST_URL, {"state": "answered"})

    assert [item.subject for item in response.context["page"]] == ["希望增加公交线路"]
    assert response.context["tabs"] == [
        ("", "全部", 3),
        ("open", "待处理", 2),
        ("answered", "已答复", 1),
        ("converted", "已转为问题", 0),
    ]


@pytest.mark.parametrize(
    ("name", "method"),
    [("requests", "post"), ("request_detail", "post"), ("request_answer", "get"), ("request_convert", "get")],
)
def test_wrong_methods_are_refused(cast, channel, name, method):
    url = LIST_URL if name == "requests" else _url(name, channel.own)

    assert getattr(login_client(cast.users.coordinator), method)(url).status_code == 405


def _more_requests(cast, channel, count: int) -> None:
    with scopes_disabled():
        for index in range(count):
            item = _request(cast.users.enterprise, cast.projects.materials, subject=f"诉求{index}")
            if index % 2:
                problem = Problem.objects.create(
                    project=cast.projects.materials, category="land", description="x",
                    department=cast.departments.land, deadline=DEADLINE,
                )  # fmt: skip
                EnterpriseRequest.objects.filter(pk=item.pk).update(problem=problem, state=State.CONVERTED)


@pytest.mark.parametrize("user", ["enterprise", "coordinator"])
def test_the_list_runs_the_same_queries_for_few_or_many_requests(cast, channel, user):
    client = login_client(getattr(cast.users, user))

    counts = []
    for more in (0, 20):
        _more_requests(cast, channel, more)
        with CaptureQueriesContext(connection) as queries:
            client.get(LIST_URL)
        counts.append(len(queries))

    # 1 session, 2 user, 3 the user's region (scope), 4 counts by state, 5 unread notifications, 6 the page
    # (with project, submitter and problem), 7-9 session expiry.
    assert counts == [9, 9]


def test_the_detail_page_query_count(cast, channel):
    login_client(cast.users.coordinator).post(_url("request_convert", channel.own), _convert_data(cast))
    client = login_client(cast.users.enterprise)

    with CaptureQueriesContext(connection) as queries:
        client.get(_url("request_detail", channel.own))

    # 1 session, 2 user, 3 region, 4 the request with project, submitter, replier, problem, department and
    # leader, 5 unread notifications, 6-8 session expiry.
    assert len(queries) == 8


def test_the_enterprise_is_told_when_its_converted_problem_is_struck_off(cast):
    from problems.models import EnterpriseRequest, Problem

    with scopes_disabled():
        problem = Problem.objects.create(
            project=cast.projects.materials, category="land", description="用地指标未落实",
            department=cast.departments.land, deadline=datetime.date.today(), status="proposed",
            resolution="已调剂用地指标",
        )
        request = EnterpriseRequest.objects.create(
            submitted_by=cast.users.enterprise, project=cast.projects.materials, region=cast.region,
            category="land", subject="用地指标", text="用地指标未落实", state="converted", problem=problem,
        )
        problem.strike_off(by=cast.users.coordinator)
        message = Notification.objects.get(user=cast.users.enterprise)
    assert (message.text, message.url, message.kind) == (
        "您提出的诉求“用地指标”已办结销号：已调剂用地指标", f"/problems/requests/{request.pk}/", "request_resolved",
    )

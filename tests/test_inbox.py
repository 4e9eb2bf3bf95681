"""The department inbox (部门待办): open problems overdue first, pending approval items, closure figures.

The fixture's figures, worked by hand:
- 交城县自然资源局 (the handler's department): open problems due 10 and 3 days ago and in 5 and 20 days;
  closed in 2 days (on time), 4 days (on time) and 10 days (late): 3 closed, 66.7 % on time, median 4.0 days.
- 交城县住房和城乡建设局: one open problem (not overdue); closed in 1 day (on time) and 3 days (late):
  2 closed, 50.0 %, median 2.0 days.
- 文水县发展和改革局: closed in 6 days, on time: 1, 100.0 %, 6.0 days.
- 小店区发展和改革局: one overdue open problem, outside every 吕梁市 user's subtree.
"""

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from approvals.models import ApprovalItem
from lib import workdays
from problems.inbox import ClosureFigures, WorkdayIndex, department_lines, median_days
from problems.models import Problem, Status
from problems.models import today as problems_today

from .conftest import login_client

URL = reverse("problems:inbox")
DAY = datetime.timedelta(days=1)


def _problem(project, department, deadline, status=Status.REGISTERED, level=0, **fields) -> Problem:
    return Problem.objects.create(
        project=project, department=department, deadline=deadline, status=status, level=level,
        category="land", description=fields.pop("description", "用地指标未落实"), **fields,
    )  # fmt: skip


def _closed(project, department, days: float, on_time: bool) -> Problem:
    """A struck-off problem registered 30 days ago and closed ``days`` later."""
    created = timezone.now() - 30 * DAY
    problem = _problem(project, department, problems_today(), status=Status.STRUCK_OFF)
    Problem.objects.filter(pk=problem.pk).update(
        created_at=created, closed_at=created + days * DAY, closed_on_time=on_time
    )
    return problem


@pytest.fixture
def inbox(cast):
    today = problems_today()
    d, p = cast.departments, cast.projects
    with scopes_disabled():
        open_land = SimpleNamespace(
            later=_problem(p.materials, d.land, today + 20 * DAY),
            overdue_3=_problem(p.road, d.land, today - 3 * DAY, status=Status.IN_PROGRESS, level=1),
            soon=_problem(p.materials, d.land, today + 5 * DAY, status=Status.PROPOSED),
            overdue_10=_problem(p.materials, d.land, today - 10 * DAY, status=Status.RETURNED, level=2),
        )
        for days, on_time in ((2, True), (10, False), (4, True)):
            _closed(p.materials, d.land, days, on_time)
        housing_open = _problem(p.road, d.housing, today + 1 * DAY)
        _closed(p.road, d.housing, 1, True)
        _closed(p.road, d.housing, 3, False)
        _closed(p.hospital, d.wenshui_drc, 6, True)
        _problem(p.xiaodian, d.xiaodian_drc, today - 1 * DAY)
        # Applied-on order would be long, late, soon, fresh; the promised due dates order them late (due
        # about 27 days ago), soon (about two weeks ago), fresh (in about four weeks), long (in months).
        items = SimpleNamespace(
            late=_item(p.road, d.land, "用地预审", today - 30 * DAY, promised=2),
            soon=_item(p.materials, d.land, "建设用地规划许可", today - 60 * DAY, promised=30),
            fresh=_item(p.materials, d.land, "建设工程规划许可", today - 3 * DAY, promised=20),
            long=_item(p.road, d.land, "环境影响评价", today - 90 * DAY, promised=120),
            not_started=_item(p.materials, d.land, "施工许可", None),
        )
        _item(p.materials, d.land, "已办结的用地预审", today - 60 * DAY, status=ApprovalItem.Status.APPROVED)
        _item(p.materials, d.housing, "住建施工许可", today - 90 * DAY)
    return SimpleNamespace(open_land=open_land, housing_open=housing_open, items=items)


def _item(project, department, name, applied_on, status=None, promised=10) -> ApprovalItem:
    if status is None:
        status = ApprovalItem.Status.IN_PROGRESS if applied_on else ApprovalItem.Status.NOT_STARTED
    return ApprovalItem.objects.create(
        project=project, department=department, kind="other", name=name, status=status, applied_on=applied_on,
        approved_on=applied_on + 20 * DAY if status == ApprovalItem.Status.APPROVED else None,
        statutory_days=max(promised, 20), promised_days=promised,
    )  # fmt: skip


def _figures(closure: ClosureFigures) -> tuple:
    return closure.closed, closure.on_time, closure.on_time_share, closure.median_days


# ---- the handler's inbox ----


def test_handler_sees_its_open_problems_overdue_first_then_by_deadline(cast, inbox):
    response = login_client(cast.users.handler).get(URL)

    o = inbox.open_land
    assert response.status_code == 200
    assert response.context["department"] == cast.departments.land
    assert list(response.context["problems"].object_list) == [o.overdue_10, o.overdue_3, o.soon, o.later]
    rows = [(p.days_overdue(), p.get_level_display()) for p in response.context["problems"].object_list]
    assert rows == [(10, "县领导挂牌督办"), (3, "包联领导督办"), (0, "部门督办"), (0, "部门督办")]
    html = response.content.decode()
    assert html.count('data-testid="problem-row"') == 4
    assert '<strong class="text-danger">10</strong>' in html
    assert "县领导挂牌督办" in html


def test_handler_line_has_exact_figures(cast, inbox):
    response = login_client(cast.users.handler).get(URL)

    line = response.context["line"]
    assert (line.open, line.overdue) == (4, 2)
    assert _figures(line.closure) == (3, 2, Decimal("66.7"), 4.0)
    html = response.content.decode()
    assert '<div class="value" data-testid="on-time-share">66.7%</div>' in html
    assert '<div class="value" data-testid="median-days">4.0 天</div>' in html
    assert "table" not in response.context  # a handler has no table of other departments
    assert 'data-testid="department-picker"' not in html


def test_handler_sees_its_pending_approval_items_earliest_due_first(cast, inbox):
    response = login_client(cast.users.handler).get(URL)

    i = inbox.items
    rows = response.context["item_rows"]
    assert [item for item, _urgency in rows] == [i.late, i.soon, i.fresh, i.long, i.not_started]
    with scopes_disabled():  # the reference: each item's own calendar walk
        assert [urgency for _item, urgency in rows] == [item.urgency(problems_today()) for item, _u in rows]
    assert [u.is_overdue for _item, u in rows[:4]] == [True, True, False, False]
    assert rows[-1][1] is None
    html = response.content.decode()
    assert html.count('data-testid="overdue"') == 2
    assert "未申报" in html


def test_handler_asking_for_another_department_is_not_found(cast, inbox):
    client = login_client(cast.users.handler)

    statuses = [
        client.get(URL, {"department": department.pk}).status_code
        for department in (cast.departments.housing, cast.departments.xiaodian_drc)
    ]

    assert statuses == [404, 404]
    assert client.get(URL, {"department": cast.departments.land.pk}).status_code == 200


@pytest.mark.parametrize("role", ["reporter", "leader", "promoter", "enterprise"])
def test_roles_without_an_inbox_are_forbidden(cast, role):
    assert login_client(getattr(cast.users, role)).get(URL).status_code == 403


def test_anonymous_is_sent_to_login(db):
    from django.test import Client

    response = Client().get(URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={URL}"


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc", "items_page": "-3"},
        {"page": "99999"},
        {"department": "abc"},  # a handler asking for anything but its own department
        {"department": ""},
        {"unknown": "x"},
    ],
)
def test_junk_parameters_never_fail(cast, inbox, query):
    response = login_client(cast.users.handler).get(URL, query)

    assert response.status_code == (404 if query.get("department") else 200)


def test_pages_of_problems_and_items_are_separate(cast, inbox, monkeypatch):
    monkeypatch.setattr("problems.inbox_views.PAGE_SIZE", 2)

    response = login_client(cast.users.handler).get(URL, {"page": 2, "items_page": 1})

    o, i = inbox.open_land, inbox.items
    assert list(response.context["problems"].object_list) == [o.soon, o.later]
    assert [item for item, _urgency in response.context["item_rows"]] == [i.late, i.soon]
    html = response.content.decode()
    assert "?items_page=1&page=1" in html  # back to the first page of problems, items kept
    assert "?page=2&items_page=2" in html


# ---- coordinators ----


def test_coordinator_without_a_department_sees_the_table_of_its_subtree(cast, inbox):
    response = login_client(cast.users.coordinator).get(URL)

    lines = response.context["table_rows"]
    table = {line.department.name: (line.open, line.overdue, *_figures(line.closure)) for line in lines}
    assert table == {
        "交城县自然资源局": (4, 2, 3, 2, Decimal("66.7"), 4.0),
        "交城县住房和城乡建设局": (1, 0, 2, 1, Decimal("50.0"), 2.0),
        "交城县发展和改革局": (0, 0, 0, 0, None, None),
    }
    # The departments' own order: region, then name.
    assert [line.department.name for line in lines] == [
        "交城县住房和城乡建设局",
        "交城县发展和改革局",
        "交城县自然资源局",
    ]
    assert response.context["department"] is None
    assert "problems" not in response.context
    assert 'data-testid="choose-department"' in response.content.decode()


def test_city_coordinator_table_adds_the_other_county(cast, inbox):
    response = login_client(cast.users.city_coordinator).get(URL)

    table = {line.department.name: _figures(line.closure) for line in response.context["table_rows"]}
    assert table == {
        "文水县发展和改革局": (1, 1, Decimal("100.0"), 6.0),
        "交城县住房和城乡建设局": (2, 1, Decimal("50.0"), 2.0),
        "交城县发展和改革局": (0, 0, None, None),
        "交城县自然资源局": (3, 2, Decimal("66.7"), 4.0),
    }


@pytest.mark.parametrize(
    ("user", "choices"),
    [
        ("coordinator", {"drc", "land", "housing"}),
        ("admin", {"drc", "land", "housing"}),
        ("city_coordinator", {"drc", "land", "housing", "wenshui_drc"}),
        ("province_coordinator", {"drc", "land", "housing", "wenshui_drc", "xiaodian_drc"}),
        ("outsider", {"xiaodian_drc"}),
    ],
)
def test_department_selector_offers_exactly_the_subtree(cast, user, choices):
    response = login_client(getattr(cast.users, user)).get(URL)

    names = {str(department.pk): name for name, department in vars(cast.departments).items()}
    values = re.findall(r'<option value="(\d*)"', response.content.decode())
    assert values[0] == ""  # "choose a department"
    assert {names[value] for value in values[1:]} == choices
    assert len(values) == len(choices) + 1


def test_coordinator_choosing_a_department_sees_its_inbox(cast, inbox):
    response = login_client(cast.users.coordinator).get(URL, {"department": cast.departments.land.pk})

    o = inbox.open_land
    assert list(response.context["problems"].object_list) == [o.overdue_10, o.overdue_3, o.soon, o.later]
    i = inbox.items
    assert [item for item, _urgency in response.context["item_rows"]] == [
        i.late,
        i.soon,
        i.fresh,
        i.long,
        i.not_started,
    ]
    assert _figures(response.context["line"].closure) == (3, 2, Decimal("66.7"), 4.0)
    assert f'<option value="{cast.departments.land.pk}" selected>' in response.content.decode()


def test_coordinator_choosing_a_department_without_problems_sees_empty_lists(cast, inbox):
    response = login_client(cast.users.coordinator).get(URL, {"department": cast.departments.drc.pk})

    line = response.context["line"]
    assert (line.open, line.overdue, line.closure) == (0, 0, ClosureFigures())
    html = response.content.decode()
    assert 'data-testid="no-problems"' in html
    assert 'data-testid="no-items"' in html


@pytest.mark.parametrize("department", ["xiaodian_drc", "wenshui_drc"])
def test_coordinator_choosing_a_department_outside_its_subtree_is_not_found(cast, inbox, department):
    pk = getattr(cast.departments, department).pk

    response = login_client(cast.users.coordinator).get(URL, {"department": pk})

    assert response.status_code == 404


def test_city_coordinator_may_open_a_county_department(cast, inbox):
    response = login_client(cast.users.city_coordinator).get(URL, {"department": cast.departments.housing.pk})

    assert list(response.context["problems"].object_list) == [inbox.housing_open]


# ---- the figures on their own ----


def _figures_of(cast, closed: list[tuple[float, bool]]) -> tuple:
    with scopes_disabled():
        for days, on_time in closed:
            _closed(cast.projects.materials, cast.departments.drc, days, on_time)
        [line] = department_lines([cast.departments.drc], Problem.objects.all())
    return _figures(line.closure)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(cast):
    closed = [(10, False), (1, True), (4, False), (2, True)]

    assert _figures_of(cast, closed) == (4, 2, Decimal("50.0"), 3.0)


def test_median_counts_fractions_of_a_day(cast):
    assert _figures_of(cast, [(0.5, True), (1.5, True), (1.4, True)]) == (3, 3, Decimal("100.0"), 1.4)


def test_no_closed_problem_has_no_share_and_no_median(cast):
    assert _figures_of(cast, []) == (0, 0, None, None)


def test_the_share_is_rounded_to_one_decimal():
    assert [ClosureFigures(3, 1).on_time_share, ClosureFigures(3, 2).on_time_share] == [
        Decimal("33.3"),
        Decimal("66.7"),
    ]


def test_department_lines_count_in_one_query_and_time_in_another(cast, inbox):
    from org.models import Department

    with scopes_disabled():
        departments = list(Department.objects.order_by("pk"))
        with CaptureQueriesContext(connection) as queries:
            lines = department_lines(departments, Problem.objects.all())

    assert len(queries) == 2  # the counts by department, the days to close
    d = cast.departments
    assert [(line.department, line.open, line.overdue, *_figures(line.closure)) for line in lines] == [
        (d.drc, 0, 0, 0, 0, None, None),
        (d.land, 4, 2, 3, 2, Decimal("66.7"), 4.0),
        (d.housing, 1, 0, 2, 1, Decimal("50.0"), 2.0),
        (d.wenshui_drc, 0, 0, 1, 1, Decimal("100.0"), 6.0),
        (d.xiaodian_drc, 1, 1, 0, 0, None, None),
    ]


def test_medians_are_read_for_the_departments_asked_for_only(cast, inbox):
    with scopes_disabled():
        medians = median_days(Problem.objects.filter(department=cast.departments.housing))

    assert medians == {cast.departments.housing.pk: 2.0}


def test_the_table_is_paged_over_the_departments(cast, inbox, monkeypatch):
    monkeypatch.setattr("problems.inbox_views.TABLE_PAGE_SIZE", 1)

    response = login_client(cast.users.city_coordinator).get(URL, {"table_page": 2})

    # 文水县 sorts before 交城县 (region codes), then 交城县's departments by name.
    assert [line.department for line in response.context["table_rows"]] == [cast.departments.housing]
    assert response.context["table"].paginator.count == 4
    assert _figures(response.context["table_rows"][0].closure) == (2, 1, Decimal("50.0"), 2.0)
    html = response.content.decode()
    assert "&table_page=1" in html
    assert "&table_page=3" in html


def test_a_chosen_department_shows_its_line_without_the_table(cast, inbox):
    response = login_client(cast.users.city_coordinator).get(URL, {"department": cast.departments.wenshui_drc.pk})

    assert _figures(response.context["line"].closure) == (1, 1, Decimal("100.0"), 6.0)
    assert "table_rows" not in response.context
    html = response.content.decode()
    assert 'data-testid="department-table"' not in html
    assert 'data-testid="all-departments"' in html


@pytest.mark.parametrize("n", [0, 1, 5, 20, 60])
def test_workday_index_counts_as_the_calendar_does(db, n):
    # Across the 2026 Spring Festival and National Day holidays, with their make-up working days.
    starts = [datetime.date(2026, 1, 20) + 3 * DAY * k for k in range(90)]
    index = WorkdayIndex.for_items([(start, n) for start in starts], datetime.date(2026, 6, 1))

    assert [index.add(start, n) for start in starts] == [workdays.add_workdays(start, n) for start in starts]
    ends = [start + (n + 5) * DAY for start in starts]
    assert [index.between(s, e) for s, e in zip(starts, ends, strict=True)] == [
        workdays.workdays_between(s, e) for s, e in zip(starts, ends, strict=True)
    ]
    assert index.between(ends[0], starts[0]) == -workdays.workdays_between(starts[0], ends[0])


# ---- query counts ----


def _more_problems(cast, count: int) -> None:
    with scopes_disabled():
        for index in range(count):
            department = cast.departments.land if index % 2 else cast.departments.housing
            _problem(cast.projects.materials, department, problems_today() - index * DAY, leader=cast.users.leader)
            _closed(cast.projects.road, department, index + 1, bool(index % 3))
            _item(cast.projects.road, department, f"事项{index}", problems_today() - index * DAY)


def _count(client, query: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, query).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("user", "query", "expected"),
    [
        # 1 session, 2 user, 3 the user's region (scope), 4 its department, 5 open and overdue counts (also the
        # paginator's count), 6 closure durations, 7 pending items' keys, applied dates and limits (ordered
        # by due date in Python), 8 the admin-entered calendar days, 9 the page of items (with projects),
        # 10 unread notifications, 11 the problems page (with projects and leaders), 12-14 session expiry.
        ("handler", {}, 14),
        # 1 session, 2 user, 3 region, 4 the subtree's departments (with regions), 5 the counts of the table
        # page's departments (one GROUP BY), 6 their days to close, 7 unread notifications, 8-10 session expiry.
        ("coordinator", {}, 10),
        # 1-4 as above, 5 the department's counts, 6 its days to close, 7 pending items' keys, 8 the calendar,
        # 9 the items page, 10 unread notifications, 11 the problems page, 12-14 session expiry: no table.
        ("coordinator", {"department": "land"}, 14),
    ],
)
def test_inbox_query_count_does_not_grow_with_the_rows(cast, inbox, user, query, expected):
    client = login_client(getattr(cast.users, user))
    query = {k: getattr(cast.departments, v).pk for k, v in query.items()}

    before = _count(client, query)
    _more_problems(cast, 12)
    after = _count(client, query)

    assert (before, after) == (expected, expected)

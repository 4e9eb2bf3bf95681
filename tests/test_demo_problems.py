"""The demo's problems, enterprise requests and approval checklists (problems/demo.py, approvals/demo.py)."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from approvals.models import ApprovalItem, ItemStatus
from lib import workdays
from problems.demo import MOVES, TO_COUNTY_DAYS, TO_LEADER_DAYS
from problems.models import EnterpriseRequest, Level, Problem, ProblemEvent, Status
from projects.models import Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    out = StringIO()
    call_command("demo", "--projects", "120", stdout=out)
    return out.getvalue()


def test_demo_problems_sit_on_live_projects_with_a_department_of_their_own_government(demo):
    with scopes_disabled():
        problems = list(Problem.objects.select_related("project__region", "department__region"))

    assert len(problems) >= 10
    for problem in problems:
        assert problem.project.stage in (Stage.SIGNED, Stage.PREPARING, Stage.CONSTRUCTION)
        assert problem.region_path == problem.project.region.path
        assert problem.project.region.path.startswith(problem.department.region.path)
        assert problem.created_at <= timezone.now()


def test_demo_problems_cover_every_state_and_escalate_overdue_ones_by_the_default_rules(demo):
    today = timezone.localdate()
    with scopes_disabled():
        problems = list(Problem.objects.all())

    assert {problem.status for problem in problems} >= {Status.STRUCK_OFF, Status.IN_PROGRESS, Status.REGISTERED}
    for problem in problems:
        if problem.status == Status.STRUCK_OFF:
            assert problem.closed_at is not None and problem.resolution
            assert problem.closed_on_time == (timezone.localdate(problem.closed_at) <= problem.deadline)
            assert problem.level == Level.DEPARTMENT
        else:
            late = (today - problem.deadline).days
            expected = Level.COUNTY if late >= TO_COUNTY_DAYS else Level.LEADER if late >= TO_LEADER_DAYS else 0
            assert problem.level == expected
            assert problem.closed_at is None


def test_each_demo_problem_has_a_timeline_from_registration_to_its_state(demo):
    with scopes_disabled():
        problems = {problem.pk: problem for problem in Problem.objects.all()}
        timelines: dict[int, list[ProblemEvent]] = {}
        for event in ProblemEvent.objects.order_by("at", "pk"):
            timelines.setdefault(event.problem_id, []).append(event)

    assert set(timelines) == set(problems)
    for pk, events in timelines.items():
        assert events[0].action == "register"
        assert events[-1].to_status == problems[pk].status
        for event in events:
            assert (event.from_status, event.to_status) == MOVES[event.action]
        assert [event.at for event in events] == sorted(event.at for event in events)


def test_the_county_enterprise_has_an_open_an_answered_and_a_converted_request(demo):
    with scopes_disabled():
        requests = list(EnterpriseRequest.objects.select_related("submitted_by", "problem__project"))

    assert Counter(request.state for request in requests) == {"open": 1, "answered": 1, "converted": 1}
    assert {request.submitted_by.username for request in requests} == {"county_enterprise"}
    converted = next(request for request in requests if request.state == "converted")
    assert converted.problem.project.credit_code == converted.submitted_by.credit_code
    answered = next(request for request in requests if request.state == "answered")
    assert answered.reply and answered.replied_by.username == "county_coordinator"


def test_demo_checklists_count_their_handling_days_as_the_model_does(demo):
    today = timezone.localdate()
    with scopes_disabled():
        items = list(ApprovalItem.objects.select_related("project"))

    assert len(items) >= 100
    assert {item.status for item in items} >= {ItemStatus.APPROVED, ItemStatus.IN_PROGRESS, ItemStatus.NOT_STARTED}
    for item in items:
        if item.status == ItemStatus.APPROVED:
            assert item.handling_days == workdays.workdays_between(item.applied_on, item.approved_on)
            assert item.approved_on <= today and item.document_no
        if item.status == ItemStatus.IN_PROGRESS:
            assert item.applied_on <= today and item.approved_on is None
        if item.project.stage == Stage.CONSTRUCTION and item.project.started_on:
            assert item.status == ItemStatus.APPROVED
            assert item.approved_on <= item.project.started_on
        assert item.department is not None, item.name


def test_demo_problems_and_checklists_repeat_on_an_empty_database():
    def signature():
        with scopes_disabled():
            problems = list(
                Problem.objects.order_by("project__name", "description").values_list(
                    "project__name", "description", "status", "deadline", "level"
                )
            )
            items = list(
                ApprovalItem.objects.order_by("project__name", "sort_order").values_list(
                    "project__name", "name", "status", "applied_on", "approved_on"
                )
            )
        return problems, items

    runs = []
    for _ in range(2):
        with transaction.atomic():
            call_command("demo", "--projects", "60", stdout=StringIO())
            runs.append(signature())
            transaction.set_rollback(True)

    assert runs[0][0] and runs[0][1]
    assert runs[0] == runs[1]


def test_walking_back_working_days_lands_where_the_count_says():
    from approvals.demo import _workdays_before

    national_day_end = datetime.date(2025, 10, 11)  # the Saturday worked after the 2025 National Day holiday
    for n in (1, 3, 7, 20):
        assert workdays.workdays_between(_workdays_before(national_day_end, n), national_day_end) == n

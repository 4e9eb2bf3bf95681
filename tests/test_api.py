"""The REST API, reading: token and session authentication, the region scope for token users, rate limits,
pagination, the lists' filters (the same rows as the HTML lists for the same query), whole payloads, and
query counts that do not grow with the rows. Writes are in test_api_writes.py, the schema and the token
command in test_api_schema.py, the permission table in permission_rows/api.py.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api import serializers as s
from api.ledger import ledger_rows
from api.pagination import PagePagination
from approvals.models import ApprovalItem
from attraction.models import Agreement, FundArrival, Lead, TargetEnterprise
from org.models import Department, Region, User
from problems.models import Problem, Status
from projects.models import Project, Stage
from reports.models import MonthlyReport, Period, ReportStatus

from .conftest import ENTERPRISE_CODE, PASSWORD, THIS_YEAR

TODAY = timezone.localdate()
PROJECTS = reverse("api:project-list")
PROBLEMS = reverse("api:problem-list")
ITEMS = reverse("api:approval-item-list")
REPORTS = reverse("api:report-list")


@pytest.fixture(autouse=True)
def _fresh_rates():
    """The rate counters live in the cache, which outlives a test: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def api_client(user=None, *, token: str | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def token_for(user) -> str:
    with scopes_disabled():
        return Token.objects.get_or_create(user=user)[0].key


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def detail(name: str, pk: int) -> str:
    return reverse(f"api:{name}-detail", args=[pk])


def iso(moment: datetime.datetime) -> str:
    """A time as DRF writes it: local time with its offset."""
    return timezone.localtime(moment).isoformat()


# ---- authentication ----


def test_a_valid_token_reads_the_projects_of_its_users_region(cast):
    client = api_client(token=token_for(cast.users.coordinator))

    response = client.get(PROJECTS)

    assert ids(response) == [cast.projects.materials.pk, cast.projects.road.pk]


def test_a_token_user_runs_in_its_own_region_scope(cast):
    """No scope is active outside the request (no ``unscoped``): the API itself must set the token user's."""
    client = api_client(token=token_for(cast.users.outsider))

    own = client.get(detail("project", cast.projects.xiaodian.pk))
    foreign = client.get(detail("project", cast.projects.materials.pk))

    assert own.status_code == 200 and own.json()["name"] == "小店区智能制造产业园项目"
    assert foreign.status_code == 404


def test_an_unknown_token_is_refused_with_401(cast):
    response = api_client(token="0" * 40).get(PROJECTS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "认证令牌无效。"}


def test_the_token_of_an_inactive_user_is_refused(cast):
    key = token_for(cast.users.coordinator)
    with scopes_disabled():
        User.objects.filter(pk=cast.users.coordinator.pk).update(is_active=False)

    response = api_client(token=key).get(PROJECTS)

    assert response.status_code == 401
    assert response.json() == {"detail": "用户未激活或者已删除。"}


def test_a_request_without_credentials_is_refused_with_401(cast):
    response = APIClient().get(PROJECTS)

    assert response.status_code == 401
    assert response.json() == {"detail": "身份认证信息未提供。"}


def test_the_signed_in_session_works_too(cast):
    response = api_client(cast.users.leader).get(PROJECTS)

    assert ids(response) == [cast.projects.materials.pk, cast.projects.road.pk]


def test_an_enterprise_user_lists_only_its_own_projects_and_no_problems(cast):
    client = api_client(cast.users.enterprise)
    with scopes_disabled():
        Problem.objects.create(
            project=cast.projects.materials, category="land", description="用地", department=cast.departments.land,
            deadline=TODAY,
        )  # fmt: skip

    assert ids(client.get(PROJECTS)) == [cast.projects.materials.pk]
    assert ids(client.get(PROBLEMS)) == []


# ---- rate limits ----


@pytest.fixture
def low_rates(settings):
    rates = {"user": "3/minute", "anon": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_a_burst_over_the_users_rate_gets_429_and_other_users_are_unaffected(cast, low_rates):
    client = api_client(token=token_for(cast.users.coordinator))

    statuses = [client.get(PROJECTS).status_code for _ in range(4)]
    refused = client.get(PROJECTS)
    other = api_client(token=token_for(cast.users.leader)).get(PROJECTS)

    assert statuses == [200, 200, 200, 429]
    assert 0 < int(refused["Retry-After"]) <= 60
    assert other.status_code == 200


def test_a_burst_of_wrong_tokens_gets_429_after_the_anonymous_rate(cast, low_rates):
    guesses = [api_client(token=f"{n:040d}").get(PROJECTS).status_code for n in range(3)]
    without_credentials = APIClient().get(PROJECTS)  # refused before any query: not counted, plainly 401

    assert guesses == [401, 401, 429]
    assert without_credentials.status_code == 401


# ---- pagination ----


@pytest.fixture
def nine_projects(cast, make_project):
    """The county's two projects and seven more, from 7,000 down to 1,000 万元."""
    for index in range(7):
        make_project(name=f"分页项目{index}", total_investment=Decimal(7000 - 1000 * index))
    return cast


def test_a_page_names_the_count_and_its_neighbours(nine_projects):
    client = api_client(nine_projects.users.coordinator)

    first = client.get(PROJECTS, {"page_size": 4}).json()
    second = client.get(PROJECTS, {"page_size": 4, "page": 2}).json()
    last = client.get(PROJECTS, {"page_size": 4, "page": 3}).json()

    assert first["count"] == second["count"] == last["count"] == 9
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/projects/?page=2&page_size=4"
    assert second["previous"] == "http://testserver/api/projects/?page_size=4"
    assert second["next"] == "http://testserver/api/projects/?page=3&page_size=4"
    assert last["next"] is None
    names = [row["name"] for page in (first, second, last) for row in page["results"]]
    assert names == [
        "华鑫年产5万吨特种石墨项目", "交城县城区道路提质改造工程", *[f"分页项目{index}" for index in range(7)],
    ]  # fmt: skip


def test_pages_read_from_the_end_hold_exactly_the_rows_of_the_list(cast, make_project):
    """The second half of a list is read backwards (api/pagination.py): ties included, no row moves or repeats."""
    for index in range(11):
        make_project(name=f"同额项目{index}", total_investment=Decimal("5000"))
    client = api_client(cast.users.coordinator)

    pages = [ids(client.get(PROJECTS, {"page_size": 3, "page": number})) for number in range(1, 6)]

    with scopes_disabled():
        everything = list(Project.objects.filter(region=cast.region).values_list("pk", flat=True))
    assert [key for page in pages for key in page] == everything
    assert [len(page) for page in pages] == [3, 3, 3, 3, 1]


def test_page_size_is_capped(nine_projects, monkeypatch):
    monkeypatch.setattr(PagePagination, "max_page_size", 5)
    client = api_client(nine_projects.users.coordinator)

    page = client.get(PROJECTS, {"page_size": 1000}).json()

    assert len(page["results"]) == 5
    assert page["next"] == "http://testserver/api/projects/?page=2&page_size=1000"


def test_the_default_page_size_is_the_setting(nine_projects, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 2}

    page = api_client(nine_projects.users.coordinator).get(PROJECTS).json()

    assert len(page["results"]) == 2 and page["count"] == 9


def test_a_page_past_the_end_is_not_found(nine_projects):
    response = api_client(nine_projects.users.coordinator).get(PROJECTS, {"page": 9})

    assert response.status_code == 404
    assert response.json() == {"detail": "无效页面。"}


# ---- filters: the same rows as the HTML lists ----


@pytest.fixture
def ledger(cast, make_project):
    """Besides the cast's projects: an archived one and a stalled zone project with its own leader."""
    with scopes_disabled():
        make_project(name="已归档的旧厂房", archived_at=timezone.now(), total_investment=Decimal("500"))
        zone = make_project(
            name="开发区标准化厂房", zone=cast.regions.zone, leader=cast.users.leader, department=cast.departments.land,
            stage=Stage.PLANNING, level="county", total_investment=Decimal("2500"), plan=Decimal("900"),
        )  # fmt: skip
        zone.chain_tags.set([cast.tags.tourism])
    return cast


PROJECT_QUERIES = [
    "",
    "stage=construction",
    "category=urban",
    "q=石墨",
    "q=2024-141122",
    "level=provincial&nature=new",
    "archived=on",
    "sort=-annual_plan",
    "sort=name",
    "sort=planned_start_on&stage=construction",
]


@pytest.mark.parametrize("query", PROJECT_QUERIES)
def test_the_project_filters_give_the_rows_of_the_ledger(ledger, query):
    user = ledger.users.city_coordinator
    html = api_client(user).get(f"{reverse('projects:list')}?{query}")

    response = api_client(user).get(f"{PROJECTS}?{query}")

    assert ids(response) == [project.pk for project in html.context["page"].object_list]


@pytest.mark.parametrize("choice", ["region=zone", "region=wenshui", "chain_tag=tourism", "leader", "department"])
def test_the_project_filters_by_related_rows_give_the_rows_of_the_ledger(ledger, choice):
    values = {
        "region=zone": f"region={ledger.regions.zone.pk}",
        "region=wenshui": f"region={ledger.regions.wenshui.pk}",
        "chain_tag=tourism": f"chain_tag={ledger.tags.tourism.pk}",
        "leader": f"leader={ledger.users.city_leader.pk}",
        "department": f"department={ledger.departments.land.pk}",
    }
    query, user = values[choice], ledger.users.city_coordinator
    html = api_client(user).get(f"{reverse('projects:list')}?{query}")

    response = api_client(user).get(f"{PROJECTS}?{query}")

    assert ids(response) and ids(response) == [project.pk for project in html.context["page"].object_list]


def test_a_filter_outside_the_users_region_is_bad_input(ledger):
    response = api_client(ledger.users.coordinator).get(PROJECTS, {"region": ledger.regions.xiaodian.pk})

    assert response.status_code == 400
    assert response.json() == {"region": ["选择一个有效的选项： 该选择不在可用的选项中。"]}


def test_the_annual_plan_column_follows_the_year(cast):
    client = api_client(cast.users.coordinator)

    this_year = client.get(PROJECTS).json()["results"]
    last_year = client.get(PROJECTS, {"year": THIS_YEAR - 1}).json()["results"]

    assert [row["annual_plan"] for row in this_year] == ["30000.00", "3000.00"]
    assert [row["annual_plan"] for row in last_year] == ["20000.00", None]


@pytest.fixture
def problems(cast):
    """Open, overdue, proposed and struck-off problems on the county's and the hospital's projects."""
    rows = [
        (cast.projects.materials, "land", cast.departments.land, -3, Status.REGISTERED, "二期用地指标未落实"),
        (cast.projects.materials, "funding", cast.departments.drc, 5, Status.IN_PROGRESS, "配套资金缺口"),
        (cast.projects.road, "demolition", cast.departments.housing, 12, Status.PROPOSED, "沿街商铺征拆"),
        (cast.projects.road, "utilities", cast.departments.land, 2, Status.STRUCK_OFF, "临时用电"),
        (cast.projects.hospital, "approvals", cast.departments.wenshui_drc, -1, Status.RETURNED, "施工许可"),
    ]
    with scopes_disabled():
        for project, category, department, days, status, text in rows:
            Problem.objects.create(
                project=project, category=category, department=department, description=text, status=status,
                deadline=TODAY + datetime.timedelta(days=days),
            )  # fmt: skip
    return cast


PROBLEM_QUERIES = [
    "", "status=open", "status=struck_off", "category=land", "overdue=on", "q=用地", "q=2024-141122-48-01-000002",
    "sort=-created_at", "sort=level", "level=0",
]  # fmt: skip


@pytest.mark.parametrize("query", PROBLEM_QUERIES)
def test_the_problem_filters_give_the_rows_of_the_problem_list(problems, query):
    user = problems.users.city_coordinator
    html = api_client(user).get(f"{reverse('problems:list')}?{query}")

    response = api_client(user).get(f"{PROBLEMS}?{query}")

    assert ids(response) == [problem.pk for problem in html.context["page"].object_list]


@pytest.mark.parametrize("related", ["department", "region"])
def test_the_problem_filters_by_related_rows_give_the_rows_of_the_problem_list(problems, related):
    query = {"department": f"department={problems.departments.land.pk}", "region": f"region={problems.region.pk}"}
    user = problems.users.city_coordinator
    html = api_client(user).get(f"{reverse('problems:list')}?{query[related]}")

    response = api_client(user).get(f"{PROBLEMS}?{query[related]}")

    assert len(ids(response)) == {"department": 2, "region": 4}[related]
    assert ids(response) == [problem.pk for problem in html.context["page"].object_list]


def test_a_handler_lists_only_its_departments_problems(problems):
    response = api_client(problems.users.handler).get(PROBLEMS)

    with scopes_disabled():
        land = list(Problem.objects.filter(department=problems.departments.land).order_by("deadline", "pk"))
    assert ids(response) == [problem.pk for problem in land]


@pytest.fixture
def items(cast):
    """Approval items: overdue, running, approved and not started, in two counties and departments."""
    rows = [
        (cast.projects.materials, "land_preview", cast.departments.land, "in_progress", 40, None),
        (cast.projects.materials, "eia", cast.departments.drc, "in_progress", 1, None),
        (cast.projects.road, "project_approval", cast.departments.drc, "approved", 30, 10),
        (cast.projects.road, "construction_permit", cast.departments.housing, "not_started", None, None),
        (cast.projects.hospital, "eia", cast.departments.wenshui_drc, "in_progress", 60, None),
    ]
    with scopes_disabled():
        for project, kind, department, status, applied, approved in rows:
            ApprovalItem.objects.create(
                project=project, kind=kind, name=kind, department=department, status=status, statutory_days=20,
                promised_days=10, applied_on=applied and TODAY - datetime.timedelta(days=applied),
                approved_on=approved and TODAY - datetime.timedelta(days=approved),
            )  # fmt: skip
    return cast


ITEM_QUERIES = ["", "status=pending", "status=approved", "kind=eia", "overdue=on", "q=道路", "q=2023-141121"]


@pytest.mark.parametrize("query", ITEM_QUERIES)
def test_the_approval_filters_give_the_rows_of_the_approval_list(items, query):
    user = items.users.city_coordinator
    html = api_client(user).get(f"{reverse('approvals:list')}?{query}")

    response = api_client(user).get(f"{ITEMS}?{query}")

    assert ids(response) == [item.pk for item in html.context["page"].object_list]


@pytest.mark.parametrize("related", ["department", "region"])
def test_the_approval_filters_by_related_rows_give_the_rows_of_the_approval_list(items, related):
    query = {"department": f"department={items.departments.drc.pk}", "region": f"region={items.regions.wenshui.pk}"}
    user = items.users.city_coordinator
    html = api_client(user).get(f"{reverse('approvals:list')}?{query[related]}")

    response = api_client(user).get(f"{ITEMS}?{query[related]}")

    assert ids(response) and ids(response) == [item.pk for item in html.context["page"].object_list]


def test_an_approval_items_clock_counts_working_days(items):
    rows = api_client(items.users.coordinator).get(ITEMS, {"kind": "land_preview"}).json()["results"]

    with scopes_disabled():
        item = ApprovalItem.objects.get(kind="land_preview")
    urgency = item.urgency(TODAY)
    assert rows[0]["clock"] == {
        "due_on": urgency.due.date.isoformat(),
        "covered": urgency.due.covered,
        "days_left": urgency.days_left,
        "overdue": True,
    }
    assert urgency.days_left < 0


@pytest.fixture
def deals(cast):
    """Leads of the county and of 文水县 (one dropped, one signed with an agreement past its start, one signed
    with money arrived), and one in 小店区."""
    with scopes_disabled():
        rows = []
        for region, name, stage, signed, start, arrived in (
            (
                cast.region,
                "碳纤维复合材料项目",
                "signed",
                TODAY - datetime.timedelta(days=90),
                TODAY - datetime.timedelta(days=10),
                "1200",
            ),
            (
                cast.region,
                "光伏组件项目",
                "signed",
                TODAY - datetime.timedelta(days=30),
                TODAY + datetime.timedelta(days=60),
                None,
            ),
            (cast.regions.wenshui, "中药材深加工项目", "negotiating", None, None, None),
            (cast.regions.xiaodian, "智能装备项目", "signed", TODAY - datetime.timedelta(days=5), TODAY, None),
        ):
            enterprise = TargetEnterprise.objects.create(region=region, name=f"{name}投资有限公司")
            lead = Lead.objects.create(
                region=region,
                enterprise=enterprise,
                name=name,
                stage=stage,
                intended_investment=Decimal("20000"),
                promoter=cast.users.promoter if region == cast.region else None,
            )
            if signed:
                agreement = Agreement.objects.create(
                    lead=lead,
                    region=region,
                    name=name,
                    contracted_investment=Decimal("18000"),
                    signed_on=signed,
                    agreed_start_on=start,
                )
                if arrived:
                    FundArrival.objects.create(agreement=agreement, arrived_on=signed, amount=Decimal(arrived))
            rows.append(lead)
    cast.leads = rows
    return cast


@pytest.mark.parametrize("query", ["", "state=stalled", "state=waiting", f"year={TODAY.year}", "q=光伏"])
def test_the_agreement_filters_give_the_rows_of_the_agreement_list(deals, query):
    user = deals.users.city_coordinator
    html = api_client(user).get(f"{reverse('attraction:agreements')}?{query}")

    response = api_client(user).get(f"{reverse('api:agreement-list')}?{query}")

    assert ids(response) == [agreement.pk for agreement in html.context["page"].object_list]


def test_an_agreements_payload_carries_the_money_arrived_and_its_stalled_flag(deals):
    with scopes_disabled():
        agreement = Agreement.objects.get(name="碳纤维复合材料项目")

    response = api_client(deals.users.promoter).get(detail("agreement", agreement.pk))

    assert response.json() == {
        "id": agreement.pk,
        "name": "碳纤维复合材料项目",
        "lead": agreement.lead_id,
        "enterprise": {"id": agreement.lead.enterprise_id, "name": "碳纤维复合材料项目投资有限公司"},
        "region": {"id": deals.region.pk, "code": "141122", "name": "交城县"},
        "contracted_investment": "18000.00",
        "arrived": "1200.00",
        "signed_on": (TODAY - datetime.timedelta(days=90)).isoformat(),
        "agreed_start_on": (TODAY - datetime.timedelta(days=10)).isoformat(),
        "past_agreed_start": True,
        "obligations": "",
        "project": None,
        "created_at": iso(agreement.created_at),
        "updated_at": iso(agreement.updated_at),
    }


def test_leads_are_for_the_attraction_roles_of_the_region_only(deals):
    stages = api_client(deals.users.city_leader).get(reverse("api:lead-list"), {"stage": "signed"}).json()
    handler = api_client(deals.users.handler).get(reverse("api:lead-list"))

    assert [row["name"] for row in stages["results"]] == ["光伏组件项目", "碳纤维复合材料项目"]
    assert stages["results"][0]["promoter"] == {"id": deals.users.promoter.pk, "name": "吴招商"}
    assert handler.status_code == 403


# ---- whole payloads ----


def test_a_projects_payload_in_full(cast):
    project = cast.projects.materials

    response = api_client(cast.users.coordinator).get(detail("project", project.pk))

    assert response.status_code == 200
    assert response.json() == {
        "id": project.pk,
        "name": "华鑫年产5万吨特种石墨项目",
        "national_code": "2023-141122-26-03-000001",
        "owner_name": "山西华鑫新材料有限公司",
        "credit_code": ENTERPRISE_CODE,
        "level": "provincial",
        "category": "industry",
        "nature": "new",
        "stage": "construction",
        "region": {"id": cast.region.pk, "code": "141122", "name": "交城县"},
        "zone": {"id": cast.regions.zone.pk, "code": "141122901", "name": "交城经济开发区"},
        "department": {"id": cast.departments.drc.pk, "name": "交城县发展和改革局"},
        "leader": {"id": cast.users.leader.pk, "name": "王建国"},
        "chain_tags": [{"id": cast.tags.steel.pk, "name": "特钢"}, {"id": cast.tags.materials.pk, "name": "新材料"}],
        "total_investment": "120000.00",
        "annual_plan": "30000.00",
        "planned_start_on": "2024-03-01",
        "started_on": "2024-04-18",
        "planned_completion_on": "2026-12-31",
        "completed_on": None,
        "address": "交城经济开发区夏家营片区",
        "longitude": None,
        "latitude": None,
        "fund_government": "0.00",
        "fund_enterprise": "80000.00",
        "fund_bank_loans": "40000.00",
        "fund_special_bonds": "0.00",
        "fund_other": "0.00",
        "opening_completed": "0.00",
        "land_area": None,
        "expected_output": None,
        "expected_tax": None,
        "task_force": "",
        "reporters": [],
        "contact_name": "",
        "contact_phone": "",
        "description": "",
        "planned_reserve_on": None,
        "reserve_on": None,
        "planned_sign_on": None,
        "signed_on": "2023-05-10",
        "planned_preparing_on": None,
        "preparing_on": "2023-06-01",
        "planned_production_on": None,
        "production_on": None,
        "stopped_on": None,
        "stop_reason": "",
        "suspension_reason_code": "",
        "expected_resume_on": None,
        "suspension_confirmed_on": None,
        "plan_approved_at": None,
        "annual_plans": [{"year": THIS_YEAR - 1, "amount": "20000.00"}, {"year": THIS_YEAR, "amount": "30000.00"}],
        "milestones": [],
        "archived_at": None,
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
    }


def test_a_ledger_rows_payload_in_full(cast):
    road = cast.projects.road

    rows = api_client(cast.users.coordinator).get(PROJECTS, {"category": "urban"}).json()["results"]

    assert rows == [
        {
            "id": road.pk,
            "name": "交城县城区道路提质改造工程",
            "national_code": "2024-141122-48-01-000002",
            "owner_name": "交城县住房和城乡建设局",
            "credit_code": road.credit_code,
            "level": "county",
            "category": "urban",
            "nature": "continuing",
            "stage": "preparing",
            "region": {"id": cast.region.pk, "code": "141122", "name": "交城县"},
            "zone": None,
            "department": {"id": cast.departments.housing.pk, "name": "交城县住房和城乡建设局"},
            "leader": {"id": cast.users.city_leader.pk, "name": "刘副市长"},
            "chain_tags": [{"id": cast.tags.tourism.pk, "name": "文旅康养"}],
            "total_investment": "8000.00",
            "annual_plan": "3000.00",
            "planned_start_on": "2024-09-01",
            "started_on": None,
            "planned_completion_on": None,
            "completed_on": None,
            "archived_at": None,
            "updated_at": iso(road.updated_at),
        }
    ]


def test_the_fast_ledger_rows_are_the_serializers_rows(ledger, make_project):
    """api/ledger.py writes the list without the serializer: both must agree, field for field."""
    with scopes_disabled():
        Project.objects.filter(pk=ledger.projects.road.pk).update(archived_at=timezone.now(), leader=None)
        projects = list(
            Project.objects.with_annual_plan(THIS_YEAR - 1)  # only the graphite plant has last year's plan
            .select_related("region", "zone", "department", "leader")
            .prefetch_related("chain_tags")
            .order_by("pk")
        )
        assert len(projects) == 6 and any(p.zone for p in projects) and any(p.annual_plan is None for p in projects)

        fast = ledger_rows([project.pk for project in projects], THIS_YEAR - 1)
        slow = s.ProjectListSerializer(projects, many=True).data

    assert fast == slow
    assert [list(row) for row in fast] == [list(s.ProjectListSerializer.Meta.fields)] * 6


def test_a_problems_payload_names_the_moves_the_user_may_make(problems):
    with scopes_disabled():
        problem = Problem.objects.get(description="二期用地指标未落实")
    url = detail("problem", problem.pk)

    handler = api_client(problems.users.handler).get(url).json()
    coordinator = api_client(problems.users.coordinator).get(url).json()

    assert handler == {
        "id": problem.pk,
        "project": {"id": problems.projects.materials.pk, "name": "华鑫年产5万吨特种石墨项目",
                    "national_code": "2023-141122-26-03-000001"},
        "category": "land",
        "description": "二期用地指标未落实",
        "department": {"id": problems.departments.land.pk, "name": "交城县自然资源局"},
        "leader": None,
        "deadline": (TODAY - datetime.timedelta(days=3)).isoformat(),
        "status": "registered",
        "level": 0,
        "days_overdue": 3,
        "raised_by": None,
        "resolution": "",
        "created_at": iso(problem.created_at),
        "closed_at": None,
        "closed_on_time": None,
        "actions": ["accept", "propose"],
        "events": [],
    }  # fmt: skip
    assert coordinator["actions"] == ["accept", "propose"]
    assert {key: value for key, value in coordinator.items() if key != "actions"} == {
        key: value for key, value in handler.items() if key != "actions"
    }


def test_a_monthly_reports_payload_carries_its_running_totals(cast):
    project = cast.projects.materials
    with scopes_disabled():
        Project.objects.filter(pk=project.pk).update(opening_completed=Decimal("1000"))
        period = Period.for_month(cast.region, THIS_YEAR - 1, 12)
        MonthlyReport.objects.create(
            project=project, period=period, year=THIS_YEAR - 1, month=12, completed=Decimal("700"),
            status=ReportStatus.APPROVED,
        )  # fmt: skip
        january = Period.for_month(cast.region, THIS_YEAR, 1)
        report = MonthlyReport.objects.create(
            project=project, period=january, year=THIS_YEAR, month=1, completed=Decimal("300.5"),
            status=ReportStatus.APPROVED, progress="桩基完成", submitted_by=cast.users.reporter,
        )  # fmt: skip

    response = api_client(cast.users.leader).get(detail("report", report.pk))

    assert response.json() == {
        "id": report.pk,
        "project": {"id": project.pk, "name": project.name, "national_code": project.national_code},
        "year": THIS_YEAR,
        "month": 1,
        "completed": "300.50",
        "ytd_completed": "300.50",
        "since_start_completed": "2000.50",
        "progress": "桩基完成",
        "problems_text": "",
        "over_total_confirmed": False,
        "is_outlier": False,
        "status": "approved",
        "return_reason": "",
        "submitted_at": None,
        "submitted_by": {"id": cast.users.reporter.pk, "name": "孙填报"},
        "approved_at": None,
        "approved_by": None,
        "closes_on": f"{THIS_YEAR}-01-25",
        "period_closed": False,
        "created_at": iso(report.created_at),
        "updated_at": iso(report.updated_at),
        "corrections": [],
    }


def test_a_reporter_lists_only_the_reports_of_its_projects(cast):
    with scopes_disabled():
        cast.users.reporter.reported_projects.set([cast.projects.road])
        mine = _report(cast.projects.road, THIS_YEAR, 1)
        _report(cast.projects.materials, THIS_YEAR, 1)

    assert ids(api_client(cast.users.reporter).get(REPORTS)) == [mine.pk]
    assert len(ids(api_client(cast.users.coordinator).get(REPORTS))) == 2


def test_regions_and_departments_are_those_of_the_users_subtree(cast):
    client = api_client(cast.users.city_coordinator)

    regions = client.get(reverse("api:region-list")).json()["results"]
    departments = client.get(reverse("api:department-list"), {"region": cast.regions.wenshui.pk}).json()

    assert [(row["code"], row["name"], row["kind"]) for row in regions] == [
        ("141100", "吕梁市", "city"), ("141121", "文水县", "county"), ("141122", "交城县", "county"),
        ("141122901", "交城经济开发区", "zone"),
    ]  # fmt: skip
    assert departments["results"] == [
        {
            "id": cast.departments.wenshui_drc.pk,
            "name": "文水县发展和改革局",
            "short_name": "发改局",
            "region": {"id": cast.regions.wenshui.pk, "code": "141121", "name": "文水县"},
        }
    ]


# ---- query counts: the same at 3 and at 30 rows ----


def _report(project, year, month, status=ReportStatus.SUBMITTED) -> MonthlyReport:
    period = Period.for_month(project.region, year, month)
    return MonthlyReport.objects.create(
        project=project, period=period, year=year, month=month, completed=Decimal("10"), status=status
    )


def _many_projects(cast, make_project, count):
    for index in range(count - 2):  # the county has two already
        project = make_project(
            name=f"批量项目{index}", leader=cast.users.leader, department=cast.departments.land, zone=cast.regions.zone
        )
        with scopes_disabled():
            project.chain_tags.set([cast.tags.materials, cast.tags.tourism])


def _many_problems(cast, make_project, count):
    with scopes_disabled():
        for index in range(count):
            Problem.objects.create(
                project=cast.projects.materials if index % 2 else cast.projects.road, category="land",
                description=f"问题{index}", department=cast.departments.land, leader=cast.users.leader,
                raised_by=cast.users.coordinator, deadline=TODAY + datetime.timedelta(days=index - 5),
            )  # fmt: skip


def _many_items(cast, make_project, count):
    with scopes_disabled():
        for index in range(count):
            ApprovalItem.objects.create(
                project=cast.projects.materials, kind="other", name=f"事项{index}", department=cast.departments.land,
                status="in_progress", applied_on=TODAY - datetime.timedelta(days=index), statutory_days=20,
                promised_days=10,
            )  # fmt: skip


def _many_reports(cast, make_project, count):
    with scopes_disabled():
        for index in range(count):
            started = datetime.date(2024, 1, 1)
            project = make_project(name=f"月报项目{index}", stage=Stage.CONSTRUCTION, started_on=started)
            _report(project, THIS_YEAR, 1)
            MonthlyReport.objects.filter(project=project).update(submitted_by=cast.users.reporter)


def _many_departments(cast, make_project, count):
    with scopes_disabled():
        Department.objects.bulk_create(
            Department(region=cast.regions.zone, name=f"开发区部门{index}") for index in range(count)
        )


# Each list: the session, the user, the user's region, the count, the page (its related rows joined), what the
# page's rows need besides, and the session's save (a savepoint, the update, its release).
LISTS = {
    "project": (PROJECTS, _many_projects, 10),  # the page's keys, then its rows and their chain tags
    "problem": (PROBLEMS, _many_problems, 8),
    "approval-item": (ITEMS, _many_items, 9),  # + the admin-entered holidays, for the working-day clocks
    "report": (REPORTS, _many_reports, 8),
    "department": (reverse("api:department-list"), _many_departments, 8),
}


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_costs_the_same_queries_at_3_and_30_rows(cast, make_project, django_assert_num_queries, name, count):
    url, make, queries = LISTS[name]
    make(cast, make_project, count)
    client = api_client(cast.users.coordinator)

    with django_assert_num_queries(queries):
        response = client.get(url, {"page_size": 100})

    assert response.json()["count"] >= count


def test_a_token_request_costs_one_query_for_the_token_instead_of_two_for_the_session(
    cast, make_project, django_assert_num_queries
):
    client = api_client(token=token_for(cast.users.coordinator))

    with django_assert_num_queries(6):  # token with its user, the user's region, count, keys, rows, chain tags
        response = client.get(PROJECTS)

    assert response.status_code == 200


# ---- the browsable API, the schema and its documentation page ----


def test_the_browsable_api_shows_a_list_with_its_filters(cast):
    response = api_client(cast.users.coordinator).get(PROJECTS, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    page = response.content.decode()
    assert "华鑫年产5万吨特种石墨项目" in page and 'name="chain_tag"' in page
    assert "小店区智能制造产业园项目" not in page


def test_the_schema_is_served_to_signed_in_users_as_yaml_and_json(cast):
    client = api_client(cast.users.reporter)

    yaml = client.get(reverse("api:schema"))
    json = client.get(reverse("api:schema"), {"format": "json"})

    assert yaml.status_code == 200 and yaml.content.startswith(b"openapi: 3.0.3")
    assert json.json()["info"]["title"] == "重大项目建设管理平台 API"
    assert "/api/projects/{id}/stage/" in json.json()["paths"]


def test_the_documentation_page_loads_swagger_ui_from_this_site(cast):
    response = api_client(cast.users.reporter).get(reverse("api:docs"))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js">' in page
    assert 'data-schema-url="/api/schema/"' in page
    assert "http" not in page.split('id="swagger-ui"')[1]  # nothing from another site


def test_the_api_root_lists_the_resources(cast):
    response = api_client(cast.users.handler).get(reverse("api:api-root"))

    assert response.json() == {
        "regions": "http://testserver/api/regions/",
        "departments": "http://testserver/api/departments/",
        "projects": "http://testserver/api/projects/",
        "monthly-reports": "http://testserver/api/monthly-reports/",
        "problems": "http://testserver/api/problems/",
        "approval-items": "http://testserver/api/approval-items/",
        "leads": "http://testserver/api/leads/",
        "agreements": "http://testserver/api/agreements/",
        "targets": "http://testserver/api/targets/",
        "rankings": "http://testserver/api/rankings/",
        "batches": "http://testserver/api/batches/",
        "stalled": "http://testserver/api/stalled/",
        "bulletins": "http://testserver/api/bulletins/",
    }


def test_a_superuser_without_region_reads_every_region(db):
    with scopes_disabled():
        root = User.objects.create_superuser("root", password=PASSWORD)
        Region.objects.create(code="140000", name="山西省", kind="province")
        Region.objects.create(code="150000", name="内蒙古自治区", kind="province")

    response = api_client(token=token_for(root)).get(reverse("api:region-list"))

    assert [row["name"] for row in response.json()["results"]] == ["山西省", "内蒙古自治区"]

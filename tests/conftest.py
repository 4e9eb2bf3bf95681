"""The fixed cast every test plays with (after healthchecks' ``hc/test.py``).

山西省 140000
├── 吕梁市 141100
│   ├── 交城县 141122 ── 交城经济开发区 (zone)   ← the home county: one user per role
│   └── 文水县 141121
└── 太原市 140100
    └── 小店区 140105                           ← the outsider

Region-owned rows sit behind django-scopes: a request runs in its user's scope (the
middleware), but a test touching the ORM outside a request must say so with
``scopes_disabled()``, or use the ``unscoped`` fixture for the whole test.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from lib.codes import make_credit_code
from org.models import Department, Region, Role, User
from projects.models import AnnualPlan, ChainTag, Project, Stage

PASSWORD = "Jiaocheng-2025-pass"
THIS_YEAR = timezone.localdate().year

# Unified social credit codes (GB 32100-2015) with valid check characters.
ENTERPRISE_CODE = make_credit_code("91141122MA0JC0001")  # 山西华鑫新材料有限公司
HOUSING_CODE = make_credit_code("11141122MB1234567")  # 交城县住房和城乡建设局
HOSPITAL_CODE = make_credit_code("12141121MB0987654")  # 文水县人民医院
XIAODIAN_CODE = make_credit_code("91140105MA0XD0002")  # 太原智造产业园有限公司

# Every role of org.models.Role has one user in 交城县, named jc_<role>.
COUNTY_ROLES = [role.value for role in Role]
EDITOR_ROLES = ["admin", "coordinator"]
READ_ONLY_ROLES = [role for role in COUNTY_ROLES if role not in EDITOR_ROLES]


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2 would make the cast take seconds; the password rules don't depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def unscoped():
    """Run the whole test with the region scope guard off (requests still run in their user's scope)."""
    with scopes_disabled():
        yield


def reload(obj):
    """The row as the database has it now, read past the scope guard."""
    with scopes_disabled():
        return type(obj)._base_manager.get(pk=obj.pk)


def login_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    """``client_for(user)``: a test client logged in as that user."""
    return login_client


@pytest.fixture
def cast(db):
    """Regions, departments, chain tags, one user per role and a few projects; see the module docstring."""
    with scopes_disabled():
        regions = _regions()
        departments = _departments(regions)
        tags = _chain_tags(regions)
        users = _users(regions, departments)
        projects = _projects(regions, departments, tags, users)
    return SimpleNamespace(
        region=regions.jiaocheng,
        regions=regions,
        departments=departments,
        tags=tags,
        users=users,
        projects=projects,
        password=PASSWORD,
    )


@pytest.fixture
def make_project(cast):
    """``make_project(**fields)``: a valid 交城县 project (with an annual plan for this year) for bulk tests."""

    def make(plan: Decimal | None = Decimal("100"), **fields) -> Project:
        values = {
            "name": "测试项目",
            "region": cast.region,
            "category": "industry",
            "total_investment": Decimal("1000"),
            **fields,
        }
        with scopes_disabled():
            project = Project.objects.create(**values)
            if plan is not None:
                AnnualPlan.objects.create(project=project, year=THIS_YEAR, amount=plan)
        return project

    return make


def _region(code: str, name: str, kind: str, parent: Region | None = None) -> Region:
    return Region.objects.create(code=code, name=name, kind=kind, parent=parent)


def _regions() -> SimpleNamespace:
    shanxi = _region("140000", "山西省", Region.Kind.PROVINCE)
    lvliang = _region("141100", "吕梁市", Region.Kind.CITY, shanxi)
    jiaocheng = _region("141122", "交城县", Region.Kind.COUNTY, lvliang)
    wenshui = _region("141121", "文水县", Region.Kind.COUNTY, lvliang)
    taiyuan = _region("140100", "太原市", Region.Kind.CITY, shanxi)
    xiaodian = _region("140105", "小店区", Region.Kind.COUNTY, taiyuan)
    zone = _region("141122901", "交城经济开发区", Region.Kind.ZONE, jiaocheng)
    return SimpleNamespace(
        shanxi=shanxi,
        lvliang=lvliang,
        jiaocheng=jiaocheng,
        wenshui=wenshui,
        taiyuan=taiyuan,
        xiaodian=xiaodian,
        zone=zone,
    )


def _departments(regions) -> SimpleNamespace:
    return SimpleNamespace(
        drc=Department.objects.create(region=regions.jiaocheng, name="交城县发展和改革局", short_name="发改局"),
        land=Department.objects.create(region=regions.jiaocheng, name="交城县自然资源局", short_name="自然资源局"),
        housing=Department.objects.create(region=regions.jiaocheng, name="交城县住房和城乡建设局", short_name="住建局"),
        wenshui_drc=Department.objects.create(region=regions.wenshui, name="文水县发展和改革局", short_name="发改局"),
        xiaodian_drc=Department.objects.create(region=regions.xiaodian, name="小店区发展和改革局", short_name="发改局"),
    )


def _chain_tags(regions) -> SimpleNamespace:
    return SimpleNamespace(
        materials=ChainTag.objects.create(region=regions.jiaocheng, name="新材料"),
        tourism=ChainTag.objects.create(region=regions.jiaocheng, name="文旅康养"),
        steel=ChainTag.objects.create(region=regions.lvliang, name="特钢"),
        xiaodian=ChainTag.objects.create(region=regions.xiaodian, name="智能制造"),
    )


def _user(username: str, role: str, region: Region, full_name: str, **extra) -> User:
    return User.objects.create_user(username, password=PASSWORD, role=role, region=region, full_name=full_name, **extra)


def _grant_org_admin(user: User) -> None:
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["org", "projects"]))


def _users(regions, departments) -> SimpleNamespace:
    county = regions.jiaocheng
    users = SimpleNamespace(
        admin=_user("jc_admin", Role.ADMIN, county, "赵管理", is_staff=True),
        coordinator=_user("jc_coordinator", Role.COORDINATOR, county, "李晓梅", department=departments.drc),
        reporter=_user("jc_reporter", Role.REPORTER, county, "孙填报"),
        handler=_user("jc_handler", Role.HANDLER, county, "周经办", department=departments.land),
        leader=_user("jc_leader", Role.LEADER, county, "王建国", title="副县长"),
        promoter=_user("jc_promoter", Role.PROMOTER, county, "吴招商"),
        enterprise=_user(
            "jc_enterprise",
            Role.ENTERPRISE,
            county,
            "郑企业",
            enterprise_name="山西华鑫新材料有限公司",
            credit_code=ENTERPRISE_CODE,
        ),
        city_coordinator=_user("ll_coordinator", Role.COORDINATOR, regions.lvliang, "陈市办"),
        city_leader=_user("ll_leader", Role.LEADER, regions.lvliang, "刘副市长", title="副市长"),
        city_admin=_user("ll_admin", Role.ADMIN, regions.lvliang, "钱市管理", is_staff=True),
        province_coordinator=_user("sx_coordinator", Role.COORDINATOR, regions.shanxi, "杨省办"),
        outsider=_user("xd_coordinator", Role.COORDINATOR, regions.xiaodian, "黄小店"),
    )
    _grant_org_admin(users.admin)
    _grant_org_admin(users.city_admin)
    return users


def _project(plans: dict[int, str], tags=(), **fields) -> Project:
    project = Project(**fields)
    project.full_clean()
    project.save()
    project.chain_tags.set(tags)
    for year, amount in plans.items():
        AnnualPlan.objects.create(project=project, year=year, amount=Decimal(amount))
    return project


def _projects(regions, departments, tags, users) -> SimpleNamespace:
    materials = _project(
        {THIS_YEAR - 1: "20000", THIS_YEAR: "30000"},
        tags=[tags.materials, tags.steel],
        name="华鑫年产5万吨特种石墨项目",
        national_code="2023-141122-26-03-000001",
        owner_name="山西华鑫新材料有限公司",
        credit_code=ENTERPRISE_CODE,
        level="provincial",
        category="industry",
        nature="new",
        region=regions.jiaocheng,
        zone=regions.zone,
        address="交城经济开发区夏家营片区",
        total_investment=Decimal("120000"),
        fund_enterprise=Decimal("80000"),
        fund_bank_loans=Decimal("40000"),
        leader=users.leader,
        department=departments.drc,
        stage=Stage.CONSTRUCTION,
        signed_on=datetime.date(2023, 5, 10),
        preparing_on=datetime.date(2023, 6, 1),
        planned_start_on=datetime.date(2024, 3, 1),
        started_on=datetime.date(2024, 4, 18),
        planned_completion_on=datetime.date(2026, 12, 31),
    )
    road = _project(
        {THIS_YEAR: "3000"},
        tags=[tags.tourism],
        name="交城县城区道路提质改造工程",
        national_code="2024-141122-48-01-000002",
        owner_name="交城县住房和城乡建设局",
        credit_code=HOUSING_CODE,
        level="county",
        category="urban",
        nature="continuing",
        region=regions.jiaocheng,
        total_investment=Decimal("8000"),
        fund_government=Decimal("8000"),
        leader=users.city_leader,
        department=departments.housing,
        stage=Stage.PREPARING,
        signed_on=datetime.date(2024, 2, 1),
        preparing_on=datetime.date(2024, 2, 20),
        planned_start_on=datetime.date(2024, 9, 1),
    )
    hospital = _project(
        {THIS_YEAR: "15000"},
        name="文水县人民医院新院区建设项目",
        national_code="2023-141121-84-01-000003",
        owner_name="文水县人民医院",
        credit_code=HOSPITAL_CODE,
        level="city",
        category="livelihood",
        nature="new",
        region=regions.wenshui,
        total_investment=Decimal("45000"),
        fund_government=Decimal("20000"),
        fund_special_bonds=Decimal("25000"),
        leader=users.city_leader,
        department=departments.wenshui_drc,
        stage=Stage.CONSTRUCTION,
        signed_on=datetime.date(2023, 3, 1),
        started_on=datetime.date(2023, 9, 1),
    )
    xiaodian = _project(
        {THIS_YEAR: "50000"},
        tags=[tags.xiaodian],
        name="小店区智能制造产业园项目",
        national_code="2024-140105-34-03-000004",
        owner_name="太原智造产业园有限公司",
        credit_code=XIAODIAN_CODE,
        level="provincial",
        category="industry",
        nature="new",
        region=regions.xiaodian,
        total_investment=Decimal("200000"),
        fund_enterprise=Decimal("200000"),
        department=departments.xiaodian_drc,
        stage=Stage.SIGNED,
        signed_on=datetime.date(2024, 8, 8),
    )
    return SimpleNamespace(materials=materials, road=road, hospital=hospital, xiaodian=xiaodian)


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the
    # test itself are synchronous and safe.
    import os

    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--lang=zh-CN"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings, tmp_path):
    """A fresh Chinese-locale browser page on the live server; uploads go to a temporary media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()

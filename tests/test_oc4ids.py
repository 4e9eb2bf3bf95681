"""OC4IDS export and import: the package a county's ledger gives, the official example through import and export,
updates by national code, and everything refused with nothing saved."""

import copy
import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from oc4ids import export, importer, reading
from oc4ids.mapping import datetime_of
from oc4ids.models import ProjectRecord
from oc4ids.schema import DATA_DIR, Issue, codelist_issues, package_issues
from projects.models import AnnualPlan, Milestone, Project, StageChange
from reports.models import MonthlyReport, Period, ReportStatus

from .conftest import ENTERPRISE_CODE, HOUSING_CODE, THIS_YEAR, reload

TODAY = timezone.localdate()
SOON = TODAY + datetime.timedelta(days=100)
LATER = TODAY + datetime.timedelta(days=400)
EXAMPLE_BYTES = (DATA_DIR / "example.json").read_bytes()
URI = "https://platform.example.cn/oc4ids/export/141122/package.json"


def _county_projects(cast):
    return Project.objects.filter(region__path__startswith=cast.region.path)


def _package(*projects: dict) -> dict:
    return {
        "uri": "https://example.com/package.json",
        "publishedDate": "2025-01-01T00:00:00Z",
        "version": "0.9",
        "publisher": {"name": "测试发布方"},
        "projects": list(projects),
    }


@pytest.fixture
def ledger(cast, settings):
    """The county's projects with coordinates, contacts, 形象进度 nodes and approved monthly reports."""
    settings.OC4IDS_ID_PREFIX = "oc4ids-jc0001-"
    with scopes_disabled():
        materials = cast.projects.materials
        Project.objects.filter(pk=materials.pk).update(
            longitude=Decimal("112.158834"),
            latitude=Decimal("37.555312"),
            planned_completion_on=LATER,
            contact_name="张工",
            contact_phone="0358-7221234",
            description="年产5万吨特种石墨及配套设施",
        )
        piles = Milestone.objects.create(
            project=materials,
            name="桩基施工",
            sort_order=1,
            planned_on=datetime.date(2024, 6, 30),
            actual_on=datetime.date(2024, 7, 10),
        )
        roof = Milestone.objects.create(project=materials, name="主体封顶", sort_order=2, planned_on=SOON)
        for month, completed, status in [
            (11, "1500.50", ReportStatus.APPROVED),
            (12, "2000", ReportStatus.APPROVED),
            (10, "900", ReportStatus.SUBMITTED),  # not approved: not in the package
        ]:
            MonthlyReport.objects.create(
                project=materials,
                period=Period.for_month(cast.region, THIS_YEAR - 1, month),
                year=THIS_YEAR - 1,
                month=month,
                completed=Decimal(completed),
                status=status,
            )
    cast.piles, cast.roof = piles, roof
    return cast


def _materials_object(cast) -> dict:
    """The whole project object the materials project exports as."""
    drc = cast.departments.drc
    return {
        "id": "oc4ids-jc0001-2023-141122-26-03-000001",
        "language": "zh",
        "title": "华鑫年产5万吨特种石墨项目",
        "description": "年产5万吨特种石墨及配套设施",
        "identifiers": [{"id": "2023-141122-26-03-000001", "scheme": "CN-TZXMDM"}],
        "status": "implementation",
        "type": "construction",
        "sector": ["economy"],
        "budget": {
            "amount": {"amount": 1_200_000_000, "currency": "CNY"},
            "budgetBreakdowns": [
                {
                    "id": "annualPlans",
                    "description": "年度计划投资",
                    "budgetBreakdown": [
                        {
                            "id": str(year),
                            "description": f"{year}年度计划投资",
                            "amount": {"amount": amount, "currency": "CNY"},
                            "period": {
                                "startDate": f"{year}-01-01T00:00:00+08:00",
                                "endDate": f"{year}-12-31T23:59:59+08:00",
                            },
                        }
                        for year, amount in [(THIS_YEAR - 1, 200_000_000), (THIS_YEAR, 300_000_000)]
                    ],
                },
                {
                    "id": "fundingSources",
                    "description": "资金来源",
                    "budgetBreakdown": [
                        {
                            "id": "enterprise",
                            "description": "企业自筹",
                            "amount": {"amount": 800_000_000, "currency": "CNY"},
                        },
                        {
                            "id": "bankLoans",
                            "description": "银行贷款",
                            "amount": {"amount": 400_000_000, "currency": "CNY"},
                        },
                    ],
                },
            ],
        },
        "period": {"startDate": "2024-03-01T00:00:00+08:00", "endDate": datetime_of(LATER, end=True)},
        "identificationPeriod": {"endDate": "2023-06-01T23:59:59+08:00"},
        "preparationPeriod": {"startDate": "2023-06-01T00:00:00+08:00", "endDate": "2024-04-18T23:59:59+08:00"},
        "implementationPeriod": {"startDate": "2024-04-18T00:00:00+08:00"},
        "locations": [
            {
                "id": "1",
                "description": "交城经济开发区夏家营片区",
                "geometry": {"type": "Point", "coordinates": [112.158834, 37.555312]},
                "address": {
                    "locality": "交城县",
                    "region": "山西省",
                    "countryName": "中国",
                    "streetAddress": "交城经济开发区夏家营片区",
                },
            }
        ],
        "parties": [
            {
                "id": f"CN-USCC-{ENTERPRISE_CODE}",
                "name": "山西华鑫新材料有限公司",
                "identifier": {"scheme": "CN-USCC", "id": ENTERPRISE_CODE, "legalName": "山西华鑫新材料有限公司"},
                "contactPoint": {"name": "张工", "telephone": "0358-7221234"},
                "roles": ["buyer", "funder"],
            },
            {
                "id": f"department-{drc.pk}",
                "name": "交城县发展和改革局",
                "address": {"locality": "交城县", "countryName": "中国"},
                "roles": ["publicAuthority"],
            },
        ],
        "publicAuthority": {"id": f"department-{drc.pk}", "name": "交城县发展和改革局"},
        "milestones": [
            {
                "id": "stage-signed",
                "title": "签约",
                "type": "approval",
                "dateMet": "2023-05-10T00:00:00+08:00",
                "status": "met",
            },
            {
                "id": "stage-preparing",
                "title": "启动前期",
                "type": "preProcurement",
                "dateMet": "2023-06-01T00:00:00+08:00",
                "status": "met",
            },
            {
                "id": "stage-construction",
                "title": "开工",
                "type": "delivery",
                "code": "commencement",
                "dueDate": "2024-03-01T00:00:00+08:00",
                "dateMet": "2024-04-18T00:00:00+08:00",
                "status": "met",
            },
            {
                "id": "stage-completed",
                "title": "竣工",
                "type": "delivery",
                "code": "completion",
                "dueDate": datetime_of(LATER),
                "status": "scheduled",
            },
            {
                "id": f"milestone-{cast.piles.pk}",
                "title": "桩基施工",
                "type": "delivery",
                "dueDate": "2024-06-30T00:00:00+08:00",
                "dateMet": "2024-07-10T00:00:00+08:00",
                "status": "met",
            },
            {
                "id": f"milestone-{cast.roof.pk}",
                "title": "主体封顶",
                "type": "delivery",
                "dueDate": datetime_of(SOON),
                "status": "scheduled",
            },
        ],
        "metrics": [
            {
                "id": "financialProgress",
                "title": "完成投资",
                "observations": [
                    {
                        "id": f"{THIS_YEAR - 1}-{month}",
                        "period": {
                            "startDate": f"{THIS_YEAR - 1}-{month}-01T00:00:00+08:00",
                            "endDate": f"{THIS_YEAR - 1}-{month}-{days}T23:59:59+08:00",
                        },
                        "value": {"amount": amount, "currency": "CNY"},
                        "notes": "本月完成投资（经审核月报）",
                    }
                    for month, days, amount in [(11, 30, 15_005_000), (12, 31, 20_000_000)]
                ],
            }
        ],
    }


# ---- export ----


def test_the_county_package_validates_against_the_schema_and_codelists_with_no_issue(ledger):
    with scopes_disabled():
        package = export.build_package(_county_projects(ledger), ledger.region, URI)

    assert package_issues(package) == []
    assert codelist_issues(package) == codelist_issues({"projects": []})  # no error, no note
    assert [project["title"] for project in package["projects"]] == [
        "华鑫年产5万吨特种石墨项目",
        "交城县城区道路提质改造工程",
    ]
    assert {key: package[key] for key in ("uri", "version", "publisher")} == {
        "uri": URI,
        "version": "0.9",
        "publisher": {"name": "交城县重大项目建设管理平台"},
    }


def test_a_project_exports_field_by_field(ledger):
    with scopes_disabled():
        package = export.build_package(
            _county_projects(ledger).filter(pk=ledger.projects.materials.pk), ledger.region, URI
        )
    [project] = package["projects"]
    updated = project.pop("updated")

    assert project == _materials_object(ledger)
    assert (
        updated == timezone.localtime(reload(ledger.projects.materials).updated_at).replace(microsecond=0).isoformat()
    )


def test_a_government_owner_answering_for_its_own_project_is_one_party(ledger):
    with scopes_disabled():
        package = export.build_package(_county_projects(ledger).filter(pk=ledger.projects.road.pk), ledger.region, URI)
    [road] = package["projects"]

    assert road["parties"] == [
        {
            "id": f"CN-USCC-{HOUSING_CODE}",
            "name": "交城县住房和城乡建设局",
            "identifier": {"scheme": "CN-USCC", "id": HOUSING_CODE, "legalName": "交城县住房和城乡建设局"},
            "roles": ["buyer", "publicAuthority"],
        }
    ]
    assert road["publicAuthority"] == {"id": f"CN-USCC-{HOUSING_CODE}", "name": "交城县住房和城乡建设局"}
    assert (road["status"], road["type"], road["sector"]) == ("preparation", "construction", ["transport.urban"])
    # Planned start passed without a start: the start milestone is not met.
    assert road["milestones"][-1] == {
        "id": "stage-construction",
        "title": "开工",
        "type": "delivery",
        "code": "commencement",
        "dueDate": "2024-09-01T00:00:00+08:00",
        "status": "notMet",
    }


def test_a_suspended_project_reports_the_phase_it_was_suspended_in(ledger):
    with scopes_disabled():
        road = ledger.projects.road
        road.suspend(TODAY, "资金未到位", by=None, reason_code="funding", expected_resume_on=SOON)
        package = export.build_package(_county_projects(ledger).filter(pk=road.pk), ledger.region, URI)

    assert package["projects"][0]["status"] == "preparation"


def test_a_zone_exports_the_projects_placed_in_it_with_the_province_in_the_address(ledger):
    with scopes_disabled():
        package = export.build_package(
            _county_projects(ledger).filter(zone=ledger.regions.zone), ledger.regions.zone, URI
        )

    assert [project["title"] for project in package["projects"]] == ["华鑫年产5万吨特种石墨项目"]
    assert package["publisher"] == {"name": "交城经济开发区重大项目建设管理平台"}
    assert package["projects"][0]["locations"][0]["address"]["region"] == "山西省"


def test_the_export_costs_the_same_five_queries_for_two_projects_or_twenty_two(
    ledger, make_project, django_assert_num_queries
):
    def build():
        with scopes_disabled():
            return export.build_package(_county_projects(ledger), ledger.region, URI)

    # The province's name, the projects (with region, zone, department, import record), plans, milestones, reports.
    with django_assert_num_queries(5):
        assert len(build()["projects"]) == 2
    for index in range(20):
        make_project(name=f"批量项目{index}", longitude=Decimal("112.1"), latitude=Decimal("37.5"))
    with django_assert_num_queries(5):
        package = build()
    assert len(package["projects"]) == 22
    assert package_issues(package) == []


# ---- the official example: import, then export again ----


def test_the_official_example_imports_with_documented_defaults(cast):
    package = reading.read_package(EXAMPLE_BYTES)

    [outcome] = importer.apply(package, cast.region, cast.users.coordinator)

    project = reload(Project(pk=outcome.project))
    assert (outcome.action, outcome.errors) == ("create", [])
    assert {
        "name": project.name,
        "region": project.region_id,
        "level": project.level,
        "category": project.category,
        "nature": project.nature,
        "stage": project.stage,
        "dates": (project.reserve_on, project.preparing_on, project.started_on, project.completed_on),
        "production_on": project.production_on,
        "planned": (project.planned_start_on, project.planned_completion_on),
        "total_investment": project.total_investment,
        "place": (project.address, project.longitude, project.latitude),
        "owner": (project.owner_name, project.credit_code, project.contact_name, project.contact_phone),
        "department": project.department_id,
    } == {
        "name": "M75 Junctions 4 to 5 upgrade smart motorway",
        "region": cast.region.pk,
        "level": "county",
        "category": "infrastructure",
        "nature": "expansion",
        "stage": "production",
        "dates": (
            datetime.date(2016, 1, 1),
            datetime.date(2016, 7, 1),
            datetime.date(2017, 1, 1),
            datetime.date(2017, 7, 1),
        ),
        "production_on": datetime.date(2018, 1, 1),
        "planned": (datetime.date(2016, 1, 1), datetime.date(2018, 12, 10)),
        "total_investment": Decimal("0.00"),  # GBP is not converted
        "place": ("Patcham Interchange, New Road", Decimal("52.257184"), Decimal("-0.116333")),
        "owner": ("Motorways UK", "", "Motorways Manager", "+44 0123 456 7890"),
        "department": None,
    }
    assert [(m.name, m.planned_on, m.actual_on) for m in Milestone._base_manager.filter(project=project)] == [
        ("Grant disbursement", datetime.date(2016, 1, 1), datetime.date(2016, 1, 1))
    ]
    with scopes_disabled():
        change = StageChange.objects.get(project=project)
    assert (change.from_stage, change.to_stage, change.note, change.by) == (
        "",
        "production",
        "OC4IDS 导入",
        cast.users.coordinator,
    )
    assert [issue["path"] for issue in outcome.warnings] == [
        "$.projects[0].budget.amount.currency",
        "$.projects[0].locations",
        "$.projects[0].publicAuthority",
        "$.projects[0].parties[0].identifier",
        "$.projects[0].additionalClassifications[0].scheme",
        "$.projects[0].social.healthAndSafety.materialTests.tests[0]",
    ]
    assert (
        outcome.warnings[3]["message"]
        == "统一社会信用代码：缺少，请导入后在台账中补充（签约前须填写统一社会信用代码。）"
    )


def test_the_official_example_exports_again_with_its_projects_budgets_and_locations_intact(cast):
    source = json.loads(EXAMPLE_BYTES)
    [outcome] = importer.apply(reading.read_package(EXAMPLE_BYTES), cast.region, cast.users.coordinator)

    with scopes_disabled():
        again = export.build_package(Project.objects.filter(pk=outcome.project), cast.region, URI)

    assert package_issues(again) == []
    [project] = again["projects"]
    assert project["id"] == source["projects"][0]["id"]
    assert project["budget"] == source["projects"][0]["budget"]
    assert project["locations"] == source["projects"][0]["locations"]
    assert project == source["projects"][0]


def test_a_section_edited_in_the_ledger_after_the_import_is_exported_from_the_ledger(cast):
    source = json.loads(EXAMPLE_BYTES)["projects"][0]
    [outcome] = importer.apply(reading.read_package(EXAMPLE_BYTES), cast.region, cast.users.coordinator)
    with scopes_disabled():
        project = Project.objects.get(pk=outcome.project)
        project.total_investment = Decimal("32000")
        project.save()

        [again] = export.build_package(Project.objects.filter(pk=project.pk), cast.region, URI)["projects"]

    assert again["budget"] == {"amount": {"amount": 320_000_000, "currency": "CNY"}}
    assert again["locations"] == source["locations"]
    assert again["documents"] == source["documents"]
    assert again["updated"] == timezone.localtime(reload(project).updated_at).replace(microsecond=0).isoformat()
    assert {key: value for key, value in again.items() if key not in ("budget", "updated")} == {
        key: value for key, value in source.items() if key not in ("budget", "updated")
    }


def test_importing_the_example_twice_changes_nothing_the_second_time(cast):
    package = reading.read_package(EXAMPLE_BYTES)
    importer.apply(package, cast.region, cast.users.coordinator)

    [outcome] = importer.check(package, cast.region, cast.users.coordinator)

    assert (outcome.action, outcome.changes, outcome.errors) == ("unchanged", [], [])
    with scopes_disabled():
        assert Project.objects.filter(name="M75 Junctions 4 to 5 upgrade smart motorway").count() == 1
        assert ProjectRecord.objects.count() == 1


# ---- our own packages back in ----


def test_a_county_package_imported_back_into_its_county_changes_nothing(ledger):
    with scopes_disabled():
        package = export.build_package(_county_projects(ledger), ledger.region, URI)
        before = sorted(Project.objects.values_list("pk", "updated_at"))

    outcomes = importer.check(package, ledger.region, ledger.users.coordinator)

    assert [(o.title, o.action, o.changes, o.errors, o.warnings) for o in outcomes] == [
        ("华鑫年产5万吨特种石墨项目", "unchanged", [], [], []),
        ("交城县城区道路提质改造工程", "unchanged", [], [], []),
    ]
    with scopes_disabled():
        assert sorted(Project.objects.values_list("pk", "updated_at")) == before
        assert ProjectRecord.objects.count() == 0  # the dry run saved nothing


LEDGER_FIELDS = [
    "name",
    "description",
    "stage",
    "category",
    "total_investment",
    "fund_government",
    "fund_enterprise",
    "fund_bank_loans",
    "fund_special_bonds",
    "fund_other",
    "address",
    "longitude",
    "latitude",
    "owner_name",
    "credit_code",
    "contact_name",
    "contact_phone",
    "signed_on",
    "preparing_on",
    "started_on",
    "planned_start_on",
    "planned_completion_on",
]


def test_a_county_package_creates_the_same_projects_elsewhere(ledger):
    with scopes_disabled():
        package = export.build_package(_county_projects(ledger), ledger.region, URI)
    for project in package["projects"]:  # as another platform would have them: no national code, its own ids
        project["id"] = project["id"].replace("oc4ids-jc0001-", "oc4ids-ws0001-")
        del project["identifiers"]

    outcomes = importer.apply(package, ledger.regions.wenshui, ledger.users.city_coordinator)

    assert [o.action for o in outcomes] == ["create", "create"]
    for outcome, original in zip(outcomes, [ledger.projects.materials, ledger.projects.road], strict=True):
        created, original = reload(Project(pk=outcome.project)), reload(original)
        assert {f: getattr(created, f) for f in LEDGER_FIELDS} == {f: getattr(original, f) for f in LEDGER_FIELDS}
        assert (created.region, created.national_code, created.department) == (ledger.regions.wenshui, "", None)
        # 新建 and 续建 are both "construction": a continuing project arrives elsewhere as new.
        assert (original.nature, created.nature) in {("new", "new"), ("continuing", "new")}
        assert _plans(created) == _plans(original)
        assert _milestones(created) == _milestones(original)
    assert outcomes[0].warnings == [
        {
            "path": "$.projects[0].publicAuthority",
            "message": "责任单位“交城县发展和改革局”不在本区划的部门名录中，未关联（可在台账中选择）。",
        }
    ]


def _plans(project) -> list:
    return list(AnnualPlan._base_manager.filter(project=project).values_list("year", "amount"))


def _milestones(project) -> list:
    return list(Milestone._base_manager.filter(project=project).values_list("name", "planned_on", "actual_on"))


# ---- updates ----


def test_a_package_updates_the_project_with_its_national_code_and_records_the_stage_move(cast):
    road = cast.projects.road
    package = _package(
        {
            "id": "ext-jc-road",
            "identifiers": [{"id": road.national_code, "scheme": "CN-TZXMDM"}],
            "title": road.name,
            "status": "implementation",
            "implementationPeriod": {"startDate": "2025-03-02T00:00:00Z"},
            "budget": {"amount": {"amount": 90_000_000, "currency": "CNY"}},
        }
    )

    [outcome] = importer.apply(package, cast.region, cast.users.coordinator)

    assert (outcome.action, outcome.project, outcome.errors) == ("update", road.pk, [])
    assert outcome.changes == ["总投资（万元）", "项目阶段", "实际开工日期"]
    road = reload(road)
    assert (road.stage, road.started_on, road.total_investment) == (
        "construction",
        datetime.date(2025, 3, 2),
        Decimal("9000.00"),
    )
    with scopes_disabled():
        move = StageChange.objects.filter(project=road).latest("pk")
        assert ProjectRecord.objects.get(project=road).ocid == "ext-jc-road"
    assert (move.from_stage, move.to_stage, move.on, move.is_correction) == (
        "preparing",
        "construction",
        datetime.date(2025, 3, 2),
        False,
    )


def test_a_project_registered_in_another_region_refuses_the_whole_package(cast):
    package = _package(
        {"id": "ext-new", "title": "新建测试项目"},
        {"id": "ext-xd", "identifiers": [{"id": cast.projects.xiaodian.national_code, "scheme": "CN-TZXMDM"}]},
    )
    with scopes_disabled():
        before = Project.objects.count()

    with pytest.raises(importer.ImportRefused) as refused:
        importer.apply(package, cast.region, cast.users.coordinator)

    outcomes = refused.value.outcomes
    assert [(o.action, o.errors) for o in outcomes] == [
        ("create", []),
        (
            "error",
            [
                {
                    "path": "$.projects[1].id",
                    "message": "该项目（编号或项目代码相同）已登记在所选区划以外，不能导入到这里。",
                }
            ],
        ),
    ]
    with scopes_disabled():
        assert Project.objects.count() == before
        assert ProjectRecord.objects.count() == 0
    assert reload(cast.projects.xiaodian).name == "小店区智能制造产业园项目"


def test_a_stage_without_the_date_it_needs_is_an_error_at_the_period_that_should_hold_it(cast):
    package = _package({"id": "ext-1", "title": "新开工项目", "status": "implementation"})

    [outcome] = importer.check(package, cast.region, cast.users.coordinator)

    assert (outcome.action, outcome.errors) == (
        "error",
        [
            {
                "path": "$.projects[0].implementationPeriod.startDate",
                "message": "实际开工日期：项目处于“在建”阶段，须填写实际开工日期。",
            }
        ],
    )


def test_an_approved_plan_keeps_its_planned_dates(cast):
    materials = cast.projects.materials
    with scopes_disabled():
        materials.approve_plan(by=cast.users.coordinator)
    package = _package(
        {
            "id": "ext-m",
            "identifiers": [{"id": materials.national_code, "scheme": "CN-TZXMDM"}],
            "period": {"startDate": "2024-05-01T00:00:00Z"},
        }
    )

    [outcome] = importer.check(package, cast.region, cast.users.coordinator)

    assert outcome.errors == [
        {"path": "$.projects[0].period.startDate", "message": "计划已批准，调整计划日期须提交变更申请"}
    ]
    assert reload(materials).planned_start_on == datetime.date(2024, 3, 1)


def test_a_cancelled_project_is_terminated_from_the_stage_it_reached(cast):
    road = cast.projects.road
    package = _package(
        {
            "id": "ext-road",
            "identifiers": [{"id": road.national_code, "scheme": "CN-TZXMDM"}],
            "status": "cancelled",
            "period": {"endDate": "2025-06-30T00:00:00Z"},
        }
    )

    [outcome] = importer.apply(package, cast.region, cast.users.coordinator)

    road = reload(road)
    assert (outcome.action, road.stage, road.stage_before_suspension, road.stopped_on) == (
        "update",
        "terminated",
        "preparing",
        datetime.date(2025, 6, 30),
    )
    assert road.stop_reason == "OC4IDS 导入：项目状态为已取消（cancelled）。"


def test_a_zone_import_places_new_projects_in_its_county_and_zone(cast):
    package = _package({"id": "ext-zone", "title": "开发区新项目", "sector": ["economy"], "type": "expansion"})

    [outcome] = importer.apply(package, cast.regions.zone, cast.users.coordinator)

    project = reload(Project(pk=outcome.project))
    assert (project.region, project.zone, project.category, project.nature, project.level) == (
        cast.region,
        cast.regions.zone,
        "industry",
        "expansion",
        "county",
    )
    assert outcome.warnings == [
        {
            "path": "$.projects[0].budget",
            "message": "缺少预算金额（budget.amount），总投资暂按 0 万元登记，请在台账中补充。",
        }
    ]


def test_coordinates_out_of_range_and_a_bad_credit_code_are_errors(cast):
    package = _package(
        {
            "id": "ext-bad",
            "title": "坐标有误的项目",
            "locations": [{"id": "1", "geometry": {"type": "Point", "coordinates": [37.5, 212.1]}}],
            "parties": [
                {
                    "id": "o",
                    "name": "某公司",
                    "identifier": {"scheme": "CN-USCC", "id": "91141122MA0JC00010"},
                    "roles": ["buyer"],
                }
            ],
        }
    )

    [outcome] = importer.check(package, cast.region, cast.users.coordinator)

    assert outcome.errors == [
        {
            "path": "$.projects[0].locations[0].geometry.coordinates",
            "message": "坐标超出范围：经度须在 ±180、纬度须在 ±90 之内（顺序为 [经度, 纬度]）。",
        },
        {
            "path": "$.projects[0].parties[0].identifier.id",
            "message": "统一社会信用代码：统一社会信用代码校验位不正确，请核对。",
        },
    ]


def test_annual_plans_come_from_a_breakdown_of_calendar_years_in_yuan(cast):
    year = {"startDate": "2025-01-01T00:00:00Z", "endDate": "2025-12-31T00:00:00Z"}
    package = _package(
        {
            "id": "ext-plans",
            "title": "年度计划项目",
            "budget": {
                "amount": {"amount": 500_000_000, "currency": "CNY"},
                "budgetBreakdowns": [
                    {
                        "id": "byYear",
                        "budgetBreakdown": [
                            {"id": "a", "amount": {"amount": 100_000_000, "currency": "CNY"}, "period": year},
                            {"id": "b", "amount": {"amount": 50_000_000, "currency": "CNY"}, "period": year},
                        ],
                    }
                ],
            },
        }
    )

    [outcome] = importer.apply(package, cast.region, cast.users.coordinator)

    project = reload(Project(pk=outcome.project))
    assert (project.total_investment, _plans(project)) == (Decimal("50000.00"), [(2025, Decimal("15000.00"))])


def test_milestones_are_matched_by_name_and_kept_when_absent(ledger):
    materials = ledger.projects.materials
    package = _package(
        {
            "id": "ext-m",
            "identifiers": [{"id": materials.national_code, "scheme": "CN-TZXMDM"}],
            "milestones": [
                {"id": "x1", "title": "主体封顶", "dueDate": datetime_of(LATER)},
                {"id": "x2", "title": "设备安装", "dueDate": datetime_of(LATER)},
            ],
        }
    )

    [outcome] = importer.apply(package, ledger.region, ledger.users.coordinator)

    assert (outcome.action, outcome.changes) == ("update", ["形象进度节点"])
    assert _milestones(materials) == [
        ("桩基施工", datetime.date(2024, 6, 30), datetime.date(2024, 7, 10)),
        ("主体封顶", LATER, None),
        ("设备安装", LATER, None),
    ]
    with scopes_disabled():
        assert ProjectRecord.objects.get(project=materials).milestone_ids == {
            "x1": ledger.roof.pk,
            "x2": Milestone.objects.get(name="设备安装").pk,
        }


# ---- the file itself ----


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00{", "文件不是 UTF-8 编码的 JSON 文本。"),
        (b"{not json", "文件不是有效的 JSON：第 1 行第 2 列（Expecting property name enclosed in double quotes）。"),
        (b'{"projects": NaN}', "文件含有 JSON 不允许的数值 NaN。"),
        (b'{"projects": 1e400}', "文件含有超出范围的数值 1e400。"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON 嵌套层级过深，不是 OC4IDS 项目包。"),
        (b'{"a":' * 50 + b"1" + b"}" * 50, "JSON 嵌套层级过深（超过 40 层），不是 OC4IDS 项目包。"),
        (b"[]", "项目包不符合 OC4IDS 0.9.5 模式，请按下列位置修改后重新上传。"),
    ],
)
def test_a_file_that_is_no_package_is_refused_with_a_clear_message(data, message):
    with pytest.raises(reading.PackageRefused) as refused:
        reading.read_package(data)

    assert refused.value.message == message


def test_an_empty_object_lists_every_missing_field():
    with pytest.raises(reading.PackageRefused) as refused:
        reading.read_package(b"{}")

    assert refused.value.issues == [
        Issue("$", f"缺少必填字段“{name}”。") for name in ("uri", "publisher", "publishedDate", "projects", "version")
    ]


def test_duplicate_ids_too_many_projects_and_too_many_bytes_are_refused(monkeypatch):
    package = _package({"id": "a", "title": "甲"}, {"id": "b"}, {"id": "a", "title": "乙"})
    with pytest.raises(reading.PackageRefused) as refused:
        reading.read_package(json.dumps(package).encode())
    assert refused.value.issues == [Issue("$.projects[2].id", "项目编号“a”重复。")]

    monkeypatch.setattr(reading, "MAX_PROJECTS", 2)
    with pytest.raises(reading.PackageRefused) as refused:
        reading.read_package(json.dumps(_package({"id": "a"}, {"id": "b"}, {"id": "c"})).encode())
    assert refused.value.message == "一次最多导入 2 个项目；请拆分后分批导入，或由管理员用 oc4ids_import 命令导入。"

    monkeypatch.setattr(reading, "MAX_BYTES", 1024 * 1024)
    with pytest.raises(reading.PackageRefused) as refused:
        reading.read_package(b" " * (1024 * 1024 + 1))
    assert refused.value.message == "文件超过 1 MB，请拆分后分批导入。"


def test_a_byte_order_mark_is_accepted(cast):
    package = reading.read_package(b"\xef\xbb\xbf" + EXAMPLE_BYTES)

    assert package == json.loads(EXAMPLE_BYTES)


def test_the_dry_run_saves_nothing_at_all(cast):
    package = reading.read_package(EXAMPLE_BYTES)
    with scopes_disabled():
        counts = (
            Project.objects.count(),
            StageChange.objects.count(),
            Milestone.objects.count(),
            Project.history.count(),
        )

    [outcome] = importer.check(copy.deepcopy(package), cast.region, cast.users.coordinator)

    assert (outcome.action, outcome.project) == ("create", None)
    with scopes_disabled():
        assert (
            Project.objects.count(),
            StageChange.objects.count(),
            Milestone.objects.count(),
            Project.history.count(),
        ) == counts
        assert ProjectRecord.objects.count() == 0


def test_two_package_projects_naming_one_ledger_project_is_an_error(cast):
    code = cast.projects.road.national_code
    package = _package(
        {"id": "ext-a", "identifiers": [{"id": code, "scheme": "CN-TZXMDM"}], "title": "道路甲"},
        {"id": f"oc4ids-xxxxxx-{code}", "title": "道路乙"},
    )

    outcomes = importer.check(package, cast.region, cast.users.coordinator)

    assert [(o.action, o.errors) for o in outcomes] == [
        ("update", []),
        ("error", [{"path": "$.projects[1].id", "message": "与第 1 个项目对应同一个台账项目（编号或项目代码相同）。"}]),
    ]


def test_the_lookups_cost_a_fixed_number_of_queries_whatever_the_package_size(ledger, django_assert_num_queries):
    with scopes_disabled():
        package = export.build_package(_county_projects(ledger), ledger.region, URI)
        importer.apply(package, ledger.region, ledger.users.coordinator)  # records made: nothing left to write

    # The dry run's savepoint; departments, the province's name; records, projects by national code (none by our
    # id: both have codes), plans, milestones; per project a savepoint and its release; the rollback and release.
    with django_assert_num_queries(1 + 2 + 4 + 2 * 2 + 2):
        outcomes = importer.check(package, ledger.region, ledger.users.coordinator)

    assert [o.action for o in outcomes] == ["unchanged", "unchanged"]

"""The OC4IDS 0.9.5 schema and codelists as the app reads them: offline validation, JSON paths, codelist checks,
and every code the mapping tables write checked against the CSVs."""

import json
import socket
from pathlib import Path

import pytest
import referencing.exceptions
from jsonschema import Draft4Validator

from oc4ids import mapping
from oc4ids.schema import (
    DATA_DIR,
    Issue,
    closed_codelist_fields,
    codelist,
    codelist_issues,
    is_datetime,
    is_uri,
    package_issues,
    registry,
)
from projects.models import Category, Nature, Stage

EXAMPLE = json.loads((DATA_DIR / "example.json").read_text(encoding="utf-8"))


def _package(**project) -> dict:
    return {
        "uri": "https://example.com/package.json",
        "publishedDate": "2025-01-01T00:00:00Z",
        "version": "0.9",
        "publisher": {"name": "测试发布方"},
        "projects": [{"id": "oc4ids-test-1", **project}],
    }


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the schema check tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_official_example_is_a_valid_package_checked_offline(no_network):
    assert package_issues(EXAMPLE) == []
    assert codelist_issues(EXAMPLE).errors == []


def test_the_registry_holds_the_two_local_schemas_and_nothing_is_fetched(no_network):
    assert sorted(uri for uri in registry()) == [
        "https://standard.open-contracting.org/infrastructure/schema/0__9__5/project-package-schema.json",
        "https://standard.open-contracting.org/infrastructure/schema/0__9__5/project-schema.json",
    ]
    validator = Draft4Validator({"$ref": "https://example.com/elsewhere.json"}, registry=registry())

    with pytest.raises(referencing.exceptions.Unresolvable):
        validator.validate({})


def test_the_data_folder_keeps_its_licence_and_source_note():
    assert "Apache License" in (DATA_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "standard.open-contracting.org" in (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert Path(DATA_DIR / "codelists" / "projectStatus.csv").is_file()


def test_schema_errors_name_their_json_path_in_chinese():
    package = _package(
        title=5,
        status="finished",
        updated="yesterday",
        budget={"amount": {"amount": "很多", "currency": "CNY"}},
        locations=[{"description": "无编号的位置"}],
    )
    del package["publisher"]

    issues = package_issues(package)

    assert issues == [
        Issue("$", "缺少必填字段“publisher”。"),
        Issue("$.projects[0].budget.amount.amount", "类型错误：应为数字。"),
        Issue("$.projects[0].locations[0]", "缺少必填字段“id”。"),
        Issue("$.projects[0].status", "取值“finished”不在允许的代码中。"),
        Issue("$.projects[0].title", "类型错误：应为字符串。"),
        Issue("$.projects[0].updated", "日期时间格式错误：应为 RFC 3339 格式，如 2024-05-01T00:00:00Z。"),
    ]


def test_a_package_without_projects_is_invalid():
    package = _package()
    package["projects"] = []

    assert package_issues(package) == [Issue("$.projects", "至少须有 1 项。")]


def test_many_errors_are_listed_up_to_the_limit_and_counted():
    package = _package()
    package["projects"] = [{"id": index} for index in range(250)]

    issues = package_issues(package)

    assert len(issues) == 201
    assert issues[-1] == Issue("$", "另有 50 处错误未列出。")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2024-05-01T00:00:00Z", True),
        ("2024-05-01T08:30:00.5+08:00", True),
        ("2024-05-01", False),
        ("2024-02-30T00:00:00Z", False),
        ("2024-05-01 00:00:00Z", False),
    ],
)
def test_date_times_follow_rfc_3339(value, valid):
    assert is_datetime(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("https://example.com/a.json", True),
        ("urn:oc4ids:141122:20250101T000000Z", True),
        ("example.com/a.json", False),
        ("https://example.com/a b", False),
    ],
)
def test_uris_need_a_scheme_and_no_spaces(value, valid):
    assert is_uri(value) is valid


def test_codelist_values_outside_a_closed_list_are_errors_and_outside_an_open_list_notes():
    package = _package(
        status="finished",
        sector=["transport", "spaceport"],
        parties=[{"id": "1", "name": "业主", "roles": ["buyer", "projectOwner"]}],
        milestones=[{"id": "m1", "status": "late", "type": "delivery"}],
    )

    issues = codelist_issues(package)

    assert issues.errors == [
        Issue("$.projects[0].status", "“finished”不在封闭代码表 projectStatus.csv 中。"),
        Issue("$.projects[0].milestones[0].status", "“late”不在封闭代码表 milestoneStatus.csv 中。"),
    ]
    assert issues.notes == [
        Issue("$.projects[0].sector[1]", "“spaceport”不在开放代码表 projectSector.csv 中（允许扩展，请确认）。"),
        Issue(
            "$.projects[0].parties[0].roles[1]",
            "“projectOwner”不在开放代码表 partyRole.csv 中（允许扩展，请确认）。",
        ),
    ]


def test_the_official_example_uses_a_few_open_codelist_extensions():
    notes = codelist_issues(EXAMPLE).notes

    assert [issue.path for issue in notes] == [
        "$.projects[0].additionalClassifications[0].scheme",
        "$.projects[0].social.healthAndSafety.materialTests.tests[0]",  # "masonry"
    ]


def test_every_closed_codelist_of_the_schema_matches_its_csv():
    fields = closed_codelist_fields()

    assert len(fields) == 16
    for name, enum in fields.items():
        assert enum == set(codelist(name)), name


def test_the_stage_and_nature_tables_cover_the_ledger_and_use_listed_codes():
    assert set(mapping.STATUS_OF_STAGE) | {Stage.SUSPENDED} == set(Stage)
    assert set(mapping.STATUS_OF_STAGE.values()) <= codelist("projectStatus.csv")
    assert set(mapping.STAGE_OF_STATUS) == codelist("projectStatus.csv")
    assert set(mapping.TYPE_OF_NATURE) == set(Nature)
    assert set(mapping.TYPE_OF_NATURE.values()) | set(mapping.NATURE_OF_TYPE) <= codelist("projectType.csv")


def test_every_sector_written_is_listed_and_reads_back_as_its_category():
    sectors = codelist("projectSector.csv")

    for category, _pattern, sector in mapping.SECTOR_RULES:
        assert sector in sectors
        assert mapping.category_of(sector) == category
    assert {category for category, _pattern, _sector in mapping.SECTOR_RULES} == set(Category)
    assert set(mapping.CATEGORY_OF_SECTOR) <= sectors


@pytest.mark.parametrize(
    ("category", "name", "sector"),
    [
        ("industry", "华鑫年产5万吨特种石墨项目", "economy"),
        ("infrastructure", "太佳高速公路交城段", "transport.road"),
        ("infrastructure", "交城县220千伏变电站", "energy"),
        ("infrastructure", "交城县物流园", "transport"),
        ("livelihood", "文水县人民医院新院区建设项目", "health"),
        ("livelihood", "交城县第二中学迁建", "education"),
        ("urban", "交城县城区道路提质改造工程", "transport.urban"),
        ("ecology", "磁窑河防洪治理", "naturalResources.floodProtection"),
    ],
)
def test_the_sector_follows_the_category_refined_by_the_name(category, name, sector):
    assert mapping.sector_of(category, name) == sector


def test_steps_milestones_parties_and_metrics_use_listed_codes():
    assert {step.type for step in mapping.STEPS} | {mapping.PROGRESS_MILESTONE_TYPE} <= codelist("milestoneType.csv")
    assert {step.code for step in mapping.STEPS if step.code} <= codelist("milestoneCode.csv")
    assert {"met", "notMet", "scheduled"} <= codelist("milestoneStatus.csv")
    assert {"buyer", "funder", "publicAuthority"} <= codelist("partyRole.csv")
    assert mapping.FINANCIAL_PROGRESS in codelist("metricID.csv")
    assert mapping.CURRENCY in codelist("currency.csv")
    assert "Point" in codelist("geometryType.csv")


def test_money_is_yuan_in_value_objects_and_wan_in_the_ledger():
    from decimal import Decimal

    assert mapping.value_of(Decimal("120000.00")) == {"amount": 1_200_000_000, "currency": "CNY"}
    assert mapping.value_of(Decimal("1500.55")) == {"amount": 15_005_500, "currency": "CNY"}
    assert mapping.wan_of(40_000_000) == Decimal("4000.00")
    assert mapping.wan_of(1_234_567) == Decimal("123.46")
    assert mapping.wan_of("40000000") is None
    assert mapping.wan_of(True) is None


def test_dates_are_local_days_and_read_back_as_written():
    import datetime

    assert mapping.datetime_of(datetime.date(2024, 4, 18)) == "2024-04-18T00:00:00+08:00"
    assert mapping.datetime_of(datetime.date(2024, 12, 31), end=True) == "2024-12-31T23:59:59+08:00"
    assert mapping.date_of("2016-06-30T20:00:00-05:00") == datetime.date(2016, 6, 30)
    assert mapping.date_of("soon") is None

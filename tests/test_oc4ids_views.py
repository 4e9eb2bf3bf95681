"""The OC4IDS screens and commands: export page and download, upload → dry run → confirm, hostile files, and
``oc4ids_export`` / ``oc4ids_import``."""

import json
import random
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from oc4ids import reading
from oc4ids.models import PackageImport, ProjectRecord
from oc4ids.schema import DATA_DIR, package_issues
from projects.models import Project, StageChange

from .conftest import reload

EXAMPLE_BYTES = (DATA_DIR / "example.json").read_bytes()
EXAMPLE_TITLE = "M75 Junctions 4 to 5 upgrade smart motorway"


def _download(client, code: str, query: str = "") -> tuple:
    response = client.get(reverse("oc4ids:download", kwargs={"code": code}) + query)
    body = b"".join(response.streaming_content) if response.streaming else b""
    return response, json.loads(body) if body else None


def _upload(client, data: bytes, region, name: str = "package.json"):
    file = SimpleUploadedFile(name, data, content_type="application/json")
    return client.post(reverse("oc4ids:import"), {"file": file, "region": region.pk})


def _project_count() -> int:
    with scopes_disabled():
        return Project.objects.count()


# ---- export ----


def test_the_export_page_counts_the_projects_of_the_chosen_region_and_links_the_download(cast, client_for):
    client = client_for(cast.users.city_coordinator)

    response = client.get(reverse("oc4ids:export"), {"region": cast.regions.wenshui.pk, "stage": "construction"})

    assert response.status_code == 200
    assert (response.context["count"], response.context["region"]) == (1, cast.regions.wenshui)
    href = reverse("oc4ids:download", kwargs={"code": "141121"}) + "?stage=construction"
    assert f'href="{href}"' in response.content.decode()


def test_a_region_outside_the_subtree_is_no_choice_on_the_export_page(cast, client_for):
    response = client_for(cast.users.coordinator).get(reverse("oc4ids:export"), {"region": cast.regions.wenshui.pk})

    assert (response.status_code, response.context["count"]) == (200, None)
    assert "筛选条件有误" in response.content.decode()


def test_the_download_streams_a_valid_package_of_the_filtered_projects(cast, client_for):
    response, package = _download(client_for(cast.users.leader), "141122", "?stage=construction&sort=-name")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="oc4ids-141122-')
    assert package_issues(package) == []
    assert [project["title"] for project in package["projects"]] == ["华鑫年产5万吨特种石墨项目"]
    assert package["uri"] == "http://testserver/oc4ids/export/141122/package.json?stage=construction&sort=-name"


def test_the_download_costs_the_same_queries_for_two_projects_or_twelve(
    cast, client_for, make_project, django_assert_num_queries
):
    client = client_for(cast.users.coordinator)
    # Session, user, the user's region (scope); the region by code, the region filter's choice; exists; the
    # province's name; the session saved (savepoint, update, release); projects, plans, milestones, reports.
    with django_assert_num_queries(14):
        response, package = _download(client, "141122")
    assert len(package["projects"]) == 2
    for index in range(10):
        make_project(name=f"批量项目{index}")

    with django_assert_num_queries(14):
        response, package = _download(client, "141122")

    assert len(package["projects"]) == 12


def test_nothing_to_export_goes_back_to_the_page_with_a_message(cast, client_for):
    client = client_for(cast.users.coordinator)

    response = client.get(reverse("oc4ids:download", kwargs={"code": "141122"}), {"stage": "production"})

    assert response.status_code == 302
    assert response.url == f"{reverse('oc4ids:export')}?stage=production&region={cast.region.pk}"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "没有符合条件的项目：OC4IDS 项目包至少须含一个项目。"
    ]


def test_a_zone_download_holds_the_projects_placed_in_the_zone(cast, client_for):
    response, package = _download(client_for(cast.users.coordinator), "141122901")

    assert [project["title"] for project in package["projects"]] == ["华鑫年产5万吨特种石墨项目"]


# ---- import: upload, dry run, confirm ----


def test_upload_checks_then_confirm_imports_once(cast, client_for):
    client = client_for(cast.users.coordinator)
    before = _project_count()

    response = _upload(client, EXAMPLE_BYTES, cast.region, "example.json")

    with scopes_disabled():
        upload = PackageImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("oc4ids:review", kwargs={"pk": upload.pk})
    assert (upload.status, upload.region, upload.by, upload.file_name) == (
        "checked",
        cast.region,
        cast.users.coordinator,
        "example.json",
    )
    assert [(o["action"], o["title"], o["errors"]) for o in upload.outcomes] == [("create", EXAMPLE_TITLE, [])]
    assert _project_count() == before

    review = client.get(response.url)
    assert review.status_code == 200
    assert review.context["counts"] == {"create": 1, "update": 0, "unchanged": 0, "error": 0}
    assert "$.projects[0].budget.amount.currency" in review.content.decode()

    applied = client.post(reverse("oc4ids:apply", kwargs={"pk": upload.pk}))

    assert applied.status_code == 302
    upload = reload(upload)
    assert (upload.status, upload.applied_at is not None) == ("applied", True)
    with scopes_disabled():
        project = Project.objects.get(name=EXAMPLE_TITLE)
        assert ProjectRecord.objects.get(project=project).imported_by == cast.users.coordinator
        assert StageChange.objects.get(project=project).by == cast.users.coordinator
    assert upload.outcomes[0]["project"] == project.pk
    assert [str(m) for m in get_messages(applied.wsgi_request)] == ["已导入：新建 1 个项目，更新 0 个，未变 0 个。"]
    assert f'href="{reverse("projects:detail", kwargs={"pk": project.pk})}"' in client.get(applied.url).content.decode()

    again = client.post(reverse("oc4ids:apply", kwargs={"pk": upload.pk}))

    assert again.status_code == 302
    assert _project_count() == before + 1


def test_discard_leaves_the_ledger_alone_and_cannot_follow_an_import(cast, client_for):
    client = client_for(cast.users.admin)
    _upload(client, EXAMPLE_BYTES, cast.region)
    with scopes_disabled():
        upload = PackageImport.objects.get()

    response = client.post(reverse("oc4ids:discard", kwargs={"pk": upload.pk}))

    assert (response.status_code, response.url, reload(upload).status) == (302, reverse("oc4ids:import"), "discarded")
    assert client.post(reverse("oc4ids:apply", kwargs={"pk": upload.pk})).status_code == 302
    with scopes_disabled():
        assert not Project.objects.filter(name=EXAMPLE_TITLE).exists()


def test_a_package_that_fails_the_schema_lists_its_json_paths_and_stores_nothing(cast, client_for):
    package = json.loads(EXAMPLE_BYTES)
    package["projects"][0]["budget"]["amount"]["amount"] = "四千万"
    package["projects"][0]["status"] = "finished"

    response = _upload(client_for(cast.users.coordinator), json.dumps(package).encode(), cast.region)

    assert response.status_code == 400
    page = response.content.decode()
    assert "项目包不符合 OC4IDS 0.9.5 模式" in page
    assert "$.projects[0].budget.amount.amount" in page and "类型错误：应为数字。" in page
    assert "$.projects[0].status" in page and "取值“finished”不在允许的代码中。" in page
    with scopes_disabled():
        assert PackageImport.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 not json at all", "文件不是有效的 JSON"),
        (b"\xff\xfe\x00", "文件不是 UTF-8 编码的 JSON 文本。"),
        (b"[" * 50_000 + b"]" * 50_000, "JSON 嵌套层级过深"),
        (b"", "提交的是空文件。"),
    ],
)
def test_hostile_files_get_a_clear_message_and_nothing_is_saved(cast, client_for, data, message):
    before = _project_count()

    response = _upload(client_for(cast.users.coordinator), data, cast.region)

    assert response.status_code == 400
    assert message in response.content.decode()
    with scopes_disabled():
        assert PackageImport.objects.count() == 0
    assert _project_count() == before


def test_an_oversize_file_is_refused_before_it_is_read(cast, client_for, monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 1000)

    response = _upload(client_for(cast.users.coordinator), EXAMPLE_BYTES, cast.region)

    assert response.status_code == 400
    assert "文件超过 10 MB，请拆分后分批导入。" in response.content.decode()


def test_a_region_outside_the_subtree_is_refused_in_the_form(cast, client_for):
    response = _upload(client_for(cast.users.coordinator), EXAMPLE_BYTES, cast.regions.wenshui)

    assert response.status_code == 400
    assert response.context["form"].errors == {"region": ["所选区划不在您的管辖范围内。"]}


def test_confirming_after_the_ledger_changed_refuses_and_saves_nothing(cast, client_for):
    client = client_for(cast.users.coordinator)
    road = cast.projects.road
    package = json.loads(EXAMPLE_BYTES)
    package["projects"][0]["identifiers"] = [{"id": road.national_code, "scheme": "CN-TZXMDM"}]
    _upload(client, json.dumps(package).encode(), cast.region)
    with scopes_disabled():
        upload = PackageImport.objects.get()
        assert upload.outcomes[0]["action"] == "update"
        road.archive(by=cast.users.coordinator)

    response = client.post(reverse("oc4ids:apply", kwargs={"pk": upload.pk}))

    assert response.status_code == 400
    assert "数据已在校验后发生变化" in response.content.decode()
    upload = reload(upload)
    assert (upload.status, upload.outcomes[0]["action"]) == ("checked", "error")
    assert reload(road).name == "交城县城区道路提质改造工程"
    with scopes_disabled():
        assert ProjectRecord.objects.count() == 0


def test_a_checked_package_with_errors_cannot_be_confirmed(cast, client_for):
    client = client_for(cast.users.coordinator)
    package = json.loads(EXAMPLE_BYTES)
    package["projects"][0]["identifiers"] = [{"id": cast.projects.xiaodian.national_code, "scheme": "CN-TZXMDM"}]
    _upload(client, json.dumps(package).encode(), cast.region)
    with scopes_disabled():
        upload = PackageImport.objects.get()

    review = client.get(reverse("oc4ids:review", kwargs={"pk": upload.pk}))
    response = client.post(reverse("oc4ids:apply", kwargs={"pk": upload.pk}))

    assert review.context["can_apply"] is False
    assert "已登记在所选区划以外" in review.content.decode()
    assert response.status_code == 400
    assert reload(upload).status == "checked"


def test_the_import_page_lists_the_recent_imports_of_the_subtree_in_fixed_queries(
    cast, client_for, django_assert_num_queries
):
    with scopes_disabled():
        for region in (cast.region, cast.regions.wenshui, cast.regions.xiaodian):
            PackageImport.objects.create(
                region=region, file_name=f"{region.code}.json", package={}, by=cast.users.admin
            )
    client = client_for(cast.users.city_coordinator)

    # Session, user, the user's region (scope), unread notifications (navbar), the region choices, the imports
    # (with region and uploader), the session saved (savepoint, update, release).
    with django_assert_num_queries(9):
        response = client.get(reverse("oc4ids:import"))

    assert [upload.file_name for upload in response.context["imports"]] == ["141121.json", "141122.json"]


# ---- commands ----


def test_the_export_command_writes_a_valid_package(cast):
    out = StringIO()

    call_command("oc4ids_export", "--region", "141100", "--filter", "stage=construction", stdout=out)

    package = json.loads(out.getvalue())
    assert package_issues(package) == []
    assert sorted(project["title"] for project in package["projects"]) == [
        "华鑫年产5万吨特种石墨项目",
        "文水县人民医院新院区建设项目",
    ]
    assert package["uri"].startswith("urn:oc4ids:141100:")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--region", "999999"], "No region with code '999999'."),
        (["--region", "141122", "--filter", "stage=production"], "No project matches"),
        (["--region", "141122", "--filter", "stage"], "--filter takes NAME=VALUE"),
        (["--region", "141122", "--filter", "stage=flying"], "Bad filter"),
    ],
)
def test_the_export_command_refuses_what_gives_no_package(cast, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("oc4ids_export", *arguments, stdout=StringIO())


def test_the_import_command_dry_runs_then_imports(cast, tmp_path):
    path = tmp_path / "example.json"
    path.write_bytes(EXAMPLE_BYTES)
    before = _project_count()
    out = StringIO()

    call_command("oc4ids_import", str(path), "--region", "141122", "--dry-run", stdout=out)

    assert _project_count() == before
    assert f"[create] oc4ids-bu3kcz-m75-junctions-4-to-5-smart-motorway {EXAMPLE_TITLE}" in out.getvalue()
    assert out.getvalue().endswith("Would create 1, update 0, unchanged 0, errors 0. (dry run: nothing saved)\n")

    call_command("oc4ids_import", str(path), "--region", "141122", "--user", "jc_coordinator", stdout=StringIO())

    with scopes_disabled():
        assert ProjectRecord.objects.get().imported_by == cast.users.coordinator
    assert _project_count() == before + 1


def test_the_import_command_lists_what_is_wrong(cast, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"projects": []}')

    with pytest.raises(CommandError) as refused:
        call_command("oc4ids_import", str(bad), "--region", "141122", stdout=StringIO())

    assert str(refused.value).splitlines()[:3] == [
        "项目包不符合 OC4IDS 0.9.5 模式，请按下列位置修改后重新上传。",
        "  $: 缺少必填字段“uri”。",
        "  $: 缺少必填字段“publisher”。",
    ]
    with pytest.raises(CommandError, match="No file"):
        call_command("oc4ids_import", str(bad.with_name("missing.json")), "--region", "141122", stdout=StringIO())


def test_the_import_command_refuses_a_user_without_the_right(cast, tmp_path):
    path = tmp_path / "example.json"
    path.write_bytes(EXAMPLE_BYTES)

    with pytest.raises(CommandError, match="jc_reporter may not import into 交城县"):
        call_command("oc4ids_import", str(path), "--region", "141122", "--user", "jc_reporter", stdout=StringIO())
    with pytest.raises(CommandError, match="jc_coordinator may not import into 文水县"):
        call_command("oc4ids_import", str(path), "--region", "141121", "--user", "jc_coordinator", stdout=StringIO())


def test_the_demo_leaves_the_official_example_checked_for_the_county(cast):
    from types import SimpleNamespace

    from oc4ids import demo

    world = SimpleNamespace(region=lambda code: {"141122": cast.region}[code])
    accounts = [cast.users.admin, cast.users.coordinator, cast.users.city_coordinator]

    line = demo.build(world, accounts, random.Random(1))

    with scopes_disabled():
        upload = PackageImport.objects.get()
    assert line == "OC4IDS: the official example package checked for 交城县, waiting for confirmation."
    assert (upload.status, upload.by, upload.region, upload.counts["create"]) == (
        "checked",
        cast.users.coordinator,
        cast.region,
        1,
    )
    assert _project_count() == 4


def test_the_review_shows_only_the_projects_with_errors_or_warnings_on_request(cast, client_for):
    client = client_for(cast.users.coordinator)
    budget = {"amount": {"amount": 10_000_000, "currency": "CNY"}}
    package = {
        "uri": "https://example.com/p.json",
        "publishedDate": "2025-01-01T00:00:00Z",
        "version": "0.9",
        "publisher": {"name": "测试"},
        "projects": [{"id": "a", "title": "有预算的项目", "budget": budget}, {"id": "b", "title": "没有预算的项目"}],
    }
    _upload(client, json.dumps(package).encode(), cast.region)
    with scopes_disabled():
        upload = PackageImport.objects.get()
    url = reverse("oc4ids:review", kwargs={"pk": upload.pk})

    everything = client.get(url)
    problems = client.get(url, {"only": "problems"})

    assert [o["title"] for o in everything.context["page"].object_list] == ["有预算的项目", "没有预算的项目"]
    assert [o["title"] for o in problems.context["page"].object_list] == ["没有预算的项目"]
    assert "缺少预算金额（budget.amount），总投资暂按 0 万元登记" in problems.content.decode()

"""Browser test of OC4IDS exchange: the county coordinator exports the county's package (downloaded and
validated against the schema), uploads a broken package and sees its JSON paths, then uploads the official
example, reads the dry run and confirms it; the imported project opens from the result. Screenshots go to
artifacts/oc4ids-*.png.
"""

import json

import pytest
from django_scopes import scopes_disabled

from oc4ids.schema import DATA_DIR, package_issues
from projects.models import Project

from .browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXAMPLE = DATA_DIR / "example.json"
TITLE = "M75 Junctions 4 to 5 upgrade smart motorway"




def test_a_coordinator_exports_the_county_and_imports_the_official_example(page, cast, tmp_path):
    login(page, "jc_coordinator", cast.password)

    # Export: the county's two projects, then only those under construction.
    page.goto("/oc4ids/export/")
    assert page.get_by_test_id("export-count").inner_text() == "符合条件的项目 2 个"
    page.select_option("#id_stage", "construction")
    page.click("button:has-text('筛选')")
    page.wait_for_url("**stage=construction**")
    assert page.get_by_test_id("export-count").inner_text() == "符合条件的项目 1 个"
    shot(page, "oc4ids-01-export")
    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    assert download.value.suggested_filename.startswith("oc4ids-141122-")
    package = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert package_issues(package) == []
    assert [project["title"] for project in package["projects"]] == ["华鑫年产5万吨特种石墨项目"]

    # A broken package: the schema errors with their JSON paths, nothing stored.
    broken = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    broken["projects"][0]["budget"]["amount"]["amount"] = "四千万英镑"
    broken["projects"][0]["locations"][1].pop("id")
    broken_path = tmp_path / "broken.json"
    broken_path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    page.goto("/oc4ids/import/")
    page.set_input_files("#id_file", str(broken_path))
    page.get_by_test_id("check").click()
    page.wait_for_selector("[data-testid=issues]")
    issues = page.get_by_test_id("issues").inner_text()
    assert "$.projects[0].budget.amount.amount" in issues and "类型错误：应为数字。" in issues
    assert "$.projects[0].locations[1]" in issues and "缺少必填字段“id”。" in issues
    assert page.get_by_test_id("no-imports").is_visible()
    shot(page, "oc4ids-02-import-errors")

    # The official example: the dry run, then the confirmation.
    page.set_input_files("#id_file", str(EXAMPLE))
    page.get_by_test_id("check").click()
    page.wait_for_selector("[data-testid=outcomes]")
    assert page.get_by_test_id("status").inner_text() == "已校验"
    assert "将新建\n1" in page.get_by_test_id("counts").inner_text()
    assert page.get_by_test_id("warning").count() == 6
    with scopes_disabled():
        assert not Project.objects.filter(name=TITLE).exists()
    shot(page, "oc4ids-03-import-review")
    page.get_by_test_id("apply").click()
    page.wait_for_selector("text=已导入：新建 1 个项目")
    assert page.get_by_test_id("status").inner_text() == "已导入"
    shot(page, "oc4ids-04-import-applied")

    page.click(f"a:has-text('{TITLE}')")
    page.wait_for_selector("h1")
    assert TITLE in page.locator("h1").inner_text()
    shot(page, "oc4ids-05-imported-project")

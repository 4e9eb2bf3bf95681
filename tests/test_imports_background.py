"""Large ledgers go to a huey task with a progress record the detail page polls; the same step runs by hand."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scopes_disabled
from huey.contrib.djhuey import HUEY

from imports import tasks
from imports.models import ImportStatus, LedgerImport
from projects.models import Project

from .conftest import login_client, reload
from .test_imports import (
    BAD_ERRORS,
    LOGISTICS,
    PARK,
    ROAD_UPDATE,
    apply,
    check,
    county_ledger,
    full_ledger,
    latest_import,
    mapping_data,
    upload,
)


@pytest.fixture
def city(cast, settings, tmp_path, monkeypatch):
    """The city office, with every file counted as large and huey running tasks at once (no consumer in tests)."""
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(tasks, "SYNC_ROWS", 2)
    monkeypatch.setattr(HUEY, "immediate", True)
    return login_client(cast.users.city_coordinator)


def test_a_large_files_dry_run_runs_as_a_task_and_leaves_its_result(cast, city):
    upload(city, full_ledger())
    ledger_import = latest_import()
    assert tasks.runs_in_background(ledger_import)  # 9 rows under the header, over the (lowered) limit

    response = check(city, ledger_import)

    ledger_import = reload(ledger_import)
    assert response.url == reverse("imports:detail", kwargs={"pk": ledger_import.pk})
    assert (ledger_import.status, ledger_import.progress_step, ledger_import.failure) == ("checked", "", "")
    assert sorted(ledger_import.errors, key=lambda e: e["column"]) == sorted(BAD_ERRORS, key=lambda e: e["column"])


def test_a_large_files_save_runs_as_a_task(cast, city):
    upload(city, county_ledger(PARK, ROAD_UPDATE, LOGISTICS))
    ledger_import = latest_import()
    check(city, ledger_import)

    response = apply(city, reload(ledger_import))

    ledger_import = reload(ledger_import)
    assert response.url == reverse("imports:detail", kwargs={"pk": ledger_import.pk})
    assert (ledger_import.status, ledger_import.create_count, ledger_import.update_count) == ("applied", 2, 1)
    with scopes_disabled():
        assert Project.objects.filter(name="交城县新能源装备制造产业园项目").exists()


def test_a_task_refused_on_save_says_why_on_the_import(cast, city):
    upload(city, full_ledger())
    ledger_import = latest_import()
    with scopes_disabled():
        LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.CHECKED)

    tasks.start(reload(ledger_import), cast.users.city_coordinator, "apply")

    ledger_import = reload(ledger_import)
    assert ledger_import.status == ImportStatus.CHECKED
    assert ledger_import.failure == "文件中有 1 行错误，未保存任何数据；请改正后重新上传。"
    assert ledger_import.error_count == 1


def test_the_progress_card_polls_while_running_and_reloads_the_page_when_done(cast, city):
    upload(city, full_ledger())
    ledger_import = latest_import()
    url = reverse("imports:progress", kwargs={"pk": ledger_import.pk})
    with scopes_disabled():
        LedgerImport.objects.filter(pk=ledger_import.pk).update(
            status=ImportStatus.RUNNING, progress_step="check", progress_done=500, progress_total=2000
        )

    running = city.get(url, headers={"HX-Request": "true"})
    detail = city.get(reverse("imports:detail", kwargs={"pk": ledger_import.pk}))
    with scopes_disabled():
        LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.CHECKED)
    done = city.get(url, headers={"HX-Request": "true"})

    assert "已处理 500 / 2000 行。" in running.content.decode()
    assert f'hx-get="{url}"' in running.content.decode()
    assert "HX-Refresh" not in running
    assert 'data-testid="progress"' in detail.content.decode()
    assert reload(ledger_import).progress_percent == 25
    assert done["HX-Refresh"] == "true"
    assert "hx-get" not in done.content.decode()


def test_a_running_import_cannot_be_started_twice(cast, city):
    upload(city, full_ledger())
    ledger_import = latest_import()
    with scopes_disabled():
        LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.RUNNING, progress_step="check")

    started = tasks.start(reload(ledger_import), cast.users.city_coordinator, "apply")
    response = city.post(
        reverse("imports:mapping", kwargs={"pk": ledger_import.pk}), mapping_data(reload(ledger_import))
    )

    assert started is False
    assert response.status_code == 302 and response.url == reverse("imports:detail", kwargs={"pk": ledger_import.pk})
    assert reload(ledger_import).status == ImportStatus.RUNNING


def test_the_command_runs_a_step_by_hand(cast, city):
    upload(city, county_ledger(PARK, ROAD_UPDATE, LOGISTICS))
    ledger_import = latest_import()
    out = StringIO()

    call_command("run_ledger_import", ledger_import.pk, step="check", stdout=out)

    summary = "新建 2，更新 1，错误 0 行"
    assert out.getvalue() == f"Ledger import {ledger_import.pk} (吕梁市重点项目台账.xlsx), check: {summary}\n"
    assert reload(ledger_import).status == ImportStatus.CHECKED

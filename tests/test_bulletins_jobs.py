"""Generating and issuing as background jobs: the claim a click makes, the state while a job runs, the task,
failures that leave the previous content and files as they were, lost jobs, the refusals while a job holds a
bulletin, and the progress card the detail page polls.

No huey consumer runs in tests: ``queued`` catches what the screens queue once their writes commit, and the
tests call ``tasks.run`` as the consumer would, in between looking at the bulletin mid-job.
"""

import datetime
import logging
import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from bulletins import content as bulletin_content
from bulletins import documents, tasks
from bulletins.models import JOB_TIMEOUT, Bulletin
from reports import colours
from reports.models import previous_month

from .conftest import reload

pytestmark = pytest.mark.usefixtures("unscoped")

LAST = previous_month(*colours.current_month())
GENERATE_URL = reverse("bulletins:generate")
GENERATING = "该通报正在生成，请等待完成后再操作。"
ISSUING = "该通报正在印发，请等待完成后再操作。"


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def queued(monkeypatch, django_capture_on_commit_callbacks):
    """``queued.post(client, url, data)`` runs a request and commits it; ``queued.jobs`` lists what it queued."""

    class Queue:
        jobs: list[tuple] = []

        @staticmethod
        def post(client, url: str, data: dict | None = None):
            with django_capture_on_commit_callbacks(execute=True):
                return client.post(url, data or {})

    Queue.jobs = []
    monkeypatch.setattr(tasks, "bulletin_task", lambda *args: Queue.jobs.append(args))
    return Queue


@pytest.fixture
def draft(cast, media) -> Bulletin:
    return Bulletin.generate(cast.region, *LAST, by=cast.users.coordinator)


def _url(name: str, bulletin: Bulletin) -> str:
    return reverse(f"bulletins:{name}", kwargs={"pk": bulletin.pk})


def _stored_files(media: Path) -> set[str]:
    return {str(path.relative_to(media)) for path in media.rglob("*") if path.is_file()}


def _state(bulletin: Bulletin) -> tuple:
    """What a failed or refused job must leave as it was: content, file names and bytes, status and number."""
    bulletin = reload(bulletin)
    files = [(field.name, field.read()) for field in (bulletin.docx, bulletin.pdf, bulletin.ledger)]
    return bulletin.content, files, bulletin.status, bulletin.number


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def _age(bulletin: Bulletin, by: datetime.timedelta) -> None:
    started = timezone.now() - by
    Bulletin.objects.filter(pk=bulletin.pk).update(job_started_at=started)


# ---- the claim ----


def test_generating_from_the_list_claims_a_draft_and_queues_the_job_once_committed(cast, client_for, media, queued):
    response = queued.post(client_for(cast.users.coordinator), GENERATE_URL,
                           {"region": cast.region.pk, "month": f"{LAST[0]}-{LAST[1]:02d}"})  # fmt: skip

    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and response.url == _url("detail", bulletin)
    assert _messages(response) == ["正在后台生成通报草稿，完成后本页自动显示。"]
    assert (bulletin.region, bulletin.year, bulletin.month, bulletin.status) == (cast.region, *LAST, "draft")
    assert (bulletin.job, bulletin.job_step, bulletin.job_by, bulletin.content, bulletin.failure) == (
        "generate", "", cast.users.coordinator, {}, "",
    )  # fmt: skip
    assert bulletin.is_busy and bulletin.job_started_at is not None
    assert [bulletin.docx.name, bulletin.pdf.name, bulletin.ledger.name] == ["", "", ""]
    assert queued.jobs == [(bulletin.pk, str(bulletin.job_token), None)]


def test_issuing_claims_the_draft_and_the_task_issues_it_as_of_the_day_of_the_click(cast, client_for, draft, queued):
    response = queued.post(client_for(cast.users.coordinator), _url("issue", draft))

    claimed = reload(draft)
    assert response.status_code == 302 and response.url == _url("detail", draft)
    assert _messages(response) == ["正在后台印发：分配文号并生成正式文件，完成后本页自动显示。"]
    assert (claimed.status, claimed.number, claimed.job, claimed.job_by) == ("draft", None, "issue",
                                                                            cast.users.coordinator)  # fmt: skip
    today = timezone.localdate()
    assert queued.jobs == [(draft.pk, str(claimed.job_token), today.isoformat())]

    assert tasks.run(*queued.jobs[0]) == "done"

    issued = reload(draft)
    assert (issued.status, issued.number, issued.number_year, issued.issued_by) == (
        "issued", 1, today.year, cast.users.coordinator,
    )  # fmt: skip
    assert issued.meta["issued_on"] == today.isoformat()
    assert (issued.job, issued.job_token, issued.failure) == ("", None, "")
    assert issued.pdf.name != draft.pdf.name and issued.ledger.name == draft.ledger.name  # the annex is kept


# ---- while a job runs ----


def test_the_page_of_a_bulletin_being_generated_shows_the_progress_card_and_nothing_to_act_on(cast, client_for, media):
    bulletin = Bulletin.claim_generation(cast.region, *LAST, by=cast.users.coordinator)
    client = client_for(cast.users.coordinator)

    page = client.get(_url("detail", bulletin)).content.decode()
    listed = client.get(reverse("bulletins:list")).content.decode()

    progress = _url("progress", bulletin)
    assert f'hx-get="{progress}" hx-trigger="every 2s" hx-swap="outerHTML"' in page
    assert "正在生成通报" in page and "已排队，等待后台处理" in page
    for absent in ("preview", "figures", "regenerate", "issue", "delete", "download-docx", "download-pdf"):
        assert f'data-testid="{absent}"' not in page, absent
    assert '<span class="badge text-bg-info" data-testid="job-badge">生成中</span>' in listed


@pytest.mark.parametrize(("job", "refusal"), [("generate", GENERATING), ("issue", ISSUING)])
def test_a_bulletin_held_by_a_job_is_not_regenerated_issued_or_deleted(cast, client_for, draft, job, refusal):
    if job == "generate":
        Bulletin.claim_generation(cast.region, *LAST, by=cast.users.admin)
    else:
        reload(draft).claim_issue(by=cast.users.admin)
    held = reload(draft)
    before = _state(draft)
    client = client_for(cast.users.coordinator)

    responses = [client.post(_url(name, draft)) for name in ("regenerate", "issue", "delete")]
    form = client.post(GENERATE_URL, {"region": cast.region.pk, "month": f"{LAST[0]}-{LAST[1]:02d}"})

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert [[str(m) for m in r.context["messages"]] for r in responses] == [[refusal]] * 3
    assert form.status_code == 400 and form.context["form"].non_field_errors() == [refusal]
    after = reload(draft)
    assert (after.job, after.job_token, after.job_by) == (held.job, held.job_token, cast.users.admin)
    assert _state(draft) == before


def test_the_command_refuses_a_bulletin_held_by_a_job(cast, draft):
    Bulletin.claim_generation(cast.region, *LAST)

    with pytest.raises(CommandError, match=GENERATING):
        call_command("make_bulletin", region="141122", year=LAST[0], month=LAST[1], issue=True)

    assert reload(draft).job == "generate"


# ---- the task ----


def test_the_task_runs_the_claimed_job_and_swaps_content_and_files_in_at_once(cast, media):
    bulletin = Bulletin.claim_generation(cast.region, *LAST, by=cast.users.coordinator)

    result = tasks.run(bulletin.pk, str(bulletin.job_token))

    done = reload(bulletin)
    assert result == "done"
    assert (done.job, done.job_step, done.job_token, done.job_started_at, done.failure) == ("", "", None, None, "")
    assert done.meta["title"] == f"关于{LAST[0]}年{LAST[1]}月份全县重点项目建设进展情况的通报"
    assert done.generated_by == cast.users.coordinator
    assert [done.docx.read(4), done.pdf.read(4), done.ledger.read(4)] == [b"PK\x03\x04", b"%PDF", b"PK\x03\x04"]
    assert _stored_files(media) == {done.docx.name, done.pdf.name, done.ledger.name}
    assert done.history.first().history_user == cast.users.coordinator


def test_a_failing_render_keeps_the_previous_content_and_files_and_records_why(
    cast, client_for, draft, media, monkeypatch, caplog
):
    before, files = _state(draft), _stored_files(media)

    def broken(content):
        raise OSError("字体文件损坏")

    monkeypatch.setattr(documents, "render_pdf", broken)
    Bulletin.claim_generation(cast.region, *LAST, by=cast.users.coordinator)
    with caplog.at_level(logging.ERROR, logger="bulletins.tasks"):
        result = tasks.run(draft.pk, str(reload(draft).job_token))

    failed = reload(draft)
    assert result == "failed"
    assert (failed.job, failed.job_token, failed.failure) == ("", None, "生成失败：OSError: 字体文件损坏")
    assert _state(draft) == before
    assert _stored_files(media) == files
    assert [r.getMessage() for r in caplog.records if r.name == "bulletins.tasks"] == [
        f"Bulletin {draft.pk}: the generate job failed"
    ]
    page = client_for(cast.users.coordinator).get(_url("detail", draft)).content.decode()
    assert "生成失败：OSError: 字体文件损坏" in page and "本次未保存任何结果，原有内容和文件保持不变。" in page
    assert all(f'data-testid="{name}"' in page for name in ("preview", "regenerate", "issue", "download-pdf"))

    monkeypatch.undo()
    Bulletin.generate(cast.region, *LAST)  # the retry

    assert reload(draft).failure == "" and reload(draft).content["version"] == bulletin_content.VERSION


def test_a_failure_while_storing_removes_the_new_files_already_stored(cast, draft, media, monkeypatch):
    before, files = _state(draft), _stored_files(media)
    storage = draft.pdf.storage
    save = storage.save

    def full_disk(name, content, *args, **kwargs):
        if name.endswith(".pdf"):
            raise OSError("磁盘空间不足")
        return save(name, content, *args, **kwargs)

    monkeypatch.setattr(storage, "save", full_disk)
    Bulletin.claim_generation(cast.region, *LAST)

    assert tasks.run(draft.pk, str(reload(draft).job_token)) == "failed"

    assert reload(draft).failure == "生成失败：OSError: 磁盘空间不足"
    assert _state(draft) == before
    assert _stored_files(media) == files  # the new Word file, saved before the PDF failed, is gone again


def test_a_failed_issue_leaves_the_draft_unissued_and_a_retry_issues_it(cast, draft, media, monkeypatch):
    before = _state(draft)

    def broken(content):
        raise ValueError("文号模板损坏")

    monkeypatch.setattr(documents, "render_docx", broken)
    reload(draft).claim_issue(by=cast.users.coordinator)
    with pytest.raises(ValueError, match="文号模板损坏"):
        reload(draft).run_issue()

    failed = reload(draft)
    assert (failed.status, failed.number, failed.job) == ("draft", None, "")
    assert failed.failure == "印发失败：ValueError: 文号模板损坏"
    assert _state(draft) == before

    monkeypatch.undo()
    reload(draft).issue(by=cast.users.coordinator)

    issued = reload(draft)
    assert (issued.status, issued.number, issued.failure) == ("issued", 1, "")


def test_a_lost_job_may_be_taken_over_and_the_lost_workers_late_result_is_discarded(cast, client_for, draft, media):
    Bulletin.claim_generation(cast.region, *LAST)
    lost = reload(draft)  # what the lost worker holds
    _age(draft, JOB_TIMEOUT + datetime.timedelta(minutes=1))
    before, files = _state(draft), _stored_files(media)

    aged = reload(draft)
    page = client_for(cast.users.coordinator).get(_url("detail", draft)).content.decode()
    taken = Bulletin.claim_generation(cast.region, *LAST, by=cast.users.admin)

    assert (aged.job_lost, aged.is_busy) == (True, False)
    assert 'data-testid="job-lost"' in page and 'data-testid="regenerate"' in page
    assert _url("progress", draft) not in page  # no polling
    assert taken.job_token != lost.job_token
    with pytest.raises(ValidationError, match="该通报已被删除或已由他人重新处理，本次结果未保存。"):
        lost.run_generation()
    assert tasks.run(draft.pk, str(lost.job_token)) == "superseded"
    assert (reload(draft).job_token, reload(draft).failure) == (taken.job_token, "")
    assert _state(draft) == before
    assert _stored_files(media) == files


def test_a_first_generation_that_fails_leaves_an_empty_draft_to_retry_or_delete(cast, client_for, media, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("数据库连接中断")

    monkeypatch.setattr(bulletin_content, "compute", broken)
    bulletin = Bulletin.claim_generation(cast.region, *LAST, by=cast.users.coordinator)
    assert tasks.run(bulletin.pk, str(bulletin.job_token)) == "failed"
    client = client_for(cast.users.coordinator)

    page = client.get(_url("detail", bulletin)).content.decode()
    issue = client.post(_url("issue", bulletin))

    failed = reload(bulletin)
    assert (failed.content, failed.job, failed.failure) == ({}, "", "生成失败：RuntimeError: 数据库连接中断")
    assert [name for name in ("regenerate", "delete", "issue", "preview", "download-docx")
            if f'data-testid="{name}"' in page] == ["regenerate", "delete"]  # fmt: skip
    assert issue.status_code == 400
    assert [str(m) for m in issue.context["messages"]] == ["通报尚未生成成功，不能印发；请先重新生成。"]
    assert _stored_files(media) == set()


# ---- the progress card ----


def _poll(client, bulletin: Bulletin):
    return client.get(_url("progress", bulletin), headers={"HX-Request": "true"})


def test_the_progress_card_polls_while_the_job_runs(cast, client_for, media):
    bulletin = Bulletin.claim_generation(cast.region, *LAST, by=cast.users.coordinator)
    Bulletin.objects.filter(pk=bulletin.pk).update(job_step="pdf")
    started = timezone.localtime(bulletin.job_started_at).strftime("%H:%M")

    response = _poll(client_for(cast.users.coordinator), bulletin)

    assert response.status_code == 200 and "HX-Refresh" not in response
    html = response.content.decode()
    assert re.findall(r'hx-[a-z]+="[^"]*"', html) == [
        f'hx-get="{_url("progress", bulletin)}"', 'hx-trigger="every 2s"', 'hx-swap="outerHTML"',
    ]  # fmt: skip
    assert 'style="width: 30%"' in html
    assert _text(response) == (
        f"正在生成通报 正在排版 PDF 文档 30% 李晓梅 于 {started} 发起，在后台处理：可以离开本页，稍后在通报列表中"
        "查看。处理完成前不能重新生成、印发或删除。"
    )


def test_the_progress_card_reloads_the_page_once_the_job_has_ended(cast, client_for, media):
    bulletin = Bulletin.claim_generation(cast.region, *LAST, by=cast.users.coordinator)
    tasks.run(bulletin.pk, str(bulletin.job_token))

    response = _poll(client_for(cast.users.coordinator), bulletin)

    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert "hx-get" not in response.content.decode()
    assert _text(response) == "已完成，正在刷新页面…"


def test_the_progress_card_of_a_failed_job_says_why_and_stops_polling(cast, client_for, draft, monkeypatch):
    monkeypatch.setattr(documents, "render_docx", lambda content: 1 / 0)
    Bulletin.claim_generation(cast.region, *LAST)
    tasks.run(draft.pk, str(reload(draft).job_token))

    response = _poll(client_for(cast.users.coordinator), draft)

    assert response["HX-Refresh"] == "true" and "hx-get" not in response.content.decode()
    assert _text(response) == (
        "生成失败：ZeroDivisionError: division by zero 本次未保存任何结果，原有内容和文件保持不变。可重新生成或重新"
        "印发；如仍失败，请联系系统管理员。"
    )

"""The bulletin screens and the make_bulletin command: generate, preview, regenerate, issue, discard, download.

Every write is checked by reading the rows back; every refusal by checking nothing changed. Figures and
documents are covered in tests/test_bulletins.py, the background jobs (their states, failures and the progress
card) in tests/test_bulletins_jobs.py; here the jobs run as soon as they are queued (``worker``) and the data
are the bare cast.
"""

import datetime
import re
from urllib.parse import unquote

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from bulletins.models import Bulletin
from reports import colours
from reports.models import previous_month

from .conftest import reload

pytestmark = pytest.mark.usefixtures("unscoped")

YEAR, MONTH = colours.current_month()
LAST = previous_month(YEAR, MONTH)
LIST_URL = reverse("bulletins:list")
GENERATE_URL = reverse("bulletins:generate")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _month(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """``worker(client, url, data)``: a POST whose queued job runs once the request's writes commit (huey in
    immediate mode; tests have no consumer)."""
    monkeypatch.setattr(HUEY, "immediate", True)

    def post(client, url: str, data: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return post


def _generate(client, region, year=LAST[0], month=LAST[1], worker=None):
    data = {"region": region.pk, "month": _month(year, month)}
    return worker(client, GENERATE_URL, data) if worker else client.post(GENERATE_URL, data)


def _field_errors(response) -> dict:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


# ---- generating ----


def test_a_coordinator_generates_the_draft_of_last_month_and_lands_on_its_preview(cast, client_for, worker):
    response = _generate(client_for(cast.users.coordinator), cast.region, worker=worker)

    bulletin = Bulletin.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("bulletins:detail", kwargs={"pk": bulletin.pk})
    assert (bulletin.region, bulletin.year, bulletin.month, bulletin.status) == (cast.region, *LAST, "draft")
    assert (bulletin.job, bulletin.job_token, bulletin.failure) == ("", None, "")
    assert bulletin.generated_by == cast.users.coordinator
    assert bulletin.meta["title"] == f"关于{LAST[0]}年{LAST[1]}月份全县重点项目建设进展情况的通报"
    assert [field.read(4) for field in (bulletin.docx, bulletin.pdf, bulletin.ledger)] == [
        b"PK\x03\x04",
        b"%PDF",
        b"PK\x03\x04",
    ]


def test_the_form_offers_last_month_and_the_users_region_and_those_below_it(cast, client_for):
    response = client_for(cast.users.city_coordinator).get(LIST_URL)

    form = response.context["form"]
    assert form.initial == {"region": cast.regions.lvliang.pk, "month": _month(*LAST)}
    assert list(form.fields["region"].queryset) == [cast.regions.lvliang, cast.regions.wenshui, cast.region]


def test_generating_again_overwrites_the_draft(cast, client_for, worker):
    client = client_for(cast.users.coordinator)
    _generate(client, cast.region, worker=worker)
    first = Bulletin.objects.get()
    Bulletin.objects.filter(pk=first.pk).update(generated_at=timezone.now() - datetime.timedelta(days=1))

    response = _generate(client, cast.region, worker=worker)

    assert response.status_code == 302
    again = Bulletin.objects.get()
    assert again.pk == first.pk and again.generated_at > first.generated_at


@pytest.mark.parametrize(
    ("month", "error"),
    [
        ("", "请选择月份。"),
        ("2026-13", "请按“年-月”选择月份，例如 2026-10。"),
        ("上个月", "请按“年-月”选择月份，例如 2026-10。"),
        ("1999-12", "月份不能早于 2000 年。"),
        (_month(YEAR + 1, 1), "不能为尚未到来的月份生成通报。"),
    ],
)
def test_a_bad_month_is_refused_with_a_field_error(cast, client_for, month, error):
    response = client_for(cast.users.coordinator).post(GENERATE_URL, {"region": cast.region.pk, "month": month})

    assert response.status_code == 400
    assert _field_errors(response) == {"month": [error]}
    assert Bulletin.objects.count() == 0


@pytest.mark.parametrize("region", ["xiaodian", "lvliang", "zone"])
def test_a_region_outside_the_users_subtree_or_a_zone_is_refused(cast, client_for, region):
    response = _generate(client_for(cast.users.coordinator), getattr(cast.regions, region))

    assert response.status_code == 400
    assert _field_errors(response) == {"region": ["所选区划不在您的管辖范围内。"]}
    assert Bulletin.objects.count() == 0


def test_an_issued_month_is_not_generated_again(cast, client_for, worker):
    client = client_for(cast.users.coordinator)
    _generate(client, cast.region, worker=worker)
    issued = Bulletin.objects.get()
    issued.issue(by=cast.users.coordinator)
    before = reload(issued)

    response = _generate(client, cast.region)

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [f"{before} 已印发，不能重新生成。"]
    after = reload(issued)
    assert (after.generated_at, after.content, after.docx.name) == (
        before.generated_at,
        before.content,
        before.docx.name,
    )


def test_a_city_coordinator_generates_a_countys_bulletin(cast, client_for):
    response = _generate(client_for(cast.users.city_coordinator), cast.regions.wenshui)

    assert response.status_code == 302
    assert Bulletin.objects.get().region == cast.regions.wenshui


# ---- preview, issue, regenerate, delete ----


@pytest.fixture
def draft(cast):
    return Bulletin.generate(cast.region, *LAST, by=cast.users.coordinator)


def test_the_preview_shows_the_frozen_content_and_the_actions_of_a_draft(cast, client_for, draft):
    response = client_for(cast.users.coordinator).get(reverse("bulletins:detail", kwargs={"pk": draft.pk}))

    html = response.content.decode()
    assert response.status_code == 200
    assert "交城县重点项目建设工作领导小组办公室" in html
    assert f"交重点办〔{YEAR}〕　号" in html
    for block in draft.content["blocks"]:
        if block["kind"] == "heading":
            assert block["text"] in html
    assert [name for name in ("regenerate", "issue", "delete") if f'data-testid="{name}"' in html] == [
        "regenerate",
        "issue",
        "delete",
    ]


def test_issuing_from_the_preview_numbers_and_freezes_it(cast, client_for, draft, worker):
    client = client_for(cast.users.coordinator)

    response = worker(client, reverse("bulletins:issue", kwargs={"pk": draft.pk}))

    issued = reload(draft)
    assert response.status_code == 302
    assert (issued.status, issued.number, issued.number_year) == ("issued", 1, YEAR)
    assert issued.issued_by == cast.users.coordinator
    page = client.get(response.url).content.decode()
    assert f"交重点办〔{YEAR}〕1号" in page
    assert 'data-testid="issue"' not in page and 'data-testid="regenerate"' not in page


def test_issuing_twice_is_refused_and_changes_nothing(cast, client_for, draft):
    client = client_for(cast.users.coordinator)
    draft.issue(by=cast.users.coordinator)
    before = reload(draft)

    response = client.post(reverse("bulletins:issue", kwargs={"pk": draft.pk}))

    assert response.status_code == 400
    assert [str(m) for m in response.context["messages"]] == ["该通报已印发。"]
    after = reload(draft)
    assert (after.number, after.issued_at, after.pdf.name) == (before.number, before.issued_at, before.pdf.name)


def test_regenerating_from_the_preview_keeps_the_row(cast, client_for, draft, worker):
    Bulletin.objects.filter(pk=draft.pk).update(generated_at=timezone.now() - datetime.timedelta(days=1))

    response = worker(client_for(cast.users.admin), reverse("bulletins:regenerate", kwargs={"pk": draft.pk}))

    assert response.status_code == 302
    assert reload(draft).generated_by == cast.users.admin
    assert reload(draft).generated_at > draft.generated_at - datetime.timedelta(hours=1)
    assert reload(draft).docx.name != draft.docx.name


def test_deleting_a_draft_returns_to_the_list(cast, client_for, draft):
    response = client_for(cast.users.coordinator).post(reverse("bulletins:delete", kwargs={"pk": draft.pk}))

    assert response.status_code == 302 and response.url == LIST_URL
    assert Bulletin.objects.count() == 0


# ---- the list and the downloads ----


def _bulletin(region, year, month, issued: bool) -> Bulletin:
    bulletin = Bulletin.objects.create(region=region, year=year, month=month, content={"meta": {
        "title": f"{region.name}{year}年{month}月通报", "abbreviation": "交重点办"}})  # fmt: skip
    if issued:
        Bulletin.objects.filter(pk=bulletin.pk).update(
            status="issued", number=month, number_year=year, issued_at=timezone.now()
        )
    return bulletin


def _titles(response) -> list[str]:
    return [str(b) for b in response.context["page"].object_list]


def test_readers_list_only_issued_bulletins_of_their_subtree(cast, client_for):
    _bulletin(cast.region, 2025, 11, issued=True)
    _bulletin(cast.region, 2025, 12, issued=False)
    _bulletin(cast.regions.lvliang, 2025, 12, issued=True)
    _bulletin(cast.regions.xiaodian, 2025, 12, issued=True)

    leader = client_for(cast.users.leader).get(LIST_URL)
    coordinator = client_for(cast.users.coordinator).get(LIST_URL)
    city = client_for(cast.users.city_leader).get(LIST_URL)

    assert _titles(leader) == ["交城县2025年11月通报"]
    assert leader.context["form"] is None
    assert _titles(coordinator) == ["交城县2025年12月通报", "交城县2025年11月通报"]
    assert _titles(city) == ["吕梁市2025年12月通报", "交城县2025年11月通报"]


def test_an_empty_list_says_how_to_start(cast, client_for):
    response = client_for(cast.users.coordinator).get(LIST_URL)

    assert "还没有通报。选择区划和月份，点击“生成通报”。" in response.content.decode()


@pytest.mark.parametrize("count", [1, 12])
def test_the_list_costs_the_same_queries_for_any_number_of_bulletins(
    cast, client_for, count, django_assert_num_queries
):
    for month in range(1, count + 1):
        _bulletin(cast.region, 2025, month, issued=month % 2 == 0)
    client = client_for(cast.users.coordinator)

    # 1 session, 2 user, 3 the user's region (scope), 4 unread notifications, 5 count, 6 the page (with
    # regions), 7 the form's region choices, 8-10 session expiry.
    with django_assert_num_queries(10):
        response = client.get(LIST_URL)

    assert len(response.context["page"].object_list) == count


def test_downloads_carry_the_documents_chinese_name(cast, client_for, draft):
    draft.issue(on=datetime.date(YEAR, MONTH, 1))
    client = client_for(cast.users.leader)

    docx = client.get(reverse("bulletins:download", kwargs={"pk": draft.pk, "fmt": "docx"}))
    pdf = client.get(reverse("bulletins:download", kwargs={"pk": draft.pk, "fmt": "pdf"}))
    xlsx = client.get(reverse("bulletins:download", kwargs={"pk": draft.pk, "fmt": "xlsx"}))

    title = reload(draft).meta["title"]
    name = re.search(r"filename\*=utf-8''(.+)$", docx["Content-Disposition"]).group(1)
    assert unquote(name) == f"交重点办〔{YEAR}〕1号 {title}.docx"
    assert docx["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert b"".join(pdf.streaming_content)[:5] == b"%PDF-"
    assert pdf["Content-Type"] == "application/pdf"
    assert "attachment" in xlsx["Content-Disposition"]


def test_an_unknown_format_or_a_missing_file_is_not_found(cast, client_for, draft):
    client = client_for(cast.users.coordinator)
    Bulletin.objects.filter(pk=draft.pk).update(ledger="")

    unknown = client.get(reverse("bulletins:download", kwargs={"pk": draft.pk, "fmt": "zip"}))
    missing = client.get(reverse("bulletins:download", kwargs={"pk": draft.pk, "fmt": "xlsx"}))
    draft.pdf.storage.delete(draft.pdf.name)
    gone = client.get(reverse("bulletins:download", kwargs={"pk": draft.pk, "fmt": "pdf"}))

    assert [unknown.status_code, missing.status_code, gone.status_code] == [404, 404, 404]


# ---- the command ----


def test_the_command_generates_and_issues(cast):
    call_command("make_bulletin", region="141100", year=LAST[0], month=LAST[1], issue=True, stdout=_Sink())

    bulletin = Bulletin.objects.get()
    assert (bulletin.region, bulletin.status, bulletin.number) == (cast.regions.lvliang, "issued", 1)
    assert bulletin.docx and bulletin.pdf and bulletin.ledger


def test_the_command_leaves_a_draft_without_issue(cast):
    call_command("make_bulletin", region="141122", year=LAST[0], month=LAST[1], stdout=_Sink())

    assert Bulletin.objects.get().status == "draft"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"region": "999999", "year": 2025, "month": 1}, "No region"),
        ({"region": "141122901", "year": 2025, "month": 1}, "No region"),
        ({"region": "141122", "year": YEAR + 1, "month": 1}, "must name a month"),
        ({"region": "141122", "year": 2025, "month": 13}, "must name a month"),
    ],
)
def test_the_command_refuses_bad_arguments(cast, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("make_bulletin", **options, stdout=_Sink())

    assert Bulletin.objects.count() == 0


def test_the_command_refuses_to_touch_an_issued_bulletin(cast):
    call_command("make_bulletin", region="141122", year=LAST[0], month=LAST[1], issue=True, stdout=_Sink())
    before = Bulletin.objects.get()

    with pytest.raises(CommandError, match="已印发"):
        call_command("make_bulletin", region="141122", year=LAST[0], month=LAST[1], stdout=_Sink())

    assert reload(before).content == before.content


class _Sink:
    def write(self, text: str) -> None:
        pass

"""Browser test of the monthly bulletin: the county coordinator generates last month's bulletin (a background
job: the page shows its progress, then reloads itself with the preview), checks the preview (the official
layout, the red list with its reasons), issues it (another job), and downloads the Word, PDF and Excel files;
the county leader then finds it in the list. Screenshots go to artifacts/bulletins-*.png.

No huey consumer runs here: the queued jobs are caught and run by the test itself, as the consumer would,
while the page keeps polling. Polls are routed through Playwright, which forwards them only while the test
waits on the browser, so the job (run in this thread) and the live server never use the shared in-memory
database connection at once.
"""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from docx import Document

from bulletins import tasks
from bulletins.models import Bulletin
from org.models import Department, Region, Role, User
from problems.models import Problem
from projects.models import AnnualPlan, Project, Stage
from reports import colours
from reports.models import MonthlyReport, Period, ReportStatus, previous_month

from .browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"
TODAY = timezone.localdate()
YEAR, MONTH = previous_month(TODAY.year, TODAY.month)
PLANT = "交城县新材料产业园标准化厂房项目"
ROAD = "交城县城区道路提质改造工程"


@pytest.fixture
def county():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        housing = Department.objects.create(region=county, name="交城县住房和城乡建设局", short_name="住建局")
        drc = Department.objects.create(region=county, name="交城县发展和改革局", short_name="发改局")
        for username, role, name in (("coordinator", Role.COORDINATOR, "李晓梅"), ("leader", Role.LEADER, "王建国")):
            User.objects.create_user(username, password=PASSWORD, role=role, region=county, full_name=name)
        plant = Project.objects.create(
            name=PLANT, region=county, category="industry", total_investment=Decimal("36000"),
            stage=Stage.CONSTRUCTION, started_on=datetime.date(YEAR - 1, 3, 1), department=drc,
        )  # fmt: skip
        road = Project.objects.create(
            name=ROAD, region=county, category="urban", total_investment=Decimal("8000"), stage=Stage.PREPARING,
            planned_start_on=datetime.date(YEAR - 1, 9, 1), department=housing,
        )  # fmt: skip
        for project, amount in ((plant, "12000"), (road, "3000")):
            AnnualPlan.objects.create(project=project, year=YEAR, amount=Decimal(amount))
        MonthlyReport.objects.create(
            project=plant, period=Period.for_month(county, YEAR, MONTH), year=YEAR, month=MONTH,
            completed=Decimal("11000"), status=ReportStatus.APPROVED,
        )  # fmt: skip
        problem = Problem.objects.create(
            project=road, category="demolition", description="红线内 12 户征拆未完成", department=housing,
            deadline=datetime.date(YEAR - 1, 12, 1),
        )  # fmt: skip
        Problem.objects.filter(pk=problem.pk).update(created_at=timezone.make_aware(datetime.datetime(YEAR - 1, 11, 1)))
        colours.recompute(YEAR, MONTH, region=county)
    return county


def login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # each role's start page


def logout(page) -> None:
    page.click("button:has-text('退出')")
    page.wait_for_url("**/accounts/login/")


def _download(page, test_id: str, tmp_path: Path) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_test_id(test_id).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


@pytest.fixture
def queued(monkeypatch, page):
    jobs: list[tuple] = []
    monkeypatch.setattr(tasks, "bulletin_task", lambda *args: jobs.append(args))
    page.route("**/progress/", lambda route: route.continue_())
    return jobs


def run_queued_job(jobs: list[tuple]) -> None:
    assert len(jobs) == 1
    assert tasks.run(*jobs.pop()) == "done"


def test_a_bulletin_is_generated_previewed_issued_and_downloaded(page, county, queued, tmp_path):
    page.set_default_timeout(90_000)
    login(page, "coordinator")
    page.goto("/bulletins/")
    assert page.get_by_test_id("empty").is_visible()
    assert page.input_value("#id_month") == f"{YEAR}-{MONTH:02d}"  # last month is offered
    shot(page, "bulletins-01-empty-list")

    page.get_by_test_id("generate").click()
    page.wait_for_selector("[data-testid=job]")
    with scopes_disabled():
        bulletin = Bulletin.objects.get()
    assert page.url.endswith(f"/bulletins/{bulletin.pk}/")
    assert page.get_by_test_id("job-title").inner_text() == "正在生成通报"
    assert page.get_by_test_id("preview").count() == 0 and page.get_by_test_id("issue").count() == 0
    shot(page, "bulletins-02-generating")

    run_queued_job(queued)
    page.wait_for_selector("[data-testid=preview]")  # the next poll finds the job done and reloads the page
    assert page.get_by_test_id("job").count() == 0
    preview = page.get_by_test_id("preview")
    assert "交城县重点项目建设工作领导小组办公室" in preview.inner_text()
    assert page.get_by_test_id("document-number").inner_text() == f"交重点办〔{TODAY.year}〕　号"
    assert page.get_by_test_id("status").inner_text() == "草稿"
    red_list = page.get_by_test_id("document-table").nth(1).inner_text()
    assert ROAD in red_list and "逾期未开工" in red_list
    assert page.get_by_test_id("figure-red").inner_text() == "1"
    assert "附件：交城县" in preview.inner_text()
    shot(page, "bulletins-03-draft-preview")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("issue").click()
    page.wait_for_selector("[data-testid=job]")
    assert page.get_by_test_id("job-title").inner_text() == "正在印发：分配文号并生成正式文件"
    shot(page, "bulletins-04-issuing")
    run_queued_job(queued)
    page.wait_for_selector("[data-testid=status]:has-text('已印发')")
    assert page.get_by_test_id("job").count() == 0
    assert page.get_by_test_id("document-number").inner_text() == f"交重点办〔{TODAY.year}〕1号"
    assert page.get_by_test_id("issue").count() == 0
    shot(page, "bulletins-05-issued")

    name, body = _download(page, "download-docx", tmp_path)
    bulletin.refresh_from_db()
    assert name == f"交重点办〔{TODAY.year}〕1号 {bulletin.meta['title']}.docx"
    assert Document(io.BytesIO(body)).paragraphs[1].text == f"交重点办〔{TODAY.year}〕1号"
    name, body = _download(page, "download-pdf", tmp_path)
    assert name.endswith(".pdf") and body[:5] == b"%PDF-"
    name, body = _download(page, "download-xlsx", tmp_path)
    assert name == f"交城县{YEAR}年{'1—' if MONTH > 1 else ''}{MONTH}月重点项目台账.xlsx" and body[:4] == b"PK\x03\x04"
    logout(page)

    # The county leader reads the issued bulletin; there is nothing to generate.
    login(page, "leader")
    page.goto("/bulletins/")
    assert page.get_by_test_id("generate-form").count() == 0
    rows = page.get_by_test_id("bulletin-row")
    assert rows.count() == 1 and "已印发" in rows.first.inner_text()
    shot(page, "bulletins-06-leader-list")
    rows.first.locator("a").first.click()
    page.wait_for_selector("[data-testid=preview]")
    assert page.get_by_test_id("regenerate").count() == 0
    page.get_by_test_id("preview").screenshot(path=str(Path(__file__).resolve().parent.parent / "artifacts"
                                                       / "bulletins-07-leader-preview.png"))  # fmt: skip

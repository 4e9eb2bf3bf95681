"""Pre-construction approvals: the item rules and clock, templates, the screens, permissions and statistics.

Dates lean on the 2026 schedule (see tests/test_workdays.py): Mid-Autumn 25–27 September, the
make-up Sunday 20 September, National Day 1–7 October, the make-up Saturday 10 October.
Every write is checked by reading the row back; every refusal by checking nothing changed.
"""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from approvals import stats as handling_stats
from approvals.defaults import INDUSTRY, TEMPLATES, load_defaults
from approvals.models import ApprovalItem, ApprovalTemplate, ApprovalTemplateItem, CalendarDay, ItemStatus, Kind
from lib import workdays
from lib.workdays import Deadline
from org.models import Department

from .conftest import reload

pytestmark = pytest.mark.usefixtures("unscoped")

D = datetime.date
TODAY = D(2026, 10, 20)  # a Tuesday: the clock the view tests run on
LIST_URL = reverse("approvals:list")
STATS_URL = reverse("approvals:stats")


@pytest.fixture(autouse=True)
def _fresh_calendar():
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.fixture
def on_today(monkeypatch):
    """Run the test on ``TODAY`` (model validation and the views read ``timezone.localdate``)."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def templates(db):
    load_defaults(ApprovalTemplate, ApprovalTemplateItem)
    return {t.name: t for t in ApprovalTemplate.objects.all()}


def item(project, kind=Kind.LAND_PREVIEW, department=None, promised=10, statutory=20, **fields) -> ApprovalItem:
    values = {
        "project": project,
        "kind": kind,
        "name": Kind(kind).label,
        "department": department,
        "promised_days": promised,
        "statutory_days": statutory,
        **fields,
    }
    return ApprovalItem.objects.create(**values)


def approved(project, applied, done, **fields) -> ApprovalItem:
    return item(project, status=ItemStatus.APPROVED, applied_on=applied, approved_on=done, **fields)


def project_url(project) -> str:
    return reverse("approvals:project", kwargs={"pk": project.pk})


def edit_url(obj) -> str:
    return reverse("approvals:item_edit", kwargs={"pk": obj.pk})


def apply_url(project) -> str:
    return reverse("approvals:apply_template", kwargs={"pk": project.pk})


def errors_of(obj) -> dict:
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return {field: [str(m) for m in messages] for field, messages in caught.value.message_dict.items()}


# ---- item rules (ApprovalItem.clean) ----


def _unsaved(cast, **fields) -> ApprovalItem:
    values = {
        "project": cast.projects.materials,
        "kind": Kind.LAND_PREVIEW,
        "name": "用地预审",
        "department": cast.departments.land,
        "promised_days": 10,
        "statutory_days": 20,
        **fields,
    }
    return ApprovalItem(**values)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"status": ItemStatus.IN_PROGRESS, "applied_on": D(2026, 10, 21)}, {"applied_on": ["日期不能晚于今天。"]}),
        (
            {"status": ItemStatus.APPROVED, "applied_on": D(2026, 10, 1), "approved_on": D(2026, 10, 21)},
            {"approved_on": ["日期不能晚于今天。"]},
        ),
        (
            {"status": ItemStatus.APPROVED, "approved_on": D(2026, 10, 9)},
            {"applied_on": ["填写办结日期前须先填写申报日期。"]},
        ),
        (
            {"status": ItemStatus.APPROVED, "applied_on": D(2026, 10, 9), "approved_on": D(2026, 10, 8)},
            {"approved_on": ["办结日期不能早于申报日期。"]},
        ),
        (
            {"status": ItemStatus.APPROVED, "applied_on": D(2026, 10, 9)},
            {"approved_on": ["已办结的事项须填写办结日期。"]},
        ),
        ({"status": ItemStatus.IN_PROGRESS}, {"applied_on": ["办理中的事项须填写申报日期。"]}),
        (
            {"status": ItemStatus.NOT_STARTED, "applied_on": D(2026, 10, 9)},
            {"status": ["已填写申报日期的事项，状态应为办理中或已办结。"]},
        ),
        (
            {"status": ItemStatus.IN_PROGRESS, "applied_on": D(2026, 10, 8), "approved_on": D(2026, 10, 9)},
            {"status": ["已填写办结日期的事项，状态应为已办结。"]},
        ),
        ({"promised_days": 21}, {"promised_days": ["承诺时限不能超过法定时限。"]}),
        ({"statutory_days": 366, "promised_days": 10}, {"statutory_days": ["确保该值小于或等于365。"]}),
    ],
    ids=[
        "applied-in-future",
        "approved-in-future",
        "approved-without-applied",
        "approved-before-applied",
        "approved-without-date",
        "in-progress-without-applied",
        "not-started-but-applied",
        "approved-date-but-in-progress",
        "promised-over-statutory",
        "limit-over-a-year",
    ],
)
def test_an_item_breaking_a_rule_is_refused_with_the_field_named(cast, on_today, fields, expected):
    assert errors_of(_unsaved(cast, **fields)) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"status": ItemStatus.IN_PROGRESS, "applied_on": TODAY},
        {"status": ItemStatus.APPROVED, "applied_on": D(2026, 10, 8), "approved_on": D(2026, 10, 8)},
        {"status": ItemStatus.NOT_NEEDED},
        {"promised_days": 20},
    ],
    ids=["not-started", "applied-today", "approved-same-day", "not-needed", "promised-equals-statutory"],
)
def test_a_consistent_item_is_valid(cast, on_today, fields):
    _unsaved(cast, **fields).full_clean()


def test_the_handling_department_must_be_of_the_projects_region_a_region_above_or_its_zone(cast, on_today):
    city = Department.objects.create(region=cast.regions.lvliang, name="吕梁市生态环境局")
    zone = Department.objects.create(region=cast.regions.zone, name="交城经济开发区管委会")

    for department in (cast.departments.land, city, zone):
        _unsaved(cast, department=department).full_clean()
    assert errors_of(_unsaved(cast, department=cast.departments.wenshui_drc)) == {
        "department": ["办理部门须属于项目所在区划、其上级区划或所在开发区。"]
    }


def test_a_template_item_may_not_promise_more_than_the_law_allows(templates):
    entry = ApprovalTemplateItem(
        template=templates["产业类项目"], kind=Kind.ENERGY, name="节能审查", statutory_days=20, promised_days=25
    )

    assert errors_of(entry) == {"promised_days": ["承诺时限不能超过法定时限。"]}


# ---- the clock ----


def test_the_due_dates_count_working_days_from_the_application(cast):
    applied = item(cast.projects.materials, status=ItemStatus.IN_PROGRESS, applied_on=D(2026, 9, 18))

    assert (applied.due_on(), applied.statutory_due_on()) == (
        Deadline(D(2026, 10, 9), covered=True),  # 10 working days over Mid-Autumn and National Day
        Deadline(D(2026, 10, 22), covered=True),  # 20, counting the make-up Saturday 10 October
    )


def test_an_item_not_yet_applied_for_has_no_due_date(cast):
    pending = item(cast.projects.materials)

    assert (pending.due_on(), pending.statutory_due_on(), pending.urgency(TODAY), pending.is_overdue(TODAY)) == (
        None,
        None,
        None,
        False,
    )


@pytest.mark.parametrize(
    ("today", "days_left", "overdue"),
    [
        (D(2026, 9, 23), 1, False),
        (D(2026, 9, 24), 0, False),  # the due day itself
        (D(2026, 9, 27), 0, False),  # Mid-Autumn holiday after it: no working day lost yet
        (D(2026, 9, 28), -1, True),
        (D(2026, 10, 8), -4, True),  # 28, 29, 30 September, then 8 October after National Day
    ],
)
def test_an_item_is_overdue_once_a_working_day_passes_its_promised_due_date(cast, today, days_left, overdue):
    running = item(cast.projects.materials, promised=3, status=ItemStatus.IN_PROGRESS, applied_on=D(2026, 9, 21))

    urgency = running.urgency(today)

    assert (urgency.days_left, urgency.overdue_days, urgency.is_overdue, running.is_overdue(today)) == (
        days_left,
        max(-days_left, 0),
        overdue,
        overdue,
    )


def test_an_approved_item_is_never_overdue(cast):
    done = approved(cast.projects.materials, D(2026, 9, 1), D(2026, 10, 8))

    assert (done.urgency(D(2026, 12, 1)), done.is_overdue(D(2026, 12, 1))) == (None, False)


def test_a_due_date_in_an_uncovered_year_is_flagged(cast, monkeypatch):
    monkeypatch.setattr(workdays, "LIBRARY_YEARS", range(2004, 2026))  # as if 2026's schedule were unknown
    running = item(cast.projects.materials, status=ItemStatus.IN_PROGRESS, applied_on=D(2026, 9, 18))

    assert running.due_on() == Deadline(D(2026, 10, 2), covered=False)  # Monday to Friday


def test_counting_past_the_due_date_into_an_uncovered_year_flags_the_urgency(cast):
    running = item(cast.projects.materials, status=ItemStatus.IN_PROGRESS, applied_on=D(2026, 12, 1))

    urgency = running.urgency(D(2027, 1, 4))

    assert (urgency.due, urgency.days_left) == (Deadline(D(2026, 12, 15), covered=False), -14)


def test_handling_days_are_counted_when_the_item_is_approved_and_cleared_when_it_is_not(cast):
    done = approved(cast.projects.materials, D(2026, 9, 30), D(2026, 10, 12))
    assert reload(done).handling_days == 4  # 8, 9, 10 (the make-up Saturday) and 12 October

    done.status, done.approved_on = ItemStatus.IN_PROGRESS, None
    done.save(update_fields=["status", "approved_on"])

    assert reload(done).handling_days is None


def test_mark_applied_then_approved_records_the_steps_and_who_made_them(cast, on_today):
    handler = cast.users.handler
    preview = item(cast.projects.materials, department=cast.departments.land)

    preview.mark_applied(D(2026, 9, 18), by=handler)
    preview.mark_approved(D(2026, 10, 9), "交自然资预〔2026〕12号", by=handler)

    saved = reload(preview)
    assert (saved.status, saved.applied_on, saved.approved_on, saved.document_no, saved.handling_days) == (
        ItemStatus.APPROVED,
        D(2026, 9, 18),
        D(2026, 10, 9),
        "交自然资预〔2026〕12号",
        10,
    )
    assert [(h.status, h.history_user) for h in saved.history.order_by("history_id")] == [
        (ItemStatus.NOT_STARTED, None),
        (ItemStatus.IN_PROGRESS, handler),
        (ItemStatus.APPROVED, handler),
    ]


def test_mark_approved_refuses_a_date_before_the_application(cast, on_today):
    preview = item(cast.projects.materials, status=ItemStatus.IN_PROGRESS, applied_on=D(2026, 10, 9))

    with pytest.raises(ValidationError):
        preview.mark_approved(D(2026, 10, 8), "", by=cast.users.handler)

    assert (reload(preview).status, reload(preview).approved_on) == (ItemStatus.IN_PROGRESS, None)


def test_the_overdue_filter_in_sql_agrees_with_the_rule_on_every_day(cast, make_project):
    limits = [(1, 3), (7, 20), (10, 20), (30, 60)]
    starts = [D(2026, 9, 14) + datetime.timedelta(days=i) for i in range(0, 30, 2)]
    items = []
    for index, start in enumerate(starts):
        project = make_project(name=f"项目{index}", plan=None)
        for kind, (promised, statutory) in zip(
            [Kind.PROJECT_APPROVAL, Kind.ENERGY, Kind.EIA, Kind.SOIL_WATER], limits, strict=True
        ):
            items.append(
                item(project, kind, promised=promised, statutory=statutory, status="in_progress", applied_on=start)
            )
    item(make_project(name="未申报", plan=None))  # no clock: never overdue

    for today in [D(2026, 10, 1) + datetime.timedelta(days=i) for i in range(0, 40, 3)]:
        in_sql = set(ApprovalItem.objects.overdue(today).values_list("pk", flat=True))
        assert in_sql == {i.pk for i in items if i.is_overdue(today)}, today


# ---- templates ----


def test_the_defaults_are_loaded_once_and_the_admins_edits_survive_a_reload(db):
    load_defaults(ApprovalTemplate, ApprovalTemplateItem)
    energy = ApprovalTemplateItem.objects.get(template__name="产业类项目", kind=Kind.ENERGY)
    energy.promised_days = 5
    energy.save()

    call_command("load_approval_templates", stdout=io.StringIO())

    assert sorted(ApprovalTemplate.objects.values_list("name", "category")) == [
        ("产业类项目", "industry"),
        ("基础设施类项目", "infrastructure"),
    ]
    assert ApprovalTemplateItem.objects.count() == sum(len(items) for _category, items in TEMPLATES.values())
    assert ApprovalTemplateItem.objects.get(pk=energy.pk).promised_days == 5


def test_the_industry_template_holds_the_usual_items_with_limits_within_the_law(templates):
    rows = list(
        templates["产业类项目"].items.values_list("kind", "name", "statutory_days", "promised_days", "department_name")
    )

    assert [r[0] for r in rows] == [
        "project_approval",
        "land_preview",
        "land_planning",
        "works_planning",
        "eia",
        "energy",
        "soil_water",
        "construction_permit",
    ]
    assert rows == [(k, n, s, p, d) for k, n, d, s, p in INDUSTRY]
    assert all(0 < p <= s for _k, _n, s, p, _d in rows)
    assert ("eia", "环境影响评价（报告书/报告表/登记表）", 60, 30, "生态环境") in rows


def test_applying_a_template_creates_the_checklist_with_departments_matched_by_name(cast, templates):
    project = cast.projects.materials

    created = templates["产业类项目"].apply_to(project, by=cast.users.coordinator)

    rows = list(
        ApprovalItem.objects.filter(project=project).values_list(
            "kind", "department__name", "status", "promised_days", "statutory_days"
        )
    )
    assert len(created) == 8
    assert rows == [
        ("project_approval", "交城县发展和改革局", "not_started", 1, 3),
        ("land_preview", "交城县自然资源局", "not_started", 10, 20),
        ("land_planning", "交城县自然资源局", "not_started", 7, 20),
        ("works_planning", "交城县自然资源局", "not_started", 10, 20),
        ("eia", None, "not_started", 30, 60),  # the county has no 生态环境局 in the cast
        ("energy", "交城县发展和改革局", "not_started", 10, 20),
        ("soil_water", None, "not_started", 10, 20),
        ("construction_permit", "交城县住房和城乡建设局", "not_started", 3, 7),
    ]
    assert ApprovalItem.history.filter(project=project, history_user=cast.users.coordinator).count() == 8


def test_applying_prefers_the_zones_department_then_the_county_then_the_city(cast, templates):
    Department.objects.create(region=cast.regions.lvliang, name="吕梁市生态环境局")
    Department.objects.create(region=cast.regions.lvliang, name="吕梁市自然资源局")
    Department.objects.create(region=cast.regions.zone, name="交城经济开发区住房和城乡建设局")

    templates["产业类项目"].apply_to(cast.projects.materials)

    departments = dict(
        ApprovalItem.objects.filter(project=cast.projects.materials).values_list("kind", "department__name")
    )
    assert (departments["eia"], departments["land_preview"], departments["construction_permit"]) == (
        "吕梁市生态环境局",
        "交城县自然资源局",
        "交城经济开发区住房和城乡建设局",
    )


def test_applying_again_or_another_template_skips_the_matters_already_there(cast, templates):
    project = cast.projects.materials
    item(
        project,
        Kind.EIA,
        name="环评报告书",
        status=ItemStatus.APPROVED,
        applied_on=D(2026, 9, 1),
        approved_on=D(2026, 9, 30),
    )

    first = templates["产业类项目"].apply_to(project)
    again = templates["产业类项目"].apply_to(project)
    other = templates["基础设施类项目"].apply_to(project)

    assert (len(first), len(again), [i.name for i in other]) == (7, 0, ["初步设计及概算审批"])
    assert ApprovalItem.objects.filter(project=project, kind=Kind.EIA).get().name == "环评报告书"


# ---- screens ----


@pytest.fixture
def checklist(cast, templates, on_today):
    """The graphite plant's checklist: land pre-review running (overdue), 立项 approved, the rest not started."""
    project = cast.projects.materials
    templates["产业类项目"].apply_to(project)
    items = {i.kind: i for i in ApprovalItem.objects.filter(project=project)}
    # Due 9 October; by the 20th 8 working days late (10, the make-up Saturday, 12–16, 19, 20).
    items["land_preview"].mark_applied(D(2026, 9, 18), by=None)
    items["project_approval"].mark_applied(D(2026, 9, 30), by=None)
    items["project_approval"].mark_approved(D(2026, 10, 10), "交发改备〔2026〕8号", by=None)
    items["land_planning"].mark_applied(D(2026, 10, 19), by=None)  # due 28 October
    return items


def test_the_project_page_card_shows_status_due_dates_and_overdue_flags(cast, client_for, checklist):
    response = client_for(cast.users.leader).get(reverse("projects:detail", kwargs={"pk": cast.projects.materials.pk}))

    html = response.content.decode()
    assert "已办结 1 / 8 项，办理中 2 项" in html
    assert "1 项逾期" in html
    assert "逾期8个工作日" in html
    assert "2026-10-28" in html and "剩余6个工作日" in html
    assert "办理3个工作日" in html  # 8, 9 and the make-up Saturday 10 October
    assert project_url(cast.projects.materials) in html


def test_the_project_page_card_offers_a_coordinator_to_make_the_checklist(cast, client_for):
    response = client_for(cast.users.coordinator).get(reverse("projects:detail", kwargs={"pk": cast.projects.road.pk}))

    html = response.content.decode()
    assert "尚未生成前期手续清单。" in html and "生成清单" in html


def test_the_checklist_page_shows_every_item_and_edit_buttons_by_role(cast, client_for, checklist):
    as_coordinator = client_for(cast.users.coordinator).get(project_url(cast.projects.materials))
    as_handler = client_for(cast.users.handler).get(project_url(cast.projects.materials))
    as_leader = client_for(cast.users.leader).get(project_url(cast.projects.materials))

    assert [i.kind for i in as_coordinator.context["items"]] == [i.kind for i in checklist.values()]
    # The handler (自然资源局) edits its three items; the coordinator all eight; the leader none.
    assert [
        as_coordinator.content.decode().count('data-testid="edit-inline"'),
        as_handler.content.decode().count('data-testid="edit-inline"'),
        as_leader.content.decode().count('data-testid="edit-inline"'),
    ] == [8, 3, 0]
    assert as_coordinator.context["apply_form"] is not None and as_handler.context["apply_form"] is None


def test_an_uncovered_year_is_noted_next_to_the_deadline(cast, client_for, checklist, monkeypatch):
    monkeypatch.setattr(workdays, "LIBRARY_YEARS", range(2004, 2026))

    html = client_for(cast.users.coordinator).get(project_url(cast.projects.materials)).content.decode()

    assert "该年度节假日安排未覆盖，按周一至周五计算" in html
    assert "2026-10-02" in html  # land pre-review due Monday to Friday: 10 working days from 18 September


def test_an_outsider_gets_404_for_the_checklist_page(cast, client_for, checklist):
    assert client_for(cast.users.outsider).get(project_url(cast.projects.materials)).status_code == 404


def test_the_enterprise_reads_its_own_projects_checklist_but_not_the_lists(cast, client_for, checklist):
    client = client_for(cast.users.enterprise)

    statuses = [client.get(url).status_code for url in (project_url(cast.projects.materials), LIST_URL, STATS_URL)]

    assert statuses == [200, 403, 403]


# ---- editing one item ----


def _form(**overrides) -> dict:
    return {"status": "in_progress", "applied_on": "2026-10-19", "approved_on": "", "document_no": "", **overrides}


def test_a_handler_marks_its_departments_item_applied_then_approved(cast, client_for, checklist):
    client = client_for(cast.users.handler)
    target = checklist["works_planning"]

    applied = client.post(edit_url(target), _form())
    done = client.post(edit_url(target), _form(status="approved", approved_on="2026-10-20", document_no="建字第1号"))

    assert (applied.status_code, done.status_code, done.url) == (302, 302, project_url(cast.projects.materials))
    saved = reload(target)
    assert (saved.status, saved.applied_on, saved.approved_on, saved.document_no, saved.handling_days) == (
        "approved",
        D(2026, 10, 19),
        D(2026, 10, 20),
        "建字第1号",
        1,
    )
    assert saved.history.first().history_user == cast.users.handler


def test_a_handler_cannot_move_an_item_to_another_department_or_change_its_limits(cast, client_for, checklist):
    target = checklist["works_planning"]

    response = client_for(cast.users.handler).post(
        edit_url(target), _form(department=cast.departments.drc.pk, promised_days="1", statutory_days="1")
    )

    saved = reload(target)
    assert (response.status_code, saved.department_id, saved.promised_days, saved.statutory_days) == (
        302,
        cast.departments.land.pk,
        10,
        20,
    )


def test_a_coordinator_changes_the_department_and_the_limits(cast, client_for, checklist):
    city = Department.objects.create(region=cast.regions.lvliang, name="吕梁市生态环境局")
    target = checklist["eia"]

    response = client_for(cast.users.coordinator).post(
        edit_url(target),
        _form(status="not_started", applied_on="", department=city.pk, promised_days="20", statutory_days="60"),
    )

    saved = reload(target)
    assert (response.status_code, saved.department_id, saved.promised_days) == (302, city.pk, 20)


def test_a_coordinator_may_not_pick_a_department_of_another_county(cast, client_for, checklist):
    target = checklist["eia"]

    response = client_for(cast.users.coordinator).post(
        edit_url(target),
        _form(
            status="not_started",
            applied_on="",
            department=cast.departments.wenshui_drc.pk,
            promised_days="30",
            statutory_days="60",
        ),
    )

    assert response.status_code == 400
    assert "department" in response.context["form"].errors
    assert reload(target).department_id is None


def test_a_broken_date_rule_shows_the_form_again_and_saves_nothing(cast, client_for, checklist):
    target = checklist["land_planning"]

    response = client_for(cast.users.handler).post(
        edit_url(target), _form(status="approved", applied_on="2026-10-19", approved_on="2026-10-16")
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"approved_on": ["办结日期不能早于申报日期。"]}
    assert (reload(target).status, reload(target).approved_on) == ("in_progress", None)


@pytest.mark.parametrize("junk", [{"status": "done"}, {"applied_on": "19/10/2026"}, {"applied_on": "2026-02-30"}])
def test_junk_in_the_item_form_is_a_400(cast, client_for, checklist, junk):
    target = checklist["land_planning"]

    response = client_for(cast.users.handler).post(edit_url(target), _form(**junk))

    assert response.status_code == 400
    assert reload(target).applied_on == D(2026, 10, 19)


def test_a_handler_gets_403_on_another_departments_item_and_changes_nothing(cast, client_for, checklist):
    target = checklist["project_approval"]  # 发改局's

    response = client_for(cast.users.handler).post(edit_url(target), _form(status="not_needed", applied_on=""))

    assert response.status_code == 403
    assert reload(target).status == "approved"


@pytest.mark.parametrize("role", ["reporter", "leader", "promoter", "enterprise"])
def test_read_only_roles_get_403_on_an_item(cast, client_for, checklist, role):
    target = checklist["land_planning"]
    client = client_for(getattr(cast.users, role))

    statuses = (client.get(edit_url(target)).status_code, client.post(edit_url(target), _form()).status_code)

    assert statuses == (403, 403)


def test_an_outsider_gets_404_on_an_item(cast, client_for, checklist):
    target = checklist["land_planning"]

    assert client_for(cast.users.outsider).post(edit_url(target), _form(status="not_needed")).status_code == 404
    assert reload(target).status == "in_progress"


def test_the_city_coordinator_edits_a_county_item(cast, client_for, checklist):
    target = checklist["soil_water"]

    response = client_for(cast.users.city_coordinator).post(
        edit_url(target), _form(status="not_needed", applied_on="", promised_days="10", statutory_days="20")
    )

    assert (response.status_code, reload(target).status) == (302, "not_needed")


def test_htmx_edit_swaps_a_form_row_in_and_the_saved_row_back(cast, client_for, checklist):
    client = client_for(cast.users.handler)
    target = checklist["works_planning"]

    form_row = client.get(edit_url(target), HTTP_HX_REQUEST="true")
    saved_row = client.post(edit_url(target), _form(), HTTP_HX_REQUEST="true")

    assert (form_row.templates[0].name, form_row.context["form"].fields.keys()) == (
        "approvals/_item_form_row.html",
        {"status", "applied_on", "approved_on", "document_no"},
    )
    assert saved_row.status_code == 200
    assert saved_row.templates[0].name == "approvals/_item_row.html"
    assert "剩余9个工作日" in saved_row.content.decode()  # applied 19 October, promised 10, on the 20th
    assert reload(target).status == "in_progress"


def test_htmx_edit_with_a_broken_rule_returns_the_form_row_with_its_error(cast, client_for, checklist):
    response = client_for(cast.users.handler).post(
        edit_url(checklist["works_planning"]), _form(status="approved"), HTTP_HX_REQUEST="true"
    )

    assert (response.status_code, response.templates[0].name) == (400, "approvals/_item_form_row.html")
    assert 'data-field-error="approved_on"' in response.content.decode()


# ---- applying a template ----


def test_a_coordinator_applies_a_template_and_is_told_how_many_items_were_added(cast, client_for, templates):
    client = client_for(cast.users.coordinator)
    template = templates["基础设施类项目"]

    first = client.post(apply_url(cast.projects.road), {"template": template.pk}, follow=True)
    second = client.post(apply_url(cast.projects.road), {"template": template.pk}, follow=True)

    assert [str(m) for m in first.context["messages"]] == ["已按“基础设施类项目”添加 9 项前期手续。"]
    assert [str(m) for m in second.context["messages"]] == [
        "已按“基础设施类项目”添加 0 项前期手续。9 项已有，未重复添加。"
    ]
    assert ApprovalItem.objects.filter(project=cast.projects.road).count() == 9


def test_the_apply_form_preselects_the_template_of_the_projects_category(cast, client_for, templates):
    response = client_for(cast.users.coordinator).get(project_url(cast.projects.materials))

    assert response.context["apply_form"]["template"].value() == templates["产业类项目"].pk


@pytest.mark.parametrize("data", [{}, {"template": "999999"}, {"template": "abc"}])
def test_applying_without_a_valid_template_is_a_400_and_creates_nothing(cast, client_for, templates, data):
    response = client_for(cast.users.coordinator).post(apply_url(cast.projects.road), data)

    assert response.status_code == 400
    assert response.context["apply_form"].errors.keys() == {"template"}
    assert not ApprovalItem.objects.filter(project=cast.projects.road).exists()


@pytest.mark.parametrize(("role", "status"), [("handler", 403), ("leader", 403), ("outsider", 404)])
def test_only_coordinators_of_the_region_apply_templates(cast, client_for, templates, role, status):
    template = templates["产业类项目"]

    response = client_for(getattr(cast.users, role)).post(apply_url(cast.projects.road), {"template": template.pk})

    assert response.status_code == status
    assert not ApprovalItem.objects.filter(project=cast.projects.road).exists()


# ---- the list and its export ----


@pytest.fixture
def spread(cast, checklist):
    """Items beyond the graphite plant: the road (交城), the hospital (文水), the 小店区 park."""
    item(cast.projects.road, Kind.LAND_PREVIEW, cast.departments.land, status="in_progress", applied_on=D(2026, 10, 16))
    item(
        cast.projects.hospital,
        Kind.PROJECT_APPROVAL,
        cast.departments.wenshui_drc,
        1,
        3,
        status="in_progress",
        applied_on=D(2026, 9, 1),
    )
    item(
        cast.projects.xiaodian,
        Kind.PROJECT_APPROVAL,
        cast.departments.xiaodian_drc,
        1,
        3,
        status="in_progress",
        applied_on=D(2026, 9, 1),
    )
    return cast


def _rows(response) -> list[tuple[str, str]]:
    return [(i.project.name, i.kind) for i in response.context["page"].object_list]


def test_the_list_holds_the_items_of_the_users_subtree(spread, client_for):
    county = _rows(client_for(spread.users.coordinator).get(LIST_URL))
    city = _rows(client_for(spread.users.city_coordinator).get(LIST_URL))

    assert len(county) == 9 and {p for p, _k in county} == {"华鑫年产5万吨特种石墨项目", "交城县城区道路提质改造工程"}
    assert len(city) == 10 and ("文水县人民医院新院区建设项目", "project_approval") in city


def test_a_handlers_list_is_its_departments_work(spread, client_for):
    rows = _rows(client_for(spread.users.handler).get(LIST_URL))

    assert rows == [
        ("交城县城区道路提质改造工程", "land_preview"),
        ("华鑫年产5万吨特种石墨项目", "land_preview"),
        ("华鑫年产5万吨特种石墨项目", "land_planning"),
        ("华鑫年产5万吨特种石墨项目", "works_planning"),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"status": "pending"},
            {
                "land_preview",
                "land_planning",
                "works_planning",
                "eia",
                "energy",
                "soil_water",
                "construction_permit",
                "road:land_preview",
            },
        ),
        ({"status": "approved"}, {"project_approval"}),
        ({"kind": "land_preview"}, {"land_preview", "road:land_preview"}),
        ({"overdue": "on"}, {"land_preview"}),
        ({"overdue": "on", "kind": "eia"}, set()),
        ({"q": "道路"}, {"road:land_preview"}),
    ],
)
def test_the_list_filters(spread, client_for, params, expected):
    response = client_for(spread.users.coordinator).get(LIST_URL, params)

    names = {("road:" if "道路" in p else "") + k for p, k in _rows(response)}
    assert names == expected


def test_the_list_filters_by_department(spread, client_for):
    response = client_for(spread.users.coordinator).get(LIST_URL, {"department": spread.departments.land.pk})

    assert {k for _p, k in _rows(response)} == {"land_preview", "land_planning", "works_planning"}


def test_the_list_flags_overdue_items(spread, client_for):
    html = client_for(spread.users.coordinator).get(LIST_URL, {"overdue": "on"}).content.decode()

    assert html.count('data-testid="overdue"') == 1 and "逾期8个工作日" in html


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"kind": "nope"},
        {"department": "999999"},
        {"department": "abc"},
        {"region": "-1"},
        {"page": "abc"},
        {"page": "99999"},
        {"q": "\x00"},
    ],
)
def test_junk_parameters_are_ignored_not_an_error(spread, client_for, params):
    response = client_for(spread.users.coordinator).get(LIST_URL, params)

    assert response.status_code == 200
    assert len(_rows(response)) in (0, 9)


def test_the_list_pages_by_fifty(cast, client_for, templates, make_project, on_today):
    for index in range(7):
        templates["产业类项目"].apply_to(make_project(name=f"项目{index:02d}", plan=None))

    client = client_for(cast.users.coordinator)
    first, last = client.get(LIST_URL), client.get(LIST_URL, {"page": 2})

    assert (len(_rows(first)), len(_rows(last)), first.context["page"].paginator.count) == (50, 6, 56)


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_the_same_queries_for_3_or_30_projects(
    cast, client_for, templates, make_project, on_today, count, django_assert_num_queries
):
    for index in range(count):
        project = make_project(name=f"项目{index:02d}", plan=None)
        templates["产业类项目"].apply_to(project)
        ApprovalItem.objects.filter(project=project, kind=Kind.LAND_PREVIEW).update(
            status="in_progress", applied_on=D(2026, 9, 18)
        )
    client = client_for(cast.users.coordinator)

    # 1 session, 2 user, 3 the user's region (for the scope), 4 count, 5 the unread notifications (the
    # badge), 6-7 the filter form's choices: regions, departments, 8 the page of items (with project, region
    # and department), 9 the admin-entered calendar days (once for every due date on the page),
    # 10-12 the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(12):
        response = client.get(LIST_URL)

    assert len(_rows(response)) == min(count * 8, 50)


def test_the_overdue_filter_costs_one_query_more(cast, client_for, checklist, django_assert_num_queries):
    client = client_for(cast.users.coordinator)

    # As the plain list, and first the distinct promised limits of the running items (one cut-off date each);
    # the calendar days are read for the cut-offs and serve the page's due dates too.
    with django_assert_num_queries(13):
        client.get(LIST_URL, {"overdue": "on"})


def test_the_export_writes_the_filtered_items(spread, client_for):
    response = client_for(spread.users.coordinator).get(
        reverse("approvals:export", kwargs={"fmt": "csv"}), {"kind": "land_preview"}
    )

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["序号", "项目名称", "所在区划", "事项"]
    assert rows[1:] == [
        [
            "1",
            "交城县城区道路提质改造工程",
            "交城县",
            "用地预审与选址意见书",
            "用地预审与选址意见书",
            "交城县自然资源局",
            "办理中",
            "2026-10-16",
            "10",
            "2026-10-30",
            "20",
            "2026-11-13",
            "",
            "",
            "",
            "0",
        ],
        [
            "2",
            "华鑫年产5万吨特种石墨项目",
            "交城县",
            "用地预审与选址意见书",
            "用地预审与选址意见书",
            "交城县自然资源局",
            "办理中",
            "2026-09-18",
            "10",
            "2026-10-09",
            "20",
            "2026-10-22",
            "",
            "",
            "",
            "8",
        ],
    ]


def test_the_xlsx_export_opens_with_the_same_rows(spread, client_for):
    response = client_for(spread.users.coordinator).get(
        reverse("approvals:export", kwargs={"fmt": "xlsx"}), {"status": "approved"}
    )

    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and values[1][1:4] == ["华鑫年产5万吨特种石墨项目", "交城县", "立项（审批/核准/备案）"]
    assert (values[1][13], values[1][14]) == ("交发改备〔2026〕8号", 3)


def test_an_export_in_an_unknown_format_is_not_found(cast, client_for):
    response = client_for(cast.users.coordinator).get(reverse("approvals:export", kwargs={"fmt": "pdf"}))

    assert response.status_code == 404


def test_an_export_with_junk_filters_is_refused_with_a_message(cast, client_for):
    response = client_for(cast.users.coordinator).get(
        reverse("approvals:export", kwargs={"fmt": "csv"}), {"status": "bogus"}
    )

    assert (response.status_code, response.url) == (302, LIST_URL)


# ---- statistics ----


@pytest.fixture
def handled(cast, make_project, on_today):
    """Approved items with known handling days (working days, 2026 schedule).

    交城县 自然资源局, 用地预审: 4, 10, 20, 22;  发改局, 立项: 1, 3, 4;  行政审批局, 用地预审: 2.
    文水县 发改局, 用地预审: 1 (inside the city, outside the county).  小店区, 立项: 0 (outside both).
    Pending and not-needed items never count.
    """
    land, drc = cast.departments.land, cast.departments.drc
    bureau = Department.objects.create(region=cast.region, name="交城县行政审批服务管理局")
    county = [
        (land, Kind.LAND_PREVIEW, D(2026, 9, 14), D(2026, 9, 18)),  # 4
        (land, Kind.LAND_PREVIEW, D(2026, 9, 18), D(2026, 10, 9)),  # 10, over two holidays
        (land, Kind.LAND_PREVIEW, D(2026, 9, 1), D(2026, 9, 29)),  # 20: within the statutory limit only
        (land, Kind.LAND_PREVIEW, D(2026, 9, 1), D(2026, 10, 8)),  # 22: beyond both
        (drc, Kind.PROJECT_APPROVAL, D(2026, 9, 18), D(2026, 9, 20)),  # 1, on the make-up Sunday
        (drc, Kind.PROJECT_APPROVAL, D(2026, 9, 30), D(2026, 10, 10)),  # 3, on the make-up Saturday
        (drc, Kind.PROJECT_APPROVAL, D(2026, 9, 24), D(2026, 10, 8)),  # 4
        (bureau, Kind.LAND_PREVIEW, D(2026, 10, 8), D(2026, 10, 10)),  # 2
    ]
    for index, (department, kind, applied, done) in enumerate(county):
        limits = (1, 3) if kind == Kind.PROJECT_APPROVAL else (10, 20)
        approved(
            make_project(name=f"统计项目{index}", plan=None),
            applied,
            done,
            kind=kind,
            department=department,
            promised=limits[0],
            statutory=limits[1],
        )
    approved(cast.projects.hospital, D(2026, 9, 21), D(2026, 9, 22), department=cast.departments.wenshui_drc)
    approved(
        cast.projects.xiaodian,
        D(2026, 9, 21),
        D(2026, 9, 21),
        kind=Kind.PROJECT_APPROVAL,
        department=cast.departments.xiaodian_drc,
        promised=1,
        statutory=3,
    )
    item(cast.projects.road, department=land, status="in_progress", applied_on=D(2026, 9, 1))
    item(cast.projects.road, Kind.EIA, status="not_needed")
    return cast


def _table(rows) -> list[tuple]:
    return [
        (
            r.department,
            r.kind,
            r.count,
            str(r.mean_days),
            str(r.median_days),
            str(r.within_promised),
            str(r.within_statutory),
            r.fastest_here,
            r.fastest_in_region,
        )
        for r in rows
    ]


def test_stats_per_department_and_kind_are_exact_for_the_county(handled, client_for):
    response = client_for(handled.users.coordinator).get(STATS_URL)

    assert _table(response.context["rows"]) == [
        ("交城县发展和改革局", "project_approval", 3, "2.7", "3.0", "33.3", "66.7", 1, 1),
        ("交城县自然资源局", "land_preview", 4, "14.0", "15.0", "50.0", "75.0", 4, 2),
        ("交城县行政审批服务管理局", "land_preview", 1, "2.0", "2.0", "100.0", "100.0", 2, 2),
    ]
    totals = response.context["totals"]
    assert (totals.count, str(totals.mean_days), str(totals.within_promised), str(totals.within_statutory)) == (
        8,
        "8.3",
        "50.0",
        "75.0",
    )


def test_the_citys_fastest_of_a_kind_sets_the_benchmark_for_every_county(handled, client_for):
    rows = client_for(handled.users.city_coordinator).get(STATS_URL).context["rows"]

    assert [(r.department, r.kind, r.fastest_in_region, str(r.behind_fastest)) for r in rows] == [
        ("文水县发展和改革局", "land_preview", 1, "0.0"),
        ("交城县发展和改革局", "project_approval", 1, "1.7"),
        ("交城县自然资源局", "land_preview", 1, "13.0"),
        ("交城县行政审批服务管理局", "land_preview", 1, "1.0"),
    ]


def test_stats_for_a_year_count_the_items_approved_in_it(handled, client_for):
    in_2026 = client_for(handled.users.coordinator).get(STATS_URL, {"year": "2026"}).context["totals"].count
    in_2025 = client_for(handled.users.coordinator).get(STATS_URL, {"year": "2025"}).context["totals"].count

    assert (in_2026, in_2025) == (8, 0)


@pytest.mark.parametrize("year", ["abc", "1999", "", "2026.5", "99999999999999999999"])
def test_a_junk_year_means_all_years(handled, client_for, year):
    response = client_for(handled.users.coordinator).get(STATS_URL, {"year": year})

    assert (response.status_code, response.context["year"], response.context["totals"].count) == (200, None, 8)


def test_the_stats_page_shows_the_figures(handled, client_for):
    html = client_for(handled.users.coordinator).get(STATS_URL).content.decode()

    assert html.count('data-testid="stats-row"') == 3
    assert "33.3%" in html and "交城县行政审批服务管理局" in html


def test_stats_with_no_approved_item_show_an_empty_table(cast, client_for):
    response = client_for(cast.users.coordinator).get(STATS_URL)

    assert (response.context["rows"], response.context["totals"]) == ([], handling_stats.Totals(0, None, None, None))


@pytest.mark.parametrize("extra", [0, 20])
def test_the_stats_page_runs_the_same_queries_for_few_or_many_items(
    handled, client_for, make_project, extra, django_assert_num_queries
):
    for index in range(extra):
        department = [handled.departments.land, handled.departments.drc, handled.departments.housing][index % 3]
        approved(
            make_project(name=f"更多{index}", plan=None),
            D(2026, 9, 1),
            D(2026, 9, 1 + index % 10),
            kind=[Kind.LAND_PREVIEW, Kind.ENERGY][index % 2],
            department=department,
        )
    client = client_for(handled.users.coordinator)

    # 1 session, 2 user, 3 the user's region, 4 the middle rows for the medians (window functions), 5 the
    # fastest of each kind, 6 the groups (counts, means, shares), 7 the totals, 8 the unread notifications,
    # 9-11 the session's new expiry.
    with django_assert_num_queries(11):
        client.get(STATS_URL)


def test_medians_of_even_and_odd_groups(cast, make_project, on_today):
    for index, done in enumerate([D(2026, 9, 15), D(2026, 9, 16), D(2026, 9, 22), D(2026, 9, 30)]):
        approved(make_project(name=f"中位{index}", plan=None), D(2026, 9, 14), done, department=cast.departments.land)
    approved(cast.projects.road, D(2026, 9, 14), D(2026, 9, 17), kind=Kind.ENERGY, department=cast.departments.drc)

    rows = handling_stats.kind_stats(ApprovalItem.objects.approved())

    # land: 1, 2, 7 (over the make-up Sunday), 12 → (2 + 7) / 2 = 4.5; energy: 3
    assert [(r.kind, str(r.median_days)) for r in rows] == [("energy", "3.0"), ("land_preview", "4.5")]


# ---- admin ----


def test_the_admin_enters_a_2027_holiday_and_the_deadline_moves(cast, client_for, on_today, monkeypatch):
    admin = cast.users.admin
    admin.is_superuser = True
    admin.save()
    running = item(cast.projects.materials, status="in_progress", applied_on=D(2026, 10, 19), promised=60, statutory=60)
    before = running.due_on()

    response = client_for(admin).post(
        reverse("admin:approvals_calendarday_add"), {"date": "2027-01-01", "is_workday": "", "note": "元旦"}
    )

    assert response.status_code == 302
    assert CalendarDay.objects.get().date == D(2027, 1, 1)
    # 53 working days to the year's end, then 1 January (a Friday) counts until the admin says it is 元旦.
    assert (before, running.due_on()) == (Deadline(D(2027, 1, 11), False), Deadline(D(2027, 1, 12), True))


def test_the_admin_pages_list_templates_and_days(cast, client_for, templates):
    admin = cast.users.admin
    admin.is_superuser = True
    admin.save()
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, note="元旦")
    client = client_for(admin)

    pages = [
        client.get(reverse("admin:approvals_approvaltemplate_changelist")),
        client.get(reverse("admin:approvals_approvaltemplate_change", args=[templates["产业类项目"].pk])),
        client.get(reverse("admin:approvals_calendarday_changelist")),
    ]

    assert [p.status_code for p in pages] == [200, 200, 200]
    assert "环境影响评价（报告书/报告表/登记表）" in pages[1].content.decode()
    assert "未覆盖" in pages[2].content.decode()

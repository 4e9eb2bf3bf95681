"""Investment attraction, the rules: the lead state machine, landing as a ledger project, the agreement figures
(rates against hand-computed fixtures), the figures other apps read, and the Excel round trip."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from attraction import stats
from attraction.excel import Importer, enterprise_rows, read_rows
from attraction.models import (
    Agreement,
    ChainLink,
    ContactStatus,
    FundArrival,
    Lead,
    LeadMove,
    LeadStage,
    SigningTarget,
    TargetEnterprise,
)
from lib.codes import make_credit_code
from lib.export import write_xlsx
from org.models import Role, User
from projects.models import Project, Stage, StageChange

from .conftest import reload

pytestmark = pytest.mark.usefixtures("unscoped")

CODE_A = make_credit_code("91330100MA2B00001")
CODE_B = make_credit_code("91110000MA0C00002")
D = datetime.date


def enterprise(cast, name="宁德新能科技有限公司", code=CODE_A, region=None, **fields) -> TargetEnterprise:
    return TargetEnterprise.objects.create(region=region or cast.region, name=name, credit_code=code, **fields)


def lead(cast, company=None, *, region=None, name="年产10GWh储能电池项目", **fields) -> Lead:
    values = {
        "region": region or cast.region,
        "enterprise": company or enterprise(cast),
        "name": name,
        "intended_investment": Decimal("150000"),
        "category": "industry",
        "found_on": D(2024, 1, 5),
        "promoter": cast.users.promoter,
        **fields,
    }
    return Lead.objects.create(**values)


SIGNED_ON, AGREED_START = datetime.date(2024, 3, 1), datetime.date(2024, 6, 30)


def signed(cast, item: Lead, *, on=SIGNED_ON, amount="120000", start=AGREED_START) -> Agreement:
    item.negotiate(on - datetime.timedelta(days=20), by=cast.users.promoter)
    return item.sign(signed_on=on, contracted_investment=Decimal(amount), agreed_start_on=start, by=cast.users.promoter)


# ---- the state machine ----


def test_a_lead_moves_through_negotiating_and_signed_to_landed_leaving_a_move_each(cast):
    item = lead(cast)

    item.negotiate(D(2024, 2, 1), by=cast.users.promoter, note="首次会谈")
    item.sign(
        signed_on=D(2024, 3, 1),
        contracted_investment=Decimal("120000"),
        agreed_start_on=D(2024, 6, 30),
        obligations="县里保障用地300亩",
        by=cast.users.promoter,
    )
    item.land(D(2024, 4, 1), by=cast.users.coordinator)

    moves = list(LeadMove.objects.filter(lead=item).values_list("from_stage", "to_stage", "on", "note", "by"))
    assert moves == [
        ("lead", "negotiating", D(2024, 2, 1), "首次会谈", cast.users.promoter.pk),
        ("negotiating", "signed", D(2024, 3, 1), "", cast.users.promoter.pk),
        ("signed", "landed", D(2024, 4, 1), "", cast.users.coordinator.pk),
    ]
    saved = reload(item)
    assert (saved.stage, saved.negotiating_on, saved.landed_on) == ("landed", D(2024, 2, 1), D(2024, 4, 1))
    company = reload(item.enterprise)
    assert (company.contact_status, company.is_local) == (ContactStatus.LANDED, True)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("lead", "signed"),
        ("lead", "landed"),
        ("negotiating", "landed"),
        ("negotiating", "negotiating"),
    ],
)
def test_a_lead_cannot_skip_or_repeat_a_stage(cast, start, to):
    item = lead(cast)
    if start == "negotiating":
        item.negotiate(D(2024, 2, 1), by=cast.users.promoter)
    moves = {
        "negotiating": lambda: item.negotiate(D(2024, 2, 2), by=cast.users.promoter),
        "signed": lambda: item.sign(
            signed_on=D(2024, 3, 1), contracted_investment=Decimal("1"), agreed_start_on=D(2024, 4, 1), by=None
        ),
        "landed": lambda: item.land(D(2024, 4, 1), by=None),
    }

    with pytest.raises(ValidationError):
        moves[to]()

    assert reload(item).stage == start
    assert Agreement.objects.count() == 0


def test_signing_needs_its_figures_and_a_start_not_before_signing(cast):
    item = lead(cast)
    item.negotiate(D(2024, 2, 1), by=cast.users.promoter)

    with pytest.raises(ValidationError) as missing:
        item.sign(signed_on=None, contracted_investment=None, agreed_start_on=None, by=cast.users.promoter)
    with pytest.raises(ValidationError) as early:
        item.sign(
            signed_on=D(2024, 3, 1),
            contracted_investment=Decimal("100"),
            agreed_start_on=D(2024, 2, 28),
            by=cast.users.promoter,
        )
    with pytest.raises(ValidationError) as before_talks:
        item.sign(
            signed_on=D(2024, 1, 20),
            contracted_investment=Decimal("100"),
            agreed_start_on=D(2024, 2, 28),
            by=cast.users.promoter,
        )

    assert set(missing.value.message_dict) == {"signed_on", "contracted_investment", "agreed_start_on"}
    assert early.value.message_dict == {"agreed_start_on": ["约定开工日期不能早于签约日期。"]}
    assert set(before_talks.value.message_dict) == {"signed_on"}
    assert (reload(item).stage, Agreement.objects.count(), LeadMove.objects.count()) == ("negotiating", 0, 1)


def test_a_move_dated_after_today_is_refused(cast):
    item = lead(cast)
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        item.negotiate(tomorrow, by=cast.users.promoter)

    assert error.value.message_dict == {"on": ["日期不能晚于今天。"]}
    assert reload(item).stage == "lead"


def test_dropping_needs_a_reason_and_reopening_returns_to_the_stage_it_left(cast):
    item = lead(cast)
    agreement = signed(cast, item)

    with pytest.raises(ValidationError) as no_reason:
        item.drop(D(2024, 5, 1), " ", by=cast.users.promoter)
    item.drop(D(2024, 5, 1), "企业资金链断裂，暂缓投资", by=cast.users.promoter)
    dropped = reload(item)
    item.reopen(by=cast.users.promoter, note="企业重新融资成功")

    assert no_reason.value.message_dict == {"reason": ["请填写放弃原因。"]}
    assert (dropped.stage, dropped.stage_before_drop, dropped.drop_reason) == (
        "dropped",
        "signed",
        "企业资金链断裂，暂缓投资",
    )
    reopened = reload(item)
    assert (reopened.stage, reopened.drop_reason, reopened.dropped_on) == ("signed", "", None)
    assert Agreement.objects.get() == agreement  # the agreement stayed on record throughout


def test_a_landed_lead_cannot_be_dropped(cast):
    item = lead(cast)
    signed(cast, item)
    item.land(D(2024, 4, 1), by=cast.users.promoter)

    with pytest.raises(ValidationError):
        item.drop(D(2024, 5, 1), "不想要了", by=cast.users.promoter)

    assert reload(item).stage == "landed"


# ---- landing: the ledger project ----


def test_landing_makes_the_ledger_project_from_the_lead_and_links_them_both_ways(cast):
    company = enterprise(cast, contact_name="张经理", contact_phone="13800000000")
    item = lead(
        cast,
        company,
        leader=cast.users.leader,
        department=cast.departments.drc,
        description="建设储能电池生产线8条",
        category="industry",
    )
    item.chain_tags.set([cast.tags.materials, cast.tags.steel])
    signed(cast, item, on=D(2024, 3, 1), amount="120000", start=D(2024, 6, 30))

    project = item.land(D(2024, 4, 1), by=cast.users.coordinator)

    project = Project.objects.get(pk=project.pk)
    carried = {
        "name": project.name,
        "owner_name": project.owner_name,
        "credit_code": project.credit_code,
        "region": project.region,
        "zone": project.zone,
        "category": project.category,
        "total_investment": project.total_investment,
        "leader": project.leader,
        "department": project.department,
        "signed_on": project.signed_on,
        "planned_start_on": project.planned_start_on,
        "stage": project.stage,
        "contact": (project.contact_name, project.contact_phone),
        "description": project.description,
    }
    assert carried == {
        "name": "年产10GWh储能电池项目",
        "owner_name": "宁德新能科技有限公司",
        "credit_code": CODE_A,
        "region": cast.region,
        "zone": None,
        "category": "industry",
        "total_investment": Decimal("120000.00"),
        "leader": cast.users.leader,
        "department": cast.departments.drc,
        "signed_on": D(2024, 3, 1),
        "planned_start_on": D(2024, 6, 30),
        "stage": Stage.SIGNED,
        "contact": ("张经理", "13800000000"),
        "description": "建设储能电池生产线8条",
    }
    assert set(project.chain_tags.all()) == {cast.tags.materials, cast.tags.steel}
    assert list(StageChange.objects.filter(project=project).values_list("from_stage", "to_stage", "on")) == [
        ("", "planning", datetime.date.today()),
        ("planning", "signed", D(2024, 3, 1)),
    ]
    assert reload(item).project == project
    assert project.attraction_lead == item


def test_a_lead_landing_in_a_zone_puts_its_project_in_the_county_and_the_zone(cast):
    item = lead(cast, region=cast.regions.zone)
    signed(cast, item)

    project = item.land(D(2024, 4, 1), by=cast.users.coordinator)

    assert (project.region, project.zone) == (cast.region, cast.regions.zone)


def test_landing_without_the_enterprises_credit_code_saves_nothing(cast):
    item = lead(cast, enterprise(cast, code=""))
    signed(cast, item)
    projects = Project.objects.count()

    with pytest.raises(ValidationError) as error:
        item.land(D(2024, 4, 1), by=cast.users.coordinator)

    assert error.value.message_dict == {"credit_code": ["签约前须填写统一社会信用代码。"]}
    assert Project.objects.count() == projects
    assert (reload(item).stage, reload(item).project) == ("signed", None)


def test_landing_before_the_signing_date_is_refused(cast):
    item = lead(cast)
    signed(cast, item, on=D(2024, 3, 1))

    with pytest.raises(ValidationError) as error:
        item.land(D(2024, 2, 1), by=cast.users.coordinator)

    assert list(error.value.message_dict) == ["on"]
    assert reload(item).stage == "signed"


def test_a_lead_may_land_on_an_existing_project_of_its_region_only_once(cast):
    first, second = lead(cast), lead(cast, enterprise(cast, name="第二家", code=CODE_B), name="第二个")
    signed(cast, first)
    signed(cast, second)

    first.land(D(2024, 4, 1), by=cast.users.coordinator, project=cast.projects.materials)
    with pytest.raises(ValidationError):
        second.land(D(2024, 4, 1), by=cast.users.coordinator, project=cast.projects.materials)
    with pytest.raises(ValidationError):
        second.land(D(2024, 4, 1), by=cast.users.coordinator, project=cast.projects.hospital)  # 文水县

    assert cast.projects.materials.attraction_lead == first
    assert reload(second).stage == "signed"


def test_changing_a_leads_region_moves_its_agreement_with_it(cast):
    item = lead(cast)
    agreement = signed(cast, item)

    item.region = cast.regions.wenshui
    item.save()

    assert reload(agreement).region == cast.regions.wenshui


# ---- the stalled list ----


def test_past_agreed_start_lists_the_signed_not_started_past_their_date(cast):
    today = D(2024, 7, 1)

    def agreement(name, start, code):
        return signed(cast, lead(cast, enterprise(cast, name=name, code=code), name=name), start=start)

    late = agreement("逾期未开工", D(2024, 6, 1), "")
    agreement("未到期", D(2024, 7, 1), make_credit_code("91141122MA0JC0101"))
    started = agreement("已开工", D(2024, 6, 1), make_credit_code("91141122MA0JC0102"))
    started.lead.land(D(2024, 3, 10), by=None)
    Project.objects.filter(pk=started.lead.project_id).update(started_on=D(2024, 6, 20), stage="construction")
    landed_late = agreement("落地未开工", D(2024, 6, 1), make_credit_code("91141122MA0JC0103"))
    landed_late.lead.land(D(2024, 3, 10), by=None)
    dropped = agreement("已放弃", D(2024, 6, 1), make_credit_code("91141122MA0JC0104"))
    dropped.lead.drop(D(2024, 4, 1), "企业撤资", by=None)
    terminated = agreement("已终止", D(2024, 6, 1), make_credit_code("91141122MA0JC0105"))
    terminated.lead.land(D(2024, 3, 10), by=None)
    Project.objects.filter(pk=terminated.lead.project_id).update(stage="terminated")

    stalled = Agreement.objects.past_agreed_start(today)

    assert sorted(a.name for a in stalled) == sorted([late.name, landed_late.name])
    row = stalled.get(pk=late.pk)
    assert (row.region, row.contracted_investment, row.agreed_start_on, row.signed_on) == (
        cast.region,
        Decimal("120000.00"),
        D(2024, 6, 1),
        D(2024, 3, 1),
    )
    assert (row.enterprise.name, row.get_absolute_url()) == ("逾期未开工", f"/attraction/agreements/{late.pk}/")


# ---- the figures: hand-computed fixtures ----


@pytest.fixture
def book(cast):
    """Five agreements in 吕梁市 (today 2024-07-01 for the rates):

    | | region | promoter | contracted | signed | agreed start | started | funds |
    | A | 交城经济开发区 | 吴招商 | 1,000 | 01-10 | 03-01 | 02-20 (on time, 41 days) | 600 |
    | B | 交城县 | 吴招商 | 3,000 | 02-01 | 04-01 | 05-01 (late, 90 days) | 1,000 + 500 |
    | C | 文水县 | 文水专员 | 2,000 | 03-01 | 06-01 | — (due, stalled) | — |
    | D | 文水县 | 文水专员 | 4,000 | 06-01 | 09-01 | — (not yet due) | 1,000 |
    | E | 交城县 | 吴招商 | 500 | 01-15 | 02-15 | dropped 02-01 (due, not honoured) | — |
    """
    wenshui = User.objects.create_user(
        "ws_promoter", role=Role.PROMOTER, region=cast.regions.wenshui, full_name="文水专员"
    )
    rows = [
        ("A", cast.regions.zone, cast.users.promoter, "1000", D(2024, 1, 10), D(2024, 3, 1), D(2024, 2, 20), ["600"]),
        ("B", cast.region, cast.users.promoter, "3000", D(2024, 2, 1), D(2024, 4, 1), D(2024, 5, 1), ["1000", "500"]),
        ("C", cast.regions.wenshui, wenshui, "2000", D(2024, 3, 1), D(2024, 6, 1), None, []),
        ("D", cast.regions.wenshui, wenshui, "4000", D(2024, 6, 1), D(2024, 9, 1), None, ["1000"]),
        ("E", cast.region, cast.users.promoter, "500", D(2024, 1, 15), D(2024, 2, 15), None, []),
    ]
    departments = {"A": cast.departments.drc, "B": cast.departments.land, "C": cast.departments.wenshui_drc}
    departments["E"] = cast.departments.drc
    made = {}
    for index, (key, region, promoter, amount, on, start, started, funds) in enumerate(rows):
        company = enterprise(
            cast, name=f"企业{key}", code=make_credit_code(f"91141122MA0JC02{index:02d}"), region=region
        )
        item = lead(cast, company, region=region, name=f"项目{key}", promoter=promoter, department=departments.get(key))
        item.found_on = on - datetime.timedelta(days=30)
        item.save()
        agreement = signed(cast, item, on=on, amount=amount, start=start)
        for n, value in enumerate(funds):
            FundArrival.objects.create(
                agreement=agreement, arrived_on=on + datetime.timedelta(days=n + 1), amount=value
            )
        if started:
            project = item.land(on, by=promoter)
            Project.objects.filter(pk=project.pk).update(started_on=started, stage="construction")
        made[key] = agreement
    made["E"].lead.drop(D(2024, 2, 1), "企业战略调整", by=cast.users.promoter)
    made["wenshui"] = wenshui
    return made


TODAY = D(2024, 7, 1)


def _figures(f: stats.Figures) -> tuple:
    return (
        f.count,
        f.contracted,
        f.arrived,
        f.due,
        f.on_time,
        f.fulfilment_rate,
        f.arrival_rate,
        f.mean_days_to_start,
        f.fastest_days_to_start,
    )


def test_the_totals_are_the_hand_computed_rates(cast, book):
    totals = stats.totals(Agreement.objects.all(), TODAY)

    # due A B C E, on time A: 1/4; funds 3,100 of 10,500; started A (41 days) and B (90 days).
    assert _figures(totals) == (
        5,
        Decimal("10500.00"),
        Decimal("3100.00"),
        4,
        1,
        Decimal("25.0"),
        Decimal("29.5"),
        Decimal("65.5"),
        41,
    )


def test_the_rates_by_region_group_each_child_subtree_with_its_target(cast, book):
    SigningTarget.objects.create(region=cast.region, year=2024, amount=Decimal("9000"))
    SigningTarget.objects.create(region=cast.region, year=2025, amount=Decimal("1"))

    rows = stats.by_region(Agreement.objects.all(), cast.regions.lvliang, TODAY, year=2024)

    assert [(f.key, f.label, *_figures(f), f.target, f.target_rate) for f in rows] == [
        (cast.regions.wenshui.pk, "文水县", 2, Decimal("6000.00"), Decimal("1000.00"), 1, 0, Decimal("0.0"),
         Decimal("16.7"), None, None, None, None),
        (cast.region.pk, "交城县", 3, Decimal("4500.00"), Decimal("2100.00"), 3, 1, Decimal("33.3"),
         Decimal("46.7"), Decimal("65.5"), 41, Decimal("9000.00"), Decimal("50.0")),
    ]  # fmt: skip


def test_agreements_in_the_parent_itself_come_first_so_the_rows_add_up(cast, book):
    rows = stats.by_region(Agreement.objects.all(), cast.region, TODAY)

    # B and E landed in 交城县 itself, A in its zone.
    assert [(f.key, f.label, f.count, f.contracted, f.due, f.on_time) for f in rows] == [
        (cast.region.pk, "交城县（本级）", 2, Decimal("3500.00"), 2, 0),
        (cast.regions.zone.pk, "交城经济开发区", 1, Decimal("1000.00"), 1, 1),
    ]


def test_the_rates_by_promoter_group_each_promoters_leads(cast, book):
    rows = stats.by_promoter(Agreement.objects.all(), TODAY)

    assert [(f.key, f.label, f.count, f.contracted, f.fulfilment_rate, f.arrival_rate) for f in rows] == [
        (cast.users.promoter.pk, "吴招商", 3, Decimal("4500.00"), Decimal("33.3"), Decimal("46.7")),
        (book["wenshui"].pk, "文水专员", 2, Decimal("6000.00"), Decimal("0.0"), Decimal("16.7")),
    ]


def test_no_agreement_due_means_no_rate_rather_than_zero(cast):
    empty = stats.totals(Agreement.objects.all(), TODAY)

    assert (empty.count, empty.fulfilment_rate, empty.arrival_rate, empty.mean_days_to_start) == (0, None, None, None)


# ---- the interface for rankings and dashboards ----


def test_signed_investment_by_region_covers_every_child_in_the_window(cast, book, django_assert_num_queries):
    with django_assert_num_queries(2):  # the children, the grouped sums
        year = stats.signed_investment_by_region(cast.regions.lvliang, D(2024, 1, 1), D(2024, 12, 31))
    spring = stats.signed_investment_by_region(cast.regions.lvliang, D(2024, 2, 1), D(2024, 3, 31))
    province = stats.signed_investment_by_region(cast.regions.shanxi, D(2024, 1, 1), D(2024, 12, 31))
    county = stats.signed_investment_by_region(cast.region, D(2024, 1, 1), D(2024, 12, 31))

    assert year == {cast.region.pk: Decimal("4500.00"), cast.regions.wenshui.pk: Decimal("6000.00")}
    assert spring == {cast.region.pk: Decimal("3000.00"), cast.regions.wenshui.pk: Decimal("2000.00")}
    assert province == {cast.regions.lvliang.pk: Decimal("10500.00"), cast.regions.taiyuan.pk: Decimal("0")}
    assert county == {cast.regions.zone.pk: Decimal("1000.00")}


def test_signing_targets_by_region_are_the_childrens_of_that_year(cast):
    SigningTarget.objects.create(region=cast.region, year=2024, amount=Decimal("20000"))
    SigningTarget.objects.create(region=cast.regions.wenshui, year=2024, amount=Decimal("10000"))
    SigningTarget.objects.create(region=cast.regions.wenshui, year=2025, amount=Decimal("12000"))
    SigningTarget.objects.create(region=cast.regions.lvliang, year=2024, amount=Decimal("90000"))

    targets = stats.signing_target_by_region(cast.regions.lvliang, 2024)

    assert targets == {cast.region.pk: Decimal("20000.00"), cast.regions.wenshui.pk: Decimal("10000.00")}


def test_signed_investment_by_department_sums_the_leads_departments(cast, book):
    by_department = stats.signed_investment_by_department(cast.regions.lvliang, D(2024, 1, 1), D(2024, 12, 31))
    county = stats.signed_investment_by_department(cast.region, D(2024, 1, 1), D(2024, 12, 31))

    assert by_department == {
        cast.departments.drc.pk: Decimal("1500.00"),
        cast.departments.land.pk: Decimal("3000.00"),
        cast.departments.wenshui_drc.pk: Decimal("2000.00"),
    }
    assert county == {cast.departments.drc.pk: Decimal("1500.00"), cast.departments.land.pk: Decimal("3000.00")}


def test_the_interface_reads_past_the_request_scope(cast, book):
    """Called from a request of a county user, or from a nightly task with no scope at all: the same answer."""
    from django_scopes import scope

    with scope(region=cast.region.path):
        inside = stats.signed_investment_by_region(cast.regions.lvliang, D(2024, 1, 1), D(2024, 12, 31))

    assert inside[cast.regions.wenshui.pk] == Decimal("6000.00")


# ---- the Excel round trip ----


@pytest.fixture
def library(cast):
    chain = cast.tags.materials
    graphite = ChainLink.objects.create(chain=chain, position="upstream", name="石墨原料")
    electrode = ChainLink.objects.create(chain=chain, position="midstream", name="石墨电极")
    first = enterprise(
        cast,
        name="方大炭素新材料科技股份有限公司",
        headquarters="甘肃兰州",
        size="large",
        is_leading=True,
        is_listed=True,
        contact_status=ContactStatus.CONTACTED,
        promoter=cast.users.promoter,
        contact_name="刘经理",
        contact_phone="0931-1234567",
        notes="2024年5月拜访总部",
    )
    first.chain_links.set([graphite, electrode])
    second = enterprise(cast, name="本地石墨制品厂", code="", is_local=True)
    second.chain_links.set([electrode])
    return {"first": first, "second": second, "graphite": graphite, "electrode": electrode}


def _upload(rows) -> SimpleUploadedFile:
    return SimpleUploadedFile("企业库.xlsx", write_xlsx(rows))


def _state() -> list:
    enterprises = TargetEnterprise.objects.order_by("pk").prefetch_related("chain_links")
    fields = [f.name for f in TargetEnterprise._meta.fields if f.name not in ("created_at", "updated_at")]
    return [([getattr(e, f) for f in fields], sorted(link.pk for link in e.chain_links.all())) for e in enterprises]


def test_the_export_writes_a_header_and_one_row_per_enterprise(cast, library):
    rows = list(enterprise_rows(TargetEnterprise.objects.order_by("name")))

    assert rows == [
        ["企业名称", "统一社会信用代码", "区划代码", "所属区划", "总部所在地", "企业规模", "龙头企业", "专精特新",
         "上市企业", "本地已落户", "产业链环节", "对接状态", "招商专员账号", "联系人", "联系电话", "备注"],
        ["方大炭素新材料科技股份有限公司", CODE_A, "141122", "交城县", "甘肃兰州", "大型", "是", "否", "是", "否",
         "新材料·石墨原料；新材料·石墨电极", "已接触", "jc_promoter", "刘经理", "0931-1234567", "2024年5月拜访总部"],
        ["本地石墨制品厂", "", "141122", "交城县", "", "", "否", "否", "否", "是", "新材料·石墨电极", "未接触", "", "",
         "", ""],
    ]  # fmt: skip


def test_importing_the_export_changes_nothing(cast, library):
    before = _state()
    upload = _upload(enterprise_rows(TargetEnterprise.objects.all()))

    result = Importer(cast.users.promoter).run(read_rows(upload), dry_run=False)

    assert (result.saved, result.created, result.updated, result.errors) == (True, 0, 2, [])
    assert _state() == before


def test_an_edited_export_updates_and_adds_enterprises(cast, library):
    rows = list(enterprise_rows(TargetEnterprise.objects.order_by("name")))
    rows[1][4] = "北京"  # headquarters of 方大炭素
    rows[1][10] = "新材料·石墨电极"  # one link fewer
    rows.append(["中科电碳有限公司", CODE_B, "141122901", "", "", "中型", "否", "是", "否", "否", "新材料·石墨原料",
                 "有投资意向", "jc_promoter", "", "", "来自展会"])  # fmt: skip

    result = Importer(cast.users.promoter).run(read_rows(_upload(rows)), dry_run=False)

    assert (result.saved, result.created, result.updated) == (True, 1, 2)
    first = reload(library["first"])
    assert (first.headquarters, list(first.chain_links.all())) == ("北京", [library["electrode"]])
    new = TargetEnterprise.objects.get(credit_code=CODE_B)
    assert (new.region, new.size, new.is_specialised, new.contact_status, new.promoter, new.notes) == (
        cast.regions.zone,
        "medium",
        True,
        "interested",
        cast.users.promoter,
        "来自展会",
    )
    assert list(new.chain_links.all()) == [library["graphite"]]


def test_a_file_with_errors_saves_nothing_and_names_each_row_and_column(cast, library):
    rows = list(enterprise_rows(TargetEnterprise.objects.order_by("name")))
    rows[1][4] = "北京"  # a good change, still not saved
    good = make_credit_code("91141122MA0JC0009")
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    rows.append(["坏代码企业", bad, "141122", "", "", "", "否", "否", "否", "否", "", "", "", "", "", ""])
    rows.append(["外地企业", "", "140105", "", "", "特大型", "也许", "否", "否", "否", "新材料·负极材料", "", "nobody",
                 "", "", ""])  # fmt: skip
    rows.append(["本地石墨制品厂", "", "141122", "", "", "", "否", "否", "否", "否", "", "", "", "", "", ""])
    rows.append(["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""])  # blank: skipped
    before = _state()

    result = Importer(cast.users.promoter).run(read_rows(_upload(rows)), dry_run=False)

    assert (result.saved, result.ok) == (False, False)
    assert [str(error) for error in result.errors] == [
        "第 4 行 统一社会信用代码：统一社会信用代码校验位不正确，请核对。",
        "第 5 行 区划代码：区划代码 140105 不存在或不在您的管辖范围内。",
        "第 5 行 企业规模：“特大型”不是有效选项（可填：大型、中型、小型、微型）。",
        "第 5 行 龙头企业：请填写“是”或“否”。",
        "第 5 行 招商专员账号：账号 nobody 不是您区划范围内的招商专员。",
        "第 5 行 产业链环节：找不到产业链环节“新材料·负极材料”（格式：产业链·环节）。",
        "第 6 行 企业名称：与第 3 行是同一家企业，请合并为一行。",
    ]
    assert _state() == before


def test_a_dry_run_counts_without_saving(cast, library):
    rows = list(enterprise_rows(TargetEnterprise.objects.all()))
    rows.append(["新企业", "", "141122", "", "", "", "", "", "", "", "", "", "", "", "", ""])

    result = Importer(cast.users.coordinator).run(read_rows(_upload(rows)), dry_run=True)

    assert (result.saved, result.ok, result.created, result.updated) == (False, True, 1, 2)
    assert TargetEnterprise.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a workbook", "无法读取该文件"),
        (write_xlsx([["名称", "地址"], ["甲", "乙"]]), "第 1 行缺少列：企业名称、区划代码"),
        (write_xlsx([["企业名称", "区划代码"]]), "文件中没有企业数据"),
    ],
)
def test_an_unreadable_file_is_refused_whole(content, message):
    from attraction.excel import FileError

    with pytest.raises(FileError) as error:
        read_rows(SimpleUploadedFile("x.xlsx", content))

    assert message in str(error.value)


def test_the_xlsx_export_opens_in_excel_with_the_same_rows(cast, library):
    body = write_xlsx(enterprise_rows(TargetEnterprise.objects.order_by("name")))

    sheet = load_workbook(io.BytesIO(body)).worksheets[0]

    assert [cell.value for cell in sheet[2]][:4] == ["方大炭素新材料科技股份有限公司", CODE_A, "141122", "交城县"]
    assert sheet.max_row == 3


def test_the_lead_stages_on_the_board_are_in_order():
    from attraction.models import BOARD_STAGES

    assert [s.label for s in BOARD_STAGES] == ["线索", "洽谈", "签约", "落地"]
    assert LeadStage.DROPPED.label == "已放弃"

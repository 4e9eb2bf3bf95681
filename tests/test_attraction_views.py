"""Investment attraction, the screens: the board and its drag-to-move (htmx), the lead, enterprise, agreement,
fund, target, chain and import pages — saved fields, field errors, pinned query counts."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from django_scopes.exceptions import ScopeError
from openpyxl import load_workbook

from attraction.models import (
    Agreement,
    ChainLink,
    FundArrival,
    Lead,
    SigningTarget,
    TargetEnterprise,
    Visit,
)
from lib.codes import make_credit_code
from lib.export import write_xlsx
from org.models import Role, User
from projects.models import ChainTag, Project

from .conftest import reload

D = datetime.date
TODAY = datetime.date.today()
CODE = make_credit_code("91330100MA2B00001")
HTMX = {"HTTP_HX_REQUEST": "true"}


def make_enterprise(region, name="宁德新能科技有限公司", code=CODE, **fields) -> TargetEnterprise:
    with scopes_disabled():
        return TargetEnterprise.objects.create(region=region, name=name, credit_code=code, **fields)


def make_lead(cast, *, stage="lead", company=None, region=None, name="储能电池项目", **fields) -> Lead:
    """A lead brought to ``stage`` through the model's moves."""
    with scopes_disabled():
        item = Lead.objects.create(
            region=region or cast.region,
            enterprise=company or make_enterprise(region or cast.region),
            name=name,
            intended_investment=Decimal("50000"),
            found_on=D(2024, 1, 5),
            **{"promoter": cast.users.promoter, **fields},
        )
        if stage in ("negotiating", "signed", "landed"):
            item.negotiate(D(2024, 2, 1), by=cast.users.promoter)
        if stage in ("signed", "landed"):
            item.sign(
                signed_on=D(2024, 3, 1),
                contracted_investment=Decimal("45000"),
                agreed_start_on=D(2024, 6, 1),
                by=cast.users.promoter,
            )
        if stage == "landed":
            item.land(D(2024, 4, 1), by=cast.users.promoter)
    return item


def move_url(item) -> str:
    return reverse("attraction:lead_move", kwargs={"pk": item.pk})


# ---- the board ----


@pytest.mark.parametrize("count", [3, 30])
def test_the_board_runs_the_same_queries_for_3_or_30_leads(cast, client_for, count, django_assert_num_queries):
    company = make_enterprise(cast.region)
    stages = ["lead", "negotiating", "signed"]
    for index in range(count):
        make_lead(cast, stage=stages[index % 3], company=company, name=f"项目{index}")
    client = client_for(cast.users.promoter)

    # 1 session, 2 user, 3 the user's region (for the scope), 4 the unread notifications (the badge),
    # 5 counts and sums by stage, 6-10 the cards of each of the five columns (with enterprise, promoter, region,
    # agreement, project and the last visit), 11-13 the filter form's choices: regions, promoters, chain tags,
    # 14-16 the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(16):
        response = client.get(reverse("attraction:board"))

    columns = {c["stage"]: (c["count"], len(c["leads"])) for c in response.context["columns"]}
    third = count // 3
    assert columns == {
        "lead": (third, third),
        "negotiating": (third, third),
        "signed": (third, third),
        "landed": (0, 0),
    }
    assert response.content.decode().count('data-testid="lead-card"') == count


def test_the_board_filters_by_promoter_and_keyword(cast, client_for):
    make_lead(cast, name="氢能重卡项目")
    make_lead(cast, name="光伏组件项目", promoter=None, company=make_enterprise(cast.region, name="乙", code=""))

    response = client_for(cast.users.coordinator).get(reverse("attraction:board"), {"mine": "on", "q": "氢能"})
    mine = client_for(cast.users.promoter).get(reverse("attraction:board"), {"mine": "on"})

    assert [lead.name for c in response.context["columns"] for lead in c["leads"]] == []  # not the coordinator's
    assert [lead.name for c in mine.context["columns"] for lead in c["leads"]] == ["氢能重卡项目"]


def test_the_board_shows_only_the_users_region(cast, client_for):
    make_lead(cast, name="交城项目")
    make_lead(cast, region=cast.regions.xiaodian, name="小店项目", company=make_enterprise(cast.regions.xiaodian))

    county = client_for(cast.users.leader).get(reverse("attraction:board"))
    outsider = client_for(cast.users.outsider).get(reverse("attraction:board"))

    assert [lead.name for lead in county.context["columns"][0]["leads"]] == ["交城项目"]
    assert [lead.name for lead in outsider.context["columns"][0]["leads"]] == ["小店项目"]
    assert county.context["can_edit"] is False
    assert 'draggable="true"' not in county.content.decode()


# ---- moving on the board (htmx) ----


def test_a_drag_to_negotiating_moves_at_once_and_tells_the_board(cast, client_for):
    item = make_lead(cast)

    response = client_for(cast.users.promoter).post(move_url(item), {"to": "negotiating"}, **HTMX)

    assert response.status_code == 204
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["leadMoved"]["lead"] == item.pk and trigger["leadMoved"]["stage"] == "negotiating"
    saved = reload(item)
    assert (saved.stage, saved.negotiating_on) == ("negotiating", TODAY)


def test_a_drag_to_signed_returns_the_signing_form_with_its_field_errors(cast, client_for):
    item = make_lead(cast, stage="negotiating")

    response = client_for(cast.users.promoter).post(move_url(item), {"to": "signed"}, **HTMX)

    assert response.status_code == 400
    assert response["HX-Retarget"] == "#move-dialog-body"
    form = response.context["form"]
    assert form.errors == {"signed_on": ["请填写日期。"], "agreed_start_on": ["请填写日期。"]}
    assert (form["name"].value(), form["contracted_investment"].value()) == ("储能电池项目", Decimal("50000.00"))
    assert 'hx-post="' in response.content.decode()
    assert reload(item).stage == "negotiating"


def test_the_signing_form_in_the_dialog_signs_the_agreement(cast, client_for):
    item = make_lead(cast, stage="negotiating")
    data = {
        "to": "signed",
        "name": "储能电池项目（一期）",
        "contracted_investment": "48000.50",
        "signed_on": "2024-03-01",
        "agreed_start_on": "2024-06-30",
        "obligations": "用地300亩，2024年底前投产",
    }

    response = client_for(cast.users.promoter).post(move_url(item), data, **HTMX)

    assert response.status_code == 204
    with scopes_disabled():
        agreement = Agreement.objects.get(lead=item)
    assert (
        agreement.name,
        agreement.contracted_investment,
        agreement.signed_on,
        agreement.agreed_start_on,
        agreement.obligations,
        agreement.region,
    ) == (
        "储能电池项目（一期）",
        Decimal("48000.50"),
        D(2024, 3, 1),
        D(2024, 6, 30),
        "用地300亩，2024年底前投产",
        cast.region,
    )
    assert reload(item).stage == "signed"


def test_a_skipping_drag_comes_back_with_the_rule(cast, client_for):
    item = make_lead(cast)

    response = client_for(cast.users.promoter).post(move_url(item), {"to": "landed"}, **HTMX)

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "“线索”阶段的线索不能直接转为“落地”：线索须依次经过洽谈、签约、落地。"
    ]
    assert reload(item).stage == "lead"


def test_a_start_before_signing_is_a_field_error_on_the_form(cast, client_for):
    item = make_lead(cast, stage="negotiating")
    data = {"to": "signed", "name": "x", "contracted_investment": "1", "signed_on": "2024-03-01"}

    response = client_for(cast.users.promoter).post(move_url(item), {**data, "agreed_start_on": "2024-02-01"})

    assert response.status_code == 400
    assert response.context["form"].errors == {"agreed_start_on": ["约定开工日期不能早于签约日期。"]}
    with scopes_disabled():
        assert not Agreement.objects.exists()


def test_dropping_needs_a_reason(cast, client_for):
    item = make_lead(cast, stage="negotiating")
    client = client_for(cast.users.promoter)

    refused = client.post(move_url(item), {"to": "dropped"}, **HTMX)
    done = client.post(move_url(item), {"to": "dropped", "reason": "企业转投他省"}, **HTMX)

    assert refused.status_code == 400 and refused.context["form"].errors == {"reason": ["请填写放弃原因。"]}
    assert done.status_code == 204
    saved = reload(item)
    assert (saved.stage, saved.drop_reason, saved.dropped_on, saved.stage_before_drop) == (
        "dropped",
        "企业转投他省",
        TODAY,
        "negotiating",
    )


# ---- landing from the move page ----


def test_landing_from_the_page_makes_the_project_and_opens_the_lead(cast, client_for):
    item = make_lead(cast, stage="signed", leader=cast.users.leader, department=cast.departments.drc)

    response = client_for(cast.users.promoter).post(move_url(item), {"to": "landed", "on": "2024-04-01"})

    assert response.status_code == 302 and response.url == item.get_absolute_url()
    saved = reload(item)
    assert (saved.stage, saved.landed_on) == ("landed", D(2024, 4, 1))
    with scopes_disabled():
        project = Project.objects.get(pk=saved.project_id)
    assert (project.name, project.total_investment, project.stage, project.signed_on, project.leader) == (
        "储能电池项目",
        Decimal("45000.00"),
        "signed",
        D(2024, 3, 1),
        cast.users.leader,
    )
    page = client_for(cast.users.promoter).get(response.url)
    assert reverse("projects:detail", kwargs={"pk": project.pk}) in page.content.decode()


def test_landing_asks_for_the_missing_credit_code_and_keeps_it(cast, client_for):
    item = make_lead(cast, stage="signed", company=make_enterprise(cast.region, code=""))
    client = client_for(cast.users.promoter)
    projects = Project.objects.with_scopes_disabled().count()

    asked = client.post(move_url(item), {"to": "landed"}, **HTMX)
    wrong = client.post(move_url(item), {"to": "landed", "credit_code": "91330100MA2B0000X"}, **HTMX)
    done = client.post(move_url(item), {"to": "landed", "credit_code": CODE.lower()}, **HTMX)

    assert asked.status_code == 400
    assert asked.context["form"].errors == {"credit_code": ["落地前须填写投资企业的统一社会信用代码。"]}
    assert wrong.status_code == 400 and list(wrong.context["form"].errors) == ["credit_code"]
    assert done.status_code == 204
    assert reload(item.enterprise).credit_code == CODE
    assert reload(reload(item).project).credit_code == CODE
    assert Project.objects.with_scopes_disabled().count() == projects + 1


def test_the_move_page_offers_the_next_step(cast, client_for):
    item = make_lead(cast, stage="negotiating")

    response = client_for(cast.users.promoter).get(move_url(item))
    signing = client_for(cast.users.promoter).get(move_url(item), {"to": "signed"})

    assert "?to=signed" in response.content.decode()
    assert signing.context["form"].initial == {} and signing.context["form"][
        "contracted_investment"
    ].value() == Decimal("50000.00")


# ---- the lead form and visits ----


def test_a_new_lead_is_saved_with_its_fields_and_who_entered_it(cast, client_for):
    company = make_enterprise(cast.region)
    data = {
        "name": "年产2万吨负极材料项目",
        "enterprise": company.pk,
        "region": cast.regions.zone.pk,
        "intended_investment": "80000",
        "category": "industry",
        "chain_tags": [cast.tags.materials.pk],
        "source": "chain",
        "found_on": "2024-05-06",
        "promoter": cast.users.promoter.pk,
        "department": cast.departments.drc.pk,
        "leader": cast.users.leader.pk,
        "description": "负极材料",
    }

    response = client_for(cast.users.promoter).post(reverse("attraction:lead_create"), data)

    with scopes_disabled():
        item = Lead.objects.get()
    assert response.status_code == 302 and response.url == item.get_absolute_url()
    assert (item.name, item.region, item.intended_investment, item.source, item.found_on, item.created_by) == (
        "年产2万吨负极材料项目",
        cast.regions.zone,
        Decimal("80000.00"),
        "chain",
        D(2024, 5, 6),
        cast.users.promoter,
    )
    assert (item.stage, list(item.chain_tags.all()), item.leader, item.department) == (
        "lead",
        [cast.tags.materials],
        cast.users.leader,
        cast.departments.drc,
    )


def test_a_lead_cannot_name_another_regions_enterprise(cast, client_for):
    outside = make_enterprise(cast.regions.xiaodian)
    data = {"name": "x", "enterprise": outside.pk, "region": cast.region.pk, "intended_investment": "-1"}

    response = client_for(cast.users.promoter).post(reverse("attraction:lead_create"), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["enterprise"] == ["所选企业不在您的目标企业库中。"]
    assert "intended_investment" in errors and "found_on" in errors
    with scopes_disabled():
        assert not Lead.objects.exists()


def test_a_new_lead_from_an_enterprise_page_starts_from_that_enterprise(cast, client_for):
    company = make_enterprise(cast.regions.zone, promoter=cast.users.promoter)

    response = client_for(cast.users.coordinator).get(reverse("attraction:lead_create"), {"enterprise": company.pk})

    initial = response.context["form"].initial
    assert (initial["enterprise"], initial["region"], initial["promoter"]) == (
        company.pk,
        cast.regions.zone.pk,
        cast.users.promoter.pk,
    )


def test_a_visit_is_logged_on_the_lead(cast, client_for):
    item = make_lead(cast)
    url = reverse("attraction:visit_create", kwargs={"pk": item.pk})
    data = {
        "kind": "meeting",
        "on": "2024-02-10",
        "participants": "县长、招商局",
        "summary": "确定选址",
        "next_step": "赴总部",
    }

    bad = client_for(cast.users.promoter).post(url, {"kind": "meeting", "on": "2999-01-01"})
    response = client_for(cast.users.promoter).post(url, data)

    assert bad.status_code == 400
    assert bad.context["visit_form"].errors == {"on": ["日期不能晚于今天。"], "summary": ["请填写洽谈内容。"]}
    assert response.status_code == 302
    with scopes_disabled():
        visit = Visit.objects.get()
    assert (visit.kind, visit.on, visit.participants, visit.summary, visit.next_step, visit.by) == (
        "meeting",
        D(2024, 2, 10),
        "县长、招商局",
        "确定选址",
        "赴总部",
        cast.users.promoter,
    )


# ---- enterprises ----


def test_an_enterprise_is_saved_with_its_tags_links_and_checked_code(cast, client_for):
    with scopes_disabled():
        link = ChainLink.objects.create(chain=cast.tags.materials, position="midstream", name="石墨电极")
    data = {
        "name": " 方大炭素 ",
        "credit_code": CODE.lower(),
        "region": cast.region.pk,
        "headquarters": "甘肃兰州",
        "size": "large",
        "is_leading": "on",
        "is_listed": "on",
        "chain_links": [link.pk],
        "contact_status": "contacted",
        "promoter": cast.users.promoter.pk,
    }
    client = client_for(cast.users.promoter)

    bad = client.post(reverse("attraction:enterprise_create"), {**data, "credit_code": "91330100MA2B0000"})
    response = client.post(reverse("attraction:enterprise_create"), data)

    assert bad.status_code == 400 and bad.context["form"].errors == {"credit_code": ["统一社会信用代码应为 18 位。"]}
    with scopes_disabled():
        company = TargetEnterprise.objects.get()
    assert response.status_code == 302 and response.url == company.get_absolute_url()
    assert (company.name, company.credit_code, company.is_leading, company.is_specialised, company.is_listed) == (
        "方大炭素",
        CODE,
        True,
        False,
        True,
    )
    assert (list(company.chain_links.all()), company.promoter, company.contact_status) == (
        [link],
        cast.users.promoter,
        "contacted",
    )


def test_the_same_credit_code_twice_in_a_region_is_a_field_error(cast, client_for):
    make_enterprise(cast.region)
    data = {"name": "另一家", "credit_code": CODE, "region": cast.region.pk, "contact_status": "not_contacted"}

    response = client_for(cast.users.coordinator).post(reverse("attraction:enterprise_create"), data)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["__all__"]


@pytest.mark.parametrize("count", [2, 20])
def test_the_enterprise_list_runs_the_same_queries_for_2_or_20(cast, client_for, count, django_assert_num_queries):
    with scopes_disabled():
        link = ChainLink.objects.create(chain=cast.tags.materials, position="upstream", name="原料")
    for index in range(count):
        make_enterprise(cast.region, name=f"企业{index}", code="").chain_links.set([link])
    client = client_for(cast.users.promoter)

    # 1 session, 2 user, 3 region, 4 badge, 5 count, 6 the page (with region, promoter, open leads),
    # 7 their chain links, 8 the links' chains, 9-11 the filter choices: regions, promoters, chains,
    # 12-14 session expiry.
    with django_assert_num_queries(14):
        response = client.get(reverse("attraction:enterprises"))

    assert len(response.context["page"].object_list) == count


def test_the_enterprise_export_follows_the_filters(cast, client_for):
    make_enterprise(cast.region, name="龙头企业甲", is_leading=True)
    make_enterprise(cast.region, name="普通企业乙", code="")

    response = client_for(cast.users.leader).get(
        reverse("attraction:enterprise_export", kwargs={"fmt": "xlsx"}), {"tag": "leading"}
    )

    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["企业名称", "龙头企业甲"]


def test_the_import_page_lists_errors_then_imports_all_rows(cast, client_for):
    url = reverse("attraction:enterprise_import")
    header = ["企业名称", "统一社会信用代码", "区划代码"]
    bad = write_xlsx([header, ["甲企业", "", "141122"], ["乙企业", "", "999999"]])
    good = write_xlsx([header, ["甲企业", "", "141122"], ["乙企业", CODE, "141122901"]])
    client = client_for(cast.users.promoter)

    checked = client.post(url, {"action": "dry_run", "file": SimpleUploadedFile("a.xlsx", bad)})
    dry = client.post(url, {"action": "dry_run", "file": SimpleUploadedFile("a.xlsx", good)})
    done = client.post(url, {"action": "import", "file": SimpleUploadedFile("a.xlsx", good)})

    assert checked.status_code == 400
    assert [str(e) for e in checked.context["result"].errors] == [
        "第 3 行 区划代码：区划代码 999999 不存在或不在您的管辖范围内。"
    ]
    assert dry.status_code == 200 and (dry.context["result"].created, dry.context["result"].saved) == (2, False)
    assert done.status_code == 302
    with scopes_disabled():
        assert sorted(TargetEnterprise.objects.values_list("name", "region__code")) == [
            ("乙企业", "141122901"),
            ("甲企业", "141122"),
        ]


def test_the_import_refuses_a_file_that_is_no_workbook(cast, client_for):
    response = client_for(cast.users.promoter).post(
        reverse("attraction:enterprise_import"), {"action": "import", "file": SimpleUploadedFile("a.xlsx", b"x")}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["无法读取该文件，请上传由本系统导出或按模板填写的 .xlsx 文件。"]


# ---- agreements, funds, targets ----


@pytest.mark.parametrize("count", [3, 30])
def test_the_agreement_list_runs_the_same_queries_for_3_or_30(cast, client_for, count, django_assert_num_queries):
    company = make_enterprise(cast.region)
    for index in range(count):
        make_lead(cast, stage="signed", company=company, name=f"项目{index}")
    client = client_for(cast.users.coordinator)

    # 1 session, 2 user, 3 region, 4 badge, 5 count, 6 the page (region, enterprise, promoter, project, funds),
    # 7 totals, 8 the children of 交城县, 9 by child region, 10 by promoter, 11-12 the filter choices
    # (regions, promoters), 13-15 session expiry.
    with django_assert_num_queries(15):
        response = client.get(reverse("attraction:agreements"))

    assert len(response.context["page"].object_list) == count
    totals = response.context["totals"]
    assert (totals.count, totals.contracted, totals.due, totals.on_time) == (count, Decimal("45000") * count, count, 0)


def test_the_agreement_list_shows_the_stalled_filter(cast, client_for):
    make_lead(cast, stage="signed", name="未开工")
    make_lead(cast, stage="negotiating", name="洽谈中", company=make_enterprise(cast.region, name="乙", code=""))

    response = client_for(cast.users.leader).get(reverse("attraction:agreements"), {"state": "stalled"})

    assert [a.name for a in response.context["page"].object_list] == ["未开工"]
    assert 'data-testid="stalled"' in response.content.decode()


def test_the_agreement_export_has_the_rates_per_row(cast, client_for):
    item = make_lead(cast, stage="signed")
    with scopes_disabled():
        FundArrival.objects.create(agreement=item.agreement, arrived_on=D(2024, 4, 1), amount=Decimal("9000"))

    response = client_for(cast.users.coordinator).get(reverse("attraction:agreement_export", kwargs={"fmt": "csv"}))

    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("序号,签约项目名称,投资企业,落地区划")
    assert (
        lines[1]
        == "1,储能电池项目,宁德新能科技有限公司,交城县,吴招商,2024-03-01,45000.00,2024-06-01,,9000.00,20.0,逾期未开工,"
    )


def test_funds_are_recorded_against_the_agreement(cast, client_for):
    item = make_lead(cast, stage="signed")
    url = reverse("attraction:fund_create", kwargs={"pk": item.agreement.pk})
    client = client_for(cast.users.promoter)

    early = client.post(url, {"arrived_on": "2024-02-01", "amount": "100"})
    zero = client.post(url, {"arrived_on": "2024-04-01", "amount": "0"})
    done = client.post(url, {"arrived_on": "2024-04-01", "amount": "12000", "note": "首期注资"})

    assert early.context["fund_form"].errors == {"arrived_on": ["到位日期不能早于签约日期（2024-03-01）。"]}
    assert zero.status_code == 400 and list(zero.context["fund_form"].errors) == ["amount"]
    assert done.status_code == 302
    with scopes_disabled():
        fund = FundArrival.objects.get()
    assert (fund.amount, fund.arrived_on, fund.note, fund.recorded_by) == (
        Decimal("12000.00"),
        D(2024, 4, 1),
        "首期注资",
        cast.users.promoter,
    )
    page = client.get(item.agreement.get_absolute_url())
    assert page.context["arrival_rate"] == Decimal("26.7")


def test_editing_an_agreement_keeps_its_dates_in_order(cast, client_for):
    item = make_lead(cast, stage="signed")
    url = reverse("attraction:agreement_edit", kwargs={"pk": item.agreement.pk})
    data = {"name": "新名称", "contracted_investment": "60000", "signed_on": "2024-03-01", "obligations": ""}

    bad = client_for(cast.users.coordinator).post(url, {**data, "agreed_start_on": "2024-01-01"})
    good = client_for(cast.users.coordinator).post(url, {**data, "agreed_start_on": "2024-09-01"})

    assert bad.status_code == 400 and bad.context["form"].errors == {
        "agreed_start_on": ["约定开工日期不能早于签约日期。"]
    }
    assert good.status_code == 302
    saved = reload(item.agreement)
    assert (saved.name, saved.contracted_investment, saved.agreed_start_on) == (
        "新名称",
        Decimal("60000.00"),
        D(2024, 9, 1),
    )


def test_targets_are_set_for_the_region_and_its_children(cast, client_for):
    url = reverse("attraction:targets") + "?year=2025"
    own, zone = f"r{cast.region.pk}-amount", f"r{cast.regions.zone.pk}-amount"
    client = client_for(cast.users.promoter)

    negative = client.post(url, {own: "-5", zone: "100"})
    saved = client.post(url, {own: "500000", zone: "120000"})
    cleared = client.post(url, {own: "520000", zone: ""})
    leader = client_for(cast.users.leader).post(url, {own: "1"})

    assert negative.status_code == 400 and negative.context["rows"][0][0].errors == {"amount": ["签约目标不能为负数。"]}
    assert saved.status_code == 302 and cleared.status_code == 302 and leader.status_code == 403
    with scopes_disabled():
        assert list(SigningTarget.objects.values_list("region", "year", "amount")) == [
            (cast.region.pk, 2025, Decimal("520000.00"))
        ]


# ---- chains ----


def test_the_chain_map_shows_local_enterprises_targets_and_gaps(cast, client_for):
    with scopes_disabled():
        upstream = ChainLink.objects.create(chain=cast.tags.materials, position="upstream", name="石墨原料")
        midstream = ChainLink.objects.create(chain=cast.tags.materials, position="midstream", name="石墨电极")
    make_enterprise(cast.region, name="本地石墨厂", code="", is_local=True).chain_links.set([upstream])
    make_enterprise(cast.region, name="方大炭素", code="").chain_links.set([midstream])
    make_enterprise(cast.regions.xiaodian, name="外地石墨厂", code="", is_local=True).chain_links.set([midstream])

    response = client_for(cast.users.leader).get(reverse("attraction:chains"), {"chain": cast.tags.materials.pk})

    chain_map = response.context["map"]
    summary = [
        (label, node.link.name, [e["name"] for e in node.local], [e["name"] for e in node.targets], node.is_gap)
        for label, nodes in chain_map.positions
        for node in nodes
    ]
    assert summary == [
        ("上游", "石墨原料", ["本地石墨厂"], [], False),
        ("中游", "石墨电极", [], ["方大炭素"], True),
    ]
    assert chain_map.gaps == 1
    tree = chain_map.tree()
    assert [child["name"] for child in tree["children"]] == ["上游", "中游", "下游"]
    assert tree["children"][1]["children"][0]["name"] == "石墨电极（缺）"
    assert response.context["may_edit_chain"] is False


def test_a_chain_is_added_to_the_users_region_and_its_links_set(cast, client_for):
    client = client_for(cast.users.promoter)

    duplicate = client.post(reverse("attraction:chain_create"), {"name": "新材料"})
    created = client.post(reverse("attraction:chain_create"), {"name": "氢能"})

    assert duplicate.status_code == 400 and duplicate.context["chain_form"].errors == {
        "name": ["本区划已有同名产业链。"]
    }
    with scopes_disabled():
        chain = ChainTag.objects.get(name="氢能")
    assert chain.region == cast.region and created.url == reverse("attraction:chain_links", kwargs={"pk": chain.pk})
    data = {
        "links-TOTAL_FORMS": "2",
        "links-INITIAL_FORMS": "0",
        "links-0-position": "upstream",
        "links-0-name": "制氢",
        "links-0-sort_order": "1",
        "links-0-gap_note": "引进电解槽企业",
        "links-1-position": "downstream",
        "links-1-name": "氢能重卡",
        "links-1-sort_order": "2",
    }
    response = client.post(created.url, data)
    assert response.status_code == 302
    with scopes_disabled():
        assert list(ChainLink.objects.filter(chain=chain).values_list("position", "name", "gap_note")) == [
            ("upstream", "制氢", "引进电解槽企业"),
            ("downstream", "氢能重卡", ""),
        ]


# ---- the promoter's page and the project page ----


def test_the_promoters_page_counts_their_leads_and_lists_the_stalled(cast, client_for):
    make_lead(cast, name="线索一")
    make_lead(cast, stage="signed", name="已签约", company=make_enterprise(cast.region, name="乙", code=""))

    response = client_for(cast.users.promoter).get(
        reverse("attraction:promoter", kwargs={"pk": cast.users.promoter.pk})
    )

    counts = {stage: count for _label, stage, count in response.context["counts"]}
    assert counts == {"lead": 1, "negotiating": 0, "signed": 1, "landed": 0, "dropped": 0}
    assert [(a.name, days) for a, days in response.context["stalled"]] == [("已签约", (TODAY - D(2024, 6, 1)).days)]
    assert response.context["is_me"] is True


def test_the_project_page_shows_the_lead_it_came_from_to_internal_users_only(cast, client_for):
    item = make_lead(cast, stage="landed")
    url = reverse("projects:detail", kwargs={"pk": item.project_id})
    with scopes_disabled():
        User.objects.filter(pk=cast.users.enterprise.pk).update(credit_code=CODE)
        cast.users.enterprise.refresh_from_db()

    coordinator = client_for(cast.users.coordinator).get(url)
    company = client_for(cast.users.enterprise).get(url)

    assert 'data-testid="project-lead"' in coordinator.content.decode()
    assert item.get_absolute_url() in coordinator.content.decode()
    assert company.status_code == 200 and 'data-testid="project-lead"' not in company.content.decode()


def test_attraction_rows_are_behind_the_scope_guard(cast):
    with pytest.raises(ScopeError):
        list(Lead.objects.all())
    with pytest.raises(ScopeError):
        list(Agreement.objects.all())


def test_a_readonly_role_sees_no_edit_controls(cast, client_for):
    item = make_lead(cast, stage="signed")

    page = client_for(cast.users.leader).get(item.get_absolute_url())

    assert page.status_code == 200 and page.context["visit_form"] is None
    assert reverse("attraction:lead_edit", kwargs={"pk": item.pk}) not in page.content.decode()


def test_only_promoters_appear_as_promoters(cast, client_for):
    response = client_for(cast.users.coordinator).get(reverse("attraction:lead_create"))

    assert list(response.context["form"].fields["promoter"].queryset) == [cast.users.promoter]
    assert Role.PROMOTER == "promoter"


def test_my_page_is_the_promoters_own_and_sends_others_to_the_board(cast, client_for):
    make_lead(cast, name="我的线索")

    mine = client_for(cast.users.promoter).get(reverse("attraction:mine"))
    other = client_for(cast.users.leader).get(reverse("attraction:mine"))

    assert mine.status_code == 200 and mine.context["person"] == cast.users.promoter
    assert [lead.name for lead in mine.context["open_leads"].object_list] == ["我的线索"]
    assert other.status_code == 302 and other.url == reverse("attraction:board")

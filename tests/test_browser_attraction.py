"""Browser test of investment attraction: the promoter drags a lead across the board to negotiating, to signed
(the dialog asks for the agreement's dates, refuses them out of order, then signs), and to landed, then opens the
new ledger project from the card; the library, the chain map, the agreements with their rates, the targets and
the promoter's page are shown with their data. Screenshots go to artifacts/attraction-*.png.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from attraction.models import ChainLink, FundArrival, Lead, SigningTarget, TargetEnterprise
from lib.codes import make_credit_code
from org.models import Department, Region, Role, User
from projects.models import ChainTag, Project

from .browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-2026"
TODAY = timezone.localdate()
CODE = make_credit_code("91320400MA1X00001")


@pytest.fixture
def county():
    with scopes_disabled():
        province = Region.objects.create(code="140000", name="山西省", kind=Region.Kind.PROVINCE)
        city = Region.objects.create(code="141100", name="吕梁市", kind=Region.Kind.CITY, parent=province)
        county = Region.objects.create(code="141122", name="交城县", kind=Region.Kind.COUNTY, parent=city)
        zone = Region.objects.create(code="141122901", name="交城经济开发区", kind=Region.Kind.ZONE, parent=county)
        commerce = Department.objects.create(region=county, name="交城县商务局", short_name="商务局")
        leader = User.objects.create_user(
            "leader", password=PASSWORD, role=Role.LEADER, region=county, full_name="王建国", title="副县长"
        )
        promoter = User.objects.create_user(
            "promoter", password=PASSWORD, role=Role.PROMOTER, region=county, full_name="吴招商"
        )
        User.objects.create_user("coordinator", password=PASSWORD, role=Role.COORDINATOR, region=county)
        chain = ChainTag.objects.create(region=county, name="新材料")
        links = [
            ChainLink.objects.create(chain=chain, position=position, name=name, sort_order=index)
            for index, (position, name) in enumerate(
                [
                    ("upstream", "石墨原料"),
                    ("midstream", "石墨电极"),
                    ("midstream", "负极材料"),
                    ("downstream", "锂电池应用"),
                ]
            )
        ]
        local = TargetEnterprise.objects.create(
            region=county, name="交城县华鑫石墨制品有限公司", is_local=True, contact_status="landed"
        )
        local.chain_links.set([links[0]])
        target = TargetEnterprise.objects.create(
            region=county,
            name="常州中科负极材料股份有限公司",
            credit_code=CODE,
            headquarters="江苏常州",
            size="large",
            is_leading=True,
            is_listed=True,
            promoter=promoter,
            contact_status="interested",
        )
        target.chain_links.set([links[2]])
        lead = Lead.objects.create(
            region=zone,
            enterprise=target,
            name="年产5万吨锂电负极材料项目",
            intended_investment=Decimal("150000"),
            category="industry",
            promoter=promoter,
            department=commerce,
            leader=leader,
            found_on=TODAY - datetime.timedelta(days=90),
        )
        lead.chain_tags.set([chain])
        SigningTarget.objects.create(region=county, year=TODAY.year, amount=Decimal("500000"))
        SigningTarget.objects.create(region=zone, year=TODAY.year, amount=Decimal("300000"))
        _older_agreement(county, promoter)
    return {"lead": lead, "target": target, "zone": zone}


def _older_agreement(county, promoter):
    """An agreement signed last year that is past its agreed start without a start: on the stalled list."""
    other = TargetEnterprise.objects.create(region=county, name="太原重工装备有限公司", promoter=promoter)
    lead = Lead.objects.create(
        region=county, enterprise=other, name="煤机智能装备产业园", intended_investment=Decimal("60000"),
        promoter=promoter, found_on=TODAY - datetime.timedelta(days=400),
    )  # fmt: skip
    lead.negotiate(TODAY - datetime.timedelta(days=380), by=promoter)
    agreement = lead.sign(
        signed_on=TODAY - datetime.timedelta(days=300),
        contracted_investment=Decimal("60000"),
        agreed_start_on=TODAY - datetime.timedelta(days=120),
        by=promoter,
    )
    FundArrival.objects.create(agreement=agreement, arrived_on=TODAY - datetime.timedelta(days=200), amount=15000)




CARD = "[data-testid=lead-card][data-lead='{pk}']"


def card_in(page, stage: str, pk: int):
    return page.locator(f"[data-testid=column-{stage}] " + CARD.format(pk=pk))


def drag_to(page, pk: int, stage: str) -> None:
    page.drag_and_drop(CARD.format(pk=pk), f"[data-testid=column-{stage}] .board-column-body")


def test_a_lead_is_dragged_through_to_landed_and_its_project_opened(page, county):
    pk = county["lead"].pk
    login(page, "promoter")
    page.goto("/attraction/")
    assert card_in(page, "lead", pk).count() == 1
    shot(page, "attraction-01-board")

    # To negotiating: nothing more is needed, the card moves.
    drag_to(page, pk, "negotiating")
    card_in(page, "negotiating", pk).wait_for()
    assert page.get_by_test_id("move-message").inner_text() == "“年产5万吨锂电负极材料项目”已转为“洽谈”。"

    # To signed: the dialog asks for the agreement; the name and investment are filled in already.
    drag_to(page, pk, "signed")
    dialog = page.get_by_test_id("move-dialog")
    dialog.get_by_test_id("move-form").wait_for()
    assert page.locator("[data-field-error=signed_on]").inner_text() == "请填写日期。"
    assert page.locator("[data-field-error=agreed_start_on]").inner_text() == "请填写日期。"
    assert page.input_value("#id_contracted_investment") == "150000.00"
    shot(page, "attraction-02-sign-dialog")
    signed_on = TODAY  # talks began today, on the drag
    page.fill("#id_contracted_investment", "180000")
    page.fill("#id_signed_on", signed_on.isoformat())
    page.fill("#id_agreed_start_on", (signed_on - datetime.timedelta(days=1)).isoformat())
    page.get_by_test_id("move-submit").click()
    page.locator("[data-field-error=agreed_start_on]", has_text="约定开工日期不能早于签约日期。").wait_for()
    page.fill("#id_agreed_start_on", (TODAY + datetime.timedelta(days=60)).isoformat())
    page.fill("#id_obligations", "开发区提供300亩净地，企业两年内投产")
    page.get_by_test_id("move-submit").click()
    card_in(page, "signed", pk).wait_for()
    page.wait_for_selector("[data-testid=move-dialog]", state="hidden")
    assert "合同 180,000.00 万元" in card_in(page, "signed", pk).inner_text()

    # To landed: the ledger project is made; the card links to it.
    drag_to(page, pk, "landed")
    card_in(page, "landed", pk).wait_for()
    assert page.get_by_test_id("move-message").inner_text() == "“年产5万吨锂电负极材料项目”已落地，已生成台账项目。"
    shot(page, "attraction-03-landed")
    page.get_by_test_id("lead-project").click()
    page.wait_for_url("**/projects/*/")
    assert page.locator("h1").inner_text() == "年产5万吨锂电负极材料项目"
    assert page.get_by_test_id("stage").inner_text() == "签约"
    assert page.get_by_test_id("total-investment").inner_text().startswith("180,000.00")
    card = page.get_by_test_id("project-lead")
    assert "常州中科负极材料股份有限公司" in card.inner_text() and "吴招商" in card.inner_text()
    shot(page, "attraction-04-project")

    with scopes_disabled():
        lead = Lead.objects.select_related("project", "agreement").get(pk=county["lead"].pk)
        project = Project.objects.select_related("region", "zone").get(pk=lead.project_id)
    assert (lead.stage, lead.agreement.signed_on, lead.agreement.contracted_investment) == (
        "landed",
        signed_on,
        Decimal("180000.00"),
    )
    assert (project.region.name, project.zone.name, project.credit_code, project.signed_on) == (
        "交城县",
        "交城经济开发区",
        CODE,
        signed_on,
    )

    # The lead's page: the moves and the agreement.
    page.get_by_test_id("project-lead-link").click()
    moves = page.get_by_test_id("lead-moves").inner_text()
    assert "线索 → 洽谈" in moves and "洽谈 → 签约" in moves and "签约 → 落地" in moves
    shot(page, "attraction-05-lead")


def test_the_library_chain_map_agreements_targets_and_promoter_page(page, county):
    login(page, "promoter")

    page.goto("/attraction/enterprises/")
    assert page.get_by_test_id("enterprise-row").count() == 3
    shot(page, "attraction-06-enterprises")

    page.goto("/attraction/chains/")
    page.wait_for_selector("#chain-map[data-drawn='1'] canvas")
    assert page.get_by_test_id("gap-count").inner_text() == "4 个环节，其中 3 个缺失本地企业"
    assert page.get_by_test_id("gap").count() == 3
    shot(page, "attraction-07-chain-map")

    page.goto("/attraction/agreements/")
    assert page.get_by_test_id("stalled").count() == 1
    totals = page.get_by_test_id("total-rates")
    assert totals.get_by_test_id("arrival-rate").inner_text() == "25.0%"
    assert totals.get_by_test_id("fulfilment-rate").inner_text() == "0.0%"
    shot(page, "attraction-08-agreements")

    page.goto("/attraction/targets/")
    assert page.get_by_test_id("target-row").count() == 2
    page.fill(f"#id_r{county['zone'].pk}-amount", "320000")
    page.get_by_test_id("save-targets").click()
    page.wait_for_selector("text=签约目标已保存")
    shot(page, "attraction-09-targets")
    with scopes_disabled():
        assert SigningTarget.objects.get(region=county["zone"]).amount == Decimal("320000.00")

    page.get_by_test_id("my-page").click()
    assert page.get_by_test_id("stalled-agreement").count() == 1
    assert page.get_by_test_id("count-lead").inner_text() == "1"
    shot(page, "attraction-10-promoter")

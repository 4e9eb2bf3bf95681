"""Development zones: per-mu figures (亩均) worked out by hand, held against the zone's 标准地 control
figures, which the key-project office sets."""

import random
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from dashboards import demo
from dashboards.models import StandardLand
from dashboards.zones import intensity
from org.models import Region
from projects.models import Project

from .conftest import reload

ZONES = reverse("dashboards:zones")
TODAY = timezone.localdate()
BASIS = "交政发〔2025〕8号"


def zone_url(zone) -> str:
    return reverse("dashboards:zone", args=[zone.pk])


def standard_url(zone) -> str:
    return reverse("dashboards:zone_standard", args=[zone.pk])


@pytest.fixture
def zone(cast, make_project):
    """交城经济开发区 with three projects of known land and figures, one without land, one archived."""
    zone = cast.regions.zone
    with scopes_disabled():
        Project._base_manager.filter(pk=cast.projects.materials.pk).update(
            land_area=Decimal("300"), expected_output=Decimal("150000"), expected_tax=Decimal("9000")
        )  # 120000 万元 on 300 亩
    make_project(name="新材料二期", zone=zone, total_investment=Decimal("30000"), land_area=Decimal("150"),
                 expected_output=Decimal("30000"), expected_tax=Decimal("1500"))  # fmt: skip
    make_project(name="物流仓储", zone=zone, total_investment=Decimal("9000"), land_area=Decimal("50"))  # no output
    make_project(name="科创中心", zone=zone, total_investment=Decimal("5000"))  # no land: counted apart
    archived = make_project(name="旧厂改造", zone=zone, total_investment=Decimal("99999"), land_area=Decimal("1"))
    with scopes_disabled():
        Project._base_manager.filter(pk=archived.pk).update(archived_at="2025-01-01T00:00:00Z")
        StandardLand.objects.create(
            zone=zone, investment_intensity=Decimal("300"), output_intensity=Decimal("400"), tax_intensity=Decimal("20")
        )
    return zone


def test_intensity_is_amount_per_mu_to_the_cent():
    assert intensity(Decimal("120000"), Decimal("300")) == Decimal("400.00")
    assert intensity(Decimal("1000"), Decimal("3")) == Decimal("333.33")
    assert intensity(Decimal("1000"), Decimal("0")) is None
    assert intensity(None, Decimal("3")) == Decimal("0.00")


def test_the_zone_figures_by_hand(zone, cast, client_for):
    response = client_for(cast.users.coordinator).get(ZONES)

    (row,) = response.context["rows"]
    figures = {f.key: (f.amount, f.land, f.value, f.standard, f.meets) for f in row.figures}
    # investment: (120000 + 30000 + 9000) / (300 + 150 + 50) = 318.00 ≥ 300
    # output: (150000 + 30000) / (300 + 150) = 400.00 ≥ 400; tax: (9000 + 1500) / 450 = 23.33 ≥ 20
    assert figures == {
        "investment_intensity": (Decimal("159000"), Decimal("500"), Decimal("318.00"), Decimal("300"), True),
        "output_intensity": (Decimal("180000"), Decimal("450"), Decimal("400.00"), Decimal("400"), True),
        "tax_intensity": (Decimal("10500"), Decimal("450"), Decimal("23.33"), Decimal("20"), True),
    }
    assert (row.projects, row.with_land, row.without_land, row.land, row.below) == (4, 3, 1, Decimal("500"), 0)


def test_a_figure_below_its_control_figure_shows_the_gap(zone, cast, client_for):
    with scopes_disabled():
        StandardLand.objects.filter(zone=zone).update(investment_intensity=Decimal("350.5"))

    response = client_for(cast.users.leader).get(ZONES)

    (row,) = response.context["rows"]
    investment = row.figures[0]
    assert (investment.meets, investment.gap, row.below) == (False, Decimal("32.50"), 1)
    page = response.content.decode()
    assert "1 项未达标" in page and "差 32.50" in page


def test_the_zone_page_lists_each_projects_figures_weakest_first(zone, cast, client_for):
    response = client_for(cast.users.reporter).get(zone_url(zone))

    rows = [(p.name, [f.value for f in figures]) for p, figures in response.context["rows"]]
    assert rows == [
        ("物流仓储", [Decimal("180.00"), None, None]),
        ("新材料二期", [Decimal("200.00"), Decimal("200.00"), Decimal("10.00")]),
        ("华鑫年产5万吨特种石墨项目", [Decimal("400.00"), Decimal("500.00"), Decimal("30.00")]),
    ]
    below = [[f.meets for f in figures] for _p, figures in response.context["rows"]]
    assert below == [[False, None, None], [False, False, False], [True, True, True]]
    assert response.context["figures"].projects == 4
    assert response.context["may_edit"] is False


def test_the_projects_count_links_to_the_ledger_of_the_zone(zone, cast, client_for):
    client = client_for(cast.users.coordinator)
    (row,) = client.get(ZONES).context["rows"]

    ledger = client.get(reverse("projects:list"), {"region": zone.pk})

    assert ledger.context["totals"].count == row.projects == 4


def test_a_zone_without_control_figures_compares_nothing(cast, client_for, make_project):
    make_project(zone=cast.regions.zone, land_area=Decimal("10"), total_investment=Decimal("1000"))

    response = client_for(cast.users.coordinator).get(zone_url(cast.regions.zone))

    figures = response.context["figures"]
    assert figures.standard is None
    assert [(f.value, f.meets) for f in figures.figures] == [(Decimal("100.00"), None), (None, None), (None, None)]
    assert 'data-testid="no-standard"' in response.content.decode()


def test_zones_page_runs_the_same_queries_for_one_or_many_zones(cast, client_for, django_assert_num_queries):
    client = client_for(cast.users.city_coordinator)
    # 1 session, 2 user, 3 the user's region, 4 zones with their control figures, 5 the sums by zone,
    # 6 unread notifications, 7-9 session expiry.
    with django_assert_num_queries(9):
        client.get(ZONES)
    with scopes_disabled():
        for index in range(5):
            wenshui = cast.regions.wenshui
            Region.objects.create(code=f"14112190{index}", name=f"文水园区{index}", kind="zone", parent=wenshui)
    with django_assert_num_queries(9):
        response = client.get(ZONES)
    assert len(response.context["rows"]) == 6


# ---- the control figures: set by the key-project office ----


def test_a_coordinator_sets_the_control_figures(cast, client_for):
    zone = cast.regions.zone
    data = {"investment_intensity": "320", "output_intensity": "450.5", "tax_intensity": "", "basis": BASIS}

    response = client_for(cast.users.coordinator).post(standard_url(zone), data)

    assert response.status_code == 302 and response.url == zone_url(zone)
    with scopes_disabled():
        saved = StandardLand.objects.get(zone=zone)
        history = list(saved.history.all())
    assert (saved.investment_intensity, saved.output_intensity, saved.tax_intensity, saved.basis) == (
        Decimal("320"), Decimal("450.5"), None, BASIS,
    )  # fmt: skip
    assert saved.updated_by == cast.users.coordinator
    assert [(h.history_type, h.history_user) for h in history] == [("+", cast.users.coordinator)]


def test_changing_the_control_figures_keeps_the_row_and_its_history(zone, cast, client_for):
    standard = StandardLand._base_manager.get(zone=zone)
    data = {"investment_intensity": "280", "output_intensity": "400", "tax_intensity": "20", "basis": ""}

    client_for(cast.users.city_coordinator).post(standard_url(zone), data)

    saved = reload(standard)
    assert (saved.investment_intensity, saved.updated_by) == (Decimal("280"), cast.users.city_coordinator)
    with scopes_disabled():
        assert saved.history.count() == 2


@pytest.mark.parametrize("data, field, error", [
    ({"investment_intensity": "-1"}, "investment_intensity", "确保该值大于或等于0。"),
    ({"output_intensity": "abc"}, "output_intensity", "输入一个数字。"),
    ({"tax_intensity": "12345678901"}, "tax_intensity", "确认总共不超过 10 个数字."),
    ({}, None, "请至少填写一项控制指标。"),
])  # fmt: skip
def test_bad_control_figures_are_refused_with_the_reason(cast, client_for, data, field, error):
    response = client_for(cast.users.coordinator).post(standard_url(cast.regions.zone), data)

    assert response.status_code == 400
    form = response.context["form"]
    assert error in (form.errors[field] if field else form.non_field_errors())
    assert not StandardLand._base_manager.exists()


def test_only_the_key_project_office_sets_control_figures(cast, client_for):
    data = {"investment_intensity": "300"}

    statuses = [
        client_for(getattr(cast.users, role)).post(standard_url(cast.regions.zone), data).status_code
        for role in ["reporter", "handler", "leader", "promoter", "enterprise"]
    ]

    assert statuses == [403, 403, 403, 403, 403]
    assert not StandardLand._base_manager.exists()


def test_a_zone_outside_the_users_region_is_not_found(cast, client_for):
    with scopes_disabled():
        elsewhere = Region.objects.create(code="140105901", name="小店园区", kind="zone", parent=cast.regions.xiaodian)
    client = client_for(cast.users.city_coordinator)

    statuses = [client.get(zone_url(elsewhere)).status_code, client.get(standard_url(elsewhere)).status_code,
                client.post(standard_url(elsewhere), {"investment_intensity": "1"}).status_code]  # fmt: skip

    assert statuses == [404, 404, 404]
    assert not StandardLand._base_manager.exists()
    assert client.get(zone_url(cast.regions.jiaocheng)).status_code == 404  # not a zone


def test_control_figures_belong_on_zones_only(cast):
    standard = StandardLand(zone=cast.region, investment_intensity=Decimal("1"))

    with pytest.raises(Exception) as error:
        standard.full_clean()

    assert "标准地控制指标只能设置在开发区上。" in str(error.value)


# ---- the demo ----


def test_the_demo_sets_control_figures_for_the_demo_zones_the_same_on_every_run(cast):
    with scopes_disabled():
        zone = Region.objects.create(code="141122Z01", name="交城经济开发区（演示）", kind="zone", parent=cast.region)
    world = SimpleNamespace(regions={"141122Z01": zone}, today=TODAY)
    accounts = [cast.users.coordinator, cast.users.city_coordinator, cast.users.province_coordinator]

    summaries, rows = [], []
    for _run in range(2):
        with scopes_disabled():  # as manage.py demo runs
            summaries.append(demo.build(world, accounts, random.Random("dashboards")))
            rows.append(list(StandardLand.objects.values_list("zone", "investment_intensity", "output_intensity",
                                                              "tax_intensity", "basis", "updated_by")))  # fmt: skip

    assert summaries == ["Standard land: control figures for 1 development zones."] * 2
    assert rows[0] == rows[1] and len(rows[0]) == 1
    _zone, investment, output, tax, basis, setter = rows[0][0]
    assert (investment in demo.INVESTMENT, output in demo.OUTPUT, tax in demo.TAX) == (True, True, True)
    assert basis.startswith("《交城经济开发区（演示）“标准地”") and setter == cast.users.coordinator.pk

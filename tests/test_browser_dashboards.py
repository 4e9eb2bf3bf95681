"""Browser test of the leaders' dashboard and the big screen: the charts and the map draw (their canvases have
pixels), a chart's count opens the list that counts the same, the big screen fills 1920×1080 and redraws after
its refresh. Screenshots go to artifacts/dashboards-*.png.
"""

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from projects.models import Project

from .browser import shot
from .test_dashboards import build_figures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLACES = {"materials": ("112.182", "37.531"), "road": ("112.158", "37.556"), "hospital": ("112.027", "37.418")}
# For each chart holder, the pixels of its canvases (a layer each) that are not transparent: ECharts draws on
# a transparent background, so an empty chart has none.
INKED = """(selector) => Array.from(document.querySelectorAll(selector)).map((holder) => {
  let inked = 0;
  holder.querySelectorAll("canvas").forEach((canvas) => {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
  });
  return inked;
})"""


@pytest.fixture
def located(cast):
    build_figures(cast)
    with scopes_disabled():
        for name, (lon, lat) in PLACES.items():
            project = getattr(cast.projects, name)
            Project._base_manager.filter(pk=project.pk).update(longitude=Decimal(lon), latitude=Decimal(lat))
    return cast


def login(page, user, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("button:has-text('登录')")
    page.wait_for_load_state("networkidle")


def test_the_dashboard_draws_its_charts_and_links_each_count_to_its_list(page, located):
    login(page, located.users.coordinator, located.password)

    page.goto("/dashboard/")
    page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length === 5")

    assert "交城县重大项目建设驾驶舱" in page.get_by_test_id("dashboard-title").inner_text()
    inked = page.evaluate(INKED, "[data-chart]")
    assert len(inked) == 5 and all(count > 500 for count in inked), inked
    assert page.get_by_test_id("tile-projects").locator("[data-value]").inner_text() == "2"
    assert "逾期未开工" in page.get_by_test_id("red-list").inner_text()
    shot(page, "dashboards-county")

    page.click("[data-testid=stage-counts] [data-key=construction]")
    page.wait_for_url("**/projects/?stage=construction")
    assert "合计 1 个项目" in page.get_by_test_id("totals").inner_text()


def test_the_city_dashboard_ranks_its_counties_and_opens_a_county(page, located):
    login(page, located.users.city_leader, located.password)

    page.goto("/dashboard/")
    page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length === 5")

    rows = page.get_by_test_id("subregion-row").all_inner_texts()
    assert [row.split()[:2] for row in rows[:2]] == [["1", "文水县"], ["2", "交城县"]]
    assert page.get_by_test_id("own-projects").get_by_test_id("own-row").count() == 2
    shot(page, "dashboards-city-leader")

    page.click("[data-testid=subregions] a:has-text('交城县')")
    page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length === 5")
    assert "交城县重大项目建设驾驶舱" in page.get_by_test_id("dashboard-title").inner_text()


def _screen(page, url: str) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(url)
    page.wait_for_selector("#screen-map[data-drawn='1'] canvas")
    page.wait_for_function("document.querySelectorAll('#screen [data-chart] canvas').length === 3")


def test_the_big_screen_draws_the_map_with_its_points_at_1920_by_1080(page, located):
    login(page, located.users.city_coordinator, located.password)

    _screen(page, "/dashboard/screen/")

    inked = page.evaluate(INKED, "#screen-map, #screen [data-chart]")
    assert all(count > 500 for count in inked), inked
    size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size == [1920, 1080]  # one screen, nothing to scroll
    assert "吕梁市重大项目建设指挥大屏" in page.inner_text("h1")
    shot(page, "dashboards-screen-city")

    # The refresh htmx runs every five minutes, run now: the new #screen is drawn again.
    before = page.get_attribute("#screen", "data-refreshed")
    page.wait_for_timeout(1100)
    options = "{source: '#screen', target: '#screen', select: '#screen', swap: 'outerHTML'}"
    page.evaluate(f"() => htmx.ajax('GET', '/dashboard/screen/', {options})")
    page.wait_for_function(f"document.querySelector('#screen').dataset.refreshed !== '{before}'")
    page.wait_for_selector("#screen-map[data-drawn='1'] canvas")
    page.wait_for_function("document.querySelectorAll('#screen [data-chart] canvas').length === 3")
    assert all(count > 500 for count in page.evaluate(INKED, "#screen-map, #screen [data-chart]"))


def test_the_province_screen_shows_its_cities_and_the_county_screen_its_outline(page, located):
    login(page, located.users.province_coordinator, located.password)

    _screen(page, "/dashboard/screen/")
    assert page.evaluate(INKED, "#screen-map")[0] > 5000
    shot(page, "dashboards-screen-province")

    _screen(page, f"/dashboard/screen/{located.region.pk}/")
    assert page.evaluate(INKED, "#screen-map")[0] > 5000
    assert "交城县重大项目建设指挥大屏" in page.inner_text("h1")
    shot(page, "dashboards-screen-county")


def test_a_coordinator_sets_a_zones_control_figures_and_sees_which_projects_fall_short(page, located):
    with scopes_disabled():
        Project._base_manager.filter(pk=located.projects.materials.pk).update(
            land_area=Decimal("500"), expected_output=Decimal("150000"), expected_tax=Decimal("6000")
        )  # 240 万元/亩 invested, 300 produced, 12 in tax
    login(page, located.users.coordinator, located.password)

    page.goto("/dashboard/zones/")
    assert "交城经济开发区" in page.get_by_test_id("zones").inner_text()
    assert "未设定" in page.get_by_test_id("zone-row").inner_text()
    page.click("[data-testid=zone-row] a:has-text('设定')")
    page.fill("#id_investment_intensity", "300")
    page.fill("#id_output_intensity", "250")
    page.fill("#id_tax_intensity", "15")
    page.fill("#id_basis", "交政办发〔2025〕12号")
    shot(page, "dashboards-standard-form")
    page.click("[data-testid=save-standard]")

    page.wait_for_selector("[data-testid=zone-figures]")
    row = page.get_by_test_id("zone-project-row").inner_text()
    assert "240.00" in row and "300.00" in row and "12.00" in row
    assert (
        page.locator("[data-testid=zone-project-row] [data-figure].intensity-below").count() == 2
    )  # investment and tax
    assert "交政办发〔2025〕12号" in page.content()
    shot(page, "dashboards-zone")

    page.goto("/dashboard/zones/")
    assert "2 项未达标" in page.get_by_test_id("zone-row").inner_text()
    shot(page, "dashboards-zones")

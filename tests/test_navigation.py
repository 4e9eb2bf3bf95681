"""The navigation bar (org/navigation.py): every link names a real page, and each role is offered only pages it
may open (checked against the permission table), in dropdown sections."""

import re

import pytest
from django.urls import reverse

from org.navigation import SECTIONS, sections_for

from .conftest import COUNTY_ROLES, login_client
from .test_permissions import TABLE


def test_every_navigation_link_names_a_real_url():
    for section in SECTIONS:
        for link in section.links:
            assert reverse(link.url_name)


def _get_status(url_name: str, role: str) -> int | None:
    rows = [row for row in TABLE if row.name == url_name and row.method == "GET" and not row.obj and not row.kwargs]
    return rows[0].expected(role) if rows else None


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_each_role_is_offered_only_pages_the_permission_table_lets_it_open(role):
    links = [link for section in SECTIONS for link in section.links]
    offered = [link.url_name for link in links if link.offered_to_role(role)]
    refused = [name for name in offered if _get_status(name, role) != 200]

    assert refused == []


# Pages a role may open but is not sent to from the bar, and why.
NOT_OFFERED = {
    ("enterprise", "problems:list"): "an enterprise follows its requests; the internal list shows it nothing",
}


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_each_role_is_offered_every_page_of_the_bar_it_may_open(role):
    links = [link for section in SECTIONS for link in section.links]
    missing = [
        link.url_name
        for link in links
        if _get_status(link.url_name, role) == 200
        and not link.offered_to_role(role)
        and (role, link.url_name) not in NOT_OFFERED
    ]

    assert missing == []


def test_the_bar_shows_a_dropdown_per_section_and_marks_the_current_one(cast):
    response = login_client(cast.users.coordinator).get(reverse("reports:queue"))
    html = response.content.decode()

    toggles = re.findall(r'class="nav-link dropdown-toggle( active)?"[^>]*>([^<]+)</a>', html)
    assert ("", "问题") in toggles
    assert (" active", "月报") in toggles
    assert f'href="{reverse("reports:queue")}">月报审核</a>' in html


def test_an_enterprise_sees_only_its_ledger_and_its_requests(cast):
    shown = sections_for(cast.users.enterprise, "")

    assert [(section.label, section.links) for section in shown] == [
        ("项目", [("项目台账", reverse("projects:list"))]),
        ("问题", [("企业诉求", reverse("problems:requests"))]),
        ("数据", [("接口文档", reverse("api:docs"))]),
    ]

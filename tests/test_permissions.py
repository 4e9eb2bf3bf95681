"""Who may do what: one table of role × URL × method → status, run as one parametrized test.

Rows name an object where the URL takes one: ``own`` is the 交城县 project owned by the
enterprise user's company (so every 交城县 role can see it), ``other`` the 小店区 project,
outside every 交城县 user's region. Outside the region is 404 for everyone, even for
writes; a read-only role writing is 403; a method the URL does not take is 405.
"""

from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django_scopes import scope, scopes_disabled
from django_scopes.exceptions import ScopeError

from projects.models import Project, StageChange

from .conftest import COUNTY_ROLES, EDITOR_ROLES, login_client, reload

ANONYMOUS = "anonymous"
AUDIENCES = [ANONYMOUS, *COUNTY_ROLES]


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    anonymous: int
    editors: int
    readers: int
    obj: str | None = None  # "own" | "other"
    kwargs: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)  # role -> status, where one role differs from its group
    login_redirect: bool = True  # anonymous is sent to the login page

    def expected(self, audience: str) -> int:
        if audience in self.overrides:
            return self.overrides[audience]
        if audience == ANONYMOUS:
            return self.anonymous
        return self.editors if audience in EDITOR_ROLES else self.readers


XLSX, CSV = {"fmt": "xlsx"}, {"fmt": "csv"}

#   URL name                     method     anon editors readers
TABLE = [
    Row("home", "GET", 302, 302, 302),
    Row("home", "POST", 302, 405, 405),
    Row("login", "GET", 200, 302, 302, login_redirect=False),
    Row("login", "POST", 200, 302, 302, login_redirect=False),
    Row("login", "DELETE", 405, 302, 302, login_redirect=False),
    Row("logout", "POST", 302, 302, 302, login_redirect=False),
    Row("logout", "GET", 405, 405, 405, login_redirect=False),
    Row("password_change", "GET", 302, 200, 200),
    Row("password_change", "POST", 302, 200, 200),  # empty form: shown again with its errors
    Row("password_change", "DELETE", 302, 405, 405),
    Row("password_change_done", "GET", 302, 200, 200),
    Row("password_change_done", "POST", 302, 405, 405),
    Row("set_language", "POST", 302, 302, 302, login_redirect=False),
    Row("set_language", "GET", 302, 302, 302, login_redirect=False),  # redirects without changing anything
    Row("projects:list", "GET", 302, 200, 200),
    Row("projects:list", "POST", 302, 405, 405),
    Row("projects:export", "GET", 302, 200, 200, kwargs=XLSX),
    Row("projects:export", "GET", 302, 200, 200, kwargs=CSV),
    Row("projects:export", "POST", 302, 405, 405, kwargs=XLSX),
    Row("projects:create", "GET", 302, 200, 403),
    Row("projects:create", "POST", 302, 400, 403),  # empty form
    Row("projects:create", "PUT", 302, 405, 405),
    Row("projects:detail", "GET", 302, 200, 200, obj="own"),
    Row("projects:detail", "GET", 302, 404, 404, obj="other"),
    Row("projects:detail", "POST", 302, 405, 405, obj="own"),
    Row("projects:edit", "GET", 302, 200, 403, obj="own"),
    Row("projects:edit", "POST", 302, 400, 403, obj="own"),
    Row("projects:edit", "GET", 302, 404, 404, obj="other"),
    Row("projects:edit", "POST", 302, 404, 404, obj="other"),
    Row("projects:edit", "DELETE", 302, 405, 405, obj="own"),
    Row("projects:stage", "GET", 302, 200, 403, obj="own"),
    Row("projects:stage", "POST", 302, 400, 403, obj="own"),
    Row("projects:stage", "GET", 302, 404, 404, obj="other"),
    Row("projects:stage", "POST", 302, 404, 404, obj="other"),
    Row("projects:stage", "PUT", 302, 405, 405, obj="own"),
    Row("projects:archive", "POST", 302, 302, 403, obj="own"),
    Row("projects:archive", "POST", 302, 404, 404, obj="other"),
    Row("projects:archive", "GET", 302, 405, 405, obj="own"),
    Row("projects:reverse_schedule", "POST", 302, 302, 403, obj="own"),
    Row("projects:reverse_schedule", "POST", 302, 404, 404, obj="other"),
    Row("projects:reverse_schedule", "GET", 302, 405, 405, obj="own"),
    # Only staff reach the admin; everyone else is sent to the admin's own login page.
    Row("admin:index", "GET", 302, 302, 302, overrides={"admin": 200}, login_redirect=False),
]

# The one row whose success changes data: archiving.
WRITES = {("projects:archive", "POST")}


def _row_id(row: Row) -> str:
    return "-".join(filter(None, [row.method, row.name, row.obj, row.kwargs.get("fmt")]))


def _url(row: Row, cast) -> str:
    kwargs = dict(row.kwargs)
    if row.obj:
        project = cast.projects.materials if row.obj == "own" else cast.projects.xiaodian
        kwargs["pk"] = project.pk
    return reverse(row.name, kwargs=kwargs)


def _client(audience: str, cast) -> Client:
    return Client() if audience == ANONYMOUS else login_client(getattr(cast.users, audience))


def _snapshot() -> tuple:
    """Everything a rejected request must leave untouched."""
    with scopes_disabled():
        return (
            sorted(Project.objects.values_list("pk", "archived_at", "updated_at", "stage")),
            Project.history.count(),
            StageChange.objects.count(),
        )


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("row", TABLE, ids=_row_id)
def test_each_audience_gets_the_status_the_table_names(cast, row, audience):
    url = _url(row, cast)
    before = _snapshot()

    response = getattr(_client(audience, cast), row.method.lower())(url)

    expected = row.expected(audience)
    assert response.status_code == expected, f"{audience} {row.method} {url}"
    if audience == ANONYMOUS and row.login_redirect:
        assert response.url == f"{reverse('login')}?next={url}"
    if (row.name, row.method) in WRITES and expected == 302 and audience != ANONYMOUS:
        assert reload(cast.projects.materials).archived_at is not None
    else:
        assert _snapshot() == before


def test_anonymous_admin_visitor_is_sent_to_the_admin_login(db):
    response = Client().get(reverse("admin:index"))

    assert response.url == f"{reverse('admin:login')}?next={reverse('admin:index')}"


def _url_names(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                yield "admin:index"  # Django's own admin pages stand behind their index
                continue
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, prefix)
        else:
            yield namespace + (pattern.name or f"<unnamed {pattern.pattern}>")


def test_every_url_has_a_row_in_the_permission_table():
    names = set(_url_names(get_resolver().url_patterns))

    assert names - {row.name for row in TABLE} == set()


def test_every_row_of_the_table_names_a_real_url():
    names = set(_url_names(get_resolver().url_patterns))

    assert {row.name for row in TABLE} - names == set()


def test_export_of_an_unknown_format_is_not_found(cast):
    response = login_client(cast.users.coordinator).get(reverse("projects:export", kwargs={"fmt": "pdf"}))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("coordinator", {"materials", "road"}),
        ("city_coordinator", {"materials", "road", "hospital"}),
        ("province_coordinator", {"materials", "road", "hospital", "xiaodian"}),
        ("outsider", {"xiaodian"}),
        ("enterprise", {"materials"}),
    ],
)
def test_each_user_opens_exactly_the_projects_of_its_region_subtree(cast, user, visible):
    client = login_client(getattr(cast.users, user))

    statuses = {
        name: client.get(reverse("projects:detail", kwargs={"pk": project.pk})).status_code
        for name, project in vars(cast.projects).items()
    }

    assert statuses == {name: 200 if name in visible else 404 for name in vars(cast.projects)}


def test_city_coordinator_may_edit_a_county_project_below_it(cast):
    client = login_client(cast.users.city_coordinator)

    response = client.get(reverse("projects:edit", kwargs={"pk": cast.projects.road.pk}))

    assert response.status_code == 200
    assert response.context["form"].instance == cast.projects.road


def test_scope_guard_refuses_a_query_made_without_a_scope(cast):
    with pytest.raises(ScopeError):
        list(Project.objects.all())


def test_scope_guard_hides_rows_outside_the_active_region(cast):
    with scope(region=cast.regions.lvliang.path):
        names = set(Project.objects.values_list("name", flat=True))

    assert names == {cast.projects.materials.name, cast.projects.road.name, cast.projects.hospital.name}

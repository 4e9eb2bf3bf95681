"""The API's OpenAPI schema is checked in (api/openapi.yaml) and must match the code; tokens are issued by the
``api_token`` command or on the admin site, where a regional administrator sees its own subtree's tokens only.
"""

import io

import pytest
import yaml
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from api.management.commands.api_schema import SCHEMA_FILE, generate_schema
from org.models import User

from .conftest import login_client

pytestmark = pytest.mark.usefixtures("unscoped")


def test_the_checked_in_schema_is_the_one_the_code_generates(db):
    # On failure: `.venv/bin/python manage.py api_schema` rewrites api/openapi.yaml; review and commit it.
    assert SCHEMA_FILE.read_text(encoding="utf-8") == generate_schema()


def test_the_check_command_fails_on_a_stale_schema(db, monkeypatch, tmp_path):
    stale = tmp_path / "openapi.yaml"
    stale.write_text("openapi: 3.0.3\n", encoding="utf-8")
    monkeypatch.setattr("api.management.commands.api_schema.SCHEMA_FILE", stale)

    with pytest.raises(CommandError, match="out of date"):
        call_command("api_schema", check=True)
    call_command("api_schema", stderr=io.StringIO())
    call_command("api_schema", check=True)

    assert stale.read_text(encoding="utf-8") == SCHEMA_FILE.read_text(encoding="utf-8")


def test_the_schema_documents_money_as_decimal_strings_and_every_resource(db):
    schema = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))

    total = schema["components"]["schemas"]["Project"]["properties"]["total_investment"]
    assert (total["type"], total["format"]) == ("string", "decimal")
    assert sorted(path for path in schema["paths"] if path.count("/") == 3) == [
        "/api/agreements/", "/api/approval-items/", "/api/batches/", "/api/bulletins/", "/api/departments/",
        "/api/leads/", "/api/monthly-reports/", "/api/problems/", "/api/projects/", "/api/rankings/", "/api/regions/",
        "/api/stalled/", "/api/targets/",
    ]  # fmt: skip
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "Token-based authentication with required prefix \"Token\"",
    }  # fmt: skip


# ---- tokens ----


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_the_token_command_issues_shows_rotates_and_revokes(cast):
    issued, _ = _run("jc_coordinator")
    shown, _ = _run("jc_coordinator")
    rotated, _ = _run("jc_coordinator", "--rotate")
    _, revoked = _run("jc_coordinator", "--revoke")

    assert issued == shown and len(issued) == 40
    assert rotated != issued and len(rotated) == 40
    assert revoked == "Token of jc_coordinator revoked."
    assert not Token.objects.filter(user=cast.users.coordinator).exists()


def test_an_issued_token_opens_the_api(cast):
    key, _ = _run("jc_leader")

    response = Client().get(reverse("api:project-list"), HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200 and response.json()["count"] == 2


def test_the_token_command_refuses_unknown_and_inactive_users(cast):
    User.objects.filter(pk=cast.users.handler.pk).update(is_active=False)

    with pytest.raises(CommandError, match="No user named 'nobody'"):
        _run("nobody")
    with pytest.raises(CommandError, match="jc_handler is inactive"):
        _run("jc_handler")
    assert Token.objects.count() == 0


def test_a_regional_administrator_sees_and_issues_tokens_of_its_own_subtree_only(cast):
    admin = cast.users.city_admin
    admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="authtoken"))
    county, outsider = Token.objects.create(user=cast.users.coordinator), Token.objects.create(user=cast.users.outsider)
    client = login_client(admin)

    listing = client.get(reverse("admin:authtoken_tokenproxy_changelist"))
    form = client.get(reverse("admin:authtoken_tokenproxy_add"))
    issued = client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": cast.users.leader.pk})
    refused = client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": cast.users.outsider.pk})

    page = listing.content.decode()
    assert county.key in page and outsider.key not in page
    users = form.context["adminform"].form.fields["user"].queryset
    assert cast.users.leader in users and cast.users.outsider not in users
    assert issued.status_code == 302 and Token.objects.filter(user=cast.users.leader).exists()
    assert refused.status_code == 200 and Token.objects.filter(user=cast.users.outsider).get() == outsider

"""Accounts: login and lockout, passwords, sessions, logout, language, production settings, the admin's users."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from org.models import User

from .conftest import PASSWORD, login_client

LOGIN_URL = reverse("login")
LIST_URL = reverse("projects:list")
WRONG_PASSWORD_MESSAGE = "用户名或密码不正确，请重试。多次失败后账号将被暂时锁定。"
LOCKED_OUT_MESSAGE = "为保护账号安全，该账号已被暂时锁定，请30分钟后再试，或联系系统管理员解锁。"
BASE_DIR = Path(settings.BASE_DIR)


def _login(client: Client, username: str, password: str):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def _logged_in_as(client: Client):
    return client.session.get("_auth_user_id")


# ---- login ----


def test_the_login_page_is_in_chinese(db):
    page = Client().get(LOGIN_URL).content.decode()

    assert '<html lang="zh-hans">' in page
    assert "<title>登录 · 重大项目建设管理平台</title>" in page
    assert '<label class="form-label" for="id_username">用户名</label>' in page
    assert '<label class="form-label" for="id_password">密码</label>' in page
    assert WRONG_PASSWORD_MESSAGE not in page


def test_the_right_password_logs_in_and_lands_on_the_home_page(cast):
    client = Client()

    response = _login(client, "jc_reporter", PASSWORD)

    assert (response.status_code, response.url) == (302, reverse("home"))
    assert _logged_in_as(client) == str(cast.users.reporter.pk)
    assert "孙填报 · 填报员 · 交城县" in client.get(LIST_URL).content.decode()


def test_login_follows_next_to_the_page_asked_for(cast):
    client = Client()
    detail = reverse("projects:detail", kwargs={"pk": cast.projects.road.pk})

    response = client.post(
        f"{LOGIN_URL}?next={detail}", {"username": "jc_reporter", "password": PASSWORD, "next": detail}
    )

    assert response.url == detail


def test_a_wrong_password_is_refused_with_a_chinese_message(cast):
    client = Client()

    response = _login(client, "jc_reporter", "not-the-password")

    assert response.status_code == 200
    assert WRONG_PASSWORD_MESSAGE in response.content.decode()
    assert 'value="jc_reporter"' in response.content.decode()  # the username is kept
    assert _logged_in_as(client) is None


def test_an_inactive_user_cannot_log_in(cast):
    User.objects.filter(pk=cast.users.reporter.pk).update(is_active=False)
    client = Client()

    response = _login(client, "jc_reporter", PASSWORD)

    assert WRONG_PASSWORD_MESSAGE in response.content.decode()
    assert _logged_in_as(client) is None


def test_the_account_locks_after_the_failure_limit_even_for_the_right_password(cast):
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT

    before_limit = [_login(client, "jc_reporter", f"wrong-{n}").status_code for n in range(limit - 1)]
    at_limit = _login(client, "jc_reporter", "wrong-again")
    with_right_password = _login(client, "jc_reporter", PASSWORD)

    assert before_limit == [200] * (limit - 1)
    assert (at_limit.status_code, with_right_password.status_code) == (429, 429)
    assert LOCKED_OUT_MESSAGE in with_right_password.content.decode()
    assert _logged_in_as(client) is None
    # The refused attempt with the right password counts as one more failure.
    assert AccessAttempt.objects.get(username="jc_reporter").failures_since_start == limit + 1


def test_a_lockout_holds_one_username_and_address_not_the_whole_office(cast):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "jc_reporter", f"wrong-{n}")

    response = _login(client, "jc_handler", PASSWORD)

    assert response.status_code == 302
    assert _logged_in_as(client) == str(cast.users.handler.pk)


def test_an_admin_reset_unlocks_the_account(cast):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "jc_reporter", f"wrong-{n}")

    removed = reset(username="jc_reporter")
    response = _login(client, "jc_reporter", PASSWORD)

    assert (removed, response.status_code) == (1, 302)


def test_a_successful_login_clears_the_earlier_failures(cast):
    limit = settings.AXES_FAILURE_LIMIT
    for n in range(limit - 1):
        _login(Client(), "jc_reporter", f"wrong-{n}")
    _login(Client(), "jc_reporter", PASSWORD)
    for n in range(limit - 1):
        _login(Client(), "jc_reporter", f"wrong-{n}")

    client = Client()
    response = _login(client, "jc_reporter", PASSWORD)

    assert response.status_code == 302
    assert _logged_in_as(client) == str(cast.users.reporter.pk)


# ---- password change ----

PASSWORD_URL = reverse("password_change")


def _change_password(client: Client, new: str, old: str = PASSWORD, again: str | None = None):
    return client.post(
        PASSWORD_URL, {"old_password": old, "new_password1": new, "new_password2": new if again is None else again}
    )


@pytest.mark.parametrize(
    ("new", "errors"),
    [
        ("Ab3$xyz", ["密码长度太短。密码必须包含至少 10 个字符。"]),
        ("qwertyuiop", ["这个密码太常见了。"]),
        ("4829150376", ["密码只包含数字。"]),
        ("1234567890", ["这个密码太常见了。", "密码只包含数字。"]),
        ("jc_reporter1", ["密码跟 用户名 太相似了。"]),
        ("123", ["密码长度太短。密码必须包含至少 10 个字符。", "这个密码太常见了。", "密码只包含数字。"]),
    ],
)
def test_a_new_password_must_follow_the_rules(cast, new, errors):
    client = login_client(cast.users.reporter)

    response = _change_password(client, new)

    assert response.status_code == 200
    assert response.context["form"].errors == {"new_password2": errors}
    for error in errors:
        assert error in response.content.decode()
    cast.users.reporter.refresh_from_db()
    assert cast.users.reporter.check_password(PASSWORD)


def test_a_password_change_needs_the_old_password_and_two_equal_new_ones(cast):
    client = login_client(cast.users.reporter)

    wrong_old = _change_password(client, "Lvliang-river-2031", old="not-my-password")
    mismatch = _change_password(client, "Lvliang-river-2031", again="Lvliang-river-2032")

    assert wrong_old.context["form"].errors == {"old_password": ["你的旧密码不正确。请重新输入。"]}
    assert mismatch.context["form"].errors == {"new_password2": ["输入的两个密码不一致。"]}
    cast.users.reporter.refresh_from_db()
    assert cast.users.reporter.check_password(PASSWORD)


def test_a_good_new_password_is_saved_and_keeps_the_user_logged_in(cast):
    client = login_client(cast.users.reporter)

    response = _change_password(client, "Lvliang-river-2031")

    assert (response.status_code, response.url) == (302, reverse("password_change_done"))
    cast.users.reporter.refresh_from_db()
    assert cast.users.reporter.check_password("Lvliang-river-2031")
    assert client.get(LIST_URL).status_code == 200  # the session survived the change
    assert "密码已修改。" in client.get(response.url).content.decode()


# ---- sessions ----


def test_sessions_expire_after_thirty_idle_minutes_and_at_browser_close():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_every_request_pushes_the_session_expiry_back(cast):
    client = Client()
    _login(client, "jc_reporter", PASSWORD)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + datetime.timedelta(minutes=1))

    response = client.get(LIST_URL)

    left = Session.objects.get(pk=key).expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < left <= datetime.timedelta(minutes=30)
    assert response.cookies["sessionid"]["max-age"] == ""  # a browser-session cookie


def test_an_idle_session_is_logged_out(cast):
    client = Client()
    _login(client, "jc_reporter", PASSWORD)
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = client.get(LIST_URL)

    assert (response.status_code, response.url) == (302, f"{LOGIN_URL}?next={LIST_URL}")


# ---- logout ----


def test_logout_by_post_ends_the_session(cast):
    client = login_client(cast.users.reporter)
    key = client.session.session_key

    response = client.post(reverse("logout"))

    assert (response.status_code, response.url) == (302, LOGIN_URL)
    assert not Session.objects.filter(pk=key).exists()
    assert client.get(LIST_URL).status_code == 302


def test_logout_by_get_is_refused_and_leaves_the_session(cast):
    client = login_client(cast.users.reporter)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert client.get(LIST_URL).status_code == 200


# ---- language ----


def test_switching_to_english_and_back_changes_the_page_language(cast):
    client = login_client(cast.users.reporter)

    to_english = client.post(reverse("set_language"), {"language": "en", "next": LIST_URL})
    english = client.get(LIST_URL).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": LIST_URL})
    chinese = client.get(LIST_URL).content.decode()

    assert (to_english.status_code, to_english.url) == (302, LIST_URL)
    assert to_english.cookies["django_language"].value == "en"
    assert '<html lang="en">' in english
    assert 'name="language" value="zh-hans">中文</button>' in english
    assert '<html lang="zh-hans">' in chinese
    assert 'name="language" value="en">English</button>' in chinese


def test_an_unknown_language_changes_nothing(cast):
    client = login_client(cast.users.reporter)

    response = client.post(reverse("set_language"), {"language": "xx", "next": LIST_URL})

    assert "django_language" not in response.cookies
    assert '<html lang="zh-hans">' in client.get(LIST_URL).content.decode()


def test_set_language_will_not_redirect_off_site(cast):
    response = login_client(cast.users.reporter).post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example.com/"}
    )

    assert response.url == "/"


# ---- production settings ----


def _import_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "MODE", "DEBUG"}}
    code = "import config.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.ALLOWED_HOSTS)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean, "VAR_DIR": str(tmp_path), "MODE": "production", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"SECRET_KEY": "s3cret-production-key"},
        {"ALLOWED_HOSTS": "xm.jiaocheng.gov.cn"},
        {"SECRET_KEY": "", "ALLOWED_HOSTS": " , "},
    ],
    ids=["neither", "no-allowed-hosts", "no-secret-key", "blank"],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path, env):
    result = _import_settings(tmp_path, **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: MODE=production needs SECRET_KEY and ALLOWED_HOSTS." in result.stderr


def test_production_starts_with_its_secrets_and_secure_cookies(tmp_path):
    result = _import_settings(tmp_path, SECRET_KEY="s3cret-production-key", ALLOWED_HOSTS="xm.jiaocheng.gov.cn")

    assert (result.returncode, result.stdout) == (0, "False True ['xm.jiaocheng.gov.cn']\n"), result.stderr


# ---- the admin's user list ----

USER_LIST_URL = reverse("admin:org_user_changelist")
COUNTY_USERS = {"jc_admin", "jc_coordinator", "jc_reporter", "jc_handler", "jc_leader", "jc_promoter", "jc_enterprise"}


def _listed_usernames(response) -> set[str]:
    return {user.username for user in response.context["cl"].result_list}


def test_a_city_admin_lists_only_the_users_of_its_city(cast):
    response = login_client(cast.users.city_admin).get(USER_LIST_URL)

    assert response.status_code == 200
    assert _listed_usernames(response) == COUNTY_USERS | {"ll_admin", "ll_coordinator", "ll_leader"}


def test_a_county_admin_lists_only_the_users_of_its_county(cast):
    response = login_client(cast.users.admin).get(USER_LIST_URL)

    assert _listed_usernames(response) == COUNTY_USERS


def test_a_city_admin_cannot_open_a_user_above_or_beside_it(cast):
    client = login_client(cast.users.city_admin)

    above = client.get(reverse("admin:org_user_change", args=[cast.users.province_coordinator.pk]))
    beside = client.get(reverse("admin:org_user_change", args=[cast.users.outsider.pk]))

    assert (above.status_code, above.url) == (302, reverse("admin:index"))
    assert (beside.status_code, beside.url) == (302, reverse("admin:index"))


def test_a_city_admin_may_place_users_only_in_its_own_regions_and_departments(cast):
    response = login_client(cast.users.city_admin).get(reverse("admin:org_user_change", args=[cast.users.reporter.pk]))

    form = response.context["adminform"].form
    assert {r.name for r in form.fields["region"].queryset} == {"吕梁市", "交城县", "文水县", "交城经济开发区"}
    assert {d.name for d in form.fields["department"].queryset} == {
        "交城县发展和改革局", "交城县自然资源局", "交城县住房和城乡建设局", "文水县发展和改革局",
    }  # fmt: skip


def test_a_city_admin_cannot_make_anyone_a_superuser(cast):
    client = login_client(cast.users.city_admin)
    reporter = cast.users.reporter
    data = {
        "username": reporter.username, "full_name": reporter.full_name, "title": "", "phone": "", "email": "",
        "role": "coordinator", "region": cast.region.pk, "department": "", "enterprise_name": "", "credit_code": "",
        "is_active": "on", "is_staff": "on", "is_superuser": "on",
    }  # fmt: skip

    response = client.post(reverse("admin:org_user_change", args=[reporter.pk]), data)

    assert response.status_code == 302
    reporter.refresh_from_db()
    assert (reporter.role, reporter.is_staff, reporter.is_superuser) == ("coordinator", True, False)


@pytest.mark.parametrize(
    ("role", "start"),
    [
        ("coordinator", "dashboards:index"),
        ("admin", "dashboards:index"),
        ("leader", "dashboards:index"),
        ("reporter", "reports:mine"),
        ("handler", "problems:inbox"),
        ("promoter", "attraction:mine"),
        ("enterprise", "problems:requests"),
    ],
)
def test_home_sends_each_role_to_the_page_its_work_starts_on(cast, role, start):
    response = login_client(getattr(cast.users, role)).get(reverse("home"))

    assert (response.status_code, response.url) == (302, reverse(start))
    assert login_client(getattr(cast.users, role)).get(response.url).status_code == 200

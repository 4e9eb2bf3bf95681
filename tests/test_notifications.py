"""In-app notifications (the page, the badge) and the senders of lib/notify.py.

No test reaches the network: urlopen is replaced wherever a webhook is sent.
"""

import json
import logging
import re
import smtplib
import urllib.error
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lib.notify import notify, send_email, send_webhook
from org.models import Notification

from .conftest import login_client

LIST_URL = reverse("notifications")
READ_URL = reverse("notifications_read")
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=t"


def inbox(user, *texts: str, read: bool = False) -> list[Notification]:
    """Notifications for ``user``, the first text the oldest."""
    read_at = timezone.now() if read else None
    return [Notification.objects.create(user=user, text=text, read_at=read_at) for text in texts]


def shown(response) -> list[tuple[str, bool]]:
    """(text, unread) of each notification on the page, as rendered."""
    return [(n.text, n.read_at is None) for n in response.context["page"]]


# ---- permissions (the rows to add to tests/test_permissions.py) ----


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", LIST_URL, 200),
        ("post", LIST_URL, 405),
        ("post", READ_URL, 302),
        ("get", READ_URL, 405),
    ],
)
@pytest.mark.parametrize("role", ["admin", "coordinator", "reporter", "handler", "leader", "promoter", "enterprise"])
def test_every_role_reads_its_own_notifications(cast, role, method, url, status):
    response = getattr(login_client(getattr(cast.users, role)), method)(url)

    assert response.status_code == status


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", [LIST_URL, READ_URL])
def test_anonymous_visitors_are_sent_to_the_login_page(db, method, url):
    response = getattr(Client(), method)(url)

    assert (response.status_code, response.url) == (302, f"{reverse('login')}?next={url}")


# ---- the page ----


def test_the_page_lists_only_the_users_own_notifications_newest_first(cast):
    inbox(cast.users.reporter, "第一条", "第二条")
    inbox(cast.users.reporter, "已读的", read=True)
    inbox(cast.users.coordinator, "别人的")

    response = login_client(cast.users.reporter).get(LIST_URL)

    assert shown(response) == [("已读的", False), ("第二条", True), ("第一条", True)]
    assert response.content.decode().count('data-testid="unread"') == 2
    assert "别人的" not in response.content.decode()


def test_unread_notifications_are_highlighted_and_read_ones_are_not(cast):
    inbox(cast.users.reporter, "旧消息", read=True)
    inbox(cast.users.reporter, "新消息")

    html = login_client(cast.users.reporter).get(LIST_URL).content.decode()

    items = re.findall(r'<li class="([^"]*)"\s+data-testid="(unread|read)">(.*?)</li>', html, re.S)
    rows = [("list-group-item-warning" in css, testid, "未读" in body, _text(body)) for css, testid, body in items]
    assert rows == [(True, "unread", True, "新消息"), (False, "read", False, "旧消息")]


def _text(body: str) -> str:
    return re.sub(r"<small.*?</small>|<span.*?</span>|<[^>]+>|\s", "", body, flags=re.S)


def test_a_notification_links_to_its_page_only_for_a_local_url(cast):
    Notification.objects.create(user=cast.users.reporter, text="去填报", url="/projects/")
    Notification.objects.create(user=cast.users.reporter, text="外链", url="javascript:alert(1)")

    html = login_client(cast.users.reporter).get(LIST_URL).content.decode()

    assert '<a href="/projects/">去填报</a>' in html
    assert "javascript:" not in html


def test_an_empty_inbox_says_so_and_offers_no_mark_all_button(cast):
    response = login_client(cast.users.leader).get(LIST_URL)
    html = response.content.decode()

    assert (shown(response), 'data-testid="empty"' in html, "mark-all-read" in html) == ([], True, False)


def test_the_page_is_paginated_by_twenty(cast):
    inbox(cast.users.reporter, *[f"消息{i:02d}" for i in range(25)])
    client = login_client(cast.users.reporter)

    first, second = client.get(LIST_URL), client.get(LIST_URL, {"page": 2})

    assert [text for text, _unread in shown(first)] == [f"消息{i:02d}" for i in range(24, 4, -1)]
    assert [text for text, _unread in shown(second)] == [f"消息{i:02d}" for i in range(4, -1, -1)]
    assert "第 2 / 2 页" in second.content.decode()


def test_marking_all_read_touches_only_the_users_unread_notifications(cast):
    earlier = inbox(cast.users.reporter, "早已读过", read=True)[0]
    mine = inbox(cast.users.reporter, "一", "二")
    theirs = inbox(cast.users.coordinator, "别人的")[0]

    response = login_client(cast.users.reporter).post(READ_URL)

    assert (response.status_code, response.url) == (302, LIST_URL)
    assert all(Notification.objects.get(pk=n.pk).read_at is not None for n in mine)
    assert Notification.objects.get(pk=earlier.pk).read_at == earlier.read_at
    assert Notification.objects.get(pk=theirs.pk).read_at is None


# ---- the badge ----


def test_the_navigation_shows_the_unread_count_on_every_page(cast):
    inbox(cast.users.reporter, "一", "二", "三")
    inbox(cast.users.reporter, "已读", read=True)

    html = login_client(cast.users.reporter).get(reverse("projects:list")).content.decode()

    assert '<span class="badge rounded-pill text-bg-danger ms-1" data-testid="unread-count">3<' in html


def test_no_badge_without_unread_notifications(cast):
    inbox(cast.users.reporter, "已读", read=True)

    html = login_client(cast.users.reporter).get(LIST_URL).content.decode()

    assert ('data-testid="notifications-link"' in html, 'data-testid="unread-count"' in html) == (True, False)


def test_the_badge_costs_anonymous_visitors_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get(reverse("login"))

    assert "unread_notifications" not in response.context


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_runs_the_same_queries_for_3_or_30_notifications(cast, count, django_assert_num_queries):
    inbox(cast.users.reporter, *[f"消息{i}" for i in range(count)])
    client = login_client(cast.users.reporter)

    # 1 session, 2 user, 3 the user's region (for the scope), 4 the page count, 5 the unread count (the badge
    # and the button share it), 6 the page of notifications, 7-9 the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(9):
        response = client.get(LIST_URL)

    assert len(shown(response)) == min(count, 20)


# ---- senders ----


@pytest.fixture
def robot():
    with mock.patch("urllib.request.urlopen") as urlopen:
        urlopen.return_value.__enter__.return_value.read.return_value = b'{"errcode":0,"errmsg":"ok"}'
        yield urlopen


@pytest.mark.parametrize("url", [WECOM, DINGTALK])
def test_a_webhook_posts_the_text_message_both_robots_accept(robot, url):
    assert send_webhook(url, "交城县：2 个项目尚未报送 6 月月报") is True

    request = robot.call_args.args[0]
    assert (request.full_url, request.method, robot.call_args.kwargs) == (url, "POST", {"timeout": 5})
    assert request.headers["Content-type"] == "application/json; charset=utf-8"
    assert json.loads(request.data) == {"msgtype": "text", "text": {"content": "交城县：2 个项目尚未报送 6 月月报"}}
    assert "交城县".encode() in request.data  # UTF-8, not \u escapes: the robots count bytes


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x", "", "qyapi.weixin.qq.com"])
def test_a_webhook_refuses_anything_but_http_and_https(robot, url, caplog):
    assert send_webhook(url, "text") is False
    assert robot.call_count == 0
    assert "only http and https" in caplog.text


@pytest.mark.parametrize(
    "failure",
    [
        urllib.error.URLError("Name or service not known"),
        urllib.error.HTTPError(WECOM, 502, "Bad Gateway", {}, None),
        TimeoutError("timed out"),
        ConnectionResetError("reset"),
    ],
)
def test_a_failed_webhook_is_logged_and_returns_false(robot, failure, caplog):
    robot.side_effect = failure

    with caplog.at_level(logging.WARNING, logger="lib.notify"):
        assert send_webhook(WECOM, "text") is False

    assert "Webhook qyapi.weixin.qq.com failed" in caplog.text


def test_a_message_the_robot_refuses_returns_false(robot, caplog):
    robot.return_value.__enter__.return_value.read.return_value = b'{"errcode":93000,"errmsg":"invalid webhook url"}'

    assert send_webhook(WECOM, "text") is False
    assert "invalid webhook url" in caplog.text


def test_email_goes_to_each_user_with_an_address_alone(cast):
    cast.users.reporter.email = "sun@jiaocheng.gov.cn"
    cast.users.leader.email = "wang@jiaocheng.gov.cn"

    sent = send_email([cast.users.reporter, cast.users.leader, cast.users.handler], "主题", "正文")

    assert sent == 2
    assert [(m.to, m.subject, m.body, m.from_email) for m in mail.outbox] == [
        (["sun@jiaocheng.gov.cn"], "主题", "正文", "noreply@localhost"),
        (["wang@jiaocheng.gov.cn"], "主题", "正文", "noreply@localhost"),
    ]


def test_a_mail_server_failure_is_logged_not_raised(cast, caplog):
    cast.users.reporter.email = "sun@jiaocheng.gov.cn"
    with mock.patch("lib.notify.send_mass_mail", side_effect=smtplib.SMTPServerDisconnected("gone")):
        assert send_email([cast.users.reporter], "主题", "正文") == 0

    assert "Sending 1 e-mails failed" in caplog.text


def test_notify_writes_one_row_per_user_in_one_insert(cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        notify([cast.users.reporter, cast.users.leader], "请报送月报", url="/projects/", kind="report_reminder")

    rows = sorted(Notification.objects.values_list("user__username", "text", "url", "kind", "read_at"))
    assert rows == [
        ("jc_leader", "请报送月报", "/projects/", "report_reminder", None),
        ("jc_reporter", "请报送月报", "/projects/", "report_reminder", None),
    ]


def test_notify_shortens_a_text_longer_than_the_column(cast):
    notify([cast.users.reporter], "长" * 600)

    assert Notification.objects.get().text == "长" * 499 + "…"

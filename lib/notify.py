"""Senders: e-mail, group-robot webhooks (WeCom and DingTalk) and in-app notifications.

A sender never raises on a delivery failure: a reminder that cannot reach one channel
(a mail server down, a robot key revoked) must still go out on the others. Failures
are logged and reported in the return value.
"""

import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterable
from http.client import HTTPException
from urllib.parse import urlsplit

from django.core.mail import send_mass_mail

from org.models import Notification, User

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 5  # seconds; a slow robot must not hold up the rest of a reminder run
TEXT_LIMIT = Notification._meta.get_field("text").max_length
URL_LIMIT = Notification._meta.get_field("url").max_length


def send_email(users: Iterable[User], subject: str, body: str) -> int:
    """The same message to each user with an address; returns how many were sent."""
    return send_emails((user, subject, body) for user in users)


def send_emails(messages: Iterable[tuple[User, str, str]]) -> int:
    """(user, subject, body) each, over one connection; users without an address are skipped.

    One message per user, so no one sees the others' addresses.
    """
    messages = [(subject, body, None, [user.email]) for user, subject, body in messages if user.email]
    if not messages:
        return 0
    try:
        return send_mass_mail(messages)
    except (smtplib.SMTPException, OSError):
        logger.exception("Sending %d e-mails failed", len(messages))
        return 0


def webhook_payload(text: str) -> dict:
    """The text message that WeCom and DingTalk group robots both accept."""
    return {"msgtype": "text", "text": {"content": text}}


def send_webhook(url: str, text: str) -> bool:
    """Post ``text`` to a group robot; True when the robot accepted it."""
    if urlsplit(url).scheme not in ("http", "https"):
        logger.warning("Webhook URL refused (only http and https): %r", url)
        return False
    request = urllib.request.Request(
        url,
        data=json.dumps(webhook_payload(text), ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
            answer = response.read()
    except (urllib.error.URLError, HTTPException, OSError, ValueError) as error:
        logger.warning("Webhook %s failed: %s", urlsplit(url).netloc, error)
        return False
    return _robot_accepted(url, answer)


def _robot_accepted(url: str, answer: bytes) -> bool:
    # Both robots answer HTTP 200 even when they refuse a message (bad key, keyword rule,
    # rate limit): the verdict is the "errcode" of the JSON body, 0 meaning sent.
    try:
        errcode = json.loads(answer or b"{}").get("errcode", 0)
    except (ValueError, AttributeError):
        return True
    if errcode != 0:
        logger.warning("Webhook %s refused the message: %s", urlsplit(url).netloc, answer[:200])
        return False
    return True


def notify(users: Iterable[User], text: str, url: str = "", kind: str = "") -> list[Notification]:
    """The same in-app notification to each user, written in one INSERT."""
    return notify_each(((user, text, url) for user in users), kind=kind)


def notify_each(messages: Iterable[tuple[User, str, str]], kind: str = "") -> list[Notification]:
    """(user, text, url) each: a message of its own to each user, written in one INSERT."""
    rows = [
        Notification(user=user, text=_fit(text, TEXT_LIMIT), url=url[:URL_LIMIT], kind=kind)
        for user, text, url in messages
    ]
    return Notification.objects.bulk_create(rows)


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""Delivery adapters (推送渠道): how a notification leaves the platform besides the portal inbox.

``register_adapter(name, adapter)`` adds a channel; an app registers its own in ``AppConfig.ready``.
An adapter is an ``Adapter`` (override ``send`` for one delivery, or ``send_batch`` to combine
several) or a plain callable ``send(delivery)``. ``send`` returns normally when the message left,
raises ``DeliverySkipped`` when it can never go to this recipient, and raises anything else (best
``DeliveryFailed``) when a later try may succeed.

Shipped: ``log`` (the logger ``anquan.notifications``), ``sms`` (an SMS gateway over HTTP) and ``im``
(a WeCom/DingTalk group robot webhook). HTTP goes through the standard library: requirements.txt
has no HTTP client and two JSON POSTs do not warrant one.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import checks

from .choices import INBOX_CHANNEL
from .exceptions import DeliveryFailed, DeliverySkipped

logger = logging.getLogger("anquan.notifications")

HTTP_TIMEOUT_S = 10
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class Adapter:
    """A delivery channel."""

    def send(self, delivery) -> None:
        raise NotImplementedError

    def send_batch(self, deliveries: list) -> Iterator[tuple[object, BaseException | None]]:
        """Yield ``(delivery, None)`` when sent or ``(delivery, error)``, one by one, so the caller
        records what is done even if the task is stopped half-way."""
        for delivery in deliveries:
            try:
                self.send(delivery)
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:  # an adapter's failure, whatever its type, is this delivery's outcome
                yield delivery, exc
            else:
                yield delivery, None


class FunctionAdapter(Adapter):
    def __init__(self, function: Callable):
        self.function = function

    def send(self, delivery) -> None:
        self.function(delivery)


_ADAPTERS: dict[str, Adapter] = {}


def register_adapter(name: str, adapter: Adapter | Callable) -> None:
    """Make ``name`` a channel that ``notify(channels=[...])`` and ANQUAN_NOTIFY_CHANNELS may name."""
    if not _NAME.match(name) or name == INBOX_CHANNEL:
        raise ValueError(f"invalid notification channel name: {name!r}")
    _ADAPTERS[name] = adapter if isinstance(adapter, Adapter) else FunctionAdapter(adapter)


def get_adapter(name: str) -> Adapter | None:
    return _ADAPTERS.get(name)


def channel_names() -> list[str]:
    return sorted(_ADAPTERS)


def message_text(notification) -> str:
    """The plain text of a notification for channels without markup."""
    return f"{notification.title}\n{notification.body}".strip()


def post_json(url: str, payload: dict, *, token: str = "", timeout: float = HTTP_TIMEOUT_S):
    """POST ``payload`` as JSON; the parsed JSON answer (or None). Errors name the host only: robot
    webhook URLs carry their access key in the query string."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"},
        method="POST",
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    host = urlsplit(url).netloc
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URL from settings
            raw = response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode(errors="replace") if exc.fp else ""
        raise DeliveryFailed(f"HTTP {exc.code} from {host}: {detail}".strip()) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryFailed(f"{host}: {reason}") from exc
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


class LogAdapter(Adapter):
    """Writes the message to the logger ``anquan.notifications`` (development, and a trail in production)."""

    def send(self, delivery) -> None:
        n = delivery.notification
        logger.info("notification %s to user %s [%s/%s] %s %s", n.pk, n.recipient_id, n.kind, n.level, n.title, n.link)


class SmsAdapter(Adapter):
    """Short message (短信) through the SMS gateway at ANQUAN_SMS_URL: ``{"phone", "text"}``, bearer
    ANQUAN_SMS_TOKEN when set; the recipient's ``User.phone`` is the number."""

    def send(self, delivery) -> None:
        url = settings.ANQUAN_SMS_URL
        if not url:
            raise DeliverySkipped("no SMS gateway configured (ANQUAN_SMS_URL)")
        phone = (delivery.notification.recipient.phone or "").strip()
        if not phone:
            raise DeliverySkipped("recipient has no mobile phone number")
        post_json(url, {"phone": phone, "text": message_text(delivery.notification)}, token=settings.ANQUAN_SMS_TOKEN)


class ImRobotAdapter(Adapter):
    """Instant-messaging group robot (群机器人) of WeCom or DingTalk at ANQUAN_IM_WEBHOOK_URL.

    The robot posts into one group, so deliveries with the same text in one run are posted once and
    all marked with that outcome. Both robots answer HTTP 200 with ``errcode`` ≠ 0 on refusal.
    """

    def send_batch(self, deliveries):
        url = settings.ANQUAN_IM_WEBHOOK_URL
        by_text: dict[str, list] = {}
        for delivery in deliveries:
            by_text.setdefault(message_text(delivery.notification), []).append(delivery)
        for text, group in by_text.items():
            error = None
            try:
                if not url:
                    raise DeliverySkipped("no IM robot webhook configured (ANQUAN_IM_WEBHOOK_URL)")
                answer = post_json(url, {"msgtype": "text", "text": {"content": text}})
                if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
                    raise DeliveryFailed(f"robot refused: {answer.get('errcode')} {answer.get('errmsg', '')}".strip())
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:  # the outcome of every delivery of this text
                error = exc
            for delivery in group:
                yield delivery, error


def register_shipped_adapters() -> None:
    register_adapter("log", LogAdapter())
    register_adapter("sms", SmsAdapter())
    register_adapter("im", ImRobotAdapter())


def unknown_channels(names: Iterable[str]) -> list[str]:
    return [name for name in names if name != INBOX_CHANNEL and name not in _ADAPTERS]


def check_configured_channels(app_configs=None, **kwargs):
    """System check: ANQUAN_NOTIFY_CHANNELS names registered channels, and their URLs are http(s)."""
    errors = []
    unknown = unknown_channels(settings.ANQUAN_NOTIFY_CHANNELS)
    if unknown:
        errors.append(
            checks.Error(
                f"ANQUAN_NOTIFY_CHANNELS names unknown channels {unknown}; known: {channel_names()}",
                id="notifications.E001",
            )
        )
    for setting in ("ANQUAN_SMS_URL", "ANQUAN_IM_WEBHOOK_URL"):
        url = getattr(settings, setting, "")
        if url and urlsplit(url).scheme not in ("http", "https"):
            errors.append(checks.Error(f"{setting} must be an http(s) URL", id="notifications.E002"))
    return errors

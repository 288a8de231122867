"""Live push (实时推送) over Channels: topics, their access checks, and post-commit broadcasts.

A lower app cannot import a higher one, so each app registers the topics it owns here:
``register_topic("enterprise", authorise)`` where ``authorise(user, key) -> bool``. Services call
``broadcast(topic, key, event)``; the message leaves only after the transaction commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

_TOPICS: dict[str, Callable] = {}
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def register_topic(name: str, authorise: Callable) -> None:
    _TOPICS[name] = authorise


def group_name(topic: str, key: str) -> str:
    return f"live.{topic}.{key}"


def user_group(user_id: int) -> str:
    return f"live.user.{user_id}"


def can_subscribe(user, topic: str, key: str) -> bool:
    authorise = _TOPICS.get(topic)
    if authorise is None or not _KEY.match(str(key)):
        return False
    return bool(authorise(user, str(key)))


def broadcast(topic: str, key, event: dict) -> None:
    """Send ``event`` to subscribers of ``topic``/``key`` once the current transaction commits."""
    payload = {"type": "live.event", "topic": topic, "key": str(key), "event": event}

    def send():
        async_to_sync(get_channel_layer().group_send)(group_name(topic, str(key)), payload)

    transaction.on_commit(send)


def broadcast_many(messages: list[tuple[str, object, dict]]) -> None:
    """Send many (topic, key, event) messages after commit, in one trip to the channel layer."""
    if not messages:
        return
    payloads = [
        (group_name(topic, str(key)), {"type": "live.event", "topic": topic, "key": str(key), "event": event})
        for topic, key, event in messages
    ]

    async def send_all():
        layer = get_channel_layer()
        for group, payload in payloads:
            await layer.group_send(group, payload)

    transaction.on_commit(async_to_sync(send_all))


def notify_user(user_id: int, event: dict) -> None:
    payload = {"type": "live.event", "topic": "user", "key": str(user_id), "event": event}
    transaction.on_commit(lambda: async_to_sync(get_channel_layer().group_send)(user_group(user_id), payload))

"""The one JSON websocket consumer (/ws/live/)."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import live


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Authenticated clients subscribe to topics they are allowed to see.

    Client → ``{"action": "subscribe", "topic": "enterprise", "key": "42"}``;
    server → ``{"type": "subscribed", ...}`` or ``{"type": "error", ...}``, then
    ``{"type": "event", "topic": ..., "key": ..., "event": {...}}`` as things happen.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.subscriptions = set()
        await self.channel_layer.group_add(live.user_group(user.pk), self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            await self.channel_layer.group_discard(live.user_group(user.pk), self.channel_name)
            for group in getattr(self, "subscriptions", ()):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        action = content.get("action") if isinstance(content, dict) else None
        if action == "ping":
            await self.send_json({"type": "pong"})
            return
        if action not in ("subscribe", "unsubscribe"):
            await self.send_json({"type": "error", "error": "unknown action"})
            return
        topic, key = str(content.get("topic", "")), str(content.get("key", ""))
        group = live.group_name(topic, key)
        if action == "unsubscribe":
            self.subscriptions.discard(group)
            await self.channel_layer.group_discard(group, self.channel_name)
            await self.send_json({"type": "unsubscribed", "topic": topic, "key": key})
            return
        allowed = await database_sync_to_async(live.can_subscribe)(self.scope["user"], topic, key)
        if not allowed:
            await self.send_json({"type": "error", "error": "forbidden", "topic": topic, "key": key})
            return
        self.subscriptions.add(group)
        await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "subscribed", "topic": topic, "key": key})

    async def live_event(self, message):
        await self.send_json(
            {"type": "event", "topic": message["topic"], "key": message["key"], "event": message["event"]}
        )

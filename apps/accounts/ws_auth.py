"""Websocket authentication for API clients (the mobile app): the same tokens as the REST API.

Browsers authenticate websockets with their session cookie (Channels' AuthMiddlewareStack); native
clients send ``Authorization: Token <token>`` on the upgrade request, or ``?token=`` where their
websocket library cannot set headers. A token, when given, takes precedence over the session.
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from .models import ApiToken


def _token_from_scope(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            parts = value.decode("latin-1").split()
            if len(parts) == 2 and parts[0].lower() == "token":
                return parts[1]
    values = parse_qs(scope.get("query_string", b"").decode()).get("token")
    return values[0] if values else None


@database_sync_to_async
def _user_for(raw: str):
    token = ApiToken.lookup(raw)
    if token is None or not token.user.is_active or token.user.is_locked:
        return AnonymousUser()
    return token.user


class TokenAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        raw = _token_from_scope(scope)
        if raw is not None:
            scope = {**scope, "user": await _user_for(raw)}
        return await self.inner(scope, receive, send)

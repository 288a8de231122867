"""Broker authentication by gateway (contract §2, MQTT): the HTTP hooks a production broker (EMQX's
HTTP authentication and authorisation) calls for every connection and topic.

- A gateway connects with username = its gateway id and password = its secret; disabled and unknown
  gateways are refused.
- A gateway may publish only on ``anquan/v1/<its id>/readings`` and subscribe only to
  ``anquan/v1/<its id>/rejections``; the platform's bridge account (ANQUAN_MQTT_USERNAME) may do both
  on every gateway's topics.
- Only the broker may call the hooks: it sends ``Authorization: Bearer <ANQUAN_MQTT_AUTH_TOKEN>``;
  with no token configured the hooks are off (403).
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Gateway
from .services import gateway_secret

ALLOW, DENY = {"result": "allow", "is_superuser": False}, {"result": "deny"}


def authenticate_client(username: str, password: str) -> dict:
    """The broker's verdict on a connection."""
    bridge_user = settings.ANQUAN_MQTT_USERNAME
    if bridge_user and hmac.compare_digest(username, bridge_user):
        ok = hmac.compare_digest(password, settings.ANQUAN_MQTT_PASSWORD or "")
        return {"result": "allow", "is_superuser": True} if ok else DENY
    gateway = Gateway.objects.filter(gateway_id=username, is_enabled=True).first()
    if gateway is None:
        return DENY
    return ALLOW if hmac.compare_digest(password, gateway_secret(gateway) or "") else DENY


def authorise_topic(username: str, topic: str, action: str) -> dict:
    """The broker's verdict on a publish or subscribe (the bridge account passes as superuser)."""
    if settings.ANQUAN_MQTT_USERNAME and username == settings.ANQUAN_MQTT_USERNAME:
        return ALLOW
    own = {"publish": f"anquan/v1/{username}/readings", "subscribe": f"anquan/v1/{username}/rejections"}
    if own.get(action) != topic or not Gateway.objects.filter(gateway_id=username, is_enabled=True).exists():
        return DENY
    return ALLOW


def _from_broker(request) -> dict | None:
    token = settings.ANQUAN_MQTT_AUTH_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(given, token):
        return None
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@csrf_exempt
@require_POST
def mqtt_authenticate(request):
    data = _from_broker(request)
    if data is None:
        return JsonResponse({"detail": "Only the broker may call this."}, status=403)
    return JsonResponse(authenticate_client(str(data.get("username", "")), str(data.get("password", ""))))


@csrf_exempt
@require_POST
def mqtt_authorise(request):
    data = _from_broker(request)
    if data is None:
        return JsonResponse({"detail": "Only the broker may call this."}, status=403)
    return JsonResponse(
        authorise_topic(str(data.get("username", "")), str(data.get("topic", "")), str(data.get("action", "")))
    )

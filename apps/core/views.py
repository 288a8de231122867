"""Ops probes and the portal's scoping mixin."""

import time

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .api.permissions import perm_name
from .scoping import is_scoped
from .tasks import HEARTBEAT_KEY


@never_cache
def healthz(request):
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT postgis_lib_version()")
        return {"postgis": cursor.fetchone()[0]}


def _check_redis():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    client.ping()
    return {}


def _check_broker():
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {}


READINESS_CHECKS = {"database": _check_database, "redis": _check_redis, "broker": _check_broker}


@never_cache
def readyz(request):
    """Readiness: database (with PostGIS), Redis and the Celery broker are reachable."""
    results, ready = {}, True
    for name, check in READINESS_CHECKS.items():
        started = time.monotonic()
        try:
            detail = check()
            results[name] = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1), **detail}
        except Exception as exc:  # a probe reports every failure, whatever its type
            ready = False
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    try:  # informative only: workers may legitimately be scaled to zero
        results["worker_heartbeat"] = cache.get(HEARTBEAT_KEY)
    except Exception:  # the Redis check above already reports the cause
        results["worker_heartbeat"] = None
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": results}, status=200 if ready else 503
    )


class JurisdictionScopedMixin(LoginRequiredMixin):
    """Portal views over scoped models, with the same two locks as the API.

    The role must hold the model permission for ``scope_action`` (for one object, a guardian grant
    on it suffices) and the queryset is always restricted to the user's jurisdiction.
    """

    scope_action = "view"

    def _model(self):
        return self.model or self.get_queryset().model

    def has_role_permission(self, obj=None) -> bool:
        perm = perm_name(self._model(), self.scope_action)
        user = self.request.user
        return user.has_perm(perm) or (obj is not None and user.has_perm(perm, obj))

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        single_object = self.pk_url_kwarg in kwargs if hasattr(self, "pk_url_kwarg") else False
        if not single_object and not self.has_role_permission():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not self.has_role_permission(obj):
            raise PermissionDenied
        return obj

    def get_queryset(self):
        queryset = super().get_queryset()
        if not is_scoped(queryset.model):
            raise ImproperlyConfigured(f"{queryset.model.__name__} is not a jurisdiction-scoped model")
        return queryset.for_user(self.request.user, self.scope_action)

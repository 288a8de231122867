"""Platform-level periodic tasks."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "worker:heartbeat"


@shared_task(name="core.heartbeat", time_limit=10, ignore_result=True)
def heartbeat():
    """Lets /readyz report when a worker last ran a scheduled task."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=3600)


@shared_task(name="core.ping", time_limit=10)
def ping(value="pong"):
    return {"value": value, "at": timezone.now().isoformat()}

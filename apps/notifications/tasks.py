"""Thin tasks: send deliveries, and re-queue those whose try has come again."""

from celery import shared_task
from django.utils import timezone

CHUNK = 500


@shared_task(
    name="notifications.deliver",
    bind=True,
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
    max_retries=5,
)
def deliver(self, delivery_ids: list[int]) -> dict:
    """Send the given deliveries; failed ones are tried again after their backoff (1, 2, 4, 8 min)."""
    from .services import send_deliveries

    report = send_deliveries(delivery_ids)
    # Run eagerly (tests, the shell) there is no queue to wait in: notifications.retry_failed takes over.
    if report.retry_ids and not self.request.is_eager:
        # One second late, so the deliveries are due when the retry runs.
        countdown = max((report.retry_at - timezone.now()).total_seconds(), 0) + 1
        raise self.retry(args=[report.retry_ids], countdown=countdown)
    return report.as_dict()


@shared_task(name="notifications.retry_failed", time_limit=120)
def retry_failed() -> int:
    """Beat, every 5 minutes: re-queue pending and failed deliveries under the attempt cap whose next
    try has come (a lost task, a killed worker, retries beyond the task's own)."""
    from .services import due_delivery_ids

    ids = due_delivery_ids()
    for start in range(0, len(ids), CHUNK):
        deliver.delay(ids[start : start + CHUNK])
    return len(ids)

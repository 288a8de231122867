"""Thin Celery tasks over the outbox (上报发件箱): deliver a lane, find due lanes, build schedules."""

from celery import shared_task


@shared_task(name="exchange.deliver", time_limit=300, soft_time_limit=240)
def deliver(subscription_id: int) -> dict:
    """Drain one lane for up to 50 s; it queues its own next run when work remains."""
    from .outbox import deliver as deliver_lane

    return deliver_lane(subscription_id)


@shared_task(name="exchange.deliver_due", time_limit=120, soft_time_limit=100)
def deliver_due() -> int:
    """Beat, every minute: ask for delivery of every lane with a backlog that is not backing off."""
    from .outbox import deliver_due as ask

    return ask()


@shared_task(name="exchange.build_due", time_limit=600, soft_time_limit=540)
def build_due() -> dict:
    """Beat, every minute: build the incremental uploads whose schedule is due."""
    from .outbox import build_due as build

    summary = build()
    # Task results are not kept; return counts only (keys must be strings in JSON).
    return {
        "built": {str(k): v for k, v in summary["built"].items()},
        "no_builder": summary["no_builder"],
        "failed": {str(k): v for k, v in summary["failed"].items()},
    }


@shared_task(name="exchange.prune_delivered", time_limit=1800, soft_time_limit=1700)
def prune_delivered() -> int:
    """Beat, daily: forget delivered outbox entries past their keeping time."""
    from .outbox import prune_delivered as prune

    return prune()

"""Thin Celery tasks of dual prevention (双重预防)."""

from celery import shared_task


@shared_task(name="prevention.generate_periods", time_limit=600, soft_time_limit=540)
def generate_periods() -> dict:
    """Beat, every 10 minutes: the current cycle of every investigation task, and overdue ones."""
    from .periods import generate

    return generate()


@shared_task(name="prevention.remind_overdue_dangers", time_limit=600, soft_time_limit=540)
def remind_overdue_dangers() -> int:
    """Beat, hourly: overdue hidden dangers reminded once a day each until accepted."""
    from .periods import remind_overdue_dangers as remind

    return remind()

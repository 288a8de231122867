"""Thin tasks: processing of stored batches and store maintenance."""

from celery import shared_task


@shared_task(name="monitoring.process_batch", acks_late=True, time_limit=120, max_retries=5)
def process_batch(batch_id: int) -> int:
    from .processing import process_batch as run

    return run(batch_id)


@shared_task(name="monitoring.sweep_batches", time_limit=300)
def sweep_batches() -> int:
    """Re-queue batches left unprocessed (a lost broker message, a killed worker)."""
    from .processing import pending_batches

    ids = pending_batches()
    for batch_id in ids:
        process_batch.delay(batch_id)
    return len(ids)


@shared_task(name="monitoring.maintain_partitions", time_limit=300)
def maintain_partitions() -> dict:
    from .storage import maintain_partitions as run

    return run()


@shared_task(name="monitoring.detect_offline", time_limit=120)
def detect_offline() -> int:
    from .processing import detect_offline as run

    return run()


@shared_task(name="monitoring.refresh_hour_rollups", time_limit=600)
def refresh_hour_rollups() -> int:
    from .storage import refresh_hour_rollups as run

    return run()

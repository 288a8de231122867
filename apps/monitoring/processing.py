"""Processing of stored batches: the latest value of every point (alarms are evaluated here next).

Idempotent: a batch is processed in one transaction that also marks it processed, under a row lock,
so a redelivered or swept batch is processed once.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from .models import IngestBatch

STALE_AFTER = dt.timedelta(seconds=30)


def process_batch(batch_id: int) -> int:
    with transaction.atomic():
        batch = (
            IngestBatch.objects.select_for_update(skip_locked=True)
            .filter(pk=batch_id, processed_at__isnull=True)
            .first()
        )
        if batch is None:
            return 0  # done already, or being processed by another worker
        IngestBatch.objects.filter(pk=batch_id).update(attempts=batch.attempts + 1)
        with connection.cursor() as cursor:
            # Latest value per point of this batch, kept only if newer than what the point shows.
            cursor.execute(
                """
                INSERT INTO monitoring_pointstate (point_id, ts, value, received_at)
                SELECT DISTINCT ON (point_id) point_id, ts, value, %s
                  FROM monitoring_reading WHERE batch_id = %s AND ts BETWEEN %s AND %s
                 ORDER BY point_id, ts DESC
                ON CONFLICT (point_id) DO UPDATE
                   SET ts = EXCLUDED.ts, value = EXCLUDED.value, received_at = EXCLUDED.received_at
                 WHERE monitoring_pointstate.ts IS NULL OR monitoring_pointstate.ts < EXCLUDED.ts
                """,
                [timezone.now(), batch_id, batch.min_ts, batch.max_ts],
            )
            updated = cursor.rowcount
        IngestBatch.objects.filter(pk=batch_id).update(processed_at=timezone.now())
    return updated


def pending_batches(limit: int = 1000) -> list[int]:
    cutoff = timezone.now() - STALE_AFTER
    return list(
        IngestBatch.objects.filter(processed_at__isnull=True, received_at__lt=cutoff).values_list("pk", flat=True)[
            :limit
        ]
    )

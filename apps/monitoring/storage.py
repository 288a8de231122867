"""The readings store: a table partitioned by day, written with COPY, unique on (point, ts)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

TABLE = "monitoring_reading"
BEIJING = dt.timezone(dt.timedelta(hours=8))


def _partition_name(day: dt.date) -> str:
    return f"{TABLE}_{day:%Y%m%d}"


def maintain_partitions(*, ahead_days: int = 7, today: dt.date | None = None) -> dict:
    """Create the daily partitions for the coming days and drop those past the retention window.

    Days are Beijing days (decision 10). Idempotent; runs from beat and from migrate-time setup.
    """
    today = today or timezone.now().astimezone(BEIJING).date()
    retention = settings.ANQUAN_READING_RETENTION_DAYS
    created, dropped = [], []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        existing = {row[0] for row in cursor.fetchall()}
        for offset in range(-1, ahead_days + 1):
            day = today + dt.timedelta(days=offset)
            name = _partition_name(day)
            if name in existing:
                continue
            start = dt.datetime.combine(day, dt.time(), BEIJING)
            end = start + dt.timedelta(days=1)
            # Built aside and attached, moving any rows the DEFAULT partition caught for that day first:
            # a plain CREATE … PARTITION OF would fail if such rows exist.
            with transaction.atomic():
                cursor.execute(f'CREATE TABLE "{name}" (LIKE {TABLE} INCLUDING DEFAULTS)')
                cursor.execute(
                    f"WITH moved AS (DELETE FROM {TABLE}_default WHERE ts >= %s AND ts < %s RETURNING *) "
                    f'INSERT INTO "{name}" SELECT * FROM moved',
                    [start, end],
                )
                cursor.execute(
                    f'ALTER TABLE {TABLE} ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)', [start, end]
                )
            created.append(name)
        horizon = today - dt.timedelta(days=retention)
        for name in sorted(existing):
            suffix = name.rsplit("_", 1)[-1]
            if suffix.isdigit() and dt.datetime.strptime(suffix, "%Y%m%d").date() < horizon:
                cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
                dropped.append(name)
    return {"created": created, "dropped": dropped}


def store_readings(rows: list[tuple[int, dt.datetime, float]], batch_id: int) -> set[tuple[int, dt.datetime]]:
    """COPY ``rows`` (point_id, ts, value) into the store inside the current transaction.

    Returns the (point_id, ts) pairs actually inserted; the rest were already stored (replays).
    COPY cannot skip conflicts, so rows go through a temporary table and one INSERT … ON CONFLICT.
    """
    if not rows:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS ingest_stage (point_id bigint, ts timestamptz, value double precision)"
            " ON COMMIT DELETE ROWS"
        )
        with cursor.copy("COPY ingest_stage (point_id, ts, value) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {TABLE} (point_id, ts, value, batch_id) "
            "SELECT point_id, ts, value, %s FROM ingest_stage ON CONFLICT (point_id, ts) DO NOTHING "
            "RETURNING point_id, ts",
            [batch_id],
        )
        inserted = {(r[0], r[1]) for r in cursor.fetchall()}
        cursor.execute("TRUNCATE ingest_stage")
    return inserted


def readings_of(point_id: int, start: dt.datetime, end: dt.datetime, *, limit: int = 10000) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ts, value FROM {TABLE} WHERE point_id = %s AND ts >= %s AND ts < %s ORDER BY ts LIMIT %s",
            [point_id, start, end, limit],
        )
        return cursor.fetchall()

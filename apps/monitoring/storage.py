"""The readings store: a table partitioned by day, written with COPY, unique on (point, ts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

TABLE = "monitoring_reading"
BEIJING = dt.timezone(dt.timedelta(hours=8))


MINUTE_ROLLUP, HOUR_ROLLUP = "monitoring_rollup_minute", "monitoring_rollup_hour"


@dataclass(frozen=True)
class PartitionedTable:
    """A table partitioned by range of one time column: by Beijing day or by Beijing month."""

    name: str
    column: str
    monthly: bool
    retention_setting: str

    def bounds(self, day: dt.date) -> tuple[str, dt.datetime, dt.datetime]:
        if self.monthly:
            first = day.replace(day=1)
            following = (first + dt.timedelta(days=32)).replace(day=1)
            start = dt.datetime.combine(first, dt.time(), BEIJING)
            return f"{self.name}_{first:%Y%m}", start, dt.datetime.combine(following, dt.time(), BEIJING)
        start = dt.datetime.combine(day, dt.time(), BEIJING)
        return f"{self.name}_{day:%Y%m%d}", start, start + dt.timedelta(days=1)

    def last_day(self, suffix: str) -> dt.date | None:
        """The last day a partition named with ``suffix`` holds (None: not a dated partition)."""
        if not suffix.isdigit():
            return None
        if self.monthly and len(suffix) == 6:
            first = dt.datetime.strptime(suffix, "%Y%m").date()
            return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        if not self.monthly and len(suffix) == 8:
            return dt.datetime.strptime(suffix, "%Y%m%d").date()
        return None


PARTITIONED = (
    PartitionedTable(TABLE, "ts", False, "ANQUAN_READING_RETENTION_DAYS"),
    PartitionedTable(MINUTE_ROLLUP, "bucket", False, "ANQUAN_ROLLUP_MINUTE_RETENTION_DAYS"),
    PartitionedTable(HOUR_ROLLUP, "bucket", True, "ANQUAN_ROLLUP_HOUR_RETENTION_DAYS"),
)


def maintain_partitions(*, ahead_days: int = 7, today: dt.date | None = None) -> dict:
    """Create the partitions for the coming days and drop those wholly past each table's retention.

    Days are Beijing days (decision 10). Idempotent; runs hourly from beat and after migrate.
    """
    today = today or timezone.now().astimezone(BEIJING).date()
    created, dropped = [], []
    with connection.cursor() as cursor:
        for table in PARTITIONED:
            cursor.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
                [table.name],
            )
            existing = {row[0] for row in cursor.fetchall()}
            for offset in range(-1, ahead_days + 1):
                name, start, end = table.bounds(today + dt.timedelta(days=offset))
                if name in existing:
                    continue
                # Built aside and attached, moving any rows the DEFAULT partition caught for that range
                # first: a plain CREATE … PARTITION OF would fail if such rows exist.
                with transaction.atomic():
                    # Rollup rows are rewritten as readings arrive: room for in-place (HOT) updates.
                    fill = " WITH (fillfactor = 70)" if table.name != TABLE else ""
                    cursor.execute(f'CREATE TABLE "{name}" (LIKE {table.name} INCLUDING DEFAULTS){fill}')
                    cursor.execute(
                        f"WITH moved AS (DELETE FROM {table.name}_default WHERE {table.column} >= %s"
                        f' AND {table.column} < %s RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
                        [start, end],
                    )
                    cursor.execute(
                        f'ALTER TABLE {table.name} ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
                        [start, end],
                    )
                existing.add(name)
                created.append(name)
            horizon = today - dt.timedelta(days=getattr(settings, table.retention_setting))
            for name in sorted(existing):
                last = table.last_day(name.rsplit("_", 1)[-1])
                if last is not None and last < horizon:
                    cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
                    dropped.append(name)
    return {"created": created, "dropped": dropped}


def store_readings(rows: list[tuple[int, dt.datetime, float]], batch_id: int) -> int:
    """COPY ``rows`` (point_id, ts, value; unique within the list) into the store and set them as the
    batch's payload, inside the current transaction; returns how many were new (the rest were stored
    already: a replay). The batch then holds only the new ones, and their time span.

    Fast path: COPY straight into the partitioned table under a savepoint, the text built here in one
    piece (per-row adaptation costs more than the database's own work). A replay makes it fail on the
    primary key; then the rows go through a temporary table and INSERT … ON CONFLICT DO NOTHING.
    """
    if not rows:
        return 0
    stamps = [ts.isoformat() for _p, ts, _v in rows]
    points = [str(p) for p, _ts, _v in rows]
    values = [repr(v) for _p, _ts, v in rows]
    suffix = f"\t{batch_id}\n"
    text = "".join(f"{p}\t{t}\t{v}{suffix}" for p, t, v in zip(points, stamps, values, strict=True))
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(), cursor.copy(f"COPY {TABLE} (point_id, ts, value, batch_id) FROM STDIN") as copy:
                copy.write(text)
        except (IntegrityError, psycopg.errors.UniqueViolation):
            return _store_replay(cursor, text, batch_id)
        cursor.execute(
            "UPDATE monitoring_ingestbatch SET payload_points = %s::bigint[], payload_ts = %s::timestamptz[],"
            " payload_values = %s::float8[], accepted = %s, min_ts = %s, max_ts = %s WHERE id = %s",
            [
                "{" + ",".join(points) + "}",
                "{" + ",".join(stamps) + "}",
                "{" + ",".join(values) + "}",
                len(rows),
                min(ts for _p, ts, _v in rows),
                max(ts for _p, ts, _v in rows),
                batch_id,
            ],
        )
    return len(rows)


def _store_replay(cursor, text: str, batch_id: int) -> int:
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS ingest_stage (point_id bigint, ts timestamptz, value double precision,"
        " batch_id bigint) ON COMMIT DELETE ROWS"
    )
    with cursor.copy("COPY ingest_stage (point_id, ts, value, batch_id) FROM STDIN") as copy:
        copy.write(text)
    cursor.execute(
        f"""
        WITH new AS (
            INSERT INTO {TABLE} (point_id, ts, value, batch_id) SELECT point_id, ts, value, batch_id
              FROM ingest_stage ON CONFLICT (point_id, ts) DO NOTHING RETURNING point_id, ts, value)
        UPDATE monitoring_ingestbatch b SET payload_points = n.points, payload_ts = n.stamps,
               payload_values = n.vals, accepted = n.count, min_ts = n.first, max_ts = n.last
          FROM (SELECT array_agg(point_id) AS points, array_agg(ts) AS stamps, array_agg(value) AS vals,
                       count(*) AS count, min(ts) AS first, max(ts) AS last FROM new) n
         WHERE b.id = %s RETURNING n.count
        """,
        [batch_id],
    )
    inserted = cursor.fetchone()[0]
    cursor.execute("TRUNCATE ingest_stage")
    return inserted


ROLLUP_UPSERT = f"""
WITH minutes AS (
    INSERT INTO {MINUTE_ROLLUP} AS r (point_id, bucket, n, total, low, high)
    {{source}}
    ON CONFLICT (point_id, bucket) DO UPDATE SET n = r.n + excluded.n, total = r.total + excluded.total,
       low = least(r.low, excluded.low), high = greatest(r.high, excluded.high)
    RETURNING bucket)
INSERT INTO monitoring_rollup_stale_hour (bucket)
SELECT DISTINCT date_trunc('hour', bucket, 'UTC') FROM minutes ON CONFLICT DO NOTHING
"""
# Every reading of the batches, grouped by point and minute.
FROM_PAYLOADS = """
SELECT u.point_id, date_trunc('minute', u.ts, 'UTC'), count(*), sum(u.value), min(u.value), max(u.value)
  FROM monitoring_ingestbatch b, unnest(b.payload_points, b.payload_ts, b.payload_values) AS u(point_id, ts, value)
 WHERE b.id = ANY(%s) GROUP BY 1, 2
"""


def add_to_rollups(batch_ids: list[int], *, summary_table: str | None = None) -> None:
    """Fold the batches' readings into the 1-minute rollups (count, sum, min, max), and note the
    hours they touched for ``refresh_hour_rollups``.

    Runs in the transaction that marks the batches processed, so each reading is counted once. Given a
    per-point summary of the batches (``processing``'s, with n/total/lo/hi/first_ts/last_ts) whose
    every point's readings lie within one minute — the usual case — the rows come from it rather
    than from grouping the readings again.
    """
    with connection.cursor() as cursor:
        if summary_table:
            source = f"SELECT point_id, date_trunc('minute', first_ts, 'UTC'), n, total, lo, hi FROM {summary_table}"
            cursor.execute(ROLLUP_UPSERT.format(source=source))
        else:
            cursor.execute(ROLLUP_UPSERT.format(source=FROM_PAYLOADS), [batch_ids])


def refresh_hour_rollups() -> int:
    """Recompute the 1-hour rollups of the hours new minutes fell into, from the 1-minute rollups.

    One set-based pass per hour touched (usually the current one) instead of a second upsert per
    reading; runs every few minutes from beat. Returns the number of hours refreshed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM monitoring_rollup_stale_hour RETURNING bucket")
        hours = sorted(row[0] for row in cursor.fetchall())
        for hour in hours:
            cursor.execute(
                f"INSERT INTO {HOUR_ROLLUP} AS r (point_id, bucket, n, total, low, high)"
                f" SELECT point_id, %s, sum(n), sum(total), min(low), max(high) FROM {MINUTE_ROLLUP}"
                " WHERE bucket >= %s AND bucket < %s GROUP BY point_id"
                " ON CONFLICT (point_id, bucket) DO UPDATE SET n = excluded.n, total = excluded.total,"
                " low = excluded.low, high = excluded.high",
                [hour, hour, hour + dt.timedelta(hours=1)],
            )
    return len(hours)


def rollups_of(point_id: int, start: dt.datetime, end: dt.datetime, *, hourly: bool) -> list[tuple]:
    """(bucket, count, avg, min, max) of one point over [start, end). The current hour's row may lag
    its minutes by a few minutes (``refresh_hour_rollups``)."""
    table = HOUR_ROLLUP if hourly else MINUTE_ROLLUP
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT bucket, n, total / n, low, high FROM {table} WHERE point_id = %s AND bucket >= %s"
            " AND bucket < %s ORDER BY bucket",
            [point_id, start, end],
        )
        return cursor.fetchall()


def copy_update(table: str, key: str, columns: list[str], rows: list[tuple], keep_when_null=()) -> None:
    """UPDATE many rows of ``table`` at once: COPY (key, *columns) into a temporary table shaped like
    them, then one UPDATE … FROM it (bulk_update's CASE chains grow slow past a few hundred rows).
    Columns in ``keep_when_null`` keep their stored value where the row gives NULL."""
    if not rows:
        return
    stage = f"stage_{table}"
    names = ", ".join([key, *columns])
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        assignments = ", ".join(
            f"{c} = coalesce(s.{c}, t.{c})" if c in keep_when_null else f"{c} = s.{c}" for c in columns
        )
        cursor.execute(f"UPDATE {table} t SET {assignments} FROM {stage} s WHERE t.{key} = s.{key}")
        cursor.execute(f"TRUNCATE {stage}")


def readings_of(point_id: int, start: dt.datetime, end: dt.datetime, *, limit: int = 10000) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ts, value FROM {TABLE} WHERE point_id = %s AND ts >= %s AND ts < %s ORDER BY ts LIMIT %s",
            [point_id, start, end, limit],
        )
        return cursor.fetchall()

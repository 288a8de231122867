"""Processing of stored batches: latest values and threshold alarms.

Idempotent: a batch is processed in one transaction that also marks it processed, under a row lock,
so a redelivered or swept batch is processed once. Point trackers are locked row by row in point
order, so two batches of one enterprise processed at once cannot interleave a point's readings.
Readings older than what a point has already evaluated are stored but do not move its alarm state.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from . import alarms as machine
from .models import Alarm, AlarmEvent, IngestBatch, MonitoringPoint, PointState

STALE_AFTER = dt.timedelta(seconds=30)


def limits_of(point: MonitoringPoint) -> machine.Limits:
    return machine.Limits(
        low_low=point.low_low,
        low=point.low,
        high=point.high,
        high_high=point.high_high,
        deadband=point.deadband or 0.0,
        raise_delay=point.raise_delay_s,
        clear_delay=point.clear_delay_s,
        switch=point.kind.signal == "switch",
        alarm_value=1.0 if point.alarm_state else 0.0,
    )


def threshold_of(point: MonitoringPoint, level: str):
    return {"high": point.high, "high_high": point.high_high, "low": point.low, "low_low": point.low_low}.get(level)


def process_batch(batch_id: int) -> int:
    with transaction.atomic():
        batch = (
            IngestBatch.objects.select_for_update(skip_locked=True)
            .filter(pk=batch_id, processed_at__isnull=True)
            .first()
        )
        if batch is None:
            return 0  # done already, or being processed by another worker
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT point_id, ts, value FROM monitoring_reading WHERE batch_id = %s AND ts BETWEEN %s AND %s"
                " ORDER BY point_id, ts",
                [batch_id, batch.min_ts, batch.max_ts],
            )
            rows = cursor.fetchall()
        by_point: dict[int, list] = defaultdict(list)
        for point_id, ts, value in rows:
            by_point[point_id].append((ts, value))
        evaluate(by_point, received_at=batch.received_at)
        IngestBatch.objects.filter(pk=batch_id).update(processed_at=timezone.now(), attempts=batch.attempts + 1)
    return len(by_point)


@transaction.atomic
def evaluate(by_point: dict[int, list], *, received_at: dt.datetime) -> list[Alarm]:
    """Advance every point's tracker through its new readings and keep alarms in step."""
    ids = sorted(by_point)
    states = {s.point_id: s for s in PointState.objects.select_for_update().filter(point_id__in=ids).order_by("pk")}
    missing = [i for i in ids if i not in states]
    if missing:
        PointState.objects.bulk_create([PointState(point_id=i) for i in missing], ignore_conflicts=True)
        states.update({s.point_id: s for s in PointState.objects.select_for_update().filter(point_id__in=missing)})
    points = {p.pk: p for p in MonitoringPoint.objects.filter(pk__in=ids).select_related("kind")}
    active = {(a.point_id, a.side): a for a in Alarm.objects.filter(point_id__in=ids, is_active=True)}
    changed_alarms, events, touched = {}, [], []
    for point_id in ids:
        state, point = states[point_id], points[point_id]
        limits = limits_of(point)
        tracker = machine.Tracker(state.level, state.pending_level or None, state.pending_since)
        offline = active.pop((point_id, "offline"), None)
        if offline is not None:  # data again: the point is back online
            back_ts, back_value = by_point[point_id][-1]
            offline.ended_at, offline.is_active, offline.last_value = (
                max(back_ts, offline.started_at),
                False,
                back_value,
            )
            changed_alarms[id(offline)] = offline
            events.append(
                AlarmEvent(alarm=offline, ts=offline.ended_at, event="cleared", level="offline", value=back_value)
            )
        for ts, value in by_point[point_id]:
            if state.evaluated_ts is not None and ts <= state.evaluated_ts:
                continue
            state.evaluated_ts = ts
            if state.ts is None or ts > state.ts:
                state.ts, state.value, state.received_at = ts, value, received_at
            change = machine.step(tracker, value, ts, limits)
            if change:
                _apply(change, point, ts, value, active, changed_alarms, events)
            current = active.get((point_id, machine.side(tracker.level)))
            if current is not None:
                _track_peak(current, value)
                changed_alarms[id(current)] = current
        state.level, state.pending_level, state.pending_since = (
            tracker.level,
            tracker.pending or "",
            tracker.pending_since,
        )
        touched.append(state)
    PointState.objects.bulk_update(
        touched, ["ts", "value", "received_at", "level", "pending_level", "pending_since", "evaluated_ts"]
    )
    new = [a for a in changed_alarms.values() if a.pk is None]
    # Existing alarms first: a clear must reach the partial unique index before a new alarm on the
    # same side is inserted (cleared and raised again within one batch).
    Alarm.objects.bulk_update(
        [a for a in changed_alarms.values() if a.pk is not None],
        ["level", "threshold", "ended_at", "peak_value", "last_value", "is_active"],
    )
    for alarm in new:
        alarm.save()
    for event in events:
        event.alarm_id = event.alarm.pk
    AlarmEvent.objects.bulk_create(events)
    _push(events)
    return list(changed_alarms.values())


def _push(events: list[AlarmEvent]) -> None:
    """Alarm events to the enterprise's subscribers and to every region above it (after commit)."""
    if not events:
        return
    from apps.core import live
    from apps.enterprises.models import Enterprise

    from .services import alarm_event_payload

    paths = dict(
        Enterprise.objects.filter(pk__in={e.alarm.enterprise_id for e in events}).values_list(
            "pk", "organisation__region__path"
        )
    )
    for event in events:
        payload = alarm_event_payload(event.alarm, event.event)
        live.broadcast("enterprise", event.alarm.enterprise_id, payload)
        for code in paths[event.alarm.enterprise_id].strip("/").split("/"):
            live.broadcast("region", code, payload)


def _save_states(states: list[PointState]) -> None:
    """Write the trackers back with one COPY and one UPDATE (bulk_update's CASE chains are slow here)."""
    if not states:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS state_stage (point_id bigint, ts timestamptz, value double precision,"
            " received_at timestamptz, level varchar(16), pending_level varchar(16), pending_since timestamptz,"
            " evaluated_ts timestamptz) ON COMMIT DELETE ROWS"
        )
        with cursor.copy("COPY state_stage FROM STDIN") as copy:
            for s in states:
                copy.write_row(
                    (
                        s.point_id,
                        s.ts,
                        s.value,
                        s.received_at,
                        s.level,
                        s.pending_level,
                        s.pending_since,
                        s.evaluated_ts,
                    )
                )
        cursor.execute(
            "UPDATE monitoring_pointstate p SET ts = s.ts, value = s.value, received_at = s.received_at,"
            " level = s.level, pending_level = s.pending_level, pending_since = s.pending_since,"
            " evaluated_ts = s.evaluated_ts FROM state_stage s WHERE p.point_id = s.point_id"
        )
        cursor.execute("TRUNCATE state_stage")


def _track_peak(alarm: Alarm, value: float) -> None:
    alarm.last_value = value
    if alarm.peak_value is None or (value < alarm.peak_value if alarm.side == "low" else value > alarm.peak_value):
        alarm.peak_value = value


def _apply(change, point, ts, value, active, changed, events) -> None:
    old, new = change
    old_side, new_side = machine.side(old), machine.side(new)
    if old_side is not None and old_side != new_side:  # cleared (消警), possibly to the other side
        alarm = active.pop((point.pk, old_side))
        alarm.ended_at, alarm.is_active, alarm.last_value = ts, False, value
        changed[id(alarm)] = alarm
        events.append(AlarmEvent(alarm=alarm, ts=ts, event="cleared", level=old, value=value))
        if new_side is not None:
            # Save the cleared alarm first so the new one on the other side never collides.
            if alarm.pk is None:
                alarm.save()
            else:
                alarm.save(update_fields=["ended_at", "is_active", "last_value"])
    if new_side is None:
        return
    if old_side == new_side:  # escalated or de-escalated in place
        alarm = active[(point.pk, new_side)]
        kind = "escalated" if abs(machine.RANK[new]) > abs(machine.RANK[old]) else "de-escalated"
        alarm.level, alarm.threshold = new, threshold_of(point, new)
    else:
        alarm = Alarm(
            point=point,
            enterprise_id=point.enterprise_id,
            side=new_side,
            level=new,
            threshold=threshold_of(point, new),
            started_at=ts,
            peak_value=value,
            last_value=value,
        )
        active[(point.pk, new_side)] = alarm
        kind = "raised"
    changed[id(alarm)] = alarm
    events.append(AlarmEvent(alarm=alarm, ts=ts, event=kind, level=new, value=value))


def pending_batches(limit: int = 1000) -> list[int]:
    cutoff = timezone.now() - STALE_AFTER
    return list(
        IngestBatch.objects.filter(processed_at__isnull=True, received_at__lt=cutoff).values_list("pk", flat=True)[
            :limit
        ]
    )


OFFLINE = "offline"


@transaction.atomic
def detect_offline(now: dt.datetime | None = None) -> int:
    """Raise an offline alarm (离线) for points in use that reported before but have sent nothing for
    ANQUAN_OFFLINE_PERIODS × their period; enterprises that are shut down or suspended are left out
    (ENT-08). Returns the number of alarms raised. Data arriving clears the alarm (``evaluate``)."""
    from django.conf import settings

    now = now or timezone.now()
    periods = settings.ANQUAN_OFFLINE_PERIODS
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.id, p.enterprise_id, s.value FROM monitoring_monitoringpoint p
              JOIN monitoring_pointstate s ON s.point_id = p.id
              JOIN enterprises_enterprise e ON e.organisation_id = p.enterprise_id
             WHERE p.in_use AND NOT p.deleted AND e.status = 'operating' AND NOT e.deleted
               AND s.received_at < %s - (p.period_s * %s) * interval '1 second'
               AND NOT EXISTS (SELECT 1 FROM monitoring_alarm a
                                WHERE a.point_id = p.id AND a.side = %s AND a.is_active)
            """,
            [now, periods, OFFLINE],
        )
        rows = cursor.fetchall()
    alarms = [
        Alarm(point_id=pid, enterprise_id=eid, side=OFFLINE, level=OFFLINE, started_at=now, last_value=value)
        for pid, eid, value in rows
    ]
    Alarm.objects.bulk_create(alarms)
    events = [AlarmEvent(alarm=a, ts=now, event="raised", level=OFFLINE) for a in alarms]
    for event in events:
        event.alarm_id = event.alarm.pk
    AlarmEvent.objects.bulk_create(events)
    _push(events)
    return len(alarms)

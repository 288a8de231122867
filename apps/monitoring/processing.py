"""Processing of stored batches (批次处理): latest values, alarms, online status, rollups.

Idempotent: a batch is processed in one transaction that also marks it processed, under a row lock,
so a redelivered or swept batch is processed once. Point trackers are locked in point order, so two
batches touching the same points cannot interleave a point's readings.

Set-based: the database summarises the batch per point (count, min, max, first and last reading).
A point whose tracker is at rest (normal, nothing pending) and whose batch values all lie strictly
inside its limits cannot change alarm state, so only its latest value moves; the alarm state machine
(``alarms``) runs reading by reading only for the few points near or past a limit. Readings older than
what a point has already evaluated are stored but do not move its alarm state.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import alarms as machine
from .models import Alarm, AlarmEvent, IngestBatch, MaintenanceWindow, MonitoringPoint
from .storage import add_to_rollups, copy_update

STALE_AFTER = dt.timedelta(seconds=30)
OFFLINE = "offline"

# A worker behind takes waiting neighbours into its run (fewer, larger passes over the same points),
# up to this many readings: a bound on how long one run — and so an alarm inside it — takes.
MERGE_READINGS = 20_000
MERGE_LOOKAHEAD = 200  # batch ids after the task's own that it may take

# The batch summarised per point, by the database (temporary, one per connection, emptied at commit).
BATCH_POINTS = """
CREATE TEMP TABLE IF NOT EXISTS batch_points (
    point_id bigint PRIMARY KEY, n integer, lo double precision, hi double precision, first_ts timestamptz,
    last_ts timestamptz, last_value double precision, gateway_id bigint, received_at timestamptz,
    total double precision
) ON COMMIT DELETE ROWS
"""
FILL_SQL = """
INSERT INTO batch_points
SELECT r.point_id, count(*), min(r.value), max(r.value), min(r.ts), max(r.ts),
       (array_agg(r.value ORDER BY r.ts DESC))[1], max(g.gateway_id), max(g.received_at), sum(r.value)
  FROM monitoring_ingestbatch g, unnest(g.payload_points, g.payload_ts, g.payload_values) AS r(point_id, ts, value)
 WHERE g.id = ANY(%s)
 GROUP BY r.point_id
RETURNING point_id, date_trunc('minute', first_ts, 'UTC') <> date_trunc('minute', last_ts, 'UTC')
"""
ENSURE_STATES_SQL = """
INSERT INTO monitoring_pointstate (point_id, level, pending_level, online)
SELECT unnest(%s::bigint[]), 'normal', '', false ON CONFLICT DO NOTHING
"""
# Lock the trackers in point order and tell, per point, whether the batch can leave its alarm state as
# it is: tracker at rest (online, normal, nothing pending, no late reading) and every value strictly
# inside the limits (a switch: steadily in its normal state).
LOCK_SQL = """
SELECT s.point_id, p.enterprise_id,
       s.online AND s.level = 'normal' AND s.pending_level = ''
       AND (s.evaluated_ts IS NULL OR b.first_ts > s.evaluated_ts)
       AND CASE WHEN k.signal = 'switch'
                THEN b.lo = b.hi AND b.lo <> (CASE WHEN p.alarm_state THEN 1 ELSE 0 END)
                ELSE (p.high IS NULL OR b.hi < p.high) AND (p.high_high IS NULL OR b.hi < p.high_high)
                 AND (p.low IS NULL OR b.lo > p.low) AND (p.low_low IS NULL OR b.lo > p.low_low) END
  FROM monitoring_pointstate s
  JOIN batch_points b ON b.point_id = s.point_id
  JOIN monitoring_monitoringpoint p ON p.id = s.point_id
  JOIN monitoring_measurementkind k ON k.id = p.kind_id
 WHERE s.point_id = ANY(%s::bigint[])
 ORDER BY s.point_id FOR UPDATE OF s
"""
# Points at rest: only the latest value moves, in one statement.
REST_SQL = """
UPDATE monitoring_pointstate s SET
       ts = CASE WHEN s.ts IS NULL OR b.last_ts > s.ts THEN b.last_ts ELSE s.ts END,
       value = CASE WHEN s.ts IS NULL OR b.last_ts > s.ts THEN b.last_value ELSE s.value END,
       changed_ts = CASE WHEN b.lo <> b.hi OR s.value IS DISTINCT FROM b.lo
                         THEN greatest(b.last_ts, s.changed_ts) ELSE coalesce(s.changed_ts, b.first_ts) END,
       received_at = b.received_at, evaluated_ts = b.last_ts, gateway_id = b.gateway_id
  FROM batch_points b
 WHERE b.point_id = s.point_id AND s.point_id = ANY(%s::bigint[])
RETURNING s.point_id, b.last_value, extract(epoch FROM b.last_ts)::float8
"""
# Points near or past a limit: everything the state machine needs.
MOVING_SQL = """
SELECT b.point_id, b.n, b.lo, b.hi, b.first_ts, b.last_ts, b.last_value, s.ts, s.value, s.level,
       s.pending_level, s.pending_since, s.evaluated_ts, s.online, s.changed_ts, p.low_low, p.low, p.high,
       p.high_high, p.deadband, p.raise_delay_s, p.clear_delay_s, k.signal, p.alarm_state, p.enterprise_id,
       p.facility_id, b.gateway_id, b.received_at
  FROM batch_points b
  JOIN monitoring_pointstate s ON s.point_id = b.point_id
  JOIN monitoring_monitoringpoint p ON p.id = b.point_id
  JOIN monitoring_measurementkind k ON k.id = p.kind_id
 WHERE b.point_id = ANY(%s::bigint[]) ORDER BY b.point_id
"""
STATE_COLUMNS = [
    "ts",
    "value",
    "received_at",
    "level",
    "pending_level",
    "pending_since",
    "evaluated_ts",
    "online",
    "online_changed_at",
    "gateway_id",
    "changed_ts",
]


@dataclass(slots=True)
class Point:
    """One point of a batch: its summary, its tracker as stored, and its alarm settings."""

    id: int
    n: int
    lo: float
    hi: float
    first_ts: dt.datetime
    last_ts: dt.datetime
    last_value: float
    ts: dt.datetime | None
    value: float | None
    level: str
    pending_level: str
    pending_since: dt.datetime | None
    evaluated_ts: dt.datetime | None
    online: bool
    changed_ts: dt.datetime | None
    low_low: float | None
    low: float | None
    high: float | None
    high_high: float | None
    deadband: float
    raise_delay_s: int
    clear_delay_s: int
    signal: str
    alarm_state: bool
    enterprise_id: int
    facility_id: int
    gateway_id: int
    received_at: dt.datetime

    @property
    def switch(self) -> bool:
        return self.signal == "switch"

    def limits(self) -> machine.Limits:
        return machine.Limits(
            low_low=self.low_low,
            low=self.low,
            high=self.high,
            high_high=self.high_high,
            deadband=self.deadband or 0.0,
            raise_delay=self.raise_delay_s,
            clear_delay=self.clear_delay_s,
            switch=self.switch,
            alarm_value=1.0 if self.alarm_state else 0.0,
        )

    def threshold(self, level: str) -> float | None:
        return getattr(self, level) if level in MonitoringPoint.THRESHOLDS else None


@dataclass
class Run:
    """The batches processed together in one transaction (usually one)."""

    ids: list[int]
    gateway_ids: set[int]
    received_at: dt.datetime

    @classmethod
    def of(cls, batches: list[IngestBatch]) -> Run:
        return cls(
            ids=sorted(b.pk for b in batches),
            gateway_ids={b.gateway_id for b in batches},
            received_at=max(b.received_at for b in batches),
        )


def _waiting():
    """Stored batches not processed yet, without their payload arrays (only the database reads those)."""
    return IngestBatch.objects.filter(processed_at__isnull=True, min_ts__isnull=False).defer(
        "payload_points", "payload_ts", "payload_values"
    )


def process_batch(batch_id: int) -> int:
    """Process one stored batch, with others waiting next to it; returns the number of points
    touched (0: done already, or being processed by another worker)."""
    with transaction.atomic():
        pending = _waiting().select_for_update(skip_locked=True)
        batches = list(pending.filter(pk=batch_id))
        if not batches:
            return 0
        # A gateway's readings are evaluated in the order they arrived: older batches of the same
        # gateway still waiting join this run — waiting, if another run holds one, for it to finish
        # (rows it marks processed then drop out). Otherwise a later batch processed first would make
        # an earlier excursion "late" and its alarm would never be raised.
        batches += (
            _waiting().select_for_update().filter(gateway_id=batches[0].gateway_id, pk__lt=batch_id).order_by("pk")
        )
        # A worker behind takes the neighbouring waiting batches too (their own tasks then find them
        # done): the same points are summarised and updated once for all of them. Only the chosen
        # ones are locked, so a batch is never held by a run that leaves it out.
        room, chosen = MERGE_READINGS - batches[0].accepted, []
        waiting = _waiting().filter(pk__gt=batch_id, pk__lte=batch_id + MERGE_LOOKAHEAD).order_by("pk")
        for pk, accepted in waiting.values_list("pk", "accepted")[:50]:
            if accepted > room:
                break
            room -= accepted
            chosen.append(pk)
        if chosen:
            batches += pending.filter(pk__in=chosen)
        run = Run.of(batches)
        touched = _process(run)
        IngestBatch.objects.filter(pk__in=run.ids).update(
            processed_at=timezone.now(),
            attempts=F("attempts") + 1,
            payload_points=None,
            payload_ts=None,
            payload_values=None,
        )
    return touched


def _process(run: Run) -> int:
    """Move every point's latest value, online status and alarm tracker through the run's readings."""
    with connection.cursor() as cursor:
        cursor.execute(BATCH_POINTS)
        cursor.execute("TRUNCATE batch_points")  # emptied at commit, but a caller's transaction may hold several runs
        cursor.execute(FILL_SQL, [run.ids])
        filled = cursor.fetchall()
        ids = [row[0] for row in filled]
        # Each point's readings within one minute (the usual case): its summary is its rollup row.
        within_minutes = not any(spread for _id, spread in filled)
        # Lock by id list: the planner then walks the primary key instead of scanning the table.
        id_list = _array(ids)
        cursor.execute(LOCK_SQL, [id_list])
        locked = cursor.fetchall()
        if len(locked) < len(ids):  # points reporting for the first time: create their trackers
            cursor.execute(ENSURE_STATES_SQL, [_array(set(ids) - {row[0] for row in locked})])
            cursor.execute(LOCK_SQL, [id_list])
            locked = cursor.fetchall()
        enterprise_of = {point_id: enterprise_id for point_id, enterprise_id, _rest in locked}
        resting = [point_id for point_id, _e, rest in locked if rest]
        moving_ids = [point_id for point_id, _e, rest in locked if not rest]
        rested = []
        if resting:
            cursor.execute(REST_SQL, [_array(resting)])
            rested = cursor.fetchall()
        moving = []
        if moving_ids:
            cursor.execute(MOVING_SQL, [_array(moving_ids)])
            moving = [Point(*row) for row in cursor.fetchall()]
    changes = AlarmChanges({})
    back_online = [p for p in moving if not p.online]
    if moving:
        readings = _readings_of(run, moving_ids)
        query = Alarm.objects.filter(is_active=True, point_id__in=moving_ids)
        changes.active = {(a.point_id, a.side): a for a in query}
        for point in back_online:
            changes.back_online(point)
        for point in moving:
            _step_through(point, readings.get(point.id, ()), changes)
        _save_states(moving)
    changes.save()
    add_to_rollups(run.ids, summary_table="batch_points" if within_minutes else None)
    _online_transitions(run, back_online)
    values = [(point_id, enterprise_of[point_id], ts, value, "normal") for point_id, value, ts in rested]
    values += [(p.id, p.enterprise_id, p.last_ts.timestamp(), p.last_value, p.level) for p in moving]
    _push(changes, values)
    return len(locked)


def _array(ids) -> str:
    """A bigint array literal: thousands of ids pass as one string, not one adapted value each."""
    return "{" + ",".join(map(str, ids)) + "}"


def _readings_of(run: Run, point_ids: list[int]) -> dict[int, list]:
    by_point: dict[int, list] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.point_id, r.ts, r.value FROM monitoring_ingestbatch g,"
            " unnest(g.payload_points, g.payload_ts, g.payload_values) AS r(point_id, ts, value)"
            " JOIN unnest(%s::bigint[]) AS m(point_id) ON m.point_id = r.point_id"
            " WHERE g.id = ANY(%s) ORDER BY r.point_id, r.ts",
            [point_ids, run.ids],
        )
        for point_id, ts, value in cursor.fetchall():
            by_point[point_id].append((ts, value))
    return by_point


def _step_through(point: Point, readings, changes: AlarmChanges) -> None:
    limits = point.limits()
    tracker = machine.Tracker(point.level, point.pending_level or None, point.pending_since)
    for ts, value in readings:
        if point.evaluated_ts is not None and ts <= point.evaluated_ts:
            continue
        point.evaluated_ts = ts
        change = machine.step(tracker, value, ts, limits)
        if change:
            changes.apply(point, change, ts, value)
        changes.track(point.id, machine.side(tracker.level), value)
    point.level, point.pending_level, point.pending_since = tracker.level, tracker.pending or "", tracker.pending_since


def _save_states(points: list[Point]) -> None:
    rows = []
    for p in points:
        newest = p.ts is None or p.last_ts > p.ts
        if p.value is None or p.lo != p.hi or p.lo != p.value:
            p.changed_ts = p.last_ts if newest else (p.changed_ts or p.first_ts)
        rows.append(
            (
                p.id,
                p.last_ts if newest else p.ts,
                p.last_value if newest else p.value,
                p.received_at,
                p.level,
                p.pending_level,
                p.pending_since,
                p.evaluated_ts,
                True,
                p.received_at if not p.online else None,
                p.gateway_id,
                p.changed_ts,
            )
        )
    # online_changed_at keeps its value unless the point just came online.
    copy_update("monitoring_pointstate", "point_id", STATE_COLUMNS, rows, keep_when_null=["online_changed_at"])


class AlarmChanges:
    """The alarms a batch raises, moves and clears, and their events, written in bulk at the end."""

    def __init__(self, active: dict):
        self.active = active  # (point id, side) → Alarm
        self.changed: dict[int, Alarm] = {}
        self.events: list[tuple[Alarm, AlarmEvent]] = []
        self.facility_of: dict[int, int] = {}
        self.quiet: set[int] = set()  # indexes of events inside a maintenance window: not pushed

    def record(self, alarm: Alarm, ts, event: str, level: str, value) -> None:
        """An event of ``alarm`` (raised, escalated, de-escalated, cleared), written with ``save``."""
        self.changed[id(alarm)] = alarm
        self.events.append((alarm, AlarmEvent(ts=ts, event=event, level=level, value=value)))

    def back_online(self, point: Point) -> None:
        offline = self.active.pop((point.id, OFFLINE), None)
        if offline is not None:
            offline.ended_at = max(point.first_ts, offline.started_at)
            offline.is_active, offline.last_value = False, point.last_value
            self.record(offline, offline.ended_at, "cleared", OFFLINE, point.last_value)

    def apply(self, point: Point, change: tuple[str, str], ts, value) -> None:
        old, new = change
        old_side, new_side = machine.side(old), machine.side(new)
        self.facility_of[point.id] = point.facility_id
        if old_side is not None and old_side != new_side:  # cleared (消警), perhaps to the other side
            alarm = self.active.pop((point.id, old_side))
            alarm.ended_at, alarm.is_active, alarm.last_value = ts, False, value
            self.record(alarm, ts, "cleared", old, value)
        if new_side is None:
            return
        if old_side == new_side:  # escalated or de-escalated in place
            alarm = self.active[(point.id, new_side)]
            kind = "escalated" if abs(machine.RANK[new]) > abs(machine.RANK[old]) else "de-escalated"
            alarm.level, alarm.threshold = new, point.threshold(new)
        else:
            alarm = Alarm(
                point_id=point.id,
                enterprise_id=point.enterprise_id,
                side=new_side,
                level=new,
                threshold=point.threshold(new),
                started_at=ts,
                peak_value=value,
                last_value=value,
            )
            self.active[(point.id, new_side)] = alarm
            kind = "raised"
        self.record(alarm, ts, kind, new, value)

    def track(self, point_id: int, side: str | None, value: float) -> None:
        """Keep the last and peak value of the alarm in force."""
        alarm = self.active.get((point_id, side)) if side else None
        if alarm is None:
            return
        alarm.last_value = value
        if alarm.peak_value is None or (value < alarm.peak_value if side == "low" else value > alarm.peak_value):
            alarm.peak_value = value
        self.changed[id(alarm)] = alarm

    def save(self) -> None:
        if not self.changed:
            return
        self._shelve()
        existing = [a for a in self.changed.values() if a.pk is not None]
        # Existing alarms first: a clear must reach the partial unique index before a new alarm on the
        # same side is inserted (cleared and raised again within one batch).
        copy_update(
            "monitoring_alarm",
            "id",
            ["level", "threshold", "ended_at", "peak_value", "last_value", "is_active"],
            [(a.pk, a.level, a.threshold, a.ended_at, a.peak_value, a.last_value, a.is_active) for a in existing],
        )
        Alarm.objects.bulk_create([a for a in self.changed.values() if a.pk is None])
        if self.events:
            sql = "COPY monitoring_alarmevent (alarm_id, ts, event, level, value) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(sql) as copy:
                for alarm, event in self.events:
                    copy.write_row((alarm.pk, event.ts, event.event, event.level, event.value))
        from .hooks import alarms_changed

        alarms_changed({alarm.enterprise_id for alarm, _event in self.events})

    def _shelve(self) -> None:
        """Mark alarms raised inside a maintenance window (检维修/标定) and events to keep quiet."""
        if not self.events:
            return
        stamps = [e.ts for _a, e in self.events]
        windows = list(
            MaintenanceWindow.objects.filter(
                enterprise_id__in={a.enterprise_id for a, _e in self.events},
                cancelled=False,
                starts_at__lte=max(stamps),
                ends_at__gt=min(stamps),
            )
        )
        if not windows:
            return
        for index, (alarm, event) in enumerate(self.events):
            facility = self.facility_of.get(alarm.point_id)
            if any(w.covers(alarm.point_id, facility, event.ts) for w in windows):
                self.quiet.add(index)
                if alarm.pk is None and event.event == "raised":
                    alarm.shelved = True

    def pushed_events(self):
        return [(a, e) for i, (a, e) in enumerate(self.events) if i not in self.quiet]


def _online_transitions(run: Run, back_online: list[Point]) -> None:
    """Record points that came online, and their gateways and enterprises if those were offline."""
    from .models import EnterpriseLink, Gateway, OnlineTransition

    now = run.received_at
    transitions = [
        OnlineTransition(subject="point", subject_id=p.id, enterprise_id=p.enterprise_id, ts=now, online=True)
        for p in back_online
    ]
    gateways = Gateway.objects.filter(pk__in=run.gateway_ids)
    came = list(gateways.filter(online=False).values_list("pk", "enterprise_id"))
    if came:
        Gateway.objects.filter(pk__in=[g for g, _e in came]).update(online=True, online_changed_at=now)
        transitions += [
            OnlineTransition(subject="gateway", subject_id=g, enterprise_id=e, ts=now, online=True) for g, e in came
        ]
    # last seen to the second is enough; this keeps one row from being rewritten by every batch
    gateways.filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - dt.timedelta(seconds=5))).update(
        last_seen_at=now
    )
    enterprises = {p.enterprise_id for p in back_online}
    if enterprises:
        EnterpriseLink.objects.bulk_create(
            [EnterpriseLink(enterprise_id=e, first_data_at=now) for e in enterprises], ignore_conflicts=True
        )
        came = list(
            EnterpriseLink.objects.filter(enterprise_id__in=enterprises, online=False).values_list(
                "enterprise_id", flat=True
            )
        )
        if came:
            EnterpriseLink.objects.filter(enterprise_id__in=came).update(online=True, online_changed_at=now)
            transitions += [
                OnlineTransition(subject="enterprise", subject_id=e, enterprise_id=e, ts=now, online=True) for e in came
            ]
    OnlineTransition.objects.bulk_create(transitions)


def _push(changes: AlarmChanges, values: list[tuple]) -> None:
    """Live push after commit: alarm events to the enterprise and every region above it, one message
    per subscriber group per run; latest values (point, epoch s, value, level) to the enterprise."""
    from apps.core import live
    from apps.enterprises.models import Enterprise

    from .services import alarm_event_payload

    by_enterprise_values: dict[int, list] = defaultdict(list)
    for point_id, enterprise_id, ts, value, level in values:
        by_enterprise_values[enterprise_id].append([point_id, ts, value, level])
    messages = [("enterprise", e, {"kind": "values", "points": rows}) for e, rows in by_enterprise_values.items()]
    pushed = changes.pushed_events()
    if pushed:
        by_enterprise: dict[int, list] = defaultdict(list)
        for alarm, event in pushed:
            by_enterprise[alarm.enterprise_id].append(alarm_event_payload(alarm, event))
        paths = dict(Enterprise.objects.filter(pk__in=by_enterprise).values_list("pk", "organisation__region__path"))
        by_region: dict[str, list] = defaultdict(list)
        for enterprise_id, payloads in by_enterprise.items():
            messages.append(("enterprise", enterprise_id, {"kind": "alarms", "events": payloads}))
            for code in paths[enterprise_id].strip("/").split("/"):
                by_region[code] += payloads
        messages += [("region", code, {"kind": "alarms", "events": rows}) for code, rows in by_region.items()]
    live.broadcast_many(messages)


def pending_batches(limit: int = 1000) -> list[int]:
    cutoff = timezone.now() - STALE_AFTER
    return list(
        IngestBatch.objects.filter(processed_at__isnull=True, received_at__lt=cutoff).values_list("pk", flat=True)[
            :limit
        ]
    )


@transaction.atomic
def detect_offline(now: dt.datetime | None = None) -> int:
    """Points in use that reported before but sent nothing for ANQUAN_OFFLINE_PERIODS × their period
    go offline (离线): one offline alarm each, and a transition; gateways and enterprises with no point
    left online go offline too. Enterprises shut down or suspended are left out (ENT-08). Returns the
    number of offline alarms raised. Data arriving clears the alarm (``process_batch``)."""
    from .models import EnterpriseLink, OnlineTransition

    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE monitoring_pointstate s SET online = false, online_changed_at = %(now)s
              FROM monitoring_monitoringpoint p, enterprises_enterprise e
             WHERE p.id = s.point_id AND e.organisation_id = p.enterprise_id
               AND s.online AND p.in_use AND NOT p.deleted AND e.status = 'operating' AND NOT e.deleted
               AND s.received_at < %(now)s - (p.period_s * %(periods)s) * interval '1 second'
            RETURNING s.point_id, p.enterprise_id, s.value
            """,
            {"now": now, "periods": settings.ANQUAN_OFFLINE_PERIODS},
        )
        gone = cursor.fetchall()
        cursor.execute(
            """
            UPDATE monitoring_gateway g SET online = false, online_changed_at = %s
             WHERE g.online AND NOT EXISTS (SELECT 1 FROM monitoring_pointstate s WHERE s.gateway_id = g.id AND s.online)
            RETURNING g.id, g.enterprise_id
            """,
            [now],
        )
        gateways = cursor.fetchall()
    enterprises = list(
        EnterpriseLink.objects.filter(online=True)
        .exclude(enterprise__points__state__online=True)
        .values_list("enterprise_id", flat=True)
    )
    EnterpriseLink.objects.filter(enterprise_id__in=enterprises).update(online=False, online_changed_at=now)
    OnlineTransition.objects.bulk_create(
        [OnlineTransition(subject="point", subject_id=p, enterprise_id=e, ts=now, online=False) for p, e, _v in gone]
        + [
            OnlineTransition(subject="gateway", subject_id=g, enterprise_id=e, ts=now, online=False)
            for g, e in gateways
        ]
        + [
            OnlineTransition(subject="enterprise", subject_id=e, enterprise_id=e, ts=now, online=False)
            for e in enterprises
        ]
    )
    already = set(
        Alarm.objects.filter(point_id__in=[p for p, _e, _v in gone], side=OFFLINE, is_active=True).values_list(
            "point_id", flat=True
        )
    )
    changes = AlarmChanges({})
    for point_id, enterprise_id, value in gone:
        if point_id in already:
            continue
        alarm = Alarm(
            point_id=point_id,
            enterprise_id=enterprise_id,
            side=OFFLINE,
            level=OFFLINE,
            started_at=now,
            last_value=value,
        )
        changes.record(alarm, now, "raised", OFFLINE, None)
    changes.save()
    _push(changes, [])
    return len(changes.changed)

"""Sensor gateway ingestion (contract §2): one pipeline for HTTP and MQTT.

A request is authenticated (gateway id, HMAC-SHA256 over "<timestamp>\\n<body>", clock skew), its
readings validated one by one, and the valid ones stored with COPY in the same transaction as the
batch record, before the gateway is answered: "accepted" means durably stored. Processing (latest
values, alarms) happens afterwards in a worker, from the stored batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import DomainError

from .models import Gateway, IngestBatch, MonitoringPoint, Signal
from .services import gateway_secret
from .storage import store_readings


class IngestRejected(DomainError):
    """A whole request refused: the status code says why (400, 401, 403, 413, 429)."""

    def __init__(self, status_code: int, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


POINT_CACHE_TTL_S = 30.0
_points: dict[int, tuple[float, dict[str, tuple[int, str]]]] = {}
_secrets: dict[str, tuple[str, str]] = {}


def _points_of(enterprise_id: int, *, refresh: bool = False) -> dict[str, tuple[int, str]]:
    """Code → (point id, signal) of an enterprise's points in use, cached briefly per process."""
    cached = _points.get(enterprise_id)
    if cached and not refresh and time.monotonic() - cached[0] < POINT_CACHE_TTL_S:
        return cached[1]
    rows = (
        MonitoringPoint.objects.in_use().filter(enterprise_id=enterprise_id).values_list("code", "pk", "kind__signal")
    )
    table = {code: (pk, signal) for code, pk, signal in rows}
    _points[enterprise_id] = (time.monotonic(), table)
    return table


def authenticate(gateway_id: str, timestamp: str, signature: str, body: bytes) -> Gateway:
    gateway = (
        Gateway.objects.filter(gateway_id=gateway_id or "")
        .only("pk", "gateway_id", "enterprise_id", "is_enabled", "secret_encrypted", "secret_hint", "updated_at")
        .first()
    )
    if gateway is None:
        raise IngestRejected(401, _("Unknown gateway."))
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        raise IngestRejected(401, _("X-Timestamp must be unix seconds.")) from None
    if abs(time.time() - sent) > settings.ANQUAN_INGEST_MAX_SKEW_S:
        raise IngestRejected(401, _("X-Timestamp is too far from the server's time."))
    key = f"{gateway.pk}:{gateway.secret_hint}:{gateway.updated_at.timestamp()}"
    cached = _secrets.get(gateway.gateway_id)
    secret = cached[1] if cached and cached[0] == key else None
    if secret is None:
        secret = gateway_secret(gateway) or ""
        _secrets[gateway.gateway_id] = (key, secret)
    expected = hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, (signature or "").strip().lower()):
        raise IngestRejected(401, _("Bad signature."))
    if not gateway.is_enabled:
        raise IngestRejected(403, _("This gateway is disabled."))
    return gateway


def parse(body: bytes) -> list:
    if len(body) > settings.ANQUAN_INGEST_MAX_BYTES:
        raise IngestRejected(413, _("The request is larger than 2 MiB."))
    try:
        data = json.loads(body)  # the standard parser accepts NaN/Infinity, rejected per reading below
    except (ValueError, UnicodeDecodeError):
        raise IngestRejected(400, _("The body is not valid JSON.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("readings"), list):
        raise IngestRejected(400, _('The body must be an object with a "readings" list.'))
    readings = data["readings"]
    if not readings:
        raise IngestRejected(400, _("At least one reading is required."))
    if len(readings) > settings.ANQUAN_INGEST_MAX_READINGS:
        raise IngestRejected(413, _("At most 5,000 readings per request."))
    return readings


@dataclass
class Outcome:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


def _timestamp(raw) -> dt.datetime:
    if not isinstance(raw, str):
        raise ValueError
    value = dt.datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise ValueError
    return value


def validate(readings: list, points: dict[str, tuple[int, str]], now: dt.datetime, refresh) -> tuple[list, list]:
    """(rows to store, per-reading rejections). ``refresh()`` reloads the point table once on a miss."""
    future = now + dt.timedelta(seconds=settings.ANQUAN_INGEST_MAX_FUTURE_S)
    oldest = now - dt.timedelta(days=settings.ANQUAN_READING_RETENTION_DAYS)
    rows, rejected, refreshed = [], [], False
    for index, reading in enumerate(readings):
        if not isinstance(reading, dict):
            rejected.append({"index": index, "error": "not an object"})
            continue
        code = reading.get("point")
        point = points.get(code) if isinstance(code, str) else None
        if point is None and isinstance(code, str) and not refreshed:
            points, refreshed = refresh(), True
            point = points.get(code)
        if point is None:
            rejected.append({"index": index, "error": "unknown point"})
            continue
        try:
            ts = _timestamp(reading.get("ts"))
        except ValueError:
            rejected.append({"index": index, "error": "ts must be ISO 8601 with an offset"})
            continue
        if ts > future:
            rejected.append({"index": index, "error": "ts is more than 5 minutes in the future"})
            continue
        if ts < oldest:
            rejected.append({"index": index, "error": "ts is older than the retention window"})
            continue
        value = reading.get("value")
        if point[1] == Signal.SWITCH:
            if not isinstance(value, bool):
                rejected.append({"index": index, "error": "a switch signal takes true or false"})
                continue
            value = 1.0 if value else 0.0
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                rejected.append({"index": index, "error": "an analog point takes a number"})
                continue
            if not math.isfinite(value):
                rejected.append({"index": index, "error": "NaN and Infinity are not values"})
                continue
            value = float(value)
        rows.append((point[0], ts, value))
    return rows, rejected


def ingest(gateway: Gateway, readings: list, *, source: str) -> Outcome:
    """Validate and durably store one request's readings; schedule their processing after commit."""
    now = timezone.now()
    points = _points_of(gateway.enterprise_id)
    rows, rejected = validate(readings, points, now, lambda: _points_of(gateway.enterprise_id, refresh=True))
    outcome = Outcome(rejected=rejected)
    unique: dict[tuple[int, dt.datetime], tuple] = {}
    for row in rows:
        unique.setdefault((row[0], row[1]), row)  # the first of a (point, ts) pair counts
    outcome.duplicates = len(rows) - len(unique)
    if not unique:
        return outcome
    values = list(unique.values())
    with transaction.atomic():
        batch = IngestBatch.objects.create(gateway=gateway, source=source)
        inserted = store_readings(values, batch.pk)
        outcome.accepted = inserted
        outcome.duplicates += len(values) - inserted
        if not inserted:
            batch.delete()  # a pure replay leaves no trace
            return outcome
        transaction.on_commit(lambda: _schedule(batch.pk))
    return outcome


RETRY_AFTER_S = 5
_backlog = [0.0, 0]  # (checked at, unprocessed batches): counted at most once a second per process


def check_backlog() -> None:
    """Load shedding: while the workers are far behind, refuse new batches with 429 (the gateway
    keeps its data and retries after Retry-After) rather than queueing without bound."""
    now = time.monotonic()
    if now - _backlog[0] > 1.0:
        limit = settings.ANQUAN_INGEST_MAX_PENDING_BATCHES
        _backlog[0], _backlog[1] = now, IngestBatch.objects.filter(processed_at__isnull=True)[: limit + 1].count()
    if _backlog[1] > settings.ANQUAN_INGEST_MAX_PENDING_BATCHES:
        raise IngestRejected(429, _("The platform is busy; retry later."), retry_after=RETRY_AFTER_S)


def _schedule(batch_id: int) -> None:
    from .tasks import process_batch

    process_batch.delay(batch_id)

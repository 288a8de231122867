"""The verbs of monitoring configuration: points with their thresholds, and gateways."""

from __future__ import annotations

import json
import math
import re
import secrets
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.core import secrets as secret_store
from apps.core.exceptions import InvalidInput
from apps.enterprises.access import require_enterprise_write

from .models import Gateway, MeasurementKind, MonitoringPoint

KINDS_FILE = Path(settings.BASE_DIR) / "fixtures" / "facilities" / "measurement_kinds.json"


@transaction.atomic
def load_measurement_kinds(path: Path = KINDS_FILE) -> int:
    rows = json.loads(path.read_text(encoding="utf-8"))
    for row in rows:
        low, high = (row.get("typical_range") or [None, None])[:2]
        MeasurementKind.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_en": row.get("name_en", ""),
                "unit": row.get("unit", ""),
                "signal": row.get("signal", "analog"),
                "industries": row.get("industries", []),
                "typical_low": low,
                "typical_high": high,
            },
        )
    return len(rows)


THRESHOLD_LABELS = {
    "low_low": lambda: _("Low-low"),
    "low": lambda: _("Low"),
    "high": lambda: _("High"),
    "high_high": lambda: _("High-high"),
}


def threshold_errors(values: dict) -> dict:
    """Field errors when thresholds are out of order or outside the measuring range."""
    errors = {}
    for name, value in values.items():
        if value is not None and not math.isfinite(value):
            errors[name] = [_("A finite number is required.")]
            values = {**values, name: None}
    low, high = values.get("range_low"), values.get("range_high")
    if low is not None and high is not None and low >= high:
        errors["range_high"] = [_("The top of the range must be above its bottom.")]
    given = [(f, values.get(f)) for f in MonitoringPoint.THRESHOLDS if values.get(f) is not None]
    for (name_a, a), (name_b, b) in zip(given, given[1:], strict=False):
        if a > b:
            errors[name_b] = [
                _("%(b)s must not be below %(a)s.") % {"b": THRESHOLD_LABELS[name_b](), "a": THRESHOLD_LABELS[name_a]()}
            ]
    for name, value in given:
        if (low is not None and value < low) or (high is not None and value > high):
            errors.setdefault(name, []).append(_("Outside the measuring range."))
    return errors


def _validated_point(point: MonitoringPoint) -> None:
    values = {f: getattr(point, f) for f in ("range_low", "range_high", *MonitoringPoint.THRESHOLDS)}
    errors = threshold_errors(values)
    if point.facility.enterprise_id != point.enterprise_id:
        errors["facility"] = [_("The facility belongs to another enterprise.")]
    if point.kind.signal == "switch" and any(values[f] is not None for f in MonitoringPoint.THRESHOLDS):
        errors["kind"] = [_("A switch signal has no analog thresholds.")]
    if errors:
        raise InvalidInput(_("The monitoring point is invalid."), errors=errors)


def _save(point: MonitoringPoint) -> MonitoringPoint:
    _validated_point(point)
    try:
        with transaction.atomic():
            point.save()
    except IntegrityError:
        raise InvalidInput(
            _("Code %(code)s is already used in this enterprise.") % {"code": point.code}, field="code"
        ) from None
    return point


@transaction.atomic
def create_point(actor, *, facility, kind: MeasurementKind, code: str, name: str, **fields) -> MonitoringPoint:
    require_enterprise_write(actor, facility.enterprise, MonitoringPoint, "add")
    fields.setdefault("unit", kind.unit)
    point = MonitoringPoint(
        enterprise=facility.enterprise, facility=facility, kind=kind, code=code.strip(), name=name.strip(), **fields
    )
    return _save(point)


@transaction.atomic
def update_point(actor, point: MonitoringPoint, **changes) -> MonitoringPoint:
    require_enterprise_write(actor, point.enterprise, MonitoringPoint, "change")
    for field, value in changes.items():
        setattr(point, field, value)
    return _save(point)


@transaction.atomic
def retire_point(actor, point: MonitoringPoint) -> MonitoringPoint:
    """Soft delete: the point leaves lists and ingestion but its record (and code) stays."""
    require_enterprise_write(actor, point.enterprise, MonitoringPoint, "change")
    point.deleted, point.in_use = True, False
    point.save(update_fields=["deleted", "in_use", "updated_at"])
    return point


# A gateway id is also the MQTT username and a topic level (contract §2): a slug, 3–64 characters.
GATEWAY_ID = re.compile(r"^[-a-zA-Z0-9_]{3,64}$")


@transaction.atomic
def create_gateway(actor, *, enterprise, gateway_id: str, name: str = "") -> tuple[Gateway, str]:
    """A gateway with a new secret; the secret is returned once and kept only encrypted."""
    require_enterprise_write(actor, enterprise, Gateway, "add")
    gateway_id = (gateway_id or "").strip()
    if not GATEWAY_ID.match(gateway_id):
        raise InvalidInput(_("A gateway id has 3 to 64 letters, digits, hyphens or underscores."), field="gateway_id")
    taken = InvalidInput(_("Gateway id %(id)s is already registered.") % {"id": gateway_id}, field="gateway_id")
    if Gateway.objects.filter(gateway_id=gateway_id).exists():
        raise taken
    secret = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            gateway = Gateway.objects.create(
                enterprise=enterprise,
                gateway_id=gateway_id,
                name=name,
                secret_encrypted=secret_store.encrypt(secret),
                secret_hint=secret[:4],
            )
    except IntegrityError:  # registered concurrently
        raise taken from None
    return gateway, secret


@transaction.atomic
def update_gateway(actor, gateway: Gateway, **changes) -> Gateway:
    """Rename, enable or disable a gateway (a disabled gateway's requests are refused, contract §2)."""
    require_enterprise_write(actor, gateway.enterprise, Gateway, "change")
    for field, value in changes.items():
        setattr(gateway, field, value)
    gateway.save(update_fields=[*changes, "updated_at"])
    return gateway


@transaction.atomic
def rotate_gateway_secret(actor, gateway: Gateway) -> str:
    require_enterprise_write(actor, gateway.enterprise, Gateway, "change")
    secret = secrets.token_urlsafe(32)
    gateway.secret_encrypted, gateway.secret_hint = secret_store.encrypt(secret), secret[:4]
    gateway.save(update_fields=["secret_encrypted", "secret_hint", "updated_at"])
    return secret


def gateway_secret(gateway: Gateway) -> str | None:
    """The HMAC key, for the ingestion path only."""
    return secret_store.decrypt(gateway.secret_encrypted)


def overview_section(enterprise, user) -> dict:
    """Monitoring configuration of an enterprise for its one-screen page (readings and alarms come later)."""
    from django.db.models import Count

    points = MonitoringPoint.objects.in_use().filter(enterprise=enterprise)
    by_kind = points.values("kind__name").annotate(n=Count("pk")).order_by("-n")
    return {
        "points": points.count(),
        "by_kind": [{"name": r["kind__name"], "count": r["n"]} for r in by_kind],
        "gateways": [
            {"gateway_id": g.gateway_id, "enabled": g.is_enabled, "last_seen_at": g.last_seen_at}
            for g in Gateway.objects.filter(enterprise=enterprise)
        ],
    }


@transaction.atomic
def record_handling(actor, alarm, *, cause: str, measures: str, result: str, handler: str = ""):
    """Handling feedback (处置反馈) on an alarm, by the enterprise; regulators see it."""
    from django.utils import timezone

    from .models import Alarm

    require_enterprise_write(actor, alarm.enterprise, Alarm, "change")
    if not (cause.strip() and measures.strip() and result.strip()):
        raise InvalidInput(_("Cause, measures and result are required."), field="result")
    alarm.cause, alarm.measures, alarm.result = cause.strip(), measures.strip(), result.strip()
    alarm.handler = handler.strip() or (actor.real_name or actor.username if actor is not None else "")
    alarm.handled_at, alarm.handled_by = timezone.now(), actor
    alarm.save(update_fields=["cause", "measures", "result", "handler", "handled_at", "handled_by"])
    return alarm


def alarm_event_payload(alarm, event) -> dict:
    """One alarm event for live push: the level and value at that event (several events of one alarm
    can leave in the same message), with the alarm's identity and times."""
    return {
        "kind": f"alarm.{event.event}",
        "alarm": alarm.pk,
        "point": alarm.point_id,
        "enterprise": alarm.enterprise_id,
        "side": alarm.side,
        "level": event.level,
        "value": event.value if event.value is not None else alarm.last_value,
        "ts": event.ts.isoformat(),
        "started_at": alarm.started_at.isoformat(),
        "ended_at": alarm.ended_at.isoformat() if alarm.ended_at else None,
    }


def can_watch_region(user, code: str) -> bool:
    """Live push: a regulator may follow the alarms of a region inside its jurisdiction."""
    from apps.core.scoping import AccessScope
    from apps.regions.models import Region

    scope = AccessScope.of(user)
    region = Region.objects.filter(code=code).only("path").first()
    if region is None:
        return False
    return scope.kind == AccessScope.ALL or (
        scope.kind == AccessScope.REGION and region.path.startswith(scope.region_path)
    )


# Maintenance and calibration windows (检维修/标定) -------------------------------------------------------------------


def _window_target(point, facility):
    """The enterprise a window is declared for, from its point or facility (a point must sit on the
    facility when both are named)."""
    if point is None and facility is None:
        raise InvalidInput(_("Name a monitoring point or a facility."), field="point")
    if point is not None and facility is not None and point.facility_id != facility.pk:
        raise InvalidInput(_("The point is not on this facility."), field="point")
    return point.enterprise if point is not None else facility.enterprise


def _check_window_times(starts_at, ends_at) -> None:
    from datetime import timedelta

    if ends_at <= starts_at:
        raise InvalidInput(_("A window must end after it starts."), field="ends_at")
    longest = settings.ANQUAN_MAINTENANCE_WINDOW_MAX_DAYS
    if ends_at - starts_at > timedelta(days=longest):
        raise InvalidInput(_("A window lasts at most %(days)s days.") % {"days": longest}, field="ends_at")


@transaction.atomic
def declare_maintenance_window(
    actor, *, point=None, facility=None, starts_at, ends_at, reason: str = "maintenance", note: str = ""
):
    """An enterprise declares a maintenance/calibration window for a point or a whole facility:
    alarms raised inside it are recorded but not pushed (``processing``), and regulators see it."""
    from django.utils import timezone

    from .models import MaintenanceWindow

    enterprise = _window_target(point, facility)
    require_enterprise_write(actor, enterprise, MaintenanceWindow, "add")
    _check_window_times(starts_at, ends_at)
    if ends_at <= timezone.now():
        raise InvalidInput(_("The window is already over."), field="ends_at")
    return MaintenanceWindow.objects.create(
        enterprise=enterprise,
        point=point,
        facility=None if point is not None else facility,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        note=note.strip(),
        created_by=actor,
    )


@transaction.atomic
def update_maintenance_window(actor, window, **changes):
    """Move, shorten or annotate a window that has not been cancelled."""
    from apps.core.exceptions import ConflictError

    from .models import MaintenanceWindow

    require_enterprise_write(actor, window.enterprise, MaintenanceWindow, "change")
    if window.cancelled:
        raise ConflictError(_("The window has been cancelled."))
    for field, value in changes.items():
        setattr(window, field, value.strip() if field == "note" else value)
    _check_window_times(window.starts_at, window.ends_at)
    window.save(update_fields=[*changes, "updated_at"])
    return window


@transaction.atomic
def cancel_maintenance_window(actor, window):
    """Cancel a window (kept for the record): alarms from now on are pushed again."""
    from django.utils import timezone

    from apps.core.exceptions import ConflictError

    from .models import MaintenanceWindow

    require_enterprise_write(actor, window.enterprise, MaintenanceWindow, "change")
    if window.cancelled:
        return window
    if window.ends_at <= timezone.now():
        raise ConflictError(_("The window is already over."))
    window.cancelled = True
    window.save(update_fields=["cancelled", "updated_at"])
    return window

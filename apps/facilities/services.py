"""The verbs of facilities: register, change, and the dated life-cycle (在用/停用/报废)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.attributes import check_schema, validate_attributes
from apps.core.exceptions import InvalidInput
from apps.enterprises.access import require_enterprise_write

from .models import Facility, FacilityKind, FacilityStatus, FacilityStatusChange, RopeAction, WireRopeRecord

KINDS_FILE = Path(settings.BASE_DIR) / "fixtures" / "facilities" / "facility_kinds.json"


@transaction.atomic
def load_facility_kinds(path: Path = KINDS_FILE) -> int:
    rows = json.loads(path.read_text(encoding="utf-8"))
    problems = [f"{r['code']}: {p}" for r in rows for p in check_schema(r.get("attributes", []))]
    if problems:
        raise InvalidInput("; ".join(problems[:20]))
    for sort, row in enumerate(rows):
        FacilityKind.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_en": row.get("name_en", ""),
                "industries": row.get("industries", []),
                "parent_kinds": row.get("parent_kinds", []),
                "attributes": row.get("attributes", []),
                "sort": row.get("sort", sort),
            },
        )
    return len(rows)


def _check_parent(kind: FacilityKind, parent: Facility | None, enterprise) -> None:
    if parent is None:
        return
    if parent.enterprise_id != enterprise.pk:
        raise InvalidInput(_("The parent facility belongs to another enterprise."), field="parent")
    if kind.parent_kinds and parent.kind.code not in kind.parent_kinds:
        raise InvalidInput(
            _("A %(kind)s cannot sit under a %(parent)s.") % {"kind": kind.name, "parent": parent.kind.name},
            field="parent",
        )


@transaction.atomic
def register_facility(
    actor,
    *,
    enterprise,
    kind: FacilityKind,
    code: str,
    name: str,
    parent=None,
    attributes=None,
    location=None,
    registration_code="",
) -> Facility:
    require_enterprise_write(actor, enterprise, Facility, "add")
    _check_parent(kind, parent, enterprise)
    facility = Facility(
        enterprise=enterprise,
        kind=kind,
        code=code.strip(),
        name=name.strip(),
        parent=parent,
        attributes=validate_attributes(kind.attributes, attributes),
        location=location,
        registration_code=registration_code,
    )
    try:
        with transaction.atomic():
            facility.save()
    except IntegrityError:
        raise InvalidInput(
            _("Code %(code)s is already used in this enterprise.") % {"code": code}, field="code"
        ) from None
    return facility


@transaction.atomic
def update_facility(actor, facility: Facility, **changes) -> Facility:
    require_enterprise_write(actor, facility.enterprise, Facility, "change")
    if "attributes" in changes:
        merged = {**facility.attributes, **(changes.pop("attributes") or {})}
        facility.attributes = validate_attributes(facility.kind.attributes, merged)
    if "parent" in changes:
        _check_parent(facility.kind, changes["parent"], facility.enterprise)
    for field, value in changes.items():
        setattr(facility, field, value)
    try:
        with transaction.atomic():
            facility.save()
    except IntegrityError:
        raise InvalidInput(
            _("Code %(code)s is already used in this enterprise.") % {"code": facility.code}, field="code"
        ) from None
    return facility


@transaction.atomic
def change_status(
    actor, facility: Facility, status: str, *, effective_on: dt.date | None = None, reason: str = ""
) -> FacilityStatusChange:
    """Put a facility in service, stop (停用) or scrap (报废) it, keeping a dated record; scrapping is final."""
    require_enterprise_write(actor, facility.enterprise, Facility, "change")
    if status not in FacilityStatus.values:
        raise InvalidInput(_("Unknown status %(status)s.") % {"status": status}, field="status")
    if facility.status == FacilityStatus.SCRAPPED:
        raise InvalidInput(_("A scrapped facility cannot change status."), field="status")
    if status == facility.status:
        raise InvalidInput(_("The facility already has this status."), field="status")
    facility.status = status
    facility.save(update_fields=["status", "updated_at"])
    return FacilityStatusChange.objects.create(
        facility=facility,
        status=status,
        effective_on=effective_on or timezone.localdate(),
        reason=reason,
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
    )


def overview_section(enterprise, user) -> dict:
    """Facilities of an enterprise for its one-screen page: counts by kind and status, and the list."""
    from django.db.models import Count

    facilities = Facility.objects.active().filter(enterprise=enterprise)
    by_kind = facilities.values("kind__code", "kind__name").annotate(n=Count("pk")).order_by("kind__name")
    by_status = dict(facilities.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_kind": [{"code": r["kind__code"], "name": r["kind__name"], "count": r["n"]} for r in by_kind],
        "items": [
            {"id": f.pk, "code": f.code, "name": f.name, "kind": f.kind.name, "status": f.status, "parent": f.parent_id}
            for f in facilities.select_related("kind").order_by("code")[:200]
        ],
    }


ROPE_KIND = "wire_rope"
DEFAULT_ROPE_INTERVAL_DAYS = 30


@transaction.atomic
def record_rope_work(
    actor, rope: Facility, *, action: str, performed_on: dt.date, passed: bool = True, notes: str = ""
) -> WireRopeRecord:
    """Record an inspection or replacement of a wire rope and set its next inspection date."""
    require_enterprise_write(actor, rope.enterprise, Facility, "change")
    if rope.kind.code != ROPE_KIND:
        raise InvalidInput(_("Only wire ropes have inspection and replacement records."), field="facility")
    if action not in RopeAction.values:
        raise InvalidInput(_("Unknown action %(action)s.") % {"action": action}, field="action")
    if performed_on > timezone.localdate():
        raise InvalidInput(_("The date cannot be in the future."), field="performed_on")
    interval = int(rope.attributes.get("inspection_interval_days") or DEFAULT_ROPE_INTERVAL_DAYS)
    # A failed inspection leaves the rope due now: it must be replaced.
    next_due = (
        performed_on + dt.timedelta(days=interval) if passed or action == RopeAction.REPLACEMENT else performed_on
    )
    return WireRopeRecord.objects.create(
        facility=rope,
        action=action,
        performed_on=performed_on,
        passed=passed,
        notes=notes,
        next_due_on=next_due,
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
    )


def ropes_due(facilities, *, within_days: int = 7):
    """Wire ropes in service whose next inspection is due within ``within_days`` (or never inspected)."""
    from django.db.models import OuterRef, Q, Subquery

    latest = WireRopeRecord.objects.filter(facility=OuterRef("pk")).order_by("-performed_on", "-id")
    horizon = timezone.localdate() + dt.timedelta(days=within_days)
    return (
        facilities.filter(kind__code=ROPE_KIND, status=FacilityStatus.IN_SERVICE, deleted=False)
        .annotate(
            next_due_on=Subquery(latest.values("next_due_on")[:1]),
            last_done_on=Subquery(latest.values("performed_on")[:1]),
        )
        .filter(Q(next_due_on__isnull=True) | Q(next_due_on__lte=horizon))
        .order_by("next_due_on")
    )


def facility_stats(facilities, dimension: str) -> list[dict]:
    """Counts of facilities by kind, status or the enterprise's city (ENT-03: by class and region)."""
    from django.db.models import Count

    facilities = facilities.order_by()
    if dimension == "kind":
        rows = facilities.values("kind__code", "kind__name").annotate(n=Count("pk")).order_by("-n", "kind__code")
        return [{"key": r["kind__code"], "label": r["kind__name"], "count": r["n"]} for r in rows]
    if dimension == "status":
        counts = dict(facilities.values_list("status").annotate(n=Count("pk")))
        return [{"key": k, "label": str(v), "count": counts.get(k, 0)} for k, v in FacilityStatus.choices]
    if dimension == "city":
        from apps.regions.models import Region

        rows = facilities.values("enterprise__organisation__region__path").annotate(n=Count("pk"))
        counts: dict[str, int] = {}
        for row in rows:
            city = row["enterprise__organisation__region__path"].strip("/").split("/")[1]
            counts[city] = counts.get(city, 0) + row["n"]
        names = dict(Region.objects.filter(code__in=counts).values_list("code", "name"))
        return [{"key": c, "label": names.get(c, c), "count": n} for c, n in sorted(counts.items())]
    raise InvalidInput(_("group_by must be one of: %(values)s") % {"values": "kind, status, city"}, field="group_by")

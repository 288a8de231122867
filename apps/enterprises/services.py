"""The verbs of the enterprise registry."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.exceptions import OutsideJurisdiction
from apps.accounts.models import Organisation, OrganisationKind
from apps.core import live
from apps.core.exceptions import InvalidInput, PermissionDeniedError
from apps.regions.models import RegionKind

from .models import Annotation, Enterprise, Industry, OperatingStatus, Shutdown

ENTERPRISE_REGION_KINDS = (RegionKind.COUNTY, RegionKind.PARK)


def can_watch_enterprise(user, key: str) -> bool:
    """Live-push authorisation: the user may subscribe to an enterprise it can see."""
    return key.isdigit() and Enterprise.objects.for_user(user).filter(pk=int(key)).exists()


def _industries(codes) -> list[Industry]:
    codes = list(dict.fromkeys(codes or []))
    found = {i.code: i for i in Industry.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise InvalidInput(_("Unknown industries: %(codes)s") % {"codes": ", ".join(unknown)}, field="industries")
    return [found[c] for c in codes]


def _check_location(location: Point | None, region) -> None:
    if location is None or region.geometry is None:
        return
    # Tolerate a point a little outside approximate boundaries (about 2 km).
    if not region.geometry.buffer(0.02).contains(location):
        raise InvalidInput(_("The location is outside %(region)s") % {"region": region.name}, field="location")


# Base-information fields an enterprise keeps (the identity — name, USCC, region — lives on its organisation).
BASE_FIELDS = (
    "address",
    "location",
    "legal_representative",
    "principal",
    "principal_phone",
    "safety_manager",
    "safety_manager_phone",
    "status",
    "hazchem_category",
    "dust_kinds",
    "dust_workers",
    "scale",
    "employees",
    "economic_type",
    "affiliation",
    "supervision_level",
    "monitoring_connected",
    "registration_code",
    "province_code",
    "special_info",
)
# Fields holding codes of a code table (fixtures/codes/<table>.json).
CODED_FIELDS = {
    "hazchem_category": "hazchem_category",
    "dust_kinds": "dust_kind",
    "scale": "enterprise_scale",
    "economic_type": "economic_type",
    "affiliation": "affiliation",
    "supervision_level": "supervision_level",
}


def _clean_base(values: dict, industries: list[Industry]) -> dict:
    """Validate codes against their tables and the special information against each industry's schema."""
    from apps.core.attributes import validate_attributes
    from apps.core.codes import check_codes

    for field, table in CODED_FIELDS.items():
        if values.get(field):
            check_codes(table, values[field], field=field)
    if values.get("province_code") and not (values["province_code"].isdigit() and len(values["province_code"]) == 9):
        raise InvalidInput(_("The provincial enterprise code has 9 digits."), field="province_code")
    if "special_info" in values:
        special = values["special_info"] or {}
        by_code = {i.code: i for i in industries}
        unknown = [code for code in special if code not in by_code]
        if unknown:
            raise InvalidInput(
                _("No special information for industries the enterprise is not in: %(codes)s")
                % {"codes": ", ".join(unknown)},
                field="special_info",
            )
        values["special_info"] = {
            code: validate_attributes(
                by_code[code].special_attributes, special.get(code, {}), field=f"special_info.{code}"
            )
            for code in special
        }
    return values


@transaction.atomic
def register_enterprise(actor, *, name, uscc, region, industries=(), **base) -> Enterprise:
    """Register an enterprise (企业登记): its organisation and registry record, in the actor's jurisdiction."""
    if actor is not None and not actor.has_perm("enterprises.add_enterprise"):
        raise PermissionDeniedError()
    if region.kind not in ENTERPRISE_REGION_KINDS:
        raise InvalidInput(_("An enterprise must be registered in a county or a chemical park"), field="region")
    scope = actor.access_scope if actor is not None and not actor.is_superuser else None
    if (
        scope is not None
        and scope.kind != "all"
        and not (scope.kind == "region" and region.path.startswith(scope.region_path))
    ):
        raise OutsideJurisdiction(_("You can only register enterprises within your jurisdiction"))
    unknown = set(base) - set(BASE_FIELDS)
    if unknown:
        raise InvalidInput(_("Cannot change: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    organisation = Organisation(name=name, kind=OrganisationKind.ENTERPRISE, region=region, uscc=uscc)
    try:
        organisation.full_clean()
    except ValidationError as exc:
        raise InvalidInput.from_validation_error(exc) from exc
    industry_objs = _industries(industries)
    base = _clean_base({k: v for k, v in base.items() if v is not None}, industry_objs)
    _check_location(base.get("location"), region)
    organisation.save()
    enterprise = Enterprise.objects.create(organisation=organisation, **base)
    enterprise.industries.set(industry_objs)
    return enterprise


@transaction.atomic
def update_enterprise(actor, enterprise: Enterprise, **changes) -> Enterprise:
    """Change an enterprise's base information (信息维护); identity (USCC, region) stays with regulators."""
    from .access import require_enterprise_write

    require_enterprise_write(actor, enterprise, Enterprise, "change")
    organisation = enterprise.organisation
    if "name" in changes:
        organisation.name = changes.pop("name")
        organisation.save(update_fields=["name", "updated_at"])
    if "industries" in changes:
        enterprise.industries.set(_industries(changes.pop("industries")))
    unknown = set(changes) - set(BASE_FIELDS)
    if unknown:
        raise InvalidInput(_("Cannot change: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    changes = _clean_base(changes, list(enterprise.industries.all()))
    if "location" in changes:
        _check_location(changes["location"], organisation.region)
    for field, value in changes.items():
        setattr(enterprise, field, value)
    enterprise.save()
    live.broadcast("enterprise", enterprise.pk, {"kind": "enterprise.updated", "id": enterprise.pk})
    return enterprise


@transaction.atomic
def record_shutdown(actor, enterprise: Enterprise, *, starts_on, reason, ends_on=None) -> Shutdown:
    """A shutdown period (停工停产); the enterprise is suspended while one is in force (ENT-06/08)."""
    from .access import require_enterprise_write

    require_enterprise_write(actor, enterprise, Enterprise, "change")
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput(_("The end of a shutdown cannot precede its start."), field="ends_on")
    overlapping = enterprise.shutdowns.filter(starts_on__lte=ends_on or dt.date.max).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    )
    if overlapping.exists():
        raise InvalidInput(_("This period overlaps another shutdown."), field="starts_on")
    shutdown = Shutdown.objects.create(
        enterprise=enterprise,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        recorded_by=actor if actor is not None else None,
    )
    refresh_operating_status(enterprise)
    return shutdown


@transaction.atomic
def end_shutdown(actor, shutdown: Shutdown, *, ends_on) -> Shutdown:
    from .access import require_enterprise_write

    require_enterprise_write(actor, shutdown.enterprise, Enterprise, "change")
    if ends_on < shutdown.starts_on:
        raise InvalidInput(_("The end of a shutdown cannot precede its start."), field="ends_on")
    shutdown.ends_on = ends_on
    shutdown.save(update_fields=["ends_on"])
    refresh_operating_status(shutdown.enterprise)
    return shutdown


def in_shutdown(enterprise: Enterprise, on: dt.date | None = None) -> bool:
    on = on or timezone.localdate()
    return enterprise.shutdowns.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on)).exists()


def refresh_operating_status(enterprise: Enterprise) -> None:
    """Suspended while a shutdown is in force, operating otherwise; a closed enterprise stays closed."""
    if enterprise.status == OperatingStatus.CLOSED:
        return
    status = OperatingStatus.SUSPENDED if in_shutdown(enterprise) else OperatingStatus.OPERATING
    if status != enterprise.status:
        enterprise.status = status
        enterprise.save(update_fields=["status", "updated_at"])


def annotate(actor, enterprise: Enterprise, text: str) -> Annotation:
    """A regulator's note (监管批注) on an enterprise in its jurisdiction."""
    if not Enterprise.objects.for_user(actor).filter(pk=enterprise.pk).exists():
        raise InvalidInput(_("Unknown enterprise."), field="enterprise")
    if not actor.has_perm("enterprises.add_annotation"):
        raise PermissionDeniedError(_("Only regulators annotate enterprises."))
    if not text.strip():
        raise InvalidInput(_("The note is empty."), field="text")
    return Annotation.objects.create(enterprise=enterprise, author=actor, text=text.strip())

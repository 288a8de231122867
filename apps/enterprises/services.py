"""The verbs of the enterprise registry."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.exceptions import OutsideJurisdiction
from apps.accounts.models import Organisation, OrganisationKind
from apps.core import live
from apps.core.exceptions import InvalidInput, PermissionDeniedError
from apps.regions.models import RegionKind

from .models import Enterprise, Industry

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


@transaction.atomic
def register_enterprise(
    actor,
    *,
    name,
    uscc,
    region,
    industries=(),
    address="",
    location=None,
    legal_representative="",
    safety_contact="",
    contact_phone="",
    status=None,
) -> Enterprise:
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
    organisation = Organisation(name=name, kind=OrganisationKind.ENTERPRISE, region=region, uscc=uscc)
    try:
        organisation.full_clean()
    except ValidationError as exc:
        raise InvalidInput.from_validation_error(exc) from exc
    _check_location(location, region)
    organisation.save()
    enterprise = Enterprise.objects.create(
        organisation=organisation,
        address=address,
        location=location,
        legal_representative=legal_representative,
        safety_contact=safety_contact,
        contact_phone=contact_phone,
        **({"status": status} if status else {}),
    )
    enterprise.industries.set(_industries(industries))
    return enterprise


@transaction.atomic
def update_enterprise(actor, enterprise: Enterprise, **changes) -> Enterprise:
    """Change an enterprise's base information; identity (USCC, region) changes go through regulators."""
    organisation = enterprise.organisation
    if "name" in changes:
        organisation.name = changes.pop("name")
        organisation.save(update_fields=["name", "updated_at"])
    if "industries" in changes:
        enterprise.industries.set(_industries(changes.pop("industries")))
    if "location" in changes:
        _check_location(changes["location"], organisation.region)
    for field, value in changes.items():
        setattr(enterprise, field, value)
    enterprise.save()
    live.broadcast("enterprise", enterprise.pk, {"kind": "enterprise.updated", "id": enterprise.pk})
    return enterprise

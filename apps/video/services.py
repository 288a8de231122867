"""The verbs of video: register, change and retire cameras."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput
from apps.enterprises.access import require_enterprise_write

from .models import Camera
from .validators import camera_code_error


def _code_taken(code: str) -> InvalidInput:
    return InvalidInput(_("Camera code %(code)s is already registered.") % {"code": code}, field="code")


def _validated(camera: Camera) -> None:
    errors = {}
    problem = camera_code_error(camera.code, province_code=camera.enterprise.province_code)
    if problem:
        errors["code"] = [problem]
    elif Camera.objects.filter(code=camera.code).exclude(pk=camera.pk).exists():
        errors["code"] = [_code_taken(camera.code).message]
    if camera.facility is not None and camera.facility.enterprise_id != camera.enterprise_id:
        errors["facility"] = [_("The facility belongs to another enterprise.")]
    if errors:
        raise InvalidInput(_("The camera is invalid."), errors=errors)


def _save(camera: Camera) -> Camera:
    _validated(camera)
    try:
        with transaction.atomic():
            camera.save()
    except IntegrityError:  # registered concurrently
        raise _code_taken(camera.code) from None
    return camera


@transaction.atomic
def register_camera(
    actor,
    *,
    enterprise,
    code: str,
    name: str,
    facility=None,
    position: str = "",
    location=None,
    stream_url: str = "",
    in_use: bool = True,
) -> Camera:
    require_enterprise_write(actor, enterprise, Camera, "add")
    camera = Camera(
        enterprise=enterprise,
        facility=facility,
        code=(code or "").strip(),
        name=name.strip(),
        position=position,
        location=location,
        stream_url=stream_url,
        in_use=in_use,
    )
    return _save(camera)


@transaction.atomic
def update_camera(actor, camera: Camera, **changes) -> Camera:
    require_enterprise_write(actor, camera.enterprise, Camera, "change")
    if "code" in changes:
        changes["code"] = (changes["code"] or "").strip()
    for field, value in changes.items():
        setattr(camera, field, value)
    return _save(camera)


@transaction.atomic
def retire_camera(actor, camera: Camera) -> Camera:
    """Soft delete: the camera leaves lists but its record (and code) stays."""
    require_enterprise_write(actor, camera.enterprise, Camera, "change")
    camera.deleted, camera.in_use = True, False
    camera.save(update_fields=["deleted", "in_use", "updated_at"])
    return camera


def overview_section(enterprise, user) -> list[dict]:
    """Cameras of an enterprise for its one-screen page (links to streams, never video itself)."""
    from .models import Camera

    return [
        {
            "code": c.code,
            "name": c.name,
            "position": c.position,
            "in_use": c.in_use,
            "facility": c.facility.name if c.facility_id else "",
        }
        for c in Camera.objects.active().filter(enterprise=enterprise).select_related("facility")
    ]

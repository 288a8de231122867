"""Cameras (视频监控点) of enterprises, identified by GB/T 28181 codes."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import SoftDeleteModel
from apps.core.scoping import ScopedQuerySet


class CameraQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(deleted=False)


class Camera(SoftDeleteModel):
    """A camera (摄像机) with its GB/T 28181 code; Anquan keeps links to the streams, not the video."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="cameras")
    facility = models.ForeignKey(
        "facilities.Facility", null=True, blank=True, on_delete=models.SET_NULL, related_name="cameras"
    )
    code = models.CharField(_("GB/T 28181 code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=128)
    position = models.CharField(_("position"), max_length=255, blank=True)
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    stream_url = models.URLField(_("live stream URL"), max_length=500, blank=True)
    in_use = models.BooleanField(_("in use"), default=True)

    scope_organisation_field = "enterprise__organisation"
    objects = CameraQuerySet.as_manager()

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["enterprise", "code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

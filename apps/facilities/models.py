"""Facilities (设备设施): one model for every industry, typed by a data-defined kind.

Why one model: tanks, warehouses, blast furnaces, casting wells, fireworks workshops and dispensers
share what the platform needs of them (owner, code, name, hierarchy, life-cycle, location, points,
hazard sources); they differ in a handful of descriptive attributes. Those attributes are described
by ``FacilityKind.attributes`` (loaded from fixtures/facilities/facility_kinds.json) and validated by
``apps.core.attributes``. A new kind is a fixture row; a kind that needs behaviour of its own (a
casting well's wire-rope records) gets a small related model pointing at ``Facility``.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.utils.translation import gettext_lazy as _

from apps.core.models import SoftDeleteModel
from apps.core.scoping import ScopedQuerySet


class FacilityKind(models.Model):
    """Kind of facility (设备设施类型) with the schema of its attributes."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=96, blank=True)
    industries = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    parent_kinds = ArrayField(models.CharField(max_length=48), default=list, blank=True)
    attributes = models.JSONField(_("attribute schema"), default=list, blank=True)
    sort = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("facility kind")
        verbose_name_plural = _("facility kinds")
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name


class FacilityStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")  # 在用
    STOPPED = "stopped", _("Stopped")  # 停用
    SCRAPPED = "scrapped", _("Scrapped")  # 报废


class FacilityQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(deleted=False)

    def in_service(self):
        return self.active().filter(status=FacilityStatus.IN_SERVICE)


class Facility(SoftDeleteModel):
    """A facility of an enterprise (设备设施): a tank, warehouse, furnace, casting well, workshop, …"""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="facilities")
    kind = models.ForeignKey(FacilityKind, on_delete=models.PROTECT, related_name="facilities")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=128)
    status = models.CharField(
        _("status"), max_length=16, choices=FacilityStatus.choices, default=FacilityStatus.IN_SERVICE, db_index=True
    )
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # Unified code of the national hazardous-chemicals registration system (ENT-09), when registered.
    registration_code = models.CharField(_("registration system code"), max_length=64, blank=True)

    scope_organisation_field = "enterprise__organisation"
    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["enterprise", "code"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "code"], name="facility_code_per_enterprise")]
        indexes = [models.Index(fields=["kind", "status"], name="facility_kind_status_idx")]

    def __str__(self):
        return f"{self.name} ({self.code})"


class FacilityStatusChange(models.Model):
    """A dated life-cycle record: put in service, stopped (停用), scrapped (报废)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("status"), max_length=16, choices=FacilityStatus.choices)
    effective_on = models.DateField(_("effective on"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_organisation_field = "facility__enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("facility status change")
        verbose_name_plural = _("facility status changes")
        ordering = ["-effective_on", "-id"]


class RopeAction(models.TextChoices):
    INSPECTION = "inspection", _("Inspection")  # 检查
    REPLACEMENT = "replacement", _("Replacement")  # 更换


class WireRopeRecord(models.Model):
    """Inspection or replacement of a casting well's wire rope (钢丝绳检查/更换记录, ENT-04).

    The next due date follows from the rope's ``inspection_interval_days`` attribute; ropes whose
    next inspection is near or past are the reminders (检查提醒).
    """

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="rope_records")
    action = models.CharField(_("action"), max_length=16, choices=RopeAction.choices)
    performed_on = models.DateField(_("performed on"))
    passed = models.BooleanField(_("passed"), default=True)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    next_due_on = models.DateField(_("next inspection due"), null=True, blank=True, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_organisation_field = "facility__enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("wire-rope record")
        verbose_name_plural = _("wire-rope records")
        ordering = ["-performed_on", "-id"]

"""Administrative divisions (行政区划, GB/T 2260) and chemical parks (化工园区)."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class RegionKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    PARK = "park", _("Chemical park")


# Which kind of region may sit under which; parks sit under a county or a city.
ALLOWED_PARENT_KINDS = {
    RegionKind.PROVINCE: (),
    RegionKind.CITY: (RegionKind.PROVINCE,),
    RegionKind.COUNTY: (RegionKind.CITY,),
    RegionKind.PARK: (RegionKind.COUNTY, RegionKind.CITY),
}


class RegionQuerySet(models.QuerySet):
    def within(self, region):
        """``region`` and every region below it."""
        return self.filter(path__startswith=region.path)

    def by_code(self, code):
        return self.get(code=code)


class Region(models.Model):
    """Administrative division (行政区划) with its GB/T 2260 code, or a chemical park (化工园区).

    ``path`` is the materialised chain of codes from the province down (``/370000/370100/370102/``);
    jurisdiction scoping is a prefix match on it, so a region's subtree is one indexed query.
    """

    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        help_text=_("GB/T 2260 six-digit code; a park uses its county's code + 'P' + two digits"),
    )
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=RegionKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    seat = models.PointField(_("seat of government"), srid=4326, null=True, blank=True)
    geometry = models.MultiPolygonField(_("boundary"), srid=4326, null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["path"], name="region_path_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def compute_path(self):
        parent_path = self.parent.path if self.parent_id else "/"
        return f"{parent_path}{self.code}/"

    def save(self, *args, **kwargs):
        self.path = self.compute_path()
        self.depth = self.path.count("/") - 2
        super().save(*args, **kwargs)

    def ancestors(self):
        codes = [c for c in self.path.strip("/").split("/") if c and c != self.code]
        return Region.objects.filter(code__in=codes).order_by("depth")

    def contains(self, other) -> bool:
        return other.path.startswith(self.path)

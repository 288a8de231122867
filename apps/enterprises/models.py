"""Enterprises (生产经营单位) as the regulators register them, and their industries (行业)."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import SoftDeleteModel
from apps.core.scoping import ScopedQuerySet


class Industry(models.Model):
    """Supervised industry (监管行业): reference data loaded from fixtures/industries.json."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    name_en = models.CharField(_("English name"), max_length=64)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class OperatingStatus(models.TextChoices):
    OPERATING = "operating", _("Operating")  # 正常生产
    SUSPENDED = "suspended", _("Suspended")  # 停产
    CLOSED = "closed", _("Closed")  # 关闭


class EnterpriseQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(deleted=False)

    def with_organisation(self):
        return self.select_related("organisation__region").prefetch_related("industries")


class Enterprise(SoftDeleteModel):
    """Enterprise (企业): the registry record of an enterprise organisation; the master data (主数据)
    every other record of the enterprise hangs from."""

    organisation = models.OneToOneField(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="enterprise",
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    industries = models.ManyToManyField(Industry, verbose_name=_("industries"), related_name="enterprises", blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=64, blank=True)
    safety_contact = models.CharField(_("safety contact"), max_length=64, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    status = models.CharField(
        _("operating status"),
        max_length=16,
        choices=OperatingStatus.choices,
        default=OperatingStatus.OPERATING,
        db_index=True,
    )

    scope_organisation_field = "organisation"
    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["organisation__name"]

    def __str__(self):
        return self.organisation.name

    @property
    def id(self):
        return self.organisation_id

    @property
    def name(self):
        return self.organisation.name

    @property
    def uscc(self):
        return self.organisation.uscc

    @property
    def region(self):
        return self.organisation.region

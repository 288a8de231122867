"""Enterprises (生产经营单位) as the regulators register them, and their industries (行业)."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.utils.translation import gettext_lazy as _

from apps.core.models import SoftDeleteModel
from apps.core.scoping import ScopedQuerySet


class Industry(models.Model):
    """Supervised industry (监管行业): reference data loaded from fixtures/industries.json.

    ``special_attributes`` is the schema of the industry's special information (专项信息), validated
    by ``apps.core.attributes``.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    name_en = models.CharField(_("English name"), max_length=64)
    sort_order = models.PositiveSmallIntegerField(default=0)
    special_attributes = models.JSONField(_("special information schema"), default=list, blank=True)

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
    principal = models.CharField(_("principal"), max_length=64, blank=True)  # 主要负责人
    principal_phone = models.CharField(_("principal's phone"), max_length=32, blank=True)
    safety_manager = models.CharField(_("safety manager"), max_length=64, blank=True)  # 安全负责人
    safety_manager_phone = models.CharField(_("safety manager's phone"), max_length=32, blank=True)
    status = models.CharField(
        _("operating status"),
        max_length=16,
        choices=OperatingStatus.choices,
        default=OperatingStatus.OPERATING,
        db_index=True,
    )
    # Dimensions of statistics and spot checks (ENT-01, ENT-02, ENT-11, ENT-17); codes from code tables.
    hazchem_category = models.CharField(_("hazardous-chemicals category"), max_length=32, blank=True, db_index=True)
    dust_kinds = ArrayField(models.CharField(max_length=32), verbose_name=_("dust kinds"), default=list, blank=True)
    dust_workers = models.PositiveIntegerField(_("dust-exposed workers"), null=True, blank=True, db_index=True)
    scale = models.CharField(_("scale"), max_length=32, blank=True, db_index=True)  # 规模以上/以下
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    economic_type = models.CharField(_("economic type"), max_length=32, blank=True, db_index=True)
    affiliation = models.CharField(_("affiliation"), max_length=32, blank=True)  # 隶属关系
    supervision_level = models.CharField(_("supervision level"), max_length=32, blank=True, db_index=True)
    monitoring_connected = models.BooleanField(_("connected to monitoring"), default=False, db_index=True)
    # Code in the national hazardous-chemicals registration system (ENT-09/10) and the 9-digit code the
    # province's risk-monitoring system assigns (prefix of the enterprise's GB/T 28181 video codes).
    registration_code = models.CharField(_("registration system code"), max_length=64, blank=True)
    province_code = models.CharField(_("provincial enterprise code"), max_length=9, blank=True)
    special_info = models.JSONField(_("special information"), default=dict, blank=True)  # 专项信息, per industry

    scope_organisation_field = "organisation"
    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["organisation__name"]
        indexes = [GinIndex(fields=["dust_kinds"], name="enterprise_dust_kinds_gin")]

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


class Shutdown(models.Model):
    """A period in which the enterprise is stopped (停工/停产): excluded from online-rate analysis (ENT-08)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="shutdowns")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("shutdown")
        verbose_name_plural = _("shutdowns")
        ordering = ["-starts_on"]

    def __str__(self):
        return f"{self.enterprise} {self.starts_on}–{self.ends_on or ''}"


class Annotation(models.Model):
    """A regulator's note on an enterprise (监管批注): regulators read and annotate, enterprises maintain."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="annotations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")
        ordering = ["-created_at"]

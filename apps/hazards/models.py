"""GB 18218-2018 tables and major hazard sources (重大危险源) graded by them."""

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import SoftDeleteModel
from apps.core.scoping import ScopedQuerySet


class HazardCategory(models.Model):
    """Hazard category of GB 18218 tables 2 and 4 (危险性类别): critical quantity Q and correction β."""

    symbol = models.CharField(_("symbol"), max_length=8, unique=True)
    hazard_class = models.CharField(_("hazard class"), max_length=64)
    description = models.CharField(_("description"), max_length=255)
    q_t = models.DecimalField(_("critical quantity (t)"), max_digits=12, decimal_places=4)
    beta = models.DecimalField(_("β"), max_digits=6, decimal_places=2)
    source_page = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("hazard category")
        verbose_name_plural = _("hazard categories")
        ordering = ["symbol"]

    def __str__(self):
        return f"{self.symbol} {self.hazard_class}"


class Substance(models.Model):
    """A named dangerous chemical of GB 18218 table 1 (危险化学品名称及其临界量)."""

    seq = models.PositiveSmallIntegerField(_("number in table 1"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=128, unique=True)
    aliases = ArrayField(models.CharField(max_length=128), default=list, blank=True)
    cas_numbers = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    q_t = models.DecimalField(_("critical quantity (t)"), max_digits=12, decimal_places=4)
    # β comes from table 3 for the named toxic gases, otherwise from this category (table 4).
    # None where no category of table 4 applies (三氧化硫): β is then 1 (docs/decisions.md).
    category = models.ForeignKey(
        HazardCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="substances"
    )
    toxic_gas_beta = models.DecimalField(_("β (table 3)"), max_digits=6, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    source_page = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("substance")
        verbose_name_plural = _("substances")
        ordering = ["seq", "name"]
        indexes = [
            GinIndex(fields=["cas_numbers"], name="substance_cas_gin"),
            GinIndex(fields=["aliases"], name="substance_alias_gin"),
        ]

    def __str__(self):
        return self.name

    DEFAULT_BETA = Decimal(1)

    @property
    def beta(self):
        if self.toxic_gas_beta is not None:
            return self.toxic_gas_beta
        return self.category.beta if self.category_id else self.DEFAULT_BETA


class AlphaBand(models.Model):
    """GB 18218 table 5: α by the number of people exposed outside the plant (厂外暴露人员)."""

    min_people = models.PositiveIntegerField()
    max_people = models.PositiveIntegerField(null=True, blank=True)
    alpha = models.DecimalField(max_digits=4, decimal_places=2)
    label = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-min_people"]

    def __str__(self):
        return f"{self.label}: α={self.alpha}"


class HazardLevel(models.Model):
    """GB 18218 table 6: level by R (一级 … 四级)."""

    level = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=16)
    min_r = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["level"]

    def __str__(self):
        return self.name


class FilingStatus(models.TextChoices):
    UNFILED = "unfiled", _("Not filed")  # 未备案
    FILED = "filed", _("Filed")  # 已备案
    CANCELLED = "cancelled", _("Filing cancelled")  # 已核销


class HazardSourceQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(deleted=False)

    def major(self):
        return self.active().filter(is_major=True)


class HazardSource(SoftDeleteModel):
    """Major hazard source (重大危险源): facilities and their substances, identified and graded.

    The inputs (substances, quantities, exposed population) and the results (S, R, α, the terms and
    the level) are kept together; ``services.reassess`` recomputes them whenever an input changes.
    """

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="hazard_sources")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=128)
    facilities = models.ManyToManyField("facilities.Facility", related_name="hazard_sources", blank=True)
    exposed_population = models.PositiveIntegerField(_("people exposed within 500 m outside the plant"), default=0)
    # Results of the last assessment.
    s_value = models.DecimalField("S", max_digits=14, decimal_places=4, default=0)
    r_value = models.DecimalField("R", max_digits=14, decimal_places=4, default=0)
    alpha = models.DecimalField("α", max_digits=4, decimal_places=2, default=0)
    is_major = models.BooleanField(_("is a major hazard source"), default=False, db_index=True)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True, db_index=True)
    terms = models.JSONField(_("terms"), default=list, blank=True)
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)
    # Filing (备案) and the responsible persons (包保责任人).
    filing_status = models.CharField(
        _("filing status"), max_length=16, choices=FilingStatus.choices, default=FilingStatus.UNFILED
    )
    filing_number = models.CharField(_("filing number"), max_length=64, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    principal_person = models.CharField(_("principal responsible person"), max_length=64, blank=True)
    principal_phone = models.CharField(_("principal's phone"), max_length=32, blank=True)
    technical_person = models.CharField(_("technical responsible person"), max_length=64, blank=True)
    technical_phone = models.CharField(_("technical person's phone"), max_length=32, blank=True)
    operational_person = models.CharField(_("operational responsible person"), max_length=64, blank=True)
    operational_phone = models.CharField(_("operational person's phone"), max_length=32, blank=True)

    scope_organisation_field = "enterprise__organisation"
    objects = HazardSourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("major hazard source")
        verbose_name_plural = _("major hazard sources")
        ordering = ["enterprise", "code"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "code"], name="hazard_source_code_per_enterprise")]

    def __str__(self):
        return self.name


class HazardSourceSubstance(models.Model):
    """A substance held in a hazard source, by table-1 name or table-2 category, at its design maximum."""

    hazard_source = models.ForeignKey(HazardSource, on_delete=models.CASCADE, related_name="substances")
    facility = models.ForeignKey(
        "facilities.Facility", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    substance = models.ForeignKey(Substance, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(HazardCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(_("name as declared"), max_length=128, blank=True)
    quantity_t = models.DecimalField(_("design maximum quantity (t)"), max_digits=14, decimal_places=4)

    scope_organisation_field = "hazard_source__enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("substance of a hazard source")
        verbose_name_plural = _("substances of hazard sources")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(substance__isnull=False, category__isnull=True)
                | models.Q(substance__isnull=True, category__isnull=False),
                name="hazard_substance_xor_category",
            ),
            models.CheckConstraint(condition=models.Q(quantity_t__gte=0), name="hazard_substance_quantity_nonneg"),
        ]

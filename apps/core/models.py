"""Abstract bases shared by every domain model."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class SoftDeleteModel(TimeStampedModel):
    """Records exchanged upward are never physically deleted (the province's DELETED flag)."""

    deleted = models.BooleanField(_("deleted"), default=False, db_index=True)

    class Meta:
        abstract = True


class CodeItem(models.Model):
    """An entry of a small code table (代码表): dust kinds, economic types, affiliations, …

    Loaded from ``fixtures/codes/<table>.json``; records store the code itself, exactly as defined.
    """

    table = models.SlugField(_("table"), max_length=48)
    code = models.CharField(_("code"), max_length=48)
    name = models.CharField(_("name"), max_length=128)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    sort = models.PositiveIntegerField(default=0)
    extra = models.JSONField(_("extra properties"), default=dict, blank=True)  # e.g. {"sd_scope": true}

    class Meta:
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        ordering = ["table", "sort", "code"]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="codeitem_table_code_uniq")]

    def __str__(self):
        return f"{self.table}:{self.code} {self.name}"

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

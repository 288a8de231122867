"""Import jobs (导入任务): an uploaded workbook, validated and imported by a Celery task."""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.core.scoping import ScopedQuerySet


class ImportKind(models.TextChoices):
    ENTERPRISES = "enterprises", _("Enterprises")
    FACILITIES = "facilities", _("Facilities")
    POINTS = "points", _("Monitoring points")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    VALIDATING = "validating", _("Validating")
    IMPORTING = "importing", _("Importing")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


FINISHED = (ImportStatus.SUCCEEDED, ImportStatus.FAILED)


def upload_path(job, filename):
    # Our own name: the uploaded one (kept in original_name) may hold anything.
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ImportJobQuerySet(ScopedQuerySet):
    def finished(self):
        return self.filter(status__in=FINISHED)


class ImportJob(TimeStampedModel):
    """One uploaded file and what became of it: progress, counts and the row errors."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    file = models.FileField(_("file"), upload_to=upload_path)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING, db_index=True
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("row errors"), default=list, blank=True)  # [{"row", "field", "column", "message"}]
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The uploader's organisation (none for ops), which scopes the job; the enterprise imported into.
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="import_jobs"
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    scope_organisation_field = "organisation"
    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def progress_cache_key(self) -> str:
        return f"imports:progress:{self.pk}"

    @property
    def live_processed_rows(self) -> int:
        """Rows done in the current phase. While importing, the job row is not updated (the import runs
        in one transaction, invisible until it commits), so the count is read from the cache."""
        if self.status == ImportStatus.IMPORTING:
            return cache.get(self.progress_cache_key, self.processed_rows)
        return self.processed_rows

    @property
    def progress_percent(self) -> int:
        """0–50 % while validating, 50–100 % while importing, 100 % once finished."""
        if self.is_finished:
            return 100
        if not self.total_rows or self.status == ImportStatus.PENDING:
            return 0
        share = min(self.live_processed_rows, self.total_rows) / self.total_rows
        return int(share * 50) + (50 if self.status == ImportStatus.IMPORTING else 0)

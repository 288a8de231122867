"""The verbs of Excel import: accept an upload as a job, then validate and import it (in a task)."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput, PermissionDeniedError
from apps.core.imports import IMPORTING, VALIDATING, Importer, ImportResult, check_file
from apps.core.scoping import AccessScope
from apps.enterprises.access import require_enterprise_write
from apps.enterprises.models import Enterprise

from .importers import IMPORTERS
from .models import ImportJob, ImportStatus

TIME_LIMIT = 30 * 60  # seconds; 20,000 facility rows take a few minutes
LOCK_SECONDS = TIME_LIMIT + 60
MAX_STORED_ERRORS = 1000


def importer_for(kind: str, actor, enterprise: Enterprise | None = None) -> Importer:
    importer_class = IMPORTERS.get(kind)
    if importer_class is None:
        raise InvalidInput(_("Unknown kind of import: %(kind)s.") % {"kind": kind}, field="kind")
    return importer_class(actor, enterprise=enterprise)


def kinds_for(user) -> list[str]:
    """The kinds of data ``user`` may import."""
    if not user.has_perm("imports.add_importjob"):
        return []
    return [kind for kind, importer in IMPORTERS.items() if all(user.has_perm(p) for p in importer.permissions)]


def own_enterprise(user) -> Enterprise | None:
    """The enterprise of an enterprise user, implied in its imports and exports."""
    scope = AccessScope.of(user)
    if scope.kind != AccessScope.ORGANISATION:
        return None
    return Enterprise.objects.filter(pk=scope.organisation_id).select_related("organisation").first()


def check_upload(file) -> None:
    if PurePath(file.name or "").suffix.lower() != ".xlsx":
        raise InvalidInput(_("Upload an Excel workbook (.xlsx); download the template to start."), field="file")
    check_file(file)


@transaction.atomic
def create_job(actor, *, kind: str, file, enterprise: Enterprise | None = None) -> ImportJob:
    """Accept an upload (导入): checks who may import what where, then validates and imports in a task."""
    if not actor.has_perm("imports.add_importjob"):
        raise PermissionDeniedError()
    importer_class = type(importer_for(kind, actor))
    if importer_class.needs_enterprise:
        enterprise = enterprise or own_enterprise(actor)
        if enterprise is None:
            raise InvalidInput(_("Choose the enterprise to import into."), field="enterprise")
        require_enterprise_write(actor, enterprise, importer_class.model, "add")
    else:
        enterprise = None
        if not all(actor.has_perm(p) for p in importer_class.permissions):
            raise PermissionDeniedError(_("Your role may not import this kind of data."))
    check_upload(file)
    job = ImportJob.objects.create(
        kind=kind,
        file=file,
        original_name=PurePath(file.name).name[:255],
        created_by=actor,
        organisation_id=actor.organisation_id,
        enterprise=enterprise,
    )
    from .tasks import run_import  # tasks import this module

    transaction.on_commit(lambda: run_import.delay(job.pk))
    return job


def run_job(job_id: int) -> ImportJob | None:
    """Validate and import a job's file. Idempotent: a finished job, or one another worker is running,
    is left alone; a job interrupted by a lost worker runs again (its import was rolled back)."""
    job = ImportJob.objects.select_related("created_by", "enterprise__organisation").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return job
    lock = f"imports:lock:{job_id}"
    if not cache.add(lock, 1, timeout=LOCK_SECONDS):
        return job
    try:
        with translation.override(settings.LANGUAGE_CODE):  # messages are stored in the platform's language
            try:
                return _run(job)
            except Exception:
                _finish(
                    job, ImportResult(errors=[_file_error(_("The import stopped unexpectedly; nothing was imported."))])
                )
                raise
    finally:
        cache.delete(lock)


def _file_error(message: str) -> dict:
    return {"row": None, "field": "file", "column": None, "message": str(message)}


def _run(job: ImportJob) -> ImportJob:
    actor = job.created_by
    if not actor.is_active:
        return _finish(job, ImportResult(errors=[_file_error(_("The user who uploaded the file is disabled."))]))
    importer = importer_for(job.kind, actor, enterprise=job.enterprise)

    def progress(done: int, total: int, phase: str) -> None:
        if phase == IMPORTING and done:
            # The import runs in one transaction: an UPDATE of the job would be invisible until it commits.
            cache.set(job.progress_cache_key, done, timeout=LOCK_SECONDS)
            return
        if phase == IMPORTING:
            cache.set(job.progress_cache_key, 0, timeout=LOCK_SECONDS)
        ImportJob.objects.filter(pk=job.pk).update(
            status=phase, total_rows=total, processed_rows=done, updated_at=timezone.now()
        )

    ImportJob.objects.filter(pk=job.pk).update(status=VALIDATING, processed_rows=0, updated_at=timezone.now())
    with job.file.open("rb") as handle:
        result = importer.run(handle, progress=progress)
    return _finish(job, result)


def _finish(job: ImportJob, result: ImportResult) -> ImportJob:
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.SUCCEEDED if result.ok else ImportStatus.FAILED,
        total_rows=result.total,
        processed_rows=result.total,
        created_count=result.created,
        updated_count=result.updated,
        error_count=len(result.errors),
        errors=result.errors[:MAX_STORED_ERRORS],
        finished_at=now,
        updated_at=now,
    )
    cache.delete(job.progress_cache_key)
    job.refresh_from_db()
    return job

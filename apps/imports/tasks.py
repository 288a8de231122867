"""Thin Celery tasks of Excel import."""

from celery import shared_task

from . import services


@shared_task(
    name="imports.run_import",
    time_limit=services.TIME_LIMIT,
    soft_time_limit=services.TIME_LIMIT - 60,
    ignore_result=True,
)
def run_import(job_id: int) -> None:
    """Validate and import an uploaded workbook; a job that already finished is left alone."""
    services.run_job(job_id)

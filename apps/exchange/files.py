"""Files received with exchange records (报警图片, 作业票证): found by their SHA-256 on a record and
fetched through that record's scope."""

from django.urls import reverse

from .models import ReceivedRecord


def stored_file(record: ReceivedRecord, digest: str) -> dict | None:
    """The reference of one of the record's files (payload fields, or an alarm's and its clearance's
    images in ``details``), by its SHA-256."""
    for value in (*record.payload.values(), *record.details.values()):
        if isinstance(value, dict) and value.get("file") and value.get("sha256") == digest:
            return value
    return None


def file_url(record_id: int, reference: dict) -> str:
    """Where people and clients fetch a received file: through the record's scope, never a public
    media URL (an alarm picture shows a plant and its people)."""
    return reverse("exchange-file", kwargs={"record_id": record_id, "digest": reference["sha256"]})

"""Test helpers: readings stored as a real batch and processed as the worker would."""

import datetime as dt

from apps.monitoring.models import IngestBatch
from apps.monitoring.processing import process_batch
from apps.monitoring.services import create_gateway
from apps.monitoring.storage import store_readings


def feed(point, values, start, every_s=10):
    """Store ``values`` of ``point`` from ``start`` (one every ``every_s`` s) as one batch; process it."""
    gateway = (
        point.enterprise.gateways.first()
        or create_gateway(None, enterprise=point.enterprise, gateway_id=f"gw-{point.pk}")[0]
    )
    rows = [(point.pk, start + dt.timedelta(seconds=n * every_s), float(v)) for n, v in enumerate(values)]
    batch = IngestBatch.objects.create(gateway=gateway, source="http")
    store_readings(rows, batch.pk)
    return process_batch(batch.pk)

"""The exchange's verbs for people and ops: exchange clients and their tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput

from . import specs
from .models import ExchangeClient


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def _check_datasets(datasets):
    unknown = sorted(set(datasets or []) - set(specs.names()))
    if unknown:
        raise InvalidInput(_("Unknown datasets: %(names)s") % {"names": ", ".join(unknown)}, field="expected_datasets")


@transaction.atomic
def create_client(
    actor, *, name: str, enterprise=None, region=None, expected_datasets=()
) -> tuple[ExchangeClient, str]:
    """Register an exchange client bound to one enterprise or to a lower-level platform's region;
    → (client, token). The token is returned once and stored only as its SHA-256."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the client a name."), field="name")
    if (enterprise is None) == (region is None):
        raise InvalidInput(_("Bind the client to one enterprise or to one region."), field="enterprise")
    if ExchangeClient.objects.filter(name=name).exists():
        raise InvalidInput(_("An exchange client with this name exists."), field="name")
    _check_datasets(expected_datasets)
    raw, digest = _new_token()
    client = ExchangeClient.objects.create(
        name=name,
        enterprise=enterprise,
        region=region if region is not None else enterprise.organisation.region,
        token_hash=digest,
        token_prefix=raw[:8],
        expected_datasets=list(expected_datasets or []),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return client, raw


@transaction.atomic
def rotate_token(client: ExchangeClient) -> str:
    raw, digest = _new_token()
    client.token_hash, client.token_prefix = digest, raw[:8]
    client.save(update_fields=["token_hash", "token_prefix", "updated_at"])
    return raw


def client_for_token(raw: str) -> ExchangeClient | None:
    # Only the regions' paths are needed: their boundaries are large polygons parsed on every load.
    return (
        ExchangeClient.objects.select_related("enterprise__organisation__region", "region")
        .defer("region__geometry", "enterprise__organisation__region__geometry")
        .filter(token_hash=hash_token(raw))
        .first()
    )

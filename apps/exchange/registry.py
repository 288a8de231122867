"""Who handles each exchange table: consumers of received records and builders of records to send.

Lower-level apps cannot import the exchange (it sits above them), so the apps that own a table's
domain (dual prevention, special works, positioning, video) register here in their
``AppConfig.ready()``:

- ``register_consumer(dataset, fn)``: ``fn(items: list[ReceivedItem])`` runs inside the receiving
  transaction after the records are stored, and maps them into the app's own models (one model,
  two sources). An exception rolls the whole upload back, so the sender retries and nothing is
  half-taken.
- ``register_builder(dataset, fn)``: ``fn(since, until) -> Iterable[OutboundRecord]`` gives the
  records changed in ``[since, until)`` for the incremental schedules; real-time changes call
  ``outbox.enqueue`` themselves, inside their own transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ReceivedItem:
    """One accepted record handed to a consumer."""

    record_id: int
    dataset: str
    key: str
    enterprise_id: int | None
    values: dict  # parsed values (aware datetimes, Decimals, decoded files as stored references)
    payload: dict  # as stored: exact identifiers, files replaced by references
    deleted: bool
    created: bool


@dataclass(frozen=True)
class OutboundRecord:
    """One record to send: its key, the table's payload, and the enterprise it belongs to."""

    key: str
    payload: dict
    enterprise_id: int | None = None


Consumer = Callable[[list[ReceivedItem]], None]
Builder = Callable[[dt.datetime | None, dt.datetime], Iterable[OutboundRecord]]

_consumers: dict[str, list[Consumer]] = {}
_builders: dict[str, Builder] = {}


def register_consumer(dataset: str, consumer: Consumer) -> None:
    handlers = _consumers.setdefault(dataset, [])
    if consumer not in handlers:
        handlers.append(consumer)


def consumers_for(dataset: str) -> list[Consumer]:
    return list(_consumers.get(dataset, ()))


def register_builder(dataset: str, builder: Builder) -> None:
    _builders[dataset] = builder


def builder_for(dataset: str) -> Builder | None:
    return _builders.get(dataset)


def builders() -> dict[str, Builder]:
    return dict(_builders)


# --- helpers for builders --------------------------------------------------------------------------

BUILD_CHUNK = 1000


def changed_between(since: dt.datetime | None, until: dt.datetime, *fields: str):
    """A filter for rows whose any of ``fields`` lies in [since, until) (``since`` None: all before)."""
    from django.db.models import Q

    condition = Q(pk__in=[])
    for name in fields:
        bounds = {f"{name}__lt": until}
        if since is not None:
            bounds[f"{name}__gte"] = since
        condition |= Q(**bounds)
    return condition


def values_in_chunks(queryset, *fields: str, size: int | None = None) -> Iterator[dict]:
    """``values("pk", *fields)`` rows by ascending primary key, ``size`` (default ``BUILD_CHUNK``) at a
    time (keyset pagination: no cursor held open while the caller writes its outbox entries)."""
    size = size or BUILD_CHUNK
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        rows = list(page.values("pk", *fields)[:size])
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1]["pk"]

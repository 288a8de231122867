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
from collections.abc import Callable, Iterable
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

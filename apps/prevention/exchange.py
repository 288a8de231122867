"""Dual prevention (双重预防) and the exchange: received records mapped into our models, our rows built
into records.

One model, two sources: a record an enterprise's other system sends (风险分析单元, 风险事件, 管控措施,
排查任务, 排查记录, 隐患) becomes the same row our portal would have entered, keyed by the record's
``ID`` (``uid``); every row, whatever its source, is built back into the table's record for the
province's incremental schedules. Both directions are bulk: a query per table and upload, never one
per record.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery

from apps.exchange import registry
from apps.exchange.validation import format_datetime

from .models import CheckRecord, CheckTask, ControlMeasure, HiddenDanger, RiskEvent, RiskUnit, Source

# Kinds of a mapped field: how a received value becomes a model value and a model value a record's.
TEXT = "text"  # strings and string codes; '' when absent, omitted from the record when empty
NUMBER = "number"  # 数字/数值 fields: a JSON number in the record, an integer in the model
TIME = "time"  # 日期时间: aware datetimes, ``yyyy-MM-dd HH:mm:ss`` Beijing in the record


@dataclass(frozen=True)
class Table:
    """How one exchange table maps onto one model."""

    dataset: str
    model: type
    fields: tuple[tuple[str, str, str], ...]  # (table field, model field, kind)
    parent: tuple[str, str, type] | None = None  # (table field, FK name, parent model): FK ``x``, key ``x_uid``
    hazard_code: bool = False  # HAZARD_CODE also links the enterprise's 重大危险源 of that code

    @property
    def model_fields(self) -> list[str]:
        return [name for _field, name, _kind in self.fields]


UNITS = Table(
    "risk-units",
    RiskUnit,
    (
        ("HAZARD_CODE", "object_code", TEXT),
        ("HAZARD_DEP", "department", TEXT),
        ("HAZARD_LIABLE_PERSON", "liable_person", TEXT),
        ("RISK_UNIT_NAME", "name", TEXT),
    ),
    hazard_code=True,
)
EVENTS = Table(
    "risk-events",
    RiskEvent,
    (("RISK_EVENT_NAME", "name", TEXT),),
    parent=("RISK_UNIT_ID", "unit", RiskUnit),
)
MEASURES = Table(
    "control-measures",
    ControlMeasure,
    (
        ("DATA_SRC", "data_src", TEXT),
        ("RISK_MEASURE_DESC", "description", TEXT),
        ("CLASSIFY1", "classify1", TEXT),
        ("CLASSIFY2", "classify2", TEXT),
        ("CLASSIFY3", "classify3", TEXT),
        ("TROUBLESHOOT_CONTENT", "troubleshoot_content", TEXT),
    ),
    parent=("RISK_EVENT_ID", "event", RiskEvent),
)
TASKS = Table(
    "check-tasks",
    CheckTask,
    (
        ("TROUBLESHOOT_CONTENT", "content", TEXT),
        ("CHECK_CYCLE", "cycle", NUMBER),
        ("CHECK_CYCLE_UNIT", "cycle_unit", TEXT),
        ("INVESTIGATION_DATE", "last_checked_at", TIME),
        ("CHECK_STATUS", "last_status", TEXT),
    ),
    parent=("RISK_MEASURE_ID", "measure", ControlMeasure),
)
RECORDS = Table(
    "check-records",
    CheckRecord,
    (
        ("CHECK_TIME", "checked_at", TIME),
        ("CHECK_STATUS", "status", TEXT),
    ),
    parent=("CHECK_TASK_ID", "task", CheckTask),
)
DANGERS = Table(
    "hazards",
    HiddenDanger,
    (
        ("HAZARD_CODE", "object_code", TEXT),
        ("DANGER_NAME", "name", TEXT),
        ("DANGER_LEVEL", "level", NUMBER),
        ("REGIST_TIME", "registered_at", TIME),
        ("REGISTRANT", "registrant", TEXT),
        ("DANGER_SRC", "origin", TEXT),
        ("DANGER_MANAGE_TYPE", "manage_type", NUMBER),
        ("HAZARD_DANGER_TYPE", "danger_type", NUMBER),
        ("DANGER_DESC", "description", TEXT),
        ("DANGER_REASON", "reason", TEXT),
        ("LIABLE_PERSON", "liable_person", TEXT),
        ("DANGER_MANAGE_DEADLINE", "deadline", TIME),
        ("CHECK_ACCEPT_PERSON", "accept_person", TEXT),
        ("CHECK_ACCEPT_TIME", "accepted_at", TIME),
        ("CHECK_ACCEPT_COMMENT", "accept_comment", TEXT),
        ("DANGER_STATE", "state", NUMBER),
    ),
    parent=("RISK_MEASURE_ID", "measure", ControlMeasure),
    hazard_code=True,
)
TABLES = (UNITS, EVENTS, MEASURES, TASKS, RECORDS, DANGERS)

# Who refers to whom: when a parent arrives, the children received before it get their FK.
CHILDREN: dict[type, tuple[Table, ...]] = {
    RiskUnit: (EVENTS,),
    RiskEvent: (MEASURES,),
    ControlMeasure: (TASKS, DANGERS),
    CheckTask: (RECORDS,),
}


# --- receiving ------------------------------------------------------------------------------------


def _model_value(kind: str, value):
    if kind == TEXT:
        return "" if value is None else str(value)
    if kind == NUMBER:
        return None if value is None else int(value)  # codes typed 数字 arrive parsed as strings
    return value  # TIME: already aware (Beijing), or None


def consume(table: Table, items: list[registry.ReceivedItem]) -> None:
    """Upsert the received records of ``table`` into its model in one statement, keyed by ``uid``.

    An orphan of a platform client (no enterprise yet) stays in the received store only; a key held by
    another enterprise's row is never moved over. A portal or imported row of the same key is taken
    over: the enterprise's other system is now the truth.
    """
    latest: dict[uuid.UUID, registry.ReceivedItem] = {}
    for item in items:
        if item.enterprise_id is not None:
            latest[uuid.UUID(item.key)] = item  # a key sent twice in one upload: the last wins
    if not latest:
        return
    model = table.model
    # ``order_by()`` throughout: the models' default ordering by enterprise joins the organisation.
    owners = dict(model.objects.filter(uid__in=list(latest)).order_by().values_list("uid", "enterprise_id"))
    latest = {uid: item for uid, item in latest.items() if owners.get(uid, item.enterprise_id) == item.enterprise_id}
    if not latest:
        return
    enterprises = {item.enterprise_id for item in latest.values()}
    client_id = _client_of(latest.values())

    parents: dict[tuple[int, uuid.UUID], int] = {}
    if table.parent:
        field_id, _name, parent_model = table.parent
        refs = {uuid.UUID(v) for item in latest.values() if (v := item.values.get(field_id))}
        if refs:
            found = parent_model.objects.filter(uid__in=refs, enterprise_id__in=enterprises).order_by()
            parents = {(e, u): pk for u, e, pk in found.values_list("uid", "enterprise_id", "pk")}
    sources: dict[tuple[int, str], int] = {}
    if table.hazard_code:
        from apps.hazards.models import HazardSource

        codes = {item.values["HAZARD_CODE"] for item in latest.values() if item.values.get("HAZARD_CODE")}
        found = HazardSource.objects.filter(code__in=codes, enterprise_id__in=enterprises, deleted=False).order_by()
        sources = {(e, c): pk for e, c, pk in found.values_list("enterprise_id", "code", "pk")}

    rows = []
    for uid, item in latest.items():
        v = item.values
        row = model(
            uid=uid,
            enterprise_id=item.enterprise_id,
            source=Source.EXCHANGE,
            received_from_id=client_id,
            deleted=item.deleted,
        )
        for field_id, name, kind in table.fields:
            setattr(row, name, _model_value(kind, v.get(field_id)))
        if table.parent:
            field_id, name, _model = table.parent
            ref = uuid.UUID(v[field_id]) if v.get(field_id) else None
            setattr(row, f"{name}_uid", ref)
            setattr(row, f"{name}_id", parents.get((item.enterprise_id, ref)) if ref else None)
        if table.hazard_code:
            row.hazard_source_id = sources.get((item.enterprise_id, v.get("HAZARD_CODE")))
        rows.append(row)

    # Only the table's fields are overwritten: what the portal keeps beyond the table (object kind,
    # risk level, location, the ledger of a hidden danger) survives the other system's update.
    update = ["source", "received_from", "deleted", "updated_at", *table.model_fields]
    if table.parent:
        update += [f"{table.parent[1]}_uid", table.parent[1]]
    if table.hazard_code:
        update.append("hazard_source")
    model.objects.bulk_create(rows, update_conflicts=True, unique_fields=["uid"], update_fields=update)
    _link_children(model, list(latest))
    if model is CheckRecord:  # a received investigation closes the task's cycle it falls in
        from .periods import mark_checked

        done = model.objects.filter(uid__in=list(latest), task__isnull=False).exclude(status="2").order_by()
        mark_checked(list(done.values_list("task_id", "checked_at", "pk")))


def _client_of(items: Iterable[registry.ReceivedItem]) -> int | None:
    """The exchange client of the upload (one upload, one client): read from its received records."""
    from apps.exchange.models import ReceivedRecord

    first = next(iter(items), None)
    if first is None:
        return None
    return ReceivedRecord.objects.filter(pk=first.record_id).values_list("client_id", flat=True).first()


def _link_children(parent_model: type, uids: list[uuid.UUID]) -> None:
    """Children received before these parents get their FK: one UPDATE per child table, only within
    the same enterprise. ``updated_at`` is left alone: the child's record has not changed."""
    for child in CHILDREN.get(parent_model, ()):
        name = child.parent[1]
        match = parent_model.objects.filter(
            uid=OuterRef(f"{name}_uid"), enterprise_id=OuterRef("enterprise_id")
        ).order_by()
        child.model.objects.filter(Exists(match), **{f"{name}_uid__in": uids, f"{name}__isnull": True}).update(
            **{f"{name}_id": Subquery(match.values("pk")[:1])}
        )


# --- building -------------------------------------------------------------------------------------


def _record_value(kind: str, value):
    if kind == TIME:
        return format_datetime(value) if value is not None else None
    if kind == NUMBER:
        return int(value) if value is not None else None
    return str(value) if value not in (None, "") else None


def build(table: Table, since: dt.datetime | None, until: dt.datetime) -> Iterator[registry.OutboundRecord]:
    """Every row of ``table``'s model, whatever its source, changed in [since, until), as its record."""
    window = registry.changed_between(since, until, "updated_at")
    fields = ["uid", "enterprise_id", "deleted", "created_at", *table.model_fields]
    if table.parent:
        fields.append(f"{table.parent[1]}_uid")
    for row in registry.values_in_chunks(table.model.objects.filter(window), *fields):
        key = str(row["uid"])
        payload = {"ID": key}
        if table.parent:
            ref = row[f"{table.parent[1]}_uid"]
            if ref is not None:
                payload[table.parent[0]] = str(ref)
        for field_id, name, kind in table.fields:
            value = _record_value(kind, row[name])
            if value is None and field_id == "INVESTIGATION_DATE":
                # Required by the table, but a task never checked yet has no date: its creation stands in.
                value = format_datetime(row["created_at"])
            if value is not None:
                payload[field_id] = value
        payload["DELETED"] = "1" if row["deleted"] else "0"
        yield registry.OutboundRecord(key=key, payload=payload, enterprise_id=row["enterprise_id"])


def register() -> None:
    """Register the consumers and builders of the six dual-prevention (双重预防) tables."""
    for table in TABLES:
        registry.register_consumer(table.dataset, _Consumer(table))
        registry.register_builder(table.dataset, _Builder(table))


@dataclass(frozen=True)
class _Consumer:
    """``consume`` bound to its table; equal per table, so registering twice adds it once."""

    table: Table

    def __call__(self, items: list[registry.ReceivedItem]) -> None:
        consume(self.table, items)


@dataclass(frozen=True)
class _Builder:
    table: Table

    def __call__(self, since: dt.datetime | None, until: dt.datetime) -> Iterator[registry.OutboundRecord]:
        return build(self.table, since, until)

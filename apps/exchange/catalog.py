"""The resource catalogue (数据资源目录, DX-02/06/09): what this node exchanges, in which format, how
much and when last.

Two views of the same data:

- ``catalogue(user)``: every exchange dataset — the province's eleven tables (received from
  enterprises and lower platforms, sent upward by an enterprise deployment) and the five national
  datasets (sent to the ministry) — with its fields, frequency, direction(s), volume and the time
  of the last exchange;
- ``catalogue(user, target="national")``: the 19 resource types the ministry expects (seed 000 P1
  §3.4.2(1)), read from ``fixtures/exchange/catalog.json``, each with the schema of the dataset
  that serves it (or none yet) and its last exchange, plus the categories this node adds.

Volumes are counted in two queries whatever the number of datasets: received records grouped by
dataset inside the caller's jurisdiction, outbox entries grouped by dataset and status.
"""

from __future__ import annotations

import json
from functools import cache

from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput

from . import registry, specs
from .models import ExchangeClient, OutboxEntry, ReceivedRecord

TARGETS = ("national",)
DIRECTIONS = ("received", "sent")


@cache
def resource_catalog() -> dict:
    """``fixtures/exchange/catalog.json``: the national resource types and our extensions."""
    return json.loads((specs.spec_root() / "catalog.json").read_text(encoding="utf-8"))


def resource_types(*, extensions: bool = True) -> list[dict]:
    data = resource_catalog()
    return list(data["resource_types"]) + (list(data.get("extensions", [])) if extensions else [])


def resource_type(code: str) -> dict | None:
    return next((r for r in resource_types() if r["code"] == code), None)


def directions(spec: specs.DatasetSpec) -> list[str]:
    """The province's tables are received (province role) and sent (enterprise role); the national
    datasets are what the province sends to the ministry."""
    return ["received", "sent"] if spec.direction == "province" else ["sent"]


def field_json(spec: specs.DatasetSpec, field: specs.FieldSpec) -> dict:
    raw = next((f for f in spec.raw.get("fields", []) if f.get("id") == field.id), {})
    entry = {
        "id": field.id,
        "name": field.name,
        "type": raw.get("type", ""),
        "kind": field.kind,
        "length": field.length,
        "required": field.required,
        "codes": field.codes or None,
        "format": raw.get("format"),
        "description": field.description,
    }
    if field.required_when:
        entry["required_when"] = field.required_when
    return entry


def spec_json(spec: specs.DatasetSpec, *, code_tables: bool = False) -> dict:
    """A dataset's description; with ``code_tables`` its appendix code tables and variants too."""
    entry = {
        "dataset": spec.dataset,
        "table": spec.table,
        "guide": spec.guide,
        "origin": spec.direction,
        "directions": directions(spec),
        "frequency": spec.frequency,
        "frequency_class": spec.frequency_class,
        "key": list(spec.key),
        "company_field": spec.company_field,
        "references": spec.references,
        "fields": [field_json(spec, f) for f in spec.fields],
        "resource_types": [r["code"] for r in resource_types() if r["dataset"] == spec.dataset],
        "builder": registry.builder_for(spec.dataset) is not None,
    }
    if code_tables:
        entry["code_tables"] = spec.code_tables
        entry["variants"] = {
            name: {
                "table": variant.get("table"),
                "differences": variant.get("differences", []),
                "code_tables": variant.get("code_tables", {}),
                "fields": [
                    {"id": f["id"], "name": f.get("name"), "codes": f.get("codes")} for f in variant.get("fields", [])
                ],
            }
            for name, variant in spec.variants.items()
        }
    return entry


# --- volumes -------------------------------------------------------------------------------------------


def _scoped_received(user, client: ExchangeClient | None):
    return ReceivedRecord.objects.for_viewer(client or user)


def _scoped_outbox(user, client: ExchangeClient | None):
    """Outbox entries of the enterprises the caller may see (an entry without an enterprise: only
    for those who see everything)."""
    return OutboxEntry.objects.for_viewer(client or user)


def volumes(user, client: ExchangeClient | None = None) -> dict[str, dict]:
    """``{dataset: {received, received_deleted, last_received_at, sent, pending, dead, last_sent_at}}``
    in two queries."""
    result: dict[str, dict] = {}

    def slot(dataset):
        return result.setdefault(dataset, _empty_volume())

    received = (
        _scoped_received(user, client)
        .order_by()
        .values("dataset")
        .annotate(n=Count("id"), deleted=Count("id", filter=Q(deleted=True)), last=Max("last_received_at"))
    )
    for row in received:
        entry = slot(row["dataset"])
        entry.update(received=row["n"], received_deleted=row["deleted"], last_received_at=row["last"])
    status = OutboxEntry.Status
    sent = (
        _scoped_outbox(user, client)
        .order_by()
        .values("dataset")
        .annotate(
            delivered=Count("id", filter=Q(status=status.DELIVERED)),
            pending=Count("id", filter=Q(status=status.PENDING)),
            dead=Count("id", filter=Q(status=status.DEAD)),
            last=Max("delivered_at"),
        )
    )
    for row in sent:
        entry = slot(row["dataset"])
        entry.update(sent=row["delivered"], pending=row["pending"], dead=row["dead"], last_sent_at=row["last"])
    return result


def _latest(*moments):
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def _empty_volume() -> dict:
    return {
        "received": 0,
        "received_deleted": 0,
        "last_received_at": None,
        "sent": 0,
        "pending": 0,
        "dead": 0,
        "last_sent_at": None,
    }


# --- the catalogue -------------------------------------------------------------------------------------


def catalogue(user, target: str | None = None, direction: str | None = None, *, client=None) -> dict:
    """The catalogue as the caller may see it; ``client`` when the caller is an exchange client.

    - no target: ``{"datasets": [...]}`` for every dataset (``direction`` keeps those received or
      sent);
    - ``target="national"``: ``{"target": "national", "resource_types": [19], "extensions": [...]}``.
    """
    target = (target or "").strip() or None
    direction = (direction or "").strip() or None
    if target is not None and target not in TARGETS:
        raise InvalidInput(_("Unknown target; use: %(targets)s.") % {"targets": ", ".join(TARGETS)}, field="target")
    if direction is not None and direction not in DIRECTIONS:
        raise InvalidInput(
            _("Unknown direction; use: %(directions)s.") % {"directions": ", ".join(DIRECTIONS)}, field="direction"
        )
    counted = volumes(user, client)
    if target == "national":
        return {
            "target": "national",
            "resource_types": [_resource_entry(r, counted) for r in resource_types(extensions=False)],
            "extensions": [_resource_entry(r, counted) for r in resource_catalog().get("extensions", [])],
        }
    entries = []
    for spec in specs.all_specs().values():
        if direction is not None and direction not in directions(spec):
            continue
        volume = counted.get(spec.dataset) or _empty_volume()
        entries.append(
            {
                **spec_json(spec),
                "volume": {k: volume[k] for k in ("received", "received_deleted", "sent", "pending", "dead")},
                "last_received_at": volume["last_received_at"],
                "last_sent_at": volume["last_sent_at"],
                "last_exchanged_at": _latest(volume["last_received_at"], volume["last_sent_at"]),
            }
        )
    return {"datasets": entries}


def _resource_entry(resource: dict, counted: dict) -> dict:
    spec = specs.get(resource["dataset"]) if resource.get("dataset") else None
    volume = counted.get(spec.dataset) if spec else None
    volume = volume or _empty_volume()
    return {
        "seq": resource.get("seq"),
        "code": resource["code"],
        "name": resource["name"],
        "name_en": resource["name_en"],
        "dataset": spec.dataset if spec else None,
        "provided": spec is not None,
        "builder": spec is not None and registry.builder_for(spec.dataset) is not None,
        "schema": (
            {
                "dataset": spec.dataset,
                "table": spec.table,
                "key": list(spec.key),
                "frequency": spec.frequency,
                "fields": [field_json(spec, f) for f in spec.fields],
            }
            if spec
            else None
        ),
        "volume": {k: volume[k] for k in ("received", "sent", "pending", "dead")},
        "last_received_at": volume["last_received_at"],
        "last_sent_at": volume["last_sent_at"],
        "last_exchanged_at": _latest(volume["last_received_at"], volume["last_sent_at"]),
    }


# --- code lists (代码表) ----------------------------------------------------------------------------------

VIDEO_SOURCES = ("enterprise", "gas-station")


def special_work_types() -> dict:
    """The 18 special-work types (作业类型, TASK_TYPE sub-codes) with their major category (作业大类),
    from the special-works table's appendix (DX-SW-18)."""
    spec = specs.get("special-works")
    task_type = spec.field("TASK_TYPE")
    table = spec.code_tables["TASK_TYPE"]
    categories = {row["category_code"]: row["category"] for row in table["rows"]}
    parents = _code_parent(spec)
    results = [
        {"code": code, "name": name, "parent": {"code": parents[code], "name": categories[parents[code]]}}
        for code, name in task_type.codes.items()
    ]
    return {"table": table["caption"], "count": len(results), "results": results}


def _code_parent(spec: specs.DatasetSpec) -> dict:
    raw = next((f for f in spec.raw.get("fields", []) if f.get("id") == "TASK_TYPE"), {})
    return raw.get("code_parent", {})


def video_alarm_types(source: str | None) -> dict:
    """Video alarm types (报警类型) by source: the enterprise table's 10 codes (DX-VE-01) or the gas
    station's 7 (DX-VG-01); the same numbers mean different things, so the source is required."""
    source = (source or "").strip()
    if source not in VIDEO_SOURCES:
        raise InvalidInput(
            _("Give source=%(sources)s: the two tables use the same codes for different alarms.")
            % {"sources": " or ".join(VIDEO_SOURCES)},
            field="source",
        )
    spec = specs.get("video-alarms")
    tables = spec.code_tables if source == "enterprise" else spec.variants["gas_station"]["code_tables"]
    table = tables["ALARM_TYPE"]
    results = [{"code": r["code"], "name": r["name"], "analysis_type": r["analysis_type"]} for r in table["rows"]]
    return {"source": source, "table": table["caption"], "count": len(results), "results": results}

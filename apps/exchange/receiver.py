"""Receiving the province's tables (contract.md §4): check, place in scope, upsert, keep the raw.

One upload is one transaction: every record is checked against its table, its enterprise is found
(the client's binding, COMPANY_CODE, HAZARD_CODE, the parent record, the device or the video code)
and must lie in the client's scope; accepted records are upserted by key in one statement, every
arrival is appended verbatim to the version log by COPY, refused records are kept with their
reasons, the upload statistics are bumped, and the table's registered consumers run. Either all
of that is stored or nothing is (the sender then retries; upserts make that harmless).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.enterprises.models import Enterprise
from apps.hazards.models import HazardSource

from . import registry, specs
from .models import ExchangeClient, ReceiptBatch, Rejection
from .validation import BEIJING, Checked, DecodedFile, Problem, check_record

GAS_STATION = "gas_station"
logger = logging.getLogger(__name__)


class ConsumerFailed(Exception):
    """A registered consumer failed: the upload was rolled back and should be sent again later."""


LAST_SEEN_RESOLUTION = 60  # seconds: do not write the client row on every upload


@dataclass
class Outcome:
    received: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"received": self.received, "created": self.created, "updated": self.updated, "rejected": self.rejected}


@dataclass
class _Row:
    index: int
    raw: dict
    checked: Checked
    key: str = ""
    enterprise_id: int | None = None
    region_id: int | None = None
    parent_key: str = ""
    orphan: bool = False
    stored_payload: dict | None = None
    stored_json: str = ""  # the stored payload encoded once, for the upsert and the version log


def record_key(spec: specs.DatasetSpec, record: dict) -> str:
    """The record's key as stored: UUIDs lower-cased, a composite key joined by '|'."""
    parts = []
    for name in spec.key:
        value = record.get(name)
        parts.append(str(value).strip().lower() if value is not None else "")
    return "|".join(parts)


@cache
def _region_shapes() -> tuple[str, ...]:
    """The regions' geometry columns: an enterprise's region is loaded for its path only, and its
    boundary (a large polygon parsed into GEOS on every load) stays in the database."""
    from django.contrib.gis.db.models import GeometryField

    from apps.regions.models import Region

    return tuple(
        f"organisation__region__{f.name}" for f in Region._meta.concrete_fields if isinstance(f, GeometryField)
    )


class _Directory:
    """Enterprises of the batch, found by their codes in one query each."""

    def __init__(self):
        self.by_code: dict[str, Enterprise] = {}
        self.by_id: dict[int, Enterprise] = {}
        self.gas_stations: set[int] = set()

    def load_codes(self, codes: set[str], *, include_deleted: bool = False):
        codes = {c.strip() for c in codes if c and c.strip()}
        if not codes:
            return
        upper = {c.upper() for c in codes}
        found = (
            Enterprise.objects.filter(
                Q(organisation__uscc__in=upper) | Q(registration_code__in=codes) | Q(province_code__in=codes),
                *(() if include_deleted else (Q(deleted=False),)),
            )
            .order_by("deleted")  # a live enterprise wins a code shared with a deleted one
            .select_related("organisation__region")
            .defer(*_region_shapes())
        )
        for enterprise in found:
            self._add(enterprise)
            for code in (enterprise.organisation.uscc, enterprise.registration_code, enterprise.province_code):
                if code:
                    self.by_code.setdefault(code.upper(), enterprise)

    def load_ids(self, ids: set[int]):
        missing = {i for i in ids if i and i not in self.by_id}
        if missing:
            found = Enterprise.objects.filter(pk__in=missing).select_related("organisation__region")
            for enterprise in found.defer(*_region_shapes()):
                self._add(enterprise)

    def _add(self, enterprise):
        self.by_id[enterprise.pk] = enterprise

    def lookup(self, code) -> Enterprise | None:
        return self.by_code.get(str(code).strip().upper()) if code else None

    def load_gas_stations(self):
        through = Enterprise.industries.through
        self.gas_stations = set(
            through.objects.filter(enterprise_id__in=list(self.by_id), industry__code=GAS_STATION).values_list(
                "enterprise_id", flat=True
            )
        )


def _in_region(enterprise: Enterprise, client: ExchangeClient) -> bool:
    return enterprise.organisation.region.path.startswith(client.region.path)


def receive(client: ExchangeClient, dataset: str, records: list[dict], *, company: str = "") -> Outcome:
    """Take one upload of ``dataset`` from ``client``; ``company`` names the enterprise for a
    platform client sending a table that carries no company field (positioning alarms)."""
    spec = specs.get(dataset)
    started = time.monotonic()
    now = timezone.now()
    rows = [_Row(index=i, raw=record, checked=check_record(spec, record)) for i, record in enumerate(records)]
    for row in rows:
        row.key = record_key(spec, row.raw)

    directory = _Directory()
    _place(spec, client, rows, directory, company)
    if spec.variants.get("gas_station"):
        directory.load_ids({r.enterprise_id for r in rows if r.enterprise_id})
        directory.load_gas_stations()
        for row in rows:
            if row.enterprise_id in directory.gas_stations:
                errors_before = {k: v for k, v in row.checked.errors.items() if v.code == "scope"}
                row.checked = check_record(spec, row.raw, gas_station=True)
                row.checked.errors.update(errors_before)

    with transaction.atomic():
        existing = _existing(spec, rows)
        _check_against_existing(spec, rows, existing)
        accepted = [r for r in rows if r.checked.ok]
        refused = [r for r in rows if not r.checked.ok]
        outcome = Outcome(received=len(rows))
        stored = _upsert(spec, client, accepted, existing, directory, now) if accepted else {}
        for row in accepted:
            if stored[row.index][1]:
                outcome.created += 1
            else:
                outcome.updated += 1
        batch = ReceiptBatch.objects.create(
            dataset=dataset,
            client=client,
            received_at=now,
            received=len(rows),
            created=outcome.created,
            updated=outcome.updated,
            rejected=len(refused),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        if accepted:
            _log_versions(batch, accepted, stored, now)
            _adopt_orphans(spec, [r for r in accepted if stored[r.index][1]])
        if refused:
            _keep_rejections(spec, batch, client, refused, now)
        if accepted and spec.frequency_class == "realtime":
            _push_live(spec, accepted, stored, directory)
        _bump_stats(spec, client, rows, now)
        _touch(client, now)
        handlers = registry.consumers_for(dataset)
        if handlers and accepted:
            items = [
                registry.ReceivedItem(
                    record_id=stored[r.index][0],
                    dataset=dataset,
                    key=r.key,
                    enterprise_id=r.enterprise_id,
                    values=r.checked.values,
                    payload=r.raw,
                    deleted=r.raw.get("DELETED") in ("1", 1),
                    created=stored[r.index][1],
                )
                for r in accepted
            ]
            for handler in handlers:
                try:
                    handler(items)
                except Exception as exc:  # the module's bug must not half-store an upload: all back
                    logger.exception("exchange consumer %r failed on %s", handler, dataset)
                    raise ConsumerFailed(dataset) from exc
    outcome.rejected = [
        {
            "index": r.index,
            "key": r.key or None,
            "errors": {name: problem.message for name, problem in r.checked.errors.items()},
        }
        for r in refused
    ]
    return outcome


# --- placing records: which enterprise, inside the client's scope? -------------------------------


def _scope_error(row: _Row, field_id: str, message: str):
    row.checked.errors.setdefault(field_id, Problem("scope", message))


def _place(spec, client, rows: list[_Row], directory: _Directory, company: str):
    """Find each record's enterprise and check it lies within the client's scope."""
    values = [r.checked.values for r in rows]
    company_field = spec.company_field
    codes = {v.get(company_field) for v in values if company_field and v.get(company_field)}
    video_prefixes = {v["VIDEO_CODE"][:9] for v in values if v.get("VIDEO_CODE")}
    codes |= video_prefixes
    if company:
        codes.add(company)
    # The ministry's formats (docs/exchange.md) carry the province's own records: a deleted
    # enterprise still has its DELETED=1 record to send, an enterprise this node does not hold is kept
    # in the client's region, and a hazard source's code names the source, not a link to ours.
    national = spec.direction == "national"
    directory.load_codes(codes, include_deleted=national)

    hazard_owners: dict[str, set[int]] = defaultdict(set)
    hazard_codes = set() if national else {v["HAZARD_CODE"] for v in values if v.get("HAZARD_CODE")}
    if hazard_codes:
        for code, owner in HazardSource.objects.filter(code__in=hazard_codes, deleted=False).values_list(
            "code", "enterprise_id"
        ):
            hazard_owners[code].add(owner)
        directory.load_ids({o for owners in hazard_owners.values() for o in owners})

    parents = _parents(spec, rows)
    directory.load_ids({p[0] for p in parents.values() if p[0]})

    own = client.enterprise_id
    if own:
        directory.load_ids({own})
    for row in rows:
        v = row.checked.values
        candidates: list[tuple[str, int | None]] = []  # (field, enterprise) each link points at
        if company_field and v.get(company_field):
            found = directory.lookup(v[company_field])
            if found is None and national and not own:
                row.checked.warnings.append(
                    {"field": company_field, "message": _("An enterprise this platform does not hold.")}
                )
                row.region_id = client.region_id
                continue
            if found is None:
                row.checked.errors.setdefault(
                    company_field, Problem("unknown_company", _("No enterprise has this code."))
                )
                continue
            candidates.append((company_field, found.pk))
        if v.get("HAZARD_CODE") and not national:
            owners = hazard_owners.get(v["HAZARD_CODE"], set())
            if own and owners and own not in owners:
                _scope_error(row, "HAZARD_CODE", _("This hazard source belongs to another enterprise."))
                continue
            if own and owners:
                candidates.append(("HAZARD_CODE", own))
            elif len(owners) == 1:
                candidates.append(("HAZARD_CODE", next(iter(owners))))
            elif not own:
                row.checked.errors.setdefault(
                    "HAZARD_CODE", Problem("unknown_code", _("No registered hazard source has this code."))
                )
                continue
            else:
                row.checked.warnings.append(
                    {"field": "HAZARD_CODE", "message": _("Not a registered hazard-source code (quarantined).")}
                )
        if v.get("VIDEO_CODE"):
            found = directory.lookup(v["VIDEO_CODE"][:9])
            if found is not None:
                candidates.append(("VIDEO_CODE", found.pk))
        for field_id, parent_dataset in spec.references.items():
            ref = v.get(field_id)
            if not ref:
                continue
            ref_key = str(ref).lower() if parent_dataset != "video-devices" else str(ref)
            row.parent_key = ref_key
            parent = parents.get((parent_dataset, ref_key))
            if parent is None:
                if field_id == "DEVICE_CODE" and spec.dataset == "video-device-status":
                    row.checked.errors.setdefault(
                        "DEVICE_CODE", Problem("unknown_device", _("No device with this code has been reported."))
                    )
                elif field_id != "DEVICE_CODE":
                    row.orphan = True
                continue
            if parent[0]:
                candidates.append((field_id, parent[0]))
        if not candidates and company:
            found = directory.lookup(company)
            if found is None:
                row.checked.errors.setdefault("_company", Problem("unknown_company", _("No enterprise has this code.")))
                continue
            candidates.append(("_company", found.pk))
        if own:
            for field_id, enterprise_id in candidates:
                if enterprise_id != own:
                    _scope_error(row, field_id, _("Outside this client's scope: another enterprise's record."))
                    break
            row.enterprise_id = own
        else:
            distinct = {e for _f, e in candidates}
            if len(distinct) > 1:
                _scope_error(row, candidates[-1][0], _("The record's links point at different enterprises."))
                continue
            if distinct:
                row.enterprise_id = distinct.pop()
                enterprise = directory.by_id[row.enterprise_id]
                if not _in_region(enterprise, client):
                    _scope_error(row, candidates[0][0], _("Outside this client's jurisdiction."))
                    continue
            elif not row.orphan and "_company" not in row.checked.errors:
                row.checked.errors.setdefault(
                    "_company",
                    Problem("unknown_company", _("Cannot tell the enterprise: add ?company=<enterprise code>.")),
                )
                continue
        if row.enterprise_id:
            row.region_id = directory.by_id[row.enterprise_id].organisation.region_id
        else:
            row.region_id = client.region_id


# Key lists travel as one JSON array unpacked by the server: a thousand ``IN`` parameters were each
# quoted by the driver in Python, which cost more than the index lookups themselves.
_KEY_LIST = "(SELECT jsonb_array_elements_text(%s::jsonb))"


def _parents(spec, rows) -> dict[tuple[str, str], tuple[int | None, int]]:
    """(parent dataset, referenced key) → (enterprise, region) of the parents that exist."""
    found = {}
    for field_id, parent_dataset in spec.references.items():
        refs = {r.checked.values.get(field_id) for r in rows} - {None, ""}
        if not refs:
            continue
        if field_id in spec.reference_target_fields:
            refs = {str(x) for x in refs}
            sql = (
                "SELECT alt_key, enterprise_id, region_id FROM exchange_receivedrecord"
                f" WHERE dataset = %s AND alt_key IN {_KEY_LIST} AND NOT deleted"
            )
        else:
            refs = {str(x).lower() for x in refs}
            sql = (
                "SELECT key, enterprise_id, region_id FROM exchange_receivedrecord"
                f" WHERE dataset = %s AND key IN {_KEY_LIST}"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, [parent_dataset, json.dumps(sorted(refs), ensure_ascii=False)])
            for ref, enterprise, region in cursor.fetchall():
                found[(parent_dataset, ref)] = (enterprise, region)
    return found


def _existing(spec, rows) -> dict[str, dict]:
    keys = {r.key for r in rows if r.key and r.checked.ok}
    if not keys:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key, id, enterprise_id, region_id, details::text, event_time, status"
            f" FROM exchange_receivedrecord WHERE dataset = %s AND key IN {_KEY_LIST} FOR UPDATE",
            [spec.dataset, json.dumps(sorted(keys), ensure_ascii=False)],
        )
        return {
            key: {
                "key": key,
                "id": pk,
                "enterprise_id": enterprise,
                "region_id": region,
                "details": json.loads(details) if details is not None else None,
                "event_time": event_time,
                "status": status,
            }
            for key, pk, enterprise, region, details, event_time, status in cursor.fetchall()
        }


def _check_against_existing(spec, rows, existing):
    """Rules that need what is already stored: a key owned by another enterprise, a clearance of an
    alarm never received or dated before it."""
    seen_alarms: dict[str, dict] = {}
    for row in rows:
        if not row.checked.ok:
            continue
        before = existing.get(row.key)
        if before and before["enterprise_id"] and row.enterprise_id and before["enterprise_id"] != row.enterprise_id:
            _scope_error(row, spec.key[0], _("This key belongs to another enterprise's record."))
            continue
        if spec.dataset == "video-alarms":
            v = row.checked.values
            earlier = seen_alarms.get(row.key) or (before or {}).get("details") or {}
            if v.get("ALARM_STATUS") == "0":
                if not earlier.get("alarm_time"):
                    row.checked.errors["ALARM_ID"] = Problem(
                        "unknown_alarm", _("No alarm with this ALARM_ID has been received to clear.")
                    )
                    continue
                if row.raw["ALARM_TIME"] < earlier["alarm_time"]:
                    row.checked.errors["ALARM_TIME"] = Problem(
                        "order",
                        _("The clearance is dated before the alarm (%(time)s).") % {"time": earlier["alarm_time"]},
                    )
                    continue
            else:
                seen_alarms[row.key] = {"alarm_time": row.raw["ALARM_TIME"]}


# --- storing ---------------------------------------------------------------------------------------


def _store_file(dataset: str, decoded: DecodedFile) -> dict:
    digest = hashlib.sha256(decoded.content).hexdigest()
    name = f"exchange/{dataset}/{digest[:2]}/{digest}.{decoded.extension}"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(decoded.content))
    return {"file": name, "media_type": decoded.media_type, "bytes": len(decoded.content), "sha256": digest}


def _file_fields(spec) -> tuple[str, ...]:
    return tuple(f.id for f in spec.fields if f.kind == "file")


def _stored_payload(spec, row: _Row, file_fields: tuple[str, ...] | None = None) -> dict:
    payload = dict(row.raw)
    for field_id in _file_fields(spec) if file_fields is None else file_fields:  # only files are decoded
        value = row.checked.values.get(field_id)
        if isinstance(value, DecodedFile):
            reference = _store_file(spec.dataset, value)
            payload[field_id] = reference
            row.checked.values[field_id] = reference
    return payload


def _title(spec, values: dict, gas_station: bool, fields: dict | None = None) -> str:
    parts = []
    for field_id in spec.profile.title:
        value = values.get(field_id)
        if value in (None, ""):
            continue
        f = fields.get(field_id) if fields is not None else spec.field(field_id)
        codes = (specs.gas_station_codes(spec, field_id) if gas_station else None) or (f.codes if f else {})
        parts.append(str(codes.get(str(value), value)))
    return " · ".join(parts)[:200]


def _details(spec, row: _Row) -> dict:
    v, raw = row.checked.values, row.raw
    if spec.dataset == "video-alarms":
        if v.get("ALARM_STATUS") == "1":
            return {"alarm_time": raw["ALARM_TIME"], "alarm_image": v.get("ALARM_IMAGE")}
        return {"clear_time": raw["ALARM_TIME"], "clear_image": v.get("ALARM_IMAGE")}
    if spec.dataset == "positioning-alarms":
        if v.get("type") == "alarm":
            return {"alarm_time": raw["time"]}
        return {"handle_time": raw.get("handleTime"), "handle_info": raw.get("handleInfo")}
    return {}


def _event_time(spec, values):
    if spec.profile.time and spec.profile.time in values:
        return values[spec.profile.time]
    if spec.dataset == "special-works" and "TASK_DATE" in values:
        day = values["TASK_DATE"]
        return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    return None


# The rows travel as ONE JSON document unpacked by the server (jsonb_to_recordset): binding thirteen
# arrays of a thousand elements made the driver escape every element in Python, which cost more than
# the database's own work.
UPSERT_SQL = """
INSERT INTO exchange_receivedrecord AS r (
    dataset, key, enterprise_id, region_id, client_id, payload, details, title, status, event_time,
    parent_key, alt_key, orphan, deleted, warnings, versions, first_received_at, last_received_at)
SELECT %(dataset)s, k, e, g, %(client)s, p, d, t, s, et, pk, ak, o, del, w, 1, %(now)s, %(now)s
FROM jsonb_to_recordset(%(rows)s::jsonb) AS u(
    k text, e bigint, g bigint, p jsonb, d jsonb, t text, s text, et timestamptz, pk text, ak text,
    o boolean, del boolean, w jsonb)
ON CONFLICT (dataset, key) DO UPDATE SET
    enterprise_id = COALESCE(EXCLUDED.enterprise_id, r.enterprise_id),
    region_id = CASE WHEN EXCLUDED.enterprise_id IS NULL THEN r.region_id ELSE EXCLUDED.region_id END,
    client_id = EXCLUDED.client_id,
    payload = EXCLUDED.payload,
    details = r.details || EXCLUDED.details,
    title = EXCLUDED.title,
    status = EXCLUDED.status,
    event_time = COALESCE(EXCLUDED.event_time, r.event_time),
    parent_key = EXCLUDED.parent_key,
    alt_key = EXCLUDED.alt_key,
    orphan = EXCLUDED.orphan,
    deleted = EXCLUDED.deleted,
    warnings = EXCLUDED.warnings,
    versions = r.versions + 1,
    last_received_at = EXCLUDED.last_received_at
RETURNING id, key, (xmax = 0) AS inserted
"""


def _upsert(spec, client, accepted, existing, directory, now) -> dict[int, tuple[int, bool]]:
    """Upsert the accepted rows; → {row index: (record id, created)}. A key sent twice in one upload
    is stored once (the last wins, facts merged); the first occurrence counts as the creation."""
    by_key: dict[str, dict] = {}
    order: list[str] = []
    occurrences: dict[str, list[_Row]] = defaultdict(list)
    alt_field = specs.referenced_field(spec.dataset)
    fields = {f.id: f for f in spec.fields}
    file_fields = _file_fields(spec)
    for row in accepted:
        payload = _stored_payload(spec, row, file_fields)
        row.stored_payload = payload
        row.stored_json = json.dumps(payload, ensure_ascii=False)
        values = row.checked.values
        details = _details(spec, row)
        if row.key in by_key:
            details = {**by_key[row.key][0]["d"], **details}
        else:
            order.append(row.key)
        clearing = spec.dataset in ("video-alarms", "positioning-alarms") and values.get(spec.profile.status) in (
            "0",
            "alarm:handle",
        )
        time = None if clearing else _event_time(spec, values)
        item = {
            "k": row.key,
            "e": row.enterprise_id,
            "g": row.region_id,
            "d": details,
            "t": _title(spec, values, row.enterprise_id in directory.gas_stations, fields),
            "s": str(values.get(spec.profile.status, "")) if spec.profile.status else "",
            "et": time.isoformat() if time is not None else None,
            "pk": row.parent_key,
            "ak": str(values.get(alt_field, "")) if alt_field else "",
            "o": row.orphan,
            "del": values.get("DELETED") == "1",
            "w": row.checked.warnings,
        }
        by_key[row.key] = (item, row.stored_json)
        occurrences[row.key].append(row)
    # Each row's object with its payload spliced in as already encoded (default=str as before for the
    # merged facts; a stored file reference is already a dict).
    document = (
        "["
        + ",".join(
            f'{json.dumps(by_key[k][0], ensure_ascii=False, default=str)[:-1]},"p":{by_key[k][1]}}}' for k in order
        )
        + "]"
    )
    params = {"dataset": spec.dataset, "client": client.pk, "now": now, "rows": document}
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_SQL, params)
        returned = {key: (pk, inserted) for pk, key, inserted in cursor.fetchall()}
    stored = {}
    for key, rows in occurrences.items():
        pk, inserted = returned[key]
        for position, row in enumerate(rows):
            stored[row.index] = (pk, inserted and position == 0)
    return stored


def _log_versions(batch, accepted, stored, now):
    with (
        connection.cursor() as cursor,
        cursor.copy("COPY exchange_receivedversion (record_id, batch_id, payload, received_at) FROM STDIN") as copy,
    ):
        for row in accepted:
            copy.write_row((stored[row.index][0], batch.pk, row.stored_json, now))


def _adopt_orphans(spec, created_rows):
    """Children that arrived before these parents stop being orphans and take their enterprise. Those
    that had no enterprise until now (a platform client's) are handed to their table's consumers
    now, since the consumers could not place them when they arrived."""
    children = specs.children_of(spec.dataset)
    if not children or not created_rows:
        return
    keys = [r.key for r in created_rows]
    for child_dataset in children:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE exchange_receivedrecord AS c
                SET orphan = false,
                    enterprise_id = COALESCE(c.enterprise_id, p.enterprise_id),
                    region_id = CASE WHEN c.enterprise_id IS NULL THEN p.region_id ELSE c.region_id END
                FROM exchange_receivedrecord AS p, exchange_receivedrecord AS before
                WHERE c.dataset = %s AND c.orphan AND c.parent_key = ANY(%s)
                  AND p.dataset = %s AND p.key = c.parent_key AND before.id = c.id
                RETURNING c.id, c.key, c.enterprise_id, c.payload, c.deleted, before.enterprise_id IS NULL
                """,
                [child_dataset, keys, spec.dataset],
            )
            placed = [row for row in cursor.fetchall() if row[5] and row[2] is not None]
        handlers = registry.consumers_for(child_dataset)
        if placed and handlers:
            child_spec = specs.get(child_dataset)
            items = [
                registry.ReceivedItem(
                    record_id=pk,
                    dataset=child_dataset,
                    key=key,
                    enterprise_id=enterprise_id,
                    values=check_record(
                        child_spec, payload if isinstance(payload, dict) else json.loads(payload)
                    ).values,
                    payload=payload if isinstance(payload, dict) else json.loads(payload),
                    deleted=deleted,
                    created=True,
                )
                for pk, key, enterprise_id, payload, deleted, _unplaced in placed
            ]
            for handler in handlers:
                try:
                    handler(items)
                except Exception as exc:
                    logger.exception("exchange consumer %r failed on adopted %s", handler, child_dataset)
                    raise ConsumerFailed(child_dataset) from exc


def _safe_payload(spec, raw) -> dict | None:
    if not isinstance(raw, dict):
        return None
    payload = {}
    for name, value in raw.items():
        f = spec.field(name)
        if f is not None and f.kind == "file" and isinstance(value, str):
            payload[name] = {"omitted_bytes": len(value)}
        elif isinstance(value, str) and len(value) > 4000:
            payload[name] = value[:4000]
        else:
            payload[name] = value
    return payload


def _keep_rejections(spec, batch, client, refused, now):
    Rejection.objects.bulk_create(
        [
            Rejection(
                batch=batch,
                dataset=spec.dataset,
                enterprise_id=row.enterprise_id or client.enterprise_id,
                region_id=row.region_id or client.region_id,
                index=row.index,
                key=row.key[:80],
                errors={name: problem.message for name, problem in row.checked.errors.items()},
                reasons=[f"{name}:{problem.code}" for name, problem in row.checked.errors.items()],
                payload=_safe_payload(spec, row.raw),
                received_at=now,
            )
            for row in refused
        ]
    )


def _bump_stats(spec, client, rows, now):
    """One upload counts for every enterprise it carried (an empty upload is a client's heartbeat)."""
    per_enterprise: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    regions: dict[int, int] = {}
    for row in rows:
        enterprise = row.enterprise_id or client.enterprise_id
        if enterprise:
            per_enterprise[enterprise][0 if row.checked.ok else 1] += 1
            regions[enterprise] = row.region_id or client.region_id
    if client.enterprise_id and client.enterprise_id not in per_enterprise:
        per_enterprise[client.enterprise_id] = [0, 0]
        regions[client.enterprise_id] = client.region_id
    if not per_enterprise:
        return
    ids = list(per_enterprise)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO exchange_uploadstat AS s (dataset, enterprise_id, region_id, first_upload_at,
                last_upload_at, uploads, records, rejected)
            SELECT %s, e, g, %s, %s, 1, a, r FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])
                AS u(e, g, a, r)
            ON CONFLICT (dataset, enterprise_id) DO UPDATE SET
                last_upload_at = EXCLUDED.last_upload_at, region_id = EXCLUDED.region_id,
                uploads = s.uploads + 1, records = s.records + EXCLUDED.records,
                rejected = s.rejected + EXCLUDED.rejected
            """,
            [
                spec.dataset,
                now,
                now,
                ids,
                [regions[i] for i in ids],
                [per_enterprise[i][0] for i in ids],
                [per_enterprise[i][1] for i in ids],
            ],
        )


def _push_live(spec, accepted, stored, directory):
    """Real-time tables (positioning and video alarms) appear on the regulators' and the enterprise's
    open pages at once: one message per enterprise and per region above it, after commit."""
    from apps.core import live

    by_enterprise: dict[int, list] = defaultdict(list)
    for row in accepted:
        if row.enterprise_id is None:
            continue
        v = row.checked.values
        by_enterprise[row.enterprise_id].append(
            {
                "dataset": spec.dataset,
                "record": stored[row.index][0],
                "key": row.key,
                "status": str(v.get(spec.profile.status, "")),
                "time": row.raw.get(spec.profile.time),
                "title": _title(spec, v, row.enterprise_id in directory.gas_stations),
            }
        )
    directory.load_ids(set(by_enterprise))
    messages, by_region = [], defaultdict(list)
    for enterprise_id, events in by_enterprise.items():
        messages.append(("enterprise", enterprise_id, {"kind": "exchange", "events": events}))
        for code in directory.by_id[enterprise_id].organisation.region.path.strip("/").split("/"):
            by_region[code] += events
    messages += [("region", code, {"kind": "exchange", "events": events}) for code, events in by_region.items()]
    live.broadcast_many(messages)


def _touch(client, now):
    if client.last_seen_at is None or (now - client.last_seen_at).total_seconds() > LAST_SEEN_RESOLUTION:
        ExchangeClient.objects.filter(pk=client.pk).update(last_seen_at=now)
        client.last_seen_at = now

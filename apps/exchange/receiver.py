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
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.enterprises.models import Enterprise
from apps.hazards.models import HazardSource

from . import registry, specs
from .models import ExchangeClient, ReceiptBatch, ReceivedRecord, Rejection
from .validation import BEIJING, Checked, DecodedFile, Problem, check_record

GAS_STATION = "gas_station"
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


def record_key(spec: specs.DatasetSpec, record: dict) -> str:
    """The record's key as stored: UUIDs lower-cased, a composite key joined by '|'."""
    parts = []
    for name in spec.key:
        value = record.get(name)
        parts.append(str(value).strip().lower() if value is not None else "")
    return "|".join(parts)


class _Directory:
    """Enterprises of the batch, found by their codes in one query each."""

    def __init__(self):
        self.by_code: dict[str, Enterprise] = {}
        self.by_id: dict[int, Enterprise] = {}
        self.gas_stations: set[int] = set()

    def load_codes(self, codes: set[str]):
        codes = {c.strip() for c in codes if c and c.strip()}
        if not codes:
            return
        upper = {c.upper() for c in codes}
        found = Enterprise.objects.filter(
            Q(organisation__uscc__in=upper) | Q(registration_code__in=codes) | Q(province_code__in=codes),
            deleted=False,
        ).select_related("organisation__region")
        for enterprise in found:
            self._add(enterprise)
            for code in (enterprise.organisation.uscc, enterprise.registration_code, enterprise.province_code):
                if code:
                    self.by_code.setdefault(code.upper(), enterprise)

    def load_ids(self, ids: set[int]):
        missing = {i for i in ids if i and i not in self.by_id}
        if missing:
            for enterprise in Enterprise.objects.filter(pk__in=missing).select_related("organisation__region"):
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
                handler(items)
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
    directory.load_codes(codes)

    hazard_owners: dict[str, set[int]] = defaultdict(set)
    hazard_codes = {v["HAZARD_CODE"] for v in values if v.get("HAZARD_CODE")}
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
            if found is None:
                row.checked.errors.setdefault(
                    company_field, Problem("unknown_company", _("No enterprise has this code."))
                )
                continue
            candidates.append((company_field, found.pk))
        if v.get("HAZARD_CODE"):
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


def _parents(spec, rows) -> dict[tuple[str, str], tuple[int | None, int]]:
    """(parent dataset, referenced key) → (enterprise, region) of the parents that exist."""
    found = {}
    for field_id, parent_dataset in spec.references.items():
        refs = {r.checked.values.get(field_id) for r in rows} - {None, ""}
        if not refs:
            continue
        if field_id in spec.reference_target_fields:
            refs = {str(x) for x in refs}
            query = ReceivedRecord.objects.filter(dataset=parent_dataset, alt_key__in=refs, deleted=False)
            for ref, enterprise, region in query.values_list("alt_key", "enterprise_id", "region_id"):
                found[(parent_dataset, ref)] = (enterprise, region)
        else:
            refs = {str(x).lower() for x in refs}
            query = ReceivedRecord.objects.filter(dataset=parent_dataset, key__in=refs)
            for ref, enterprise, region in query.values_list("key", "enterprise_id", "region_id"):
                found[(parent_dataset, ref)] = (enterprise, region)
    return found


def _existing(spec, rows) -> dict[str, dict]:
    keys = {r.key for r in rows if r.key and r.checked.ok}
    if not keys:
        return {}
    query = ReceivedRecord.objects.filter(dataset=spec.dataset, key__in=keys).select_for_update()
    return {
        row["key"]: row
        for row in query.values("key", "id", "enterprise_id", "region_id", "details", "event_time", "status")
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


def _stored_payload(spec, row: _Row) -> dict:
    payload = dict(row.raw)
    for f in spec.fields:
        value = row.checked.values.get(f.id)
        if isinstance(value, DecodedFile):
            reference = _store_file(spec.dataset, value)
            payload[f.id] = reference
            row.checked.values[f.id] = reference
    return payload


def _title(spec, values: dict, gas_station: bool) -> str:
    parts = []
    for field_id in spec.profile.title:
        value = values.get(field_id)
        if value in (None, ""):
            continue
        f = spec.field(field_id)
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


UPSERT_SQL = """
INSERT INTO exchange_receivedrecord AS r (
    dataset, key, enterprise_id, region_id, client_id, payload, details, title, status, event_time,
    parent_key, alt_key, orphan, deleted, warnings, versions, first_received_at, last_received_at)
SELECT %(dataset)s, k, e, g, %(client)s, p, d, t, s, et, pk, ak, o, del, w, 1, %(now)s, %(now)s
FROM unnest(%(keys)s::text[], %(enterprises)s::bigint[], %(regions)s::bigint[], %(payloads)s::jsonb[],
            %(details)s::jsonb[], %(titles)s::text[], %(statuses)s::text[], %(times)s::timestamptz[],
            %(parent_keys)s::text[], %(alt_keys)s::text[], %(orphans)s::boolean[], %(deleted)s::boolean[],
            %(warnings)s::jsonb[]) AS u(k, e, g, p, d, t, s, et, pk, ak, o, del, w)
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
    alt_field = _alt_key_field(spec)
    for row in accepted:
        payload = _stored_payload(spec, row)
        row.stored_payload = payload
        values = row.checked.values
        details = _details(spec, row)
        if row.key in by_key:
            details = {**by_key[row.key]["details"], **details}
        else:
            order.append(row.key)
        clearing = spec.dataset in ("video-alarms", "positioning-alarms") and values.get(spec.profile.status) in (
            "0",
            "alarm:handle",
        )
        by_key[row.key] = {
            "key": row.key,
            "enterprise": row.enterprise_id,
            "region": row.region_id,
            "payload": json.dumps(payload, ensure_ascii=False),
            "details": details,
            "title": _title(spec, values, row.enterprise_id in directory.gas_stations),
            "status": str(values.get(spec.profile.status, "")) if spec.profile.status else "",
            "time": None if clearing else _event_time(spec, values),
            "parent_key": row.parent_key,
            "alt_key": str(values.get(alt_field, "")) if alt_field else "",
            "orphan": row.orphan,
            "deleted": values.get("DELETED") == "1",
            "warnings": json.dumps(row.checked.warnings, ensure_ascii=False),
        }
        occurrences[row.key].append(row)
    items = [by_key[k] for k in order]
    params = {
        "dataset": spec.dataset,
        "client": client.pk,
        "now": now,
        "keys": [i["key"] for i in items],
        "enterprises": [i["enterprise"] for i in items],
        "regions": [i["region"] for i in items],
        "payloads": [i["payload"] for i in items],
        "details": [json.dumps(i["details"], ensure_ascii=False, default=str) for i in items],
        "titles": [i["title"] for i in items],
        "statuses": [i["status"] for i in items],
        "times": [i["time"] for i in items],
        "parent_keys": [i["parent_key"] for i in items],
        "alt_keys": [i["alt_key"] for i in items],
        "orphans": [i["orphan"] for i in items],
        "deleted": [i["deleted"] for i in items],
        "warnings": [i["warnings"] for i in items],
    }
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_SQL, params)
        returned = {key: (pk, inserted) for pk, key, inserted in cursor.fetchall()}
    stored = {}
    for key, rows in occurrences.items():
        pk, inserted = returned[key]
        for position, row in enumerate(rows):
            stored[row.index] = (pk, inserted and position == 0)
    return stored


def _alt_key_field(spec) -> str | None:
    """The field other tables refer to this one by, when it is not the key."""
    for other in specs.all_specs().values():
        for field_id, target in other.reference_target_fields.items():
            if other.references.get(field_id) == spec.dataset:
                return target
    return None


def _log_versions(batch, accepted, stored, now):
    with (
        connection.cursor() as cursor,
        cursor.copy("COPY exchange_receivedversion (record_id, batch_id, payload, received_at) FROM STDIN") as copy,
    ):
        for row in accepted:
            copy.write_row((stored[row.index][0], batch.pk, json.dumps(row.stored_payload, ensure_ascii=False), now))


def _adopt_orphans(spec, created_rows):
    """Children that arrived before these parents stop being orphans and take their enterprise."""
    children = [
        (name, f)
        for name, s in specs.all_specs().items()
        for f, target in s.references.items()
        if target == spec.dataset and f not in s.reference_target_fields
    ]
    if not children or not created_rows:
        return
    keys = [r.key for r in created_rows]
    for child_dataset, _field in children:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE exchange_receivedrecord AS c
                SET orphan = false,
                    enterprise_id = COALESCE(c.enterprise_id, p.enterprise_id),
                    region_id = CASE WHEN c.enterprise_id IS NULL THEN p.region_id ELSE c.region_id END
                FROM exchange_receivedrecord AS p
                WHERE c.dataset = %s AND c.orphan AND c.parent_key = ANY(%s)
                  AND p.dataset = %s AND p.key = c.parent_key
                """,
                [child_dataset, keys, spec.dataset],
            )


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


def _touch(client, now):
    if client.last_seen_at is None or (now - client.last_seen_at).total_seconds() > LAST_SEEN_RESOLUTION:
        ExchangeClient.objects.filter(pk=client.pk).update(last_seen_at=now)
        client.last_seen_at = now

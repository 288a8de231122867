"""The exchange tables as data: loaded once from ``fixtures/exchange/`` and compiled into checkers.

Each file describes one table (its fields, types, lengths, required flags, code lists) exactly as
the province's guide prints it (seed 004) or, for the datasets we defined for sharing with the
ministry, as ``docs/exchange.md`` documents. Nothing here repeats those tables in code; the few
rules that are not per field (a CLASSIFY2 under its CLASSIFY1, an end after its begin) live in
``validation.CROSS_RULES``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.conf import settings

SPEC_DIRS = ("datasets", "national")


@dataclass(frozen=True)
class FieldSpec:
    id: str
    name: str
    kind: str  # string|integer|decimal|datetime|date|uuid|file|code|enum
    value_type: str  # "string" or "number"
    length: int | None
    length_enforced: bool
    required: bool
    required_when: dict[str, list[str]] | None
    codes: dict[str, str]
    pattern: str | None
    precision: int | None
    scale: int | None
    file: dict | None
    description: str


@dataclass(frozen=True)
class Profile:
    """How a table's records show in lists: which field names it, dates it, gives its state."""

    title: tuple[str, ...] = ()
    time: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    dataset: str
    table: str
    guide: str
    frequency: str
    frequency_class: str  # daily|hourly|10min|realtime|daily_10
    key: tuple[str, ...]
    company_field: str | None
    references: dict[str, str]  # field → parent dataset
    reference_target_fields: dict[str, str]
    fields: tuple[FieldSpec, ...]
    code_tables: dict = field(default_factory=dict)
    variants: dict = field(default_factory=dict)
    direction: str = "province"  # province tables (seed 004) or national (our formats for the ministry)
    profile: Profile = Profile()
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def field_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.fields)

    @property
    def has_deleted_flag(self) -> bool:
        return "DELETED" in self.field_ids

    def field(self, field_id: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.id == field_id), None)


# How each table shows in lists. The province's tables have no such notion, so it is ours.
PROFILES = {
    "risk-units": Profile(title=("RISK_UNIT_NAME",)),
    "risk-events": Profile(title=("RISK_EVENT_NAME",)),
    "control-measures": Profile(title=("RISK_MEASURE_DESC",)),
    "check-tasks": Profile(title=("TROUBLESHOOT_CONTENT",), time="INVESTIGATION_DATE", status="CHECK_STATUS"),
    "check-records": Profile(time="CHECK_TIME", status="CHECK_STATUS"),
    "hazards": Profile(title=("DANGER_NAME",), time="REGIST_TIME", status="DANGER_STATE"),
    "special-works": Profile(title=("TASK_TYPE", "TASK_POSITION"), time="TASK_BEGIN_TIME"),
    "positioning-alarms": Profile(title=("realName", "alarmInfo"), time="time", status="type"),
    "video-devices": Profile(title=("DEVICE_NAME",)),
    "video-device-status": Profile(title=("DEVICE_CODE",), time="DATE_TIME", status="RUN_STATUS"),
    "video-alarms": Profile(title=("ALARM_TYPE", "VIDEO_CODE"), time="ALARM_TIME", status="ALARM_STATUS"),
}

FREQUENCY_CLASSES = {
    "risk-units": "daily",
    "risk-events": "daily",
    "control-measures": "daily",
    "check-tasks": "daily",
    "check-records": "hourly",
    "hazards": "hourly",
    "special-works": "daily_10",
    "positioning-alarms": "realtime",
    "video-devices": "daily",
    "video-device-status": "10min",
    "video-alarms": "realtime",
}


def spec_root() -> Path:
    return Path(getattr(settings, "ANQUAN_EXCHANGE_SPEC_DIR", settings.BASE_DIR / "fixtures" / "exchange"))


def _field(raw: dict) -> FieldSpec:
    return FieldSpec(
        id=raw["id"],
        name=raw.get("name", raw["id"]),
        kind=raw["kind"],
        value_type=raw.get("value_type", "string"),
        length=raw.get("length"),
        length_enforced=raw.get("length_enforced", True),
        required=bool(raw.get("required")),
        required_when=raw.get("required_when"),
        codes={str(k): v for k, v in (raw.get("codes") or {}).items()},
        pattern=raw.get("pattern"),
        precision=raw.get("precision"),
        scale=raw.get("scale"),
        file=raw.get("file"),
        description=raw.get("description", ""),
    )


def _spec(raw: dict, direction: str) -> DatasetSpec:
    key = raw["key"]
    name = raw["dataset"]
    return DatasetSpec(
        dataset=name,
        table=raw.get("table", name),
        guide=raw.get("guide", ""),
        frequency=raw.get("frequency", ""),
        frequency_class=raw.get("frequency_class") or FREQUENCY_CLASSES.get(name, "realtime"),
        key=tuple(key) if isinstance(key, list) else (key,),
        company_field=raw.get("company_field"),
        references=raw.get("references") or {},
        reference_target_fields=raw.get("reference_target_fields") or {},
        fields=tuple(_field(f) for f in raw["fields"]),
        code_tables=raw.get("code_tables") or {},
        variants=raw.get("variants") or {},
        direction=raw.get("direction", direction),
        profile=Profile(**raw["profile"]) if raw.get("profile") else PROFILES.get(name, Profile()),
        raw=raw,
    )


@cache
def all_specs() -> dict[str, DatasetSpec]:
    specs = {}
    for directory, direction in zip(SPEC_DIRS, ("province", "national"), strict=True):
        for path in sorted((spec_root() / directory).glob("*.json")):
            spec = _spec(json.loads(path.read_text(encoding="utf-8")), direction)
            specs[spec.dataset] = spec
    return specs


def get(dataset: str) -> DatasetSpec | None:
    return all_specs().get(dataset)


def names(direction: str | None = None) -> list[str]:
    return [name for name, spec in all_specs().items() if direction is None or spec.direction == direction]


def gas_station_codes(spec: DatasetSpec, field_id: str) -> dict[str, str] | None:
    """The gas-station variant's code list for a field (video alarm types, decisions.md 4)."""
    variant = spec.variants.get("gas_station")
    if not variant:
        return None
    for raw in variant.get("fields", []):
        if raw["id"] == field_id and raw.get("codes"):
            return {str(k): v for k, v in raw["codes"].items()}
    return None


@cache
def children_of(dataset: str) -> tuple[str, ...]:
    """Tables whose records name a record of ``dataset`` by its key (risk-events of risk-units …)."""
    return tuple(
        name
        for name, spec in all_specs().items()
        for field_id, target in spec.references.items()
        if target == dataset and field_id not in spec.reference_target_fields
    )


@cache
def referenced_field(dataset: str) -> str | None:
    """The field other tables refer to ``dataset`` by, when it is not the key (video-devices.DEVICE_CODE)."""
    for other in all_specs().values():
        for field_id, target in other.reference_target_fields.items():
            if other.references.get(field_id) == dataset:
                return target
    return None

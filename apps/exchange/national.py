"""Province → ministry sharing (与应急管理部数据共享): builders of the five national datasets.

The formats are data (``fixtures/exchange/national/*.json``, documented in ``docs/exchange.md``):
企业基础信息 ``enterprises``, 重大危险源 ``hazard-sources``, 监测报警 ``alarms``, 企业风险等级
``risk-levels`` and 预警及反馈 ``warnings``. Each builder reads our own models for the rows changed in
``[since, until)`` (``since=None``: everything changed before ``until``) and yields one
``registry.OutboundRecord`` per row, in chunks of plain ``values()`` rows so that a full build of a
province is a handful of queries per chunk, never one per row.

Our rows have integer ids and the ministry's tables 36-character UUID keys: ``stable_id`` derives a
UUID from the model and primary key, so a row keeps its key across builds and deployments.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Exists, OuterRef, Q

from apps.enterprises.models import Enterprise, OperatingStatus
from apps.hazards.models import FilingStatus, HazardSource
from apps.monitoring.models import Alarm, AlarmEvent
from apps.risk.models import EnterpriseRisk, Warning, WarningEvent

from . import registry, specs
from .validation import format_datetime

logger = logging.getLogger(__name__)

# Fixed for good: changing it would give every shared record a new key at the ministry.
NAMESPACE = uuid.UUID("6f1c3a52-8d4e-5b7a-9c61-2e0f4d8b7a13")

OPERATING_STATUS = {OperatingStatus.OPERATING: "1", OperatingStatus.SUSPENDED: "2", OperatingStatus.CLOSED: "3"}
FILING_STATUS = {FilingStatus.UNFILED: "0", FilingStatus.FILED: "1", FilingStatus.CANCELLED: "2"}
ALARM_LEVEL = {"high": 1, "high_high": 2, "low": 3, "low_low": 4, "state": 5, "offline": 6}
WARNING_STATE = {
    Warning.Status.PENDING: "1",
    Warning.Status.ACKNOWLEDGED: "2",
    Warning.Status.FED_BACK: "3",
    Warning.Status.RETURNED: "4",
    Warning.Status.VERIFIED: "5",
    Warning.Status.CLOSED: "6",
}
# Reminders repeat every few minutes and change nothing the ministry sees.
WARNING_CHANGE_EVENTS = (
    "raised",
    "rose",
    "acknowledged",
    "fed_back",
    "returned",
    "verified",
    "escalated",
    "recovered",
    "closed",
)


def stable_id(model_label: str, pk) -> str:
    """The 36-character key of one of our rows in the national tables (uuid5: same row, same key)."""
    return str(uuid.uuid5(NAMESPACE, f"{model_label}:{pk}"))


# --- value helpers ------------------------------------------------------------------------------------


def _time(value: dt.datetime | None) -> str | None:
    return format_datetime(value) if value else None


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _number(value, places: int) -> float | int | None:
    """A JSON number with at most ``places`` decimals (the tables' scale); None stays None."""
    if value is None:
        return None
    rounded = round(float(value), places)
    return int(rounded) if rounded == int(rounded) and abs(rounded) < 2**53 else rounded


def _text(value, length: int) -> str | None:
    """Trimmed text cut to the field's length (our columns can be longer than the table allows)."""
    if value is None:
        return None
    text = str(value).strip()
    return text[:length] if text else None


def _company_missing(dataset: str, pk) -> None:
    logger.warning("exchange national %s: row %s skipped, its enterprise has no USCC", dataset, pk)


# --- 企业基础信息 enterprises ----------------------------------------------------------------------------


def build_enterprises(since: dt.datetime | None, until: dt.datetime) -> Iterable[registry.OutboundRecord]:
    """Enterprise basic information (企业基础信息): the registry record or its organisation changed."""
    queryset = Enterprise.objects.filter(
        registry.changed_between(since, until, "updated_at", "organisation__updated_at")
    ).annotate(industry_codes=ArrayAgg("industries__code", distinct=True, default=[]))
    for row in registry.values_in_chunks(
        queryset,
        "organisation__uscc",
        "organisation__name",
        "organisation__region__code",
        "organisation__region__name",
        "address",
        "location",
        "industry_codes",
        "scale",
        "economic_type",
        "supervision_level",
        "legal_representative",
        "principal",
        "principal_phone",
        "safety_manager",
        "safety_manager_phone",
        "status",
        "registration_code",
        "province_code",
        "updated_at",
        "organisation__updated_at",
        "deleted",
    ):
        if not row["organisation__uscc"]:
            _company_missing("enterprises", row["pk"])
            continue
        location = row["location"]
        codes = sorted(c for c in row["industry_codes"] if c)
        payload = {
            "ID": stable_id("enterprises.enterprise", row["pk"]),
            "COMPANY_CODE": row["organisation__uscc"],
            "COMPANY_NAME": _text(row["organisation__name"], 128),
            "REGION_CODE": row["organisation__region__code"],
            "REGION_NAME": _text(row["organisation__region__name"], 64),
            "ADDRESS": _text(row["address"], 255),
            "LONGITUDE": _number(location.x, 6) if location else None,
            "LATITUDE": _number(location.y, 6) if location else None,
            "INDUSTRY_CODES": _text(",".join(codes), 255),
            "SCALE": row["scale"] or None,
            "ECONOMIC_TYPE": row["economic_type"] or None,
            "SUPERVISION_LEVEL": row["supervision_level"] or None,
            "LEGAL_REPRESENTATIVE": _text(row["legal_representative"], 64),
            "PRINCIPAL": _text(row["principal"], 64),
            "PRINCIPAL_PHONE": _text(row["principal_phone"], 32),
            "SAFETY_MANAGER": _text(row["safety_manager"], 64),
            "SAFETY_MANAGER_PHONE": _text(row["safety_manager_phone"], 32),
            "OPERATING_STATUS": OPERATING_STATUS.get(row["status"], "1"),
            "REGISTRATION_CODE": _text(row["registration_code"], 64),
            "PROVINCE_CODE": _text(row["province_code"], 9),
            "UPDATE_TIME": _time(max(row["updated_at"], row["organisation__updated_at"])),
            "DELETED": "1" if row["deleted"] else "0",
        }
        yield registry.OutboundRecord(key=payload["ID"], payload=payload, enterprise_id=row["pk"])


# --- 重大危险源 hazard-sources -----------------------------------------------------------------------------


def build_hazard_sources(since: dt.datetime | None, until: dt.datetime) -> Iterable[registry.OutboundRecord]:
    """Hazard sources (重大危险源): identified, regraded, filed or deleted."""
    queryset = HazardSource.objects.filter(registry.changed_between(since, until, "updated_at"))
    for row in registry.values_in_chunks(
        queryset,
        "enterprise_id",
        "enterprise__organisation__uscc",
        "code",
        "name",
        "is_major",
        "level",
        "r_value",
        "exposed_population",
        "assessed_at",
        "filing_status",
        "filing_number",
        "filed_on",
        "principal_person",
        "principal_phone",
        "updated_at",
        "deleted",
    ):
        if not row["enterprise__organisation__uscc"]:
            _company_missing("hazard-sources", row["pk"])
            continue
        major = bool(row["is_major"] and row["level"])
        payload = {
            "ID": stable_id("hazards.hazardsource", row["pk"]),
            "COMPANY_CODE": row["enterprise__organisation__uscc"],
            "HAZARD_CODE": row["code"],
            "HAZARD_NAME": _text(row["name"], 128),
            "IS_MAJOR": "1" if major else "0",
            "HAZARD_LEVEL": row["level"] if major else None,
            "R_VALUE": _number(row["r_value"], 4) if row["assessed_at"] else None,
            "EXPOSED_POPULATION": row["exposed_population"] or None,
            "ASSESS_TIME": _time(row["assessed_at"]),
            "FILING_STATUS": FILING_STATUS.get(row["filing_status"], "0"),
            "FILING_NUMBER": _text(row["filing_number"], 64),
            "FILING_DATE": _date(row["filed_on"]),
            "PRINCIPAL_PERSON": _text(row["principal_person"], 64),
            "PRINCIPAL_PHONE": _text(row["principal_phone"], 32),
            "UPDATE_TIME": _time(row["updated_at"]),
            "DELETED": "1" if row["deleted"] else "0",
        }
        yield registry.OutboundRecord(key=payload["ID"], payload=payload, enterprise_id=row["enterprise_id"])


# --- 监测报警 alarms --------------------------------------------------------------------------------------


def build_alarms(since: dt.datetime | None, until: dt.datetime) -> Iterable[registry.OutboundRecord]:
    """Monitoring alarms (监测报警): raised, escalated, cleared or handled.

    Alarms have no modification time: a change is a raise, a clearance, a handling feedback or an
    event (escalation, de-escalation) in the window."""
    condition = registry.changed_between(since, until, "started_at", "ended_at", "handled_at")
    events = AlarmEvent.objects.filter(alarm=OuterRef("pk"), ts__lt=until)
    if since is not None:
        events = events.filter(ts__gte=since)
        condition |= Q(Exists(events))
    queryset = Alarm.objects.filter(condition)
    for row in registry.values_in_chunks(
        queryset,
        "enterprise_id",
        "enterprise__organisation__uscc",
        "point__code",
        "point__name",
        "point__unit",
        "point__kind__code",
        "point__kind__unit",
        "level",
        "threshold",
        "peak_value",
        "last_value",
        "started_at",
        "ended_at",
        "is_active",
        "shelved",
        "handled_at",
        "handler",
        "cause",
        "measures",
        "result",
    ):
        level = ALARM_LEVEL.get(row["level"])
        if level is None:
            logger.warning("exchange national alarms: alarm %s has an unknown level %r", row["pk"], row["level"])
            continue
        if not row["enterprise__organisation__uscc"]:
            _company_missing("alarms", row["pk"])
            continue
        value = row["peak_value"] if row["peak_value"] is not None else row["last_value"]
        payload = {
            "ID": stable_id("monitoring.alarm", row["pk"]),
            "COMPANY_CODE": row["enterprise__organisation__uscc"],
            "POINT_CODE": _text(row["point__code"], 64),
            "POINT_NAME": _text(row["point__name"], 128),
            "MEASUREMENT_KIND": row["point__kind__code"],
            "UNIT": _text(row["point__unit"] or row["point__kind__unit"], 16),
            "ALARM_LEVEL": level,
            "THRESHOLD": _bounded(row["threshold"]),
            "ALARM_VALUE": _bounded(value),
            "ALARM_TIME": _time(row["started_at"]),
            "CLEAR_TIME": None if row["is_active"] else _time(row["ended_at"]),
            "ALARM_STATUS": "1" if row["is_active"] else "0",
            "IN_MAINTENANCE": "1" if row["shelved"] else "0",
            "HANDLE_TIME": _time(row["handled_at"]),
            "HANDLER": _text(row["handler"], 64),
            "HANDLE_CAUSE": _text(row["cause"], 255),
            "HANDLE_MEASURES": _text(row["measures"], 500),
            "HANDLE_RESULT": _text(row["result"], 255),
        }
        yield registry.OutboundRecord(key=payload["ID"], payload=payload, enterprise_id=row["enterprise_id"])


def _bounded(value) -> float | int | None:
    """A measured value as the table's decimal (18, 6); a value no sensor gives is left out."""
    if value is None or value != value or abs(value) >= 10**12:  # NaN or beyond the column
        return None
    return _number(value, 6)


# --- 企业风险等级 risk-levels -----------------------------------------------------------------------------


def build_risk_levels(since: dt.datetime | None, until: dt.datetime) -> Iterable[registry.OutboundRecord]:
    """Enterprise risk levels (企业风险等级): one record per enterprise, sent when its result changed —
    a new assessment (level or score) or a level change (also to "not graded"). The periodic
    regrading that only refreshes ``assessed_at`` is not a change."""
    queryset = EnterpriseRisk.objects.filter(
        registry.changed_between(since, until, "assessment__assessed_at", "level_since")
    )
    for row in registry.values_in_chunks(
        queryset,
        "enterprise_id",
        "enterprise__organisation__uscc",
        "level",
        "score",
        "previous_level",
        "level_since",
        "assessed_at",
        "assessment__assessed_at",
        "model__code",
        "assessment__version__number",
    ):
        if not row["enterprise__organisation__uscc"]:
            _company_missing("risk-levels", row["pk"])
            continue
        established = [t for t in (row["assessment__assessed_at"], row["level_since"]) if t]
        assessed = max(established) if established else row["assessed_at"]
        if assessed is None:
            continue  # never graded: nothing to report
        graded = row["level"] is not None
        payload = {
            "ID": stable_id("risk.enterpriserisk", row["pk"]),
            "COMPANY_CODE": row["enterprise__organisation__uscc"],
            "RISK_LEVEL": row["level"],
            "RISK_SCORE": _number(row["score"], 2) if graded and row["score"] is not None else None,
            "PREVIOUS_LEVEL": row["previous_level"],
            "LEVEL_SINCE": _time(row["level_since"]),
            "ASSESS_TIME": _time(assessed),
            "MODEL_CODE": _text(row["model__code"], 48) if graded else None,
            "MODEL_VERSION": row["assessment__version__number"] if graded else None,
        }
        yield registry.OutboundRecord(key=payload["ID"], payload=payload, enterprise_id=row["enterprise_id"])


# --- 预警及反馈 warnings ----------------------------------------------------------------------------------


def build_warnings(since: dt.datetime | None, until: dt.datetime) -> Iterable[registry.OutboundRecord]:
    """Warnings and their feedback (预警及反馈): every step of the loop re-sends the warning."""
    condition = registry.changed_between(since, until, "updated_at", "raised_at")
    if since is not None:
        steps = WarningEvent.objects.filter(
            warning=OuterRef("pk"), ts__gte=since, ts__lt=until, event__in=WARNING_CHANGE_EVENTS
        )
        condition |= Q(Exists(steps))
    queryset = Warning.objects.filter(condition)
    for row in registry.values_in_chunks(
        queryset,
        "enterprise_id",
        "enterprise__organisation__uscc",
        "level",
        "from_level",
        "score",
        "drivers",
        "raised_at",
        "status",
        "acknowledged_at",
        "feedback_at",
        "cause",
        "measures",
        "result",
        "verified_at",
        "verify_comment",
        "escalations",
        "recovered_at",
        "closed_at",
    ):
        if not row["enterprise__organisation__uscc"]:
            _company_missing("warnings", row["pk"])
            continue
        status = row["status"]
        if status == Warning.Status.RETURNED:
            verify = "0"
        elif row["verified_at"] and status in (Warning.Status.VERIFIED, Warning.Status.CLOSED):
            verify = "1"
        else:
            verify = None
        payload = {
            "ID": stable_id("risk.warning", row["pk"]),
            "COMPANY_CODE": row["enterprise__organisation__uscc"],
            "WARNING_LEVEL": row["level"],
            "FROM_LEVEL": row["from_level"],
            "RISK_SCORE": _number(row["score"], 2) if row["score"] is not None else None,
            "DRIVERS": _text("；".join(_driver_names(row["drivers"])), 500),
            "RAISED_TIME": _time(row["raised_at"]),
            "WARNING_STATE": WARNING_STATE.get(status, "1"),
            "ACK_TIME": _time(row["acknowledged_at"]),
            "FEEDBACK_TIME": _time(row["feedback_at"]),
            "FEEDBACK_CAUSE": _text(row["cause"], 500),
            "FEEDBACK_MEASURES": _text(row["measures"], 2000),
            "FEEDBACK_RESULT": _text(row["result"], 500),
            "VERIFY_RESULT": verify,
            "VERIFY_TIME": _time(row["verified_at"]),
            "VERIFY_COMMENT": _text(row["verify_comment"], 500),
            "ESCALATIONS": row["escalations"] or None,
            "RECOVERED_TIME": _time(row["recovered_at"]),
            "CLOSED_TIME": _time(row["closed_at"]),
        }
        yield registry.OutboundRecord(key=payload["ID"], payload=payload, enterprise_id=row["enterprise_id"])


def _driver_names(drivers) -> list[str]:
    names = []
    for driver in drivers or []:
        if isinstance(driver, dict):
            name = driver.get("name") or driver.get("code")
            if name:
                names.append(str(name))
    return names


BUILDERS = {
    "enterprises": build_enterprises,
    "hazard-sources": build_hazard_sources,
    "alarms": build_alarms,
    "risk-levels": build_risk_levels,
    "warnings": build_warnings,
}


def register() -> None:
    """Offer the national datasets' builders to the sender (called from ``ExchangeConfig.ready``)."""
    for dataset, builder in BUILDERS.items():
        if specs.get(dataset) is None:  # a deployment without the national formats sends none of them
            continue
        registry.register_builder(dataset, builder)

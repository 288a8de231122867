"""Risk models as versioned data (模型管理): shipped defaults, drafts, publication, invocation."""

from __future__ import annotations

import copy
import json
from functools import cache

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import ConflictError, InvalidInput, PermissionDeniedError

from .. import engine, sources
from ..models import RiskLevel, RiskModel, RiskModelVersion, WarningPolicy

FIXTURES = settings.BASE_DIR / "fixtures" / "risk"

# RSK-14 levels; decision 3: blue is the fourth colour, and the colour is configuration.
DEFAULT_LEVELS = (
    (1, "重大风险", "一级（极高风险）", "red", "红", "#e02020"),
    (2, "较大风险", "二级（高风险）", "orange", "橙", "#ff8c00"),
    (3, "一般风险", "三级（较高风险）", "yellow", "黄", "#f5c400"),
    (4, "低风险", "四级（一般风险）", "blue", "蓝", "#1e78ff"),
)
# Acknowledge (minutes), feed back (hours), remind every (minutes), escalate each step after (hours).
DEFAULT_POLICIES = {1: (30, 4, 15, 2), 2: (60, 12, 30, 6), 3: (240, 24, 120, 12), 4: (1440, 72, 720, 24)}


def load_reference_data() -> dict:
    """Levels, warning policies and the shipped models. Existing rows are configuration a regulator may
    have changed (colours, deadlines, model versions), so they are created when missing, never reset."""
    for code, name, grade, colour, colour_name, hex_value in DEFAULT_LEVELS:
        RiskLevel.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "grade_name": grade,
                "colour": colour,
                "colour_name": colour_name,
                "hex": hex_value,
            },
        )
    for level, (ack, feedback, remind, escalate) in DEFAULT_POLICIES.items():
        WarningPolicy.objects.get_or_create(
            level_id=level,
            defaults={
                "acknowledge_minutes": ack,
                "feedback_hours": feedback,
                "remind_minutes": remind,
                "escalate_hours": escalate,
            },
        )
    created = 0
    for path in sorted((FIXTURES / "models").glob("*.json")):
        created += _install_default_model(json.loads(path.read_text(encoding="utf-8")))
    return {"risk_levels": len(DEFAULT_LEVELS), "risk_models_created": created}


@transaction.atomic
def _install_default_model(data: dict) -> int:
    from apps.enterprises.models import Industry

    if RiskModel.objects.filter(code=data["code"]).exists():
        return 0
    kind = data.get("kind", "enterprise")
    engine.validate(data["definition"], known_sources(kind))
    model = RiskModel.objects.create(
        code=data["code"],
        name=data["name"],
        description=data.get("description", ""),
        industry=Industry.objects.filter(code=data.get("industry")).first(),
        kind=kind,
    )
    version = RiskModelVersion.objects.create(
        model=model,
        number=1,
        status=RiskModelVersion.Status.PUBLISHED,
        definition=data["definition"],
        note=_("Shipped model"),
        published_at=timezone.now(),
    )
    model.current_version = version
    model.save(update_fields=["current_version"])
    return 1


@cache
def record_indicators() -> dict[str, dict]:
    """Management indicators an enterprise reports by form (管理指标), by code."""
    rows = json.loads((FIXTURES / "record_indicators.json").read_text(encoding="utf-8"))
    return {row["code"]: row for row in rows}


@cache
def region_indicators() -> dict[str, dict]:
    """Regional factors regulators report for a region model (区域指标: geography, weather, rescue), by code."""
    rows = json.loads((FIXTURES / "region_indicators.json").read_text(encoding="utf-8"))
    return {row["code"]: row for row in rows}


REGION_KIND = "region"


def known_sources(kind: str = "enterprise") -> set[str]:
    """Sources a model of ``kind`` may name: a region model grades regions, so its leaves name region
    sources (``apps.risk.region_sources``); every other kind grades enterprises."""
    from .. import region_sources

    return region_sources.known_region_codes() if kind == REGION_KIND else sources.known_codes()


def check_definition(definition, kind: str = "enterprise") -> None:
    """Raise InvalidInput with field errors (``definition.<path>``) when a definition is unusable."""
    try:
        engine.validate(definition, known_sources(kind))
    except engine.DefinitionError as exc:
        raise InvalidInput(str(exc), errors={f"definition.{k}": v for k, v in exc.errors.items()}) from exc
    if kind == REGION_KIND:
        source, known, message = "region.records", region_indicators(), _("Unknown regional indicator.")
    else:
        source, known, message = "records.value", record_indicators(), _("Unknown management indicator.")
    errors = {}
    for leaf in engine.leaves(definition):
        if leaf["source"] == source and (leaf.get("params") or {}).get("indicator") not in known:
            errors[f"definition.{leaf['code']}.params.indicator"] = [message]
    if errors:
        raise InvalidInput(_("The definition names unknown management indicators."), errors=errors)


def require_editor(actor) -> None:
    """Models are edited by provincial (or ministry) administrators only: the role's ``edit_riskmodel``
    permission and a province- or ministry-level regulator (ops and superusers too). ``None`` is the
    system (shell, data loading, tests)."""
    from apps.accounts.models import OrganisationKind, RegulatorLevel

    if actor is None or actor.is_superuser or "ops" in actor.role_codes:
        return
    organisation = actor.organisation
    if not (
        actor.has_perm("risk.edit_riskmodel")
        and organisation is not None
        and organisation.kind == OrganisationKind.REGULATOR
        and organisation.level in (RegulatorLevel.PROVINCE, RegulatorLevel.MINISTRY)
    ):
        raise PermissionDeniedError(_("Only provincial or ministry administrators may edit risk models."))


@transaction.atomic
def create_draft(model: RiskModel, definition: dict, *, actor=None, note: str = "") -> RiskModelVersion:
    """A new draft version (the published one stays in force until the draft is published)."""
    require_editor(actor)
    check_definition(definition, model.kind)
    model = RiskModel.objects.select_for_update().get(pk=model.pk)
    number = (model.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return RiskModelVersion.objects.create(
        model=model, number=number, definition=copy.deepcopy(definition), note=note, created_by=actor
    )


@transaction.atomic
def publish(version: RiskModelVersion, *, actor=None) -> RiskModelVersion:
    """Put a draft in force: the previous version is retired (kept, so its results stay reproducible)
    and the model's enterprises are regraded after commit."""
    require_editor(actor)
    version = RiskModelVersion.objects.select_for_update().select_related("model").get(pk=version.pk)
    if version.status != RiskModelVersion.Status.DRAFT:
        raise ConflictError(_("Only a draft can be published."), field="status")
    model = version.model
    check_definition(version.definition, model.kind)
    RiskModelVersion.objects.filter(model=model, status=RiskModelVersion.Status.PUBLISHED).update(
        status=RiskModelVersion.Status.RETIRED
    )
    version.status = RiskModelVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = actor
    version.save(update_fields=["status", "published_at", "published_by"])
    model.current_version = version
    model.save(update_fields=["current_version", "updated_at"])
    from ..tasks import regrade_model

    transaction.on_commit(lambda: regrade_model.delay(model.pk))
    return version


def invoke(model: RiskModel, inputs: dict) -> engine.Result:
    """Grade an input vector with the model's version in force, without storing anything (RSK-08: the
    model as a compute service). Inputs map leaf indicator codes to raw values."""
    if model.current_version is None:
        raise ConflictError(_("The model has no published version."))
    definition = model.current_version.definition
    codes = {leaf["code"] for leaf in engine.leaves(definition)}
    errors = {}
    clean = {}
    for key, value in (inputs or {}).items():
        if key not in codes:
            errors[f"inputs.{key}"] = [_("Not an indicator of this model.")]
        elif value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            errors[f"inputs.{key}"] = [_("Must be a number or null.")]
        else:
            clean[key] = value
    if errors:
        raise InvalidInput(_("Some inputs are not usable."), errors=errors)
    RiskModel.objects.filter(pk=model.pk).update(invocations=F("invocations") + 1)
    return engine.evaluate(definition, clean)


POLICY_FIELDS = ("acknowledge_minutes", "feedback_hours", "remind_minutes", "escalate_hours", "raises_warning")


@transaction.atomic
def update_warning_policy(level: int, changes: dict, *, actor=None):
    """Change a level's warning deadlines (预警处置时限) — a provincial decision like the models."""
    from ..models import WarningPolicy

    require_editor(actor)
    if actor is not None and not (actor.has_perm("risk.change_warningpolicy") or actor.is_superuser):
        raise PermissionDeniedError()
    policy = WarningPolicy.objects.select_for_update().filter(level_id=level).first()
    if policy is None:
        raise InvalidInput(_("The level must be 1, 2, 3 or 4."), field="level")
    errors = {}
    for name, value in changes.items():
        if name not in POLICY_FIELDS:
            errors[name] = [_("Not a field of a warning policy.")]
        elif name == "raises_warning":
            if not isinstance(value, bool):
                errors[name] = [_("Must be true or false.")]
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors[name] = [_("Must be a whole number of at least 1.")]
    if errors:
        raise InvalidInput(_("The policy has errors."), errors=errors)
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.save()
    return policy

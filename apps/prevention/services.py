"""Dual prevention's reads and verbs: the one-screen figures, investigation results (排查记录) and
hidden-danger governance (隐患治理)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import ConflictError, InvalidInput, PermissionDeniedError

from . import periods
from .models import (
    CheckRecord,
    CheckTask,
    ControlMeasure,
    DangerState,
    HiddenDanger,
    HiddenDangerStep,
    RiskUnit,
    Source,
)


def overview_section(enterprise, user) -> dict:
    """The enterprise's dual-prevention figures for its one-screen page (一企一档): the list's size,
    tasks, and hidden dangers open, overdue and major — five queries whatever the enterprise."""
    now = timezone.now()
    units = RiskUnit.objects.live().filter(enterprise=enterprise)
    by_level = dict(units.values_list("risk_level").annotate(n=Count("id")).values_list("risk_level", "n"))
    dangers = (
        HiddenDanger.objects.live()
        .filter(enterprise=enterprise)
        .aggregate(
            total=Count("id"),
            open=Count("id", filter=~Q(state=DangerState.ACCEPTED)),
            overdue=Count("id", filter=~Q(state=DangerState.ACCEPTED) & Q(deadline__lt=now)),
            major_open=Count("id", filter=~Q(state=DangerState.ACCEPTED) & Q(level=1)),
        )
    )
    return {
        "risk_units": sum(by_level.values()),
        "risk_units_by_level": {str(level): n for level, n in by_level.items() if level},
        "control_measures": ControlMeasure.objects.live().filter(enterprise=enterprise).count(),
        "investigation_tasks": CheckTask.objects.live().filter(enterprise=enterprise).count(),
        "hidden_dangers": dangers,
    }


# --- hidden-danger governance (隐患治理): register → rectify → accept, or send back ------------------

REQUIRED = (
    "name",
    "level",
    "deadline",
    "object_code",
    "origin",
    "manage_type",
    "danger_type",
    "description",
    "liable_person",
)
ORIGIN_MEASURE_FAILED = "9"  # 管控措施失效: found by an investigation task, bound to its control measure
_TEXT_LIMITS = {f.name: f.max_length for f in HiddenDanger._meta.fields if getattr(f, "max_length", None)}


def _name(actor) -> str:
    if actor is None:
        return ""
    return str(actor).strip()  # the user's real name (实名, as the ledger wants), else the username


def _codes(field: str) -> set[str]:
    return {str(code) for code, _label in HiddenDanger._meta.get_field(field).choices}


def _step(danger, action, actor, *, comment="", photos=()):
    return HiddenDangerStep.objects.create(
        danger=danger,
        action=action,
        actor=actor,
        actor_name=_name(actor)[:100],
        comment=comment or "",
        photos=list(photos or []),
        state_after=danger.state,
    )


def _require_right(actor, perm: str, enterprise) -> None:
    """Callers that are not HTTP get the same check as the API: the role's right and the jurisdiction."""
    if actor is None:
        return
    if not actor.has_perm(f"prevention.{perm}"):
        raise PermissionDeniedError(_("Your role does not permit this action"))
    from apps.enterprises.models import Enterprise

    if not Enterprise.objects.for_user(actor).filter(pk=enterprise.pk).exists():
        raise PermissionDeniedError(_("This enterprise is outside your jurisdiction."))


def _locked(danger) -> HiddenDanger:
    return HiddenDanger.objects.select_for_update().get(pk=danger.pk)


@transaction.atomic
def register_danger(actor, enterprise, **fields) -> HiddenDanger:
    """登记隐患: a hidden danger of the enterprise, bound to its risk analysis object (HAZARD_CODE) and, when
    found by an investigation task (管控措施失效), to the failed control measure (DPM-16). Starts 整改中;
    one fixed on the spot (即查即改) may be registered already rectified (待验收) with its rectification."""
    _require_right(actor, "add_hiddendanger", enterprise)
    now = timezone.now()
    errors: dict[str, list[str]] = {}

    def wrong(field, message):
        errors.setdefault(field, []).append(str(message))

    for field, value in list(fields.items()):
        if isinstance(value, str):
            fields[field] = value.strip()
    for field in REQUIRED:
        if fields.get(field) in (None, ""):
            wrong(field, _("This field is required."))
    known = {f.name for f in HiddenDanger._meta.fields}
    for field in fields:
        if field not in known or field in ("id", "uid", "enterprise", "source", "state", "received_from"):
            wrong(field, _("Unknown field."))
    for field, limit in _TEXT_LIMITS.items():
        value = fields.get(field)
        if isinstance(value, str) and len(value) > limit:
            wrong(field, _("Ensure this field has no more than %(limit)d characters.") % {"limit": limit})
    for field in ("level", "origin", "manage_type", "danger_type"):
        value = fields.get(field)
        if value not in (None, "") and str(value) not in _codes(field):
            wrong(field, _("Not one of the codes: %(codes)s.") % {"codes": ", ".join(sorted(_codes(field)))})
    measure = fields.get("measure")
    if measure is not None and measure.enterprise_id != enterprise.pk:
        wrong("measure", _("The control measure belongs to another enterprise."))
    if str(fields.get("origin")) == ORIGIN_MEASURE_FAILED and measure is None and "measure" not in errors:
        wrong("measure", _("A hidden danger found because a control measure failed names that measure."))
    fields.setdefault("registered_at", None)
    registered_at = fields["registered_at"] or now
    deadline = fields.get("deadline")
    if deadline and registered_at and deadline < registered_at:
        wrong("deadline", _("The deadline cannot be before the registration time."))
    rectification = fields.get("rectification") or ""
    fixed_on_the_spot = bool(rectification) and str(fields.get("manage_type")) == "0"
    if errors:
        raise InvalidInput(_("The hidden danger is not valid."), errors=errors)

    from apps.hazards.models import HazardSource

    fields["registered_at"] = registered_at
    fields["registrant"] = fields.get("registrant") or _name(actor)[:100]
    if measure is not None:
        fields["measure_uid"] = measure.uid
    fields["hazard_source"] = HazardSource.objects.filter(
        enterprise=enterprise, code=fields["object_code"], deleted=False
    ).first()
    for field in ("level", "manage_type", "danger_type"):
        fields[field] = int(fields[field])
    fields["origin"] = str(fields["origin"])
    danger = HiddenDanger(enterprise=enterprise, source=Source.PORTAL, state=DangerState.RECTIFYING, **fields)
    try:
        danger.full_clean(exclude=["enterprise", "hazard_source", "measure", "received_from"])
    except ValidationError as exc:
        raise InvalidInput.from_validation_error(exc) from exc
    danger.save()
    _step(danger, HiddenDangerStep.Action.REGISTERED, actor, comment=danger.description)
    if fixed_on_the_spot:
        danger.state = DangerState.AWAITING_ACCEPTANCE
        danger.rectified_on = danger.rectified_on or timezone.localdate()
        danger.save(update_fields=["state", "rectified_on", "updated_at"])
        _step(danger, HiddenDangerStep.Action.RECTIFIED, actor, comment=rectification)
    return danger


@transaction.atomic
def rectify(actor, danger, *, rectification, completed_on=None, comment="", photos=()) -> HiddenDanger:
    """整改: what was done (required) and when; 整改中 → 待验收. 409 from any other state."""
    danger = _locked(danger)
    _require_right(actor, "change_hiddendanger", danger.enterprise)
    rectification = (rectification or "").strip()
    if not rectification:
        raise InvalidInput(_("Say what was done to rectify the hidden danger."), field="rectification")
    if danger.state != DangerState.RECTIFYING:
        raise ConflictError(_("Only a hidden danger under rectification can be rectified."), field="state")
    danger.state = DangerState.AWAITING_ACCEPTANCE
    danger.rectification = rectification
    danger.rectified_on = completed_on or timezone.localdate()
    danger.save(update_fields=["state", "rectification", "rectified_on", "updated_at"])
    _step(danger, HiddenDangerStep.Action.RECTIFIED, actor, comment=comment or rectification, photos=photos)
    return danger


def _rectifier_id(danger):
    return (
        danger.steps.filter(action=HiddenDangerStep.Action.RECTIFIED)
        .order_by("-at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )


@transaction.atomic
def accept(actor, danger, *, comment="", photos=()) -> HiddenDanger:
    """验收: someone other than the rectifier confirms the rectification; 待验收 → 已验收. 409 unless
    awaiting acceptance; 403 for the person who rectified it."""
    danger = _locked(danger)
    _require_right(actor, "change_hiddendanger", danger.enterprise)
    if danger.state != DangerState.AWAITING_ACCEPTANCE:
        raise ConflictError(_("Only a hidden danger awaiting acceptance can be accepted."), field="state")
    rectifier = _rectifier_id(danger)
    if actor is not None and rectifier is not None and rectifier == actor.pk:
        raise PermissionDeniedError(_("The person who rectified a hidden danger cannot accept it; ask a colleague."))
    danger.state = DangerState.ACCEPTED
    danger.accept_person = _name(actor)[:50]
    danger.accepted_at = timezone.now()
    danger.accept_comment = (comment or "").strip()[:1000]
    danger.save(update_fields=["state", "accept_person", "accepted_at", "accept_comment", "updated_at"])
    _step(danger, HiddenDangerStep.Action.ACCEPTED, actor, comment=danger.accept_comment, photos=photos)
    return danger


@transaction.atomic
def send_back(actor, danger, *, comment, photos=()) -> HiddenDanger:
    """退回整改: the rectification is not enough (say why); 待验收 → 整改中. 409 unless awaiting acceptance."""
    danger = _locked(danger)
    _require_right(actor, "change_hiddendanger", danger.enterprise)
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput(_("Say why the rectification is sent back."), field="comment")
    if danger.state != DangerState.AWAITING_ACCEPTANCE:
        raise ConflictError(_("Only a hidden danger awaiting acceptance can be sent back."), field="state")
    danger.state = DangerState.RECTIFYING
    danger.save(update_fields=["state", "updated_at"])
    _step(danger, HiddenDangerStep.Action.SENT_BACK, actor, comment=comment, photos=photos)
    return danger


# --- investigation (隐患排查): a task's check recorded from the PC, the mobile app or a patrol system ------

CHECK_STATUSES = ("0", "1", "2", "3")  # CHECK_STATUS of the exchange table; 2 = 未排查
NOT_CHECKED = "2"
CLOCK_SKEW = dt.timedelta(minutes=5)


@transaction.atomic
def record_investigation(actor, task, *, checked_at=None, status, inspector="", note="") -> CheckRecord:
    """记录排查结果: one investigation record (排查记录) of the task, which closes the cycle (排查任务周期)
    it falls in unless the result is 未排查 (2), and becomes the task's latest check when it is the
    latest. 400 for an unknown result, a time in the future or a deleted task."""
    task = CheckTask.objects.select_for_update().get(pk=task.pk)
    _require_right(actor, "add_checkrecord", task.enterprise)
    if task.deleted:
        raise InvalidInput(_("The investigation task has been deleted."), field="task")
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    status = "" if status is None else str(status).strip()
    if status not in CHECK_STATUSES:
        errors["status"] = [str(_("Not one of the codes: %(codes)s.") % {"codes": ", ".join(CHECK_STATUSES)})]
    checked_at = checked_at or now
    if checked_at > now + CLOCK_SKEW:
        errors["checked_at"] = [str(_("The investigation time cannot be in the future."))]
    inspector = (inspector or "").strip() or _name(actor)
    if len(inspector) > 100:
        errors["inspector"] = [str(_("Ensure this field has no more than %(limit)d characters.") % {"limit": 100})]
    if errors:
        raise InvalidInput(_("The investigation record is not valid."), errors=errors)
    record = CheckRecord.objects.create(
        enterprise_id=task.enterprise_id,
        source=Source.PORTAL,
        task=task,
        task_uid=task.uid,
        checked_at=checked_at,
        status=status,
        inspector=inspector,
        note=(note or "").strip(),
    )
    fields = ["updated_at"]
    if task.last_checked_at is None or checked_at >= task.last_checked_at:
        task.last_checked_at, task.last_status = checked_at, status
        fields += ["last_checked_at", "last_status"]
    task.save(update_fields=fields)
    if status != NOT_CHECKED:
        periods.mark_checked([(task.pk, checked_at, record.pk)])
    return record

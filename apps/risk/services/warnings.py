"""The warning loop (预警闭环): raise on a rise, push, remind, acknowledge, feed back, verify or send
back, escalate when overdue, recover and close.

    pending ─ack─▶ acknowledged ─feedback─▶ fed_back ─verify─▶ verified ─risk back─▶ closed
       └──────────────feedback──────────────▲   └─send back─▶ returned ─feedback─┘
                                                 (verify when the risk is already back: closed)

A warning is *recovered* (处置降级) when the enterprise's level is back at or below the level it rose
from; it closes once it is both recovered and verified. A further rise while a warning is open raises
that warning in place (back to pending, new deadlines) instead of opening another.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from apps.core import live
from apps.core.exceptions import ConflictError, InvalidInput, PermissionDeniedError

from .. import engine
from ..models import EnterpriseRisk, RiskAssessment, RiskLevel, Warning, WarningEvent, WarningPolicy

S = Warning.Status
ENTERPRISE_RECIPIENTS = (
    "enterprise_admin",
    "enterprise_principal",
    "enterprise_safety_manager",
    "control_room_duty_officer",
)
REGULATOR_RECIPIENTS = ("regulator_admin", "regulator_staff")
NOTIFY_LEVEL = {1: "danger", 2: "danger", 3: "warning", 4: "info"}


def _policies() -> dict[int, WarningPolicy]:
    return {p.level_id: p for p in WarningPolicy.objects.all()}


def _level_names() -> dict[int, str]:
    return dict(RiskLevel.objects.values_list("code", "name"))


def _deadlines(warning: Warning, policy: WarningPolicy | None, at) -> None:
    if policy is None:
        return
    warning.acknowledge_due_at = at + dt.timedelta(minutes=policy.acknowledge_minutes)
    warning.feedback_due_at = at + dt.timedelta(hours=policy.feedback_hours)


def raise_for_rises(rises: list[tuple], at) -> list[Warning]:
    """Warnings for enterprises whose level rose: ``(enterprise_id, old level, assessment, previous
    assessment id)``. Called inside the grading transaction."""
    if not rises:
        return []
    previous = dict(RiskAssessment.objects.filter(pk__in=[r[3] for r in rises if r[3]]).values_list("pk", "breakdown"))
    open_ones = {
        w.enterprise_id: w
        for w in Warning.objects.open().select_for_update().filter(enterprise_id__in=[r[0] for r in rises])
    }
    policies = _policies()
    created, raised = [], []
    events = []
    for enterprise_id, old_level, assessment, previous_id in rises:
        policy = policies.get(assessment.level)
        if policy is not None and not policy.raises_warning:
            continue  # this province does not warn on rises to this level
        drivers = engine.drivers(assessment.breakdown, previous.get(previous_id))
        if assessment.rule:
            drivers.insert(0, {"code": assessment.rule, "name": _("Rule: %(rule)s") % {"rule": assessment.rule}})
        warning = open_ones.get(enterprise_id)
        if warning is None:
            warning = Warning(
                enterprise_id=enterprise_id,
                assessment=assessment,
                from_level=old_level,
                level=assessment.level,
                score=assessment.score,
                drivers=drivers,
                raised_at=at,
                pushed_at=at,
            )
            _deadlines(warning, policies.get(assessment.level), at)
            created.append(warning)
        else:
            # A further rise while open: the same warning, raised in place and due again.
            warning.level = min(warning.level, assessment.level)
            warning.assessment = assessment
            warning.score = assessment.score
            warning.drivers = drivers
            warning.status = S.PENDING
            warning.recovered_at = None
            warning.pushed_at = at
            _deadlines(warning, policies.get(warning.level), at)
            raised.append(warning)
    Warning.objects.bulk_create(created)
    for warning in raised:
        warning.save()
    for warning in created:
        events.append(WarningEvent(warning=warning, ts=at, event="raised", level=warning.level))
    for warning in raised:
        events.append(WarningEvent(warning=warning, ts=at, event="rose", level=warning.level))
    WarningEvent.objects.bulk_create(events)
    everything = created + raised
    _announce(everything, "raised", at)
    return everything


def note_levels(levels: dict[int, int | None], at) -> None:
    """Open warnings of enterprises whose level changed: recovered when back at or below the level they
    rose from (closed if already verified)."""
    if not levels:
        return
    for warning in Warning.objects.open().select_for_update().filter(enterprise_id__in=list(levels)):
        level = levels[warning.enterprise_id]
        back = level is None or warning.from_level is None or level >= warning.from_level
        if back and warning.recovered_at is None:
            warning.recovered_at = at
            fields = ["recovered_at", "updated_at"]
            WarningEvent.objects.create(warning=warning, ts=at, event="recovered", level=level)
            if warning.status == S.VERIFIED:
                _close(warning, at, fields)
            warning.save(update_fields=fields)
            _announce([warning], "recovered", at, quiet=True)
        elif not back and warning.recovered_at is not None:
            warning.recovered_at = None
            warning.save(update_fields=["recovered_at", "updated_at"])


def _close(warning: Warning, at, fields: list[str]) -> None:
    warning.status = S.CLOSED
    warning.closed_at = at
    fields += ["status", "closed_at"]
    WarningEvent.objects.create(warning=warning, ts=at, event="closed", level=warning.level)


# --- the enterprise's side ----------------------------------------------------------------------


def _require(actor, warning: Warning, side: str) -> None:
    """Only the enterprise disposes of its warnings; only a regulator in scope verifies."""
    if actor is None:
        return
    if not Warning.objects.for_user(actor).filter(pk=warning.pk).exists():
        raise PermissionDeniedError()
    perm = "risk.dispose_warning" if side == "enterprise" else "risk.verify_warning"
    if not actor.has_perm(perm):
        raise PermissionDeniedError()


@transaction.atomic
def acknowledge(warning: Warning, *, actor=None) -> Warning:
    """签收: the enterprise has seen the warning; reminders stop."""
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    _require(actor, warning, "enterprise")
    if warning.status == S.ACKNOWLEDGED:
        return warning  # a repeated click changes nothing
    if warning.status != S.PENDING:
        raise ConflictError(_("Only a warning awaiting acknowledgement can be acknowledged."), field="status")
    now = timezone.now()
    warning.status, warning.acknowledged_at, warning.acknowledged_by = S.ACKNOWLEDGED, now, actor
    warning.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    WarningEvent.objects.create(warning=warning, ts=now, event="acknowledged", actor=actor)
    _announce([warning], "acknowledged", now, quiet=True)
    return warning


@transaction.atomic
def feed_back(warning: Warning, *, measures: str, cause: str = "", result: str = "", actor=None) -> Warning:
    """处置反馈: what was found and done. Acknowledges too, if that had not been done."""
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    _require(actor, warning, "enterprise")
    if not (measures or "").strip():
        raise InvalidInput(_("Describe the disposal measures."), field="measures")
    if warning.status not in Warning.AWAITING_FEEDBACK:
        raise ConflictError(_("This warning is not awaiting feedback."), field="status")
    now = timezone.now()
    if warning.acknowledged_at is None:
        warning.acknowledged_at, warning.acknowledged_by = now, actor
        WarningEvent.objects.create(warning=warning, ts=now, event="acknowledged", actor=actor)
    warning.status = S.FED_BACK
    warning.feedback_at, warning.feedback_by = now, actor
    warning.cause, warning.measures, warning.result = cause.strip(), measures.strip(), result.strip()
    warning.save()
    WarningEvent.objects.create(warning=warning, ts=now, event="fed_back", actor=actor, comment=warning.measures)
    _announce([warning], "fed_back", now, to_regulators=True)
    return warning


# --- the regulator's side -----------------------------------------------------------------------


@transaction.atomic
def verify(warning: Warning, *, comment: str = "", actor=None) -> Warning:
    """核查: the regulator accepts the feedback. Closed now if the risk is back, else once it is."""
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    _require(actor, warning, "regulator")
    if warning.status != S.FED_BACK:
        raise ConflictError(_("Only a fed-back warning can be verified."), field="status")
    now = timezone.now()
    warning.status, warning.verified_at, warning.verified_by = S.VERIFIED, now, actor
    warning.verify_comment = comment.strip()
    fields = ["status", "verified_at", "verified_by", "verify_comment", "updated_at"]
    WarningEvent.objects.create(warning=warning, ts=now, event="verified", actor=actor, comment=warning.verify_comment)
    if warning.recovered_at is None:
        current = (
            EnterpriseRisk.objects.filter(enterprise_id=warning.enterprise_id).values_list("level", flat=True).first()
        )
        if current is None or warning.from_level is None or current >= warning.from_level:
            warning.recovered_at = now
            fields.append("recovered_at")
    if warning.recovered_at is not None:
        _close(warning, now, fields)
    warning.save(update_fields=fields)
    _announce([warning], warning.status, now)
    return warning


@transaction.atomic
def send_back(warning: Warning, *, comment: str, actor=None) -> Warning:
    """退回: the feedback is not enough; the enterprise must dispose again, due anew."""
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    _require(actor, warning, "regulator")
    if not (comment or "").strip():
        raise InvalidInput(_("Say why the feedback is sent back."), field="comment")
    if warning.status != S.FED_BACK:
        raise ConflictError(_("Only a fed-back warning can be sent back."), field="status")
    now = timezone.now()
    policy = _policies().get(warning.level)
    warning.status = S.RETURNED
    warning.verify_comment = comment.strip()
    if policy:
        warning.feedback_due_at = now + dt.timedelta(hours=policy.feedback_hours)
    warning.save(update_fields=["status", "verify_comment", "feedback_due_at", "updated_at"])
    WarningEvent.objects.create(warning=warning, ts=now, event="returned", actor=actor, comment=warning.verify_comment)
    _announce([warning], "returned", now)
    return warning


# --- time: reminders and escalation ---------------------------------------------------------------


@transaction.atomic
def tick(at: dt.datetime | None = None) -> dict:
    """Remind unacknowledged warnings every ``remind_minutes``; escalate warnings not fed back by their
    deadline one regulator level up, and again every ``escalate_hours`` (县 → 市 → 省)."""
    from apps.regions.models import Region

    at = at or timezone.now()
    policies = _policies()
    reminded, escalated = [], []
    pending = Warning.objects.select_for_update(skip_locked=True).filter(status=S.PENDING)
    for warning in pending:
        policy = policies.get(warning.level)
        if policy is None:
            continue
        last = warning.last_reminded_at or warning.pushed_at or warning.raised_at
        if at - last >= dt.timedelta(minutes=policy.remind_minutes):
            warning.last_reminded_at, warning.reminders = at, warning.reminders + 1
            warning.save(update_fields=["last_reminded_at", "reminders"])
            reminded.append(warning)
    overdue = (
        Warning.objects.select_for_update(skip_locked=True)
        .filter(status__in=Warning.AWAITING_FEEDBACK, feedback_due_at__lt=at)
        .select_related("enterprise__organisation__region")
    )
    for warning in overdue:
        policy = policies.get(warning.level)
        if policy is None:
            continue
        due_step = warning.feedback_due_at + dt.timedelta(hours=policy.escalate_hours * warning.escalations)
        if at < due_step:
            continue
        chain = warning.enterprise.organisation.region.path.strip("/").split("/")
        # the enterprise's own region is step 0; each escalation goes one region up the chain
        index = len(chain) - 2 - warning.escalations
        if index < 0:
            continue
        warning.escalations += 1
        warning.escalated_to = Region.objects.get(code=chain[index])
        warning.escalated_at = at
        warning.save(update_fields=["escalations", "escalated_to", "escalated_at"])
        escalated.append(warning)
    WarningEvent.objects.bulk_create(
        [WarningEvent(warning=w, ts=at, event="reminded", level=w.level) for w in reminded]
        + [
            WarningEvent(warning=w, ts=at, event="escalated", level=w.level, comment=w.escalated_to.name)
            for w in escalated
        ]
    )
    _announce(reminded, "reminded", at, to_regulators=False)
    _announce(escalated, "escalated", at, to_enterprise=False)
    return {"reminded": len(reminded), "escalated": len(escalated)}


# --- telling people ---------------------------------------------------------------------------------

TITLES = {
    "raised": _lazy("%(enterprise)s: risk rose to %(level)s, dispose of it promptly"),
    "reminded": _lazy("Reminder: the %(level)s warning of %(enterprise)s is not acknowledged yet"),
    "escalated": _lazy("Overdue warning escalated: %(enterprise)s has not fed back its %(level)s warning"),
    "fed_back": _lazy("%(enterprise)s fed back its %(level)s warning, awaiting verification"),
    "returned": _lazy("The feedback of %(enterprise)s on its %(level)s warning was sent back, dispose again"),
    "verified": _lazy("The %(level)s warning of %(enterprise)s is verified, awaiting recovery"),
    "closed": _lazy("The %(level)s warning of %(enterprise)s is closed"),
}


def _users(**conditions):
    return get_user_model().objects.filter(is_active=True, **conditions).select_related("organisation").distinct()


def payload(warning: Warning, event: str) -> dict:
    return {
        "kind": "warning",
        "event": event,
        "id": warning.pk,
        "enterprise": warning.enterprise_id,
        "level": warning.level,
        "from_level": warning.from_level,
        "status": warning.status,
        "score": warning.score,
        "drivers": warning.drivers[:3],
    }


def _announce(warnings, event: str, at, *, quiet=False, to_regulators=None, to_enterprise=True) -> None:
    """Live push to the enterprise and the regions above it, and notifications to the people who act:
    the enterprise's safety roles, and the regulators of its region (or of the region escalated to)."""
    if not warnings:
        return
    from apps.enterprises.models import Enterprise

    info = {
        e.pk: e
        for e in Enterprise.objects.filter(pk__in={w.enterprise_id for w in warnings}).select_related(
            "organisation__region"
        )
    }
    messages = []
    for warning in warnings:
        body = payload(warning, event)
        enterprise = info[warning.enterprise_id]
        body["enterprise_name"] = enterprise.name
        messages.append(("enterprise", warning.enterprise_id, body))
        for code in enterprise.organisation.region.path.strip("/").split("/"):
            messages.append(("region", code, body))
    live.broadcast_many(messages)
    if quiet or event not in TITLES:
        return
    names = _level_names()
    notify_regulators = event in ("raised", "fed_back", "escalated") if to_regulators is None else to_regulators
    from apps.notifications.services import notify

    # Recipients of every warning of this call in two queries (not two per warning).
    by_enterprise: dict[int, list] = defaultdict(list)
    if to_enterprise and event != "fed_back":
        for user in _users(organisation_id__in=list(info), groups__role__code__in=ENTERPRISE_RECIPIENTS):
            by_enterprise[user.organisation_id].append(user)

    def region_of(warning):
        return warning.escalated_to_id if event == "escalated" else info[warning.enterprise_id].organisation.region_id

    by_region: dict[int, list] = defaultdict(list)
    if notify_regulators:
        regions = {region_of(w) for w in warnings}
        for user in _users(
            organisation__region_id__in=regions,
            organisation__kind="regulator",
            groups__role__code__in=REGULATOR_RECIPIENTS,
        ):
            by_region[user.organisation.region_id].append(user)
    for warning in warnings:
        enterprise = info[warning.enterprise_id]
        recipients = by_enterprise.get(warning.enterprise_id, []) + (
            by_region.get(region_of(warning), []) if notify_regulators else []
        )
        if not recipients:
            continue
        words = {"enterprise": enterprise.name, "level": names.get(warning.level, str(warning.level))}
        with translation.override(settings.LANGUAGE_CODE):  # stored messages speak the platform's language
            title = str(TITLES[event]) % words
        notify(
            recipients,
            kind=f"warning_{event}",
            title=title,
            body=", ".join(d.get("name", "") for d in warning.drivers[:3]),
            link=f"/warnings/{warning.pk}/",
            level=NOTIFY_LEVEL.get(warning.level, "info"),
            target=warning,
            dedupe_key=f"warning:{warning.pk}:{event}:{int(at.timestamp())}",
        )

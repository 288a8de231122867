"""Online spot checks and patrols (在线抽查/巡查, INS-04/05/07) and grid-based supervision (网格化分工,
RSK-16): who looked at which enterprise, what they found; which department watches which risks."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput, NotFoundError, PermissionDeniedError
from apps.core.scoping import AccessScope

from ..models import EnterpriseRisk, SpotCheck, SupervisionAssignment

VIEWABLE = ("risk", "online", "devices", "alarms", "warnings", "video", "equipment", "casting_wells", "hazards")


@transaction.atomic
def record_spot_check(
    enterprise,
    *,
    inspector,
    kind: str = SpotCheck.Kind.ENTERPRISE,
    viewed=(),
    findings: str = "",
    follow_up: str = SpotCheck.FollowUp.NONE,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
) -> SpotCheck:
    """Record one spot check by a regulator of an enterprise in its jurisdiction."""
    from apps.enterprises.models import Enterprise

    if not inspector.has_perm("risk.add_spotcheck"):
        raise PermissionDeniedError()
    if not Enterprise.objects.for_user(inspector).filter(pk=enterprise.pk).exists():
        raise NotFoundError(_("Enterprise not found."), field="enterprise")
    errors = {}
    if kind not in SpotCheck.Kind.values:
        errors["kind"] = [_("Unknown kind of spot check.")]
    if follow_up not in SpotCheck.FollowUp.values:
        errors["follow_up"] = [_("Unknown follow-up.")]
    viewed = list(viewed or [])
    if any(not isinstance(v, str) or v.split(":")[0] not in VIEWABLE for v in viewed):
        errors["viewed"] = [_("Items viewed must be among: %(items)s") % {"items": ", ".join(VIEWABLE)}]
    now = timezone.now()
    started_at = started_at or now
    if started_at > now + dt.timedelta(minutes=5):
        errors["started_at"] = [_("A spot check cannot start in the future.")]
    if ended_at is not None and ended_at < started_at:
        errors["ended_at"] = [_("A spot check cannot end before it starts.")]
    if follow_up != SpotCheck.FollowUp.NONE and not findings.strip():
        errors["findings"] = [_("Describe the findings that call for a follow-up.")]
    if errors:
        raise InvalidInput(_("The spot check has errors."), errors=errors)
    risk = EnterpriseRisk.objects.filter(enterprise=enterprise).values_list("level", flat=True).first()
    return SpotCheck.objects.create(
        enterprise=enterprise,
        inspector=inspector,
        kind=kind,
        viewed=viewed,
        findings=findings.strip(),
        follow_up=follow_up,
        started_at=started_at,
        ended_at=ended_at or now,
        risk_level=risk,
    )


@transaction.atomic
def assign_supervision(
    actor, *, region, level: int, department, industry=None, note: str = ""
) -> SupervisionAssignment:
    """Assign the enterprises of ``industry`` (all industries when None) at ``level`` within ``region`` to
    ``department``. Replaces the cell's previous assignment. The region and the department must be
    within the actor's jurisdiction."""
    from apps.accounts.models import OrganisationKind

    if not actor.has_perm("risk.add_supervisionassignment"):
        raise PermissionDeniedError()
    scope = AccessScope.of(actor)
    errors = {}
    if level not in (1, 2, 3, 4):
        errors["level"] = [_("The level must be 1, 2, 3 or 4.")]
    in_scope = scope.kind == AccessScope.ALL or (
        scope.kind == AccessScope.REGION and region.path.startswith(scope.region_path)
    )
    if not in_scope:
        errors["region"] = [_("The region is outside your jurisdiction.")]
    if department.kind not in (OrganisationKind.REGULATOR, OrganisationKind.COMMITTEE_MEMBER) or not (
        scope.kind == AccessScope.ALL or department.region.path.startswith(scope.region_path or "")
    ):
        errors["department"] = [_("The department must be a regulator within your jurisdiction.")]
    if errors:
        raise InvalidInput(_("The assignment has errors."), errors=errors)
    assignment, _created = SupervisionAssignment.objects.update_or_create(
        region=region,
        industry=industry,
        level=level,
        defaults={"department": department, "note": note, "created_by": actor},
    )
    return assignment


def supervised_risks(user):
    """Current risks assigned to the user's department (``GET /my/supervised-risks``): enterprises in an
    assignment's region, of its industry (any when none), at its level."""
    if user.organisation_id is None:
        return EnterpriseRisk.objects.none()
    cells = SupervisionAssignment.objects.filter(department_id=user.organisation_id).select_related("region")
    condition = Q(pk__in=[])
    for cell in cells:
        part = Q(enterprise__organisation__region__path__startswith=cell.region.path, level=cell.level)
        if cell.industry_id:
            part &= Q(enterprise__industries=cell.industry_id)
        condition |= part
    return EnterpriseRisk.objects.for_user(user).filter(condition).distinct()


@transaction.atomic
def record_incident(
    enterprise, *, actor, kind: str, occurred_on: dt.date, severity: str = "", deaths: int = 0, description: str = ""
):
    """Record an accident, near miss or confirmed violation (事故事件/违法违规) of an enterprise in the
    actor's jurisdiction; it counts in the accidents indicators and in the backtest's ground truth."""
    from apps.enterprises.models import Enterprise

    from ..models import Incident

    if actor is not None:
        if not actor.has_perm("risk.add_incident"):
            raise PermissionDeniedError()
        if not Enterprise.objects.for_user(actor).filter(pk=enterprise.pk).exists():
            raise NotFoundError(_("Enterprise not found."), field="enterprise")
    errors = {}
    if kind not in Incident.Kind.values:
        errors["kind"] = [_("Unknown kind of incident.")]
    if severity and severity not in Incident.Severity.values:
        errors["severity"] = [_("Unknown severity.")]
    if kind == Incident.Kind.ACCIDENT and not severity:
        errors["severity"] = [_("An accident needs its severity.")]
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("An incident cannot be in the future.")]
    if deaths < 0:
        errors["deaths"] = [_("Must be zero or more.")]
    if errors:
        raise InvalidInput(_("The incident has errors."), errors=errors)
    incident = Incident.objects.create(
        enterprise=enterprise,
        kind=kind,
        occurred_on=occurred_on,
        severity=severity,
        deaths=deaths,
        description=description.strip(),
        source="enforcement" if kind == Incident.Kind.VIOLATION else "report",
        recorded_by=actor,
    )
    from .grading import request_regrade

    request_regrade([enterprise.pk])
    return incident

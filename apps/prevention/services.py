"""Dual prevention's reads and verbs (more to come with task generation and governance)."""

from django.db.models import Count, Q
from django.utils import timezone

from .models import CheckTask, ControlMeasure, DangerState, HiddenDanger, RiskUnit


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
